//! What the cases share: the test configuration, byte patterns, temporary files, and checks of
//! errors and of what a server received.

use graph_upload_testkit::emulator::TOKEN;
use graph_upload_testkit::raw_server::{Captured, RawServer};
use graph_upload_transport::{
    ErrorKind, Request, Response, StatusCode, Transport, TransportConfig, TransportError, header,
};
use std::io::Write as _;
use std::sync::Arc;
use std::time::Duration;
use wiremock::matchers::any;
use wiremock::{Mock, MockServer, ResponseTemplate};

pub(crate) const MIB: usize = 1024 * 1024;

/// Sends `request` to the emulator, which must answer.
pub(crate) async fn send(transport: &dyn Transport, request: Request) -> Response {
    transport
        .send(request)
        .await
        .expect("the request is answered")
}

/// `request` with the emulator's bearer token.
pub(crate) fn bearer(request: Request) -> Request {
    request
        .header_str(header::AUTHORIZATION, &format!("Bearer {TOKEN}"))
        .expect("a valid header")
}

/// A print document's bytes as Graph gives them: `GET .../$value` with the token answers
/// `302` to a pre-authenticated download URL, read without the token (printdocument-get).
pub(crate) async fn read_print_document(transport: &dyn Transport, value_url: &str) -> Response {
    let redirect = send(transport, bearer(Request::get(value_url).unwrap())).await;
    assert_eq!(
        redirect.status(),
        StatusCode::FOUND,
        "{:?}",
        redirect.body()
    );
    let location = redirect.header_str("location").expect("a Location");
    let value = send(transport, Request::get(location).unwrap()).await;
    assert_eq!(value.status(), StatusCode::OK, "{:?}", value.body());
    value
}

/// A Graph upload URL's path and query (the query must reach the server byte for byte).
pub(crate) const UPLOAD_PATH: &str = "/uploadSessions/5400be13-5a4e-4c20-be70-90c85bfe5d6e";
pub(crate) const UPLOAD_QUERY: &str =
    "tempauthtoken=eyJ0eXAiOiJKV1Qi.eyJhdWQi-_~x.Sig%2Bnat%2Fure%3D&x=1";

/// Builds a backend from a configuration.
pub(crate) type MakeTransport = fn(TransportConfig) -> Arc<dyn Transport>;

/// The configuration most cases run with: short timeouts, default response cap.
pub(crate) fn test_config() -> TransportConfig {
    TransportConfig::default()
        .connect_timeout(Duration::from_secs(2))
        .request_timeout(Some(Duration::from_secs(10)))
}

/// `len` deterministic pseudo-random bytes (xorshift), different for each `seed`.
pub(crate) fn pattern(len: usize, seed: u64) -> Vec<u8> {
    let mut state = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    let mut out = Vec::with_capacity(len + 8);
    while out.len() < len {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        out.extend_from_slice(&state.to_le_bytes());
    }
    out.truncate(len);
    out
}

/// A temporary file holding `bytes`.
pub(crate) fn temp_file(bytes: &[u8]) -> tempfile::NamedTempFile {
    let mut file = tempfile::NamedTempFile::new().expect("create a temp file");
    file.write_all(bytes).expect("write the temp file");
    file.flush().expect("flush the temp file");
    file
}

/// Compares large byte strings without printing megabytes on failure.
#[track_caller]
pub(crate) fn assert_same_bytes(actual: &[u8], expected: &[u8], what: &str) {
    if actual == expected {
        return;
    }
    let first_difference = actual
        .iter()
        .zip(expected)
        .position(|(a, b)| a != b)
        .unwrap_or(actual.len().min(expected.len()));
    panic!(
        "{what}: got {} bytes, expected {}; first difference at byte {first_difference}",
        actual.len(),
        expected.len()
    );
}

/// The error of a send that must fail.
#[track_caller]
pub(crate) fn expect_error(result: Result<Response, TransportError>, what: &str) -> TransportError {
    match result {
        Ok(response) => panic!(
            "{what}: expected an error, got a {} response with {} body bytes",
            response.status(),
            response.body().len()
        ),
        Err(error) => error,
    }
}

/// The response of a send that must succeed.
#[track_caller]
pub(crate) fn expect_response(result: Result<Response, TransportError>, what: &str) -> Response {
    result.unwrap_or_else(|error| panic!("{what}: expected a response, got {error:?}"))
}

/// A mock server answering every request with `status`.
pub(crate) async fn server_answering(status: u16) -> MockServer {
    let server = MockServer::start().await;
    Mock::given(any())
        .respond_with(ResponseTemplate::new(status))
        .mount(&server)
        .await;
    server
}

/// The requests a mock server received.
pub(crate) async fn received(server: &MockServer) -> Vec<wiremock::Request> {
    server
        .received_requests()
        .await
        .expect("request recording is on")
}

/// The only request a mock server received.
pub(crate) async fn only_request(server: &MockServer) -> wiremock::Request {
    let mut requests = received(server).await;
    assert_eq!(
        requests.len(),
        1,
        "the server got {} requests",
        requests.len()
    );
    requests.remove(0)
}

/// The Content-Length values a request carried (there must be exactly one).
#[track_caller]
pub(crate) fn single_content_length(request: &wiremock::Request) -> u64 {
    let values: Vec<_> = request
        .headers
        .get_all(header::CONTENT_LENGTH)
        .iter()
        .map(|v| v.to_str().expect("ASCII Content-Length").to_string())
        .collect();
    assert_eq!(values.len(), 1, "Content-Length values: {values:?}");
    values[0].parse().expect("numeric Content-Length")
}

#[track_caller]
pub(crate) fn assert_not_chunked(request: &wiremock::Request) {
    assert!(
        request.headers.get(header::TRANSFER_ENCODING).is_none(),
        "Transfer-Encoding: {:?}",
        request.headers.get(header::TRANSFER_ENCODING)
    );
}

/// The error kinds that "the connection failed mid-request" may be reported as.
#[track_caller]
pub(crate) fn assert_io_or_body_that_may_have_been_sent(error: &TransportError, what: &str) {
    assert!(
        matches!(error.kind(), ErrorKind::Io | ErrorKind::Body),
        "{what}: expected an Io or Body error, got {error:?}"
    );
    assert!(
        error.may_have_been_sent(),
        "{what}: the request reached the server, yet may_have_been_sent() is false: {error:?}"
    );
}

/// The response cap of the size-cap cases (their servers send 2 MiB).
pub(crate) const CAP: usize = MIB;

pub(crate) fn capped_config() -> TransportConfig {
    test_config().max_response_bytes(CAP)
}

/// The next request the raw server finished reading.
pub(crate) async fn next_captured(server: &mut RawServer) -> Captured {
    server
        .next_request(Duration::from_secs(5))
        .await
        .expect("the raw server got a request")
}
