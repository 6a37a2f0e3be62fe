//! The transport conformance suite: every case is written once, as an `async fn` over an
//! `Arc<dyn Transport>`, and `conformance_suite!` runs it against each backend
//! (`reqwest_backend::…`, `hyper_backend::…`).
//!
//! Well-behaved exchanges go through `wiremock`; misbehaving servers (silent, hanging up
//! mid-body, oversized or truncated answers) are a raw TCP server on loopback
//! (`graph_upload_testkit::raw_server`), which also shows the exact bytes a backend writes.

use bytes::Bytes;
use graph_upload_models::{GraphErrorBody, InnerError};
use graph_upload_testkit::raw_server::{Behaviour, Captured, Framing, RawServer};
use graph_upload_testkit::refused_port;
use graph_upload_transport::{
    Body, ErrorKind, FileSlice, HeaderName, HeaderValue, HyperTransport, Method, Request,
    ReqwestTransport, Response, StatusCode, Transport, TransportConfig, TransportError, header,
};
use std::io::Write as _;
use std::sync::Arc;
use std::time::{Duration, Instant};
use wiremock::matchers::{any, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

const MIB: usize = 1024 * 1024;

/// A Graph upload URL's path and query (the query must reach the server byte for byte).
const UPLOAD_PATH: &str = "/uploadSessions/5400be13-5a4e-4c20-be70-90c85bfe5d6e";
const UPLOAD_QUERY: &str = "tempauthtoken=eyJ0eXAiOiJKV1Qi.eyJhdWQi-_~x.Sig%2Bnat%2Fure%3D&x=1";

/// Builds a backend from a configuration.
type MakeTransport = fn(TransportConfig) -> Arc<dyn Transport>;

/// The configuration most cases run with: short timeouts, default response cap.
fn test_config() -> TransportConfig {
    TransportConfig::default()
        .connect_timeout(Duration::from_secs(2))
        .request_timeout(Some(Duration::from_secs(10)))
}

fn reqwest_transport(config: TransportConfig) -> Arc<dyn Transport> {
    Arc::new(ReqwestTransport::new(config).expect("build the reqwest backend"))
}

fn hyper_transport(config: TransportConfig) -> Arc<dyn Transport> {
    Arc::new(HyperTransport::new(config).expect("build the hyper backend"))
}

/// One module per backend, one test per case.
///
/// `shared` cases take the transport built from [`test_config`]; `configured` cases take the
/// backend's constructor and build the transport with the settings they need. Each backend
/// then lists the shared cases that some backend is known to fail, so that the failing one
/// can carry `#[ignore = "the bug"]` while the assertion stays as strict as for the others
/// (once the bug is fixed, drop the attribute).
macro_rules! conformance_suite {
    (
        shared: $shared:tt,
        configured: $configured:tt,
        backends: { $($backend:ident => $make:path { $($known:tt)* }),+ $(,)? } $(,)?
    ) => {
        $(
            mod $backend {
                conformance_suite!(@shared $make; $shared);
                conformance_suite!(@configured $make; $configured);
                conformance_suite!(@known $make; $($known)*);
            }
        )+
    };
    (@shared $make:path; [$($case:ident),* $(,)?]) => {
        $(
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $case() {
                super::$case($make(super::test_config())).await;
            }
        )*
    };
    (@configured $make:path; [$($case:ident),* $(,)?]) => {
        $(
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $case() {
                super::$case($make).await;
            }
        )*
    };
    (@known $make:path; $($(#[$attribute:meta])* $case:ident),* $(,)?) => {
        $(
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            $(#[$attribute])*
            async fn $case() {
                super::$case($make(super::test_config())).await;
            }
        )*
    };
}

conformance_suite! {
    shared: [
        every_method_reaches_the_server_with_its_path_and_query,
        caller_headers_arrive_including_repeated_ones,
        no_authorization_header_is_added_by_the_transport,
        a_caller_authorization_header_arrives_exactly_once,
        content_length_equals_the_length_of_a_bytes_body,
        content_length_equals_the_length_of_a_file_slice_body,
        empty_put_and_post_send_content_length_zero,
        ten_mib_body_from_memory_arrives_intact,
        ten_mib_file_slice_at_an_offset_arrives_intact,
        concurrent_sends_of_slices_of_one_file_arrive_intact,
        non_2xx_status_is_a_response_not_an_error,
        redirect_is_returned_not_followed,
        response_headers_and_an_empty_201_are_readable,
        a_retry_of_the_same_request_sends_identical_bytes,
        raw_request_head_has_content_length_and_no_authorization,
        raw_get_and_delete_without_body_send_no_framing_headers,
        connect_refused_is_a_connect_error_and_not_sent,
        https_to_a_plain_http_server_is_a_tls_error_and_not_sent,
        server_closing_mid_request_body_is_an_io_or_body_error_that_may_have_been_sent,
        server_resetting_mid_request_body_is_an_io_or_body_error_that_may_have_been_sent,
        server_closing_without_an_answer_is_an_io_or_body_error_that_may_have_been_sent,
        response_shorter_than_its_content_length_is_a_body_or_io_error,
        file_truncated_after_planning_fails_and_never_reports_success,
        request_cap_override_can_lower_the_limit,
    ],
    configured: [
        silent_server_times_out_within_the_request_timeout,
        response_body_stalling_midway_times_out,
        a_timed_out_connection_is_not_reused_for_the_next_request,
        response_over_the_cap_with_content_length_is_too_large,
        chunked_response_over_the_cap_is_too_large,
        response_exactly_at_the_cap_arrives_intact,
        request_cap_override_lets_a_larger_response_through,
        transport_is_usable_after_a_response_over_the_cap,
    ],
    backends: {
        reqwest_backend => super::reqwest_transport {
            raw_caller_content_length_is_not_duplicated,
            a_file_that_shrank_is_a_body_error,
        },
        hyper_backend => super::hyper_transport {
            raw_caller_content_length_is_not_duplicated,
            a_file_that_shrank_is_a_body_error,
        },
    },
}

// ---------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------

/// `len` deterministic pseudo-random bytes (xorshift), different for each `seed`.
fn pattern(len: usize, seed: u64) -> Vec<u8> {
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
fn temp_file(bytes: &[u8]) -> tempfile::NamedTempFile {
    let mut file = tempfile::NamedTempFile::new().expect("create a temp file");
    file.write_all(bytes).expect("write the temp file");
    file.flush().expect("flush the temp file");
    file
}

/// Compares large byte strings without printing megabytes on failure.
#[track_caller]
fn assert_same_bytes(actual: &[u8], expected: &[u8], what: &str) {
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
fn expect_error(result: Result<Response, TransportError>, what: &str) -> TransportError {
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
fn expect_response(result: Result<Response, TransportError>, what: &str) -> Response {
    result.unwrap_or_else(|error| panic!("{what}: expected a response, got {error:?}"))
}

/// A mock server answering every request with `status`.
async fn server_answering(status: u16) -> MockServer {
    let server = MockServer::start().await;
    Mock::given(any())
        .respond_with(ResponseTemplate::new(status))
        .mount(&server)
        .await;
    server
}

/// The requests a mock server received.
async fn received(server: &MockServer) -> Vec<wiremock::Request> {
    server
        .received_requests()
        .await
        .expect("request recording is on")
}

/// The only request a mock server received.
async fn only_request(server: &MockServer) -> wiremock::Request {
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
fn single_content_length(request: &wiremock::Request) -> u64 {
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
fn assert_not_chunked(request: &wiremock::Request) {
    assert!(
        request.headers.get(header::TRANSFER_ENCODING).is_none(),
        "Transfer-Encoding: {:?}",
        request.headers.get(header::TRANSFER_ENCODING)
    );
}

/// The error kinds that "the connection failed mid-request" may be reported as.
#[track_caller]
fn assert_io_or_body_that_may_have_been_sent(error: &TransportError, what: &str) {
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
const CAP: usize = MIB;

fn capped_config() -> TransportConfig {
    test_config().max_response_bytes(CAP)
}

// ---------------------------------------------------------------------------------------------
// Requests as wiremock sees them
// ---------------------------------------------------------------------------------------------

async fn every_method_reaches_the_server_with_its_path_and_query(transport: Arc<dyn Transport>) {
    let server = MockServer::start().await;
    let methods = [
        Method::GET,
        Method::PUT,
        Method::POST,
        Method::DELETE,
        Method::PATCH,
    ];
    for m in &methods {
        Mock::given(method(m.as_str()))
            .and(path(UPLOAD_PATH))
            .respond_with(ResponseTemplate::new(200).set_body_string(m.as_str()))
            .mount(&server)
            .await;
    }
    let url = format!("{}{UPLOAD_PATH}?{UPLOAD_QUERY}", server.uri());
    for m in &methods {
        let mut request = Request::new(m.clone(), &url).unwrap();
        if matches!(*m, Method::PUT | Method::POST | Method::PATCH) {
            request = request.body(format!("body of {m}"));
        }
        let response = expect_response(transport.send(request).await, m.as_str());
        assert_eq!(response.status(), StatusCode::OK, "{m}");
        assert_eq!(response.body().as_ref(), m.as_str().as_bytes(), "{m}");
    }
    let requests = received(&server).await;
    assert_eq!(requests.len(), methods.len());
    for (request, m) in requests.iter().zip(&methods) {
        assert_eq!(&request.method, m);
        assert_eq!(request.url.path(), UPLOAD_PATH, "{m}");
        assert_eq!(request.url.query(), Some(UPLOAD_QUERY), "{m}");
        let expected_body = if matches!(*m, Method::PUT | Method::POST | Method::PATCH) {
            format!("body of {m}").into_bytes()
        } else {
            Vec::new()
        };
        assert_eq!(request.body, expected_body, "{m}");
    }
}

async fn caller_headers_arrive_including_repeated_ones(transport: Arc<dyn Transport>) {
    let server = server_answering(202).await;
    let multi = HeaderName::from_static("x-multi");
    let request = Request::put(&format!("{}/upload", server.uri()))
        .unwrap()
        .header_str(header::CONTENT_RANGE, "bytes 0-9/4533322")
        .unwrap()
        .header_str(header::IF_MATCH, "\"{aBcD},1\"")
        .unwrap()
        .header_str(HeaderName::from_static("client-request-id"), "7f5c9a4e-1")
        .unwrap()
        .header(multi.clone(), HeaderValue::from_static("first"))
        .header(multi.clone(), HeaderValue::from_static("second"))
        .header(
            header::USER_AGENT,
            HeaderValue::from_static("conformance/1"),
        )
        .body(&b"0123456789"[..]);
    let response = expect_response(transport.send(request).await, "PUT with headers");
    assert_eq!(response.status(), StatusCode::ACCEPTED);

    let request = only_request(&server).await;
    let get = |name: &str| {
        request
            .headers
            .get_all(name)
            .iter()
            .map(|v| v.to_str().unwrap().to_string())
            .collect::<Vec<_>>()
    };
    assert_eq!(get("content-range"), ["bytes 0-9/4533322"]);
    assert_eq!(get("if-match"), ["\"{aBcD},1\""]);
    assert_eq!(get("client-request-id"), ["7f5c9a4e-1"]);
    assert_eq!(
        get("x-multi"),
        ["first", "second"],
        "repeated values are all sent, in order"
    );
    assert_eq!(
        get("user-agent"),
        ["conformance/1"],
        "the caller's User-Agent wins"
    );
    assert_eq!(request.body, b"0123456789");
}

async fn no_authorization_header_is_added_by_the_transport(transport: Arc<dyn Transport>) {
    let server = server_answering(200).await;
    let url = format!("{}{UPLOAD_PATH}?{UPLOAD_QUERY}", server.uri());
    let requests = [
        Request::get(&url).unwrap(),
        Request::put(&url).unwrap().body(vec![1u8; 100]),
        Request::delete(&url).unwrap(),
    ];
    for request in requests {
        expect_response(transport.send(request).await, "request without a token");
    }
    for request in received(&server).await {
        assert!(
            request.headers.get(header::AUTHORIZATION).is_none(),
            "{} carried Authorization: {:?}",
            request.method,
            request.headers.get(header::AUTHORIZATION)
        );
        assert!(request.headers.get(header::PROXY_AUTHORIZATION).is_none());
        assert!(request.headers.get(header::COOKIE).is_none());
    }
}

async fn a_caller_authorization_header_arrives_exactly_once(transport: Arc<dyn Transport>) {
    let server = server_answering(201).await;
    let token = "Bearer eyJ0eXAiOiJKV1QiLCJhbGciOiJSUzI1NiJ9.e30.c2ln";
    let request = Request::post(&format!(
        "{}/me/drive/items/1/createUploadSession",
        server.uri()
    ))
    .unwrap()
    .header_str(header::AUTHORIZATION, token)
    .unwrap()
    .json(&serde_json::json!({"item": {"@microsoft.graph.conflictBehavior": "rename"}}))
    .unwrap();
    expect_response(transport.send(request).await, "POST with a token");
    let request = only_request(&server).await;
    let values: Vec<_> = request
        .headers
        .get_all(header::AUTHORIZATION)
        .iter()
        .collect();
    assert_eq!(values, [token]);
}

async fn content_length_equals_the_length_of_a_bytes_body(transport: Arc<dyn Transport>) {
    let server = server_answering(202).await;
    let data = pattern(12_345, 1);
    let json = serde_json::json!({"item": {"name": "report.pdf", "fileSize": 4_533_322}});
    let json_len = serde_json::to_vec(&json).unwrap().len();
    let url = format!("{}/upload", server.uri());
    expect_response(
        transport
            .send(Request::put(&url).unwrap().body(Bytes::from(data.clone())))
            .await,
        "PUT bytes",
    );
    expect_response(
        transport
            .send(Request::post(&url).unwrap().json(&json).unwrap())
            .await,
        "POST json",
    );
    expect_response(
        transport
            .send(
                Request::new(Method::PATCH, &url)
                    .unwrap()
                    .body("{\"name\":\"x\"}"),
            )
            .await,
        "PATCH",
    );
    let requests = received(&server).await;
    assert_eq!(requests.len(), 3);
    let expected = [data.len(), json_len, 12];
    for (request, expected) in requests.iter().zip(expected) {
        assert_eq!(
            single_content_length(request),
            expected as u64,
            "{}",
            request.method
        );
        assert_eq!(request.body.len(), expected, "{}", request.method);
        assert_not_chunked(request);
    }
    assert_same_bytes(&requests[0].body, &data, "PUT body");
    assert_eq!(
        requests[1].headers[header::CONTENT_TYPE],
        "application/json"
    );
}

async fn content_length_equals_the_length_of_a_file_slice_body(transport: Arc<dyn Transport>) {
    let server = server_answering(202).await;
    // Over one read block, at an odd offset, and not to the end of the file.
    let data = pattern(3 * MIB, 2);
    let file = temp_file(&data);
    let (offset, len) = (17usize, MIB + 4321);
    let slice = FileSlice::open(file.path(), offset as u64, len as u64).unwrap();
    let request = Request::put(&format!("{}/upload", server.uri()))
        .unwrap()
        .body(slice);
    expect_response(transport.send(request).await, "PUT file slice");
    let request = only_request(&server).await;
    assert_eq!(single_content_length(&request), len as u64);
    assert_not_chunked(&request);
    assert_same_bytes(
        &request.body,
        &data[offset..offset + len],
        "file slice body",
    );
}

async fn empty_put_and_post_send_content_length_zero(transport: Arc<dyn Transport>) {
    let server = server_answering(200).await;
    let url = format!("{}{UPLOAD_PATH}?{UPLOAD_QUERY}", server.uri());
    let file = temp_file(b"abc");
    let requests = [
        // `Content-Range: bytes */0` finishes an empty upload: an empty PUT.
        Request::put(&url)
            .unwrap()
            .header_str(header::CONTENT_RANGE, "bytes */0")
            .unwrap(),
        Request::put(&url).unwrap().body(Vec::new()),
        Request::put(&url)
            .unwrap()
            .body(FileSlice::open(file.path(), 3, 0).unwrap()),
        Request::post(&url).unwrap(),
    ];
    let count = requests.len();
    for request in requests {
        expect_response(transport.send(request).await, "empty request");
    }
    let requests = received(&server).await;
    assert_eq!(requests.len(), count);
    for (i, request) in requests.iter().enumerate() {
        assert_eq!(
            single_content_length(request),
            0,
            "request {i} ({})",
            request.method
        );
        assert_not_chunked(request);
        assert!(request.body.is_empty());
    }
}

async fn ten_mib_body_from_memory_arrives_intact(transport: Arc<dyn Transport>) {
    let server = MockServer::start().await;
    Mock::given(method("PUT"))
        .and(path(UPLOAD_PATH))
        .respond_with(ResponseTemplate::new(202).set_body_json(serde_json::json!({
            "expirationDateTime": "2030-01-01T00:00:00Z",
            "nextExpectedRanges": ["10485760-"]
        })))
        .mount(&server)
        .await;
    let data = Bytes::from(pattern(10 * MIB, 3));
    let request = Request::put(&format!("{}{UPLOAD_PATH}?{UPLOAD_QUERY}", server.uri()))
        .unwrap()
        .header_str(header::CONTENT_RANGE, "bytes 0-10485759/20000000")
        .unwrap()
        .body(data.clone());
    let response = expect_response(transport.send(request).await, "10 MiB PUT");
    assert_eq!(response.status(), StatusCode::ACCEPTED);
    let reply: serde_json::Value = response.json().unwrap();
    assert_eq!(reply["nextExpectedRanges"][0], "10485760-");
    let request = only_request(&server).await;
    assert_eq!(single_content_length(&request), data.len() as u64);
    assert_not_chunked(&request);
    assert_same_bytes(&request.body, &data, "10 MiB body from memory");
}

async fn ten_mib_file_slice_at_an_offset_arrives_intact(transport: Arc<dyn Transport>) {
    let server = server_answering(202).await;
    let data = pattern(12 * MIB, 4);
    let file = temp_file(&data);
    let (offset, len) = (MIB + 3, 10 * MIB);
    let slice = FileSlice::open(file.path(), offset as u64, len as u64).unwrap();
    let request = Request::put(&format!("{}{UPLOAD_PATH}?{UPLOAD_QUERY}", server.uri()))
        .unwrap()
        .body(slice);
    let response = expect_response(transport.send(request).await, "10 MiB file slice PUT");
    assert_eq!(response.status(), StatusCode::ACCEPTED);
    let request = only_request(&server).await;
    assert_eq!(single_content_length(&request), len as u64);
    assert_not_chunked(&request);
    assert_same_bytes(
        &request.body,
        &data[offset..offset + len],
        "10 MiB file slice",
    );
}

async fn concurrent_sends_of_slices_of_one_file_arrive_intact(transport: Arc<dyn Transport>) {
    // One transport, one open file, several slices in flight at once: positional reads
    // must keep every slice's bytes its own.
    let server = server_answering(202).await;
    let chunk = MIB + 7;
    let data = pattern(4 * chunk, 14);
    let file = temp_file(&data);
    let shared = Arc::new(std::fs::File::open(file.path()).unwrap());
    let mut sends = Vec::new();
    for i in 0..4 {
        let slice = FileSlice::new(Arc::clone(&shared), (i * chunk) as u64, chunk as u64).unwrap();
        let request = Request::put(&format!("{}/chunk/{i}", server.uri()))
            .unwrap()
            .body(slice);
        let transport = Arc::clone(&transport);
        sends.push(tokio::spawn(async move { transport.send(request).await }));
    }
    for send in sends {
        let response = expect_response(send.await.unwrap(), "concurrent slice");
        assert_eq!(response.status(), StatusCode::ACCEPTED);
    }
    let requests = received(&server).await;
    assert_eq!(requests.len(), 4);
    for request in &requests {
        let i: usize = request
            .url
            .path()
            .trim_start_matches("/chunk/")
            .parse()
            .unwrap();
        assert_eq!(single_content_length(request), chunk as u64);
        assert_same_bytes(
            &request.body,
            &data[i * chunk..(i + 1) * chunk],
            &format!("slice {i}"),
        );
    }
}

// ---------------------------------------------------------------------------------------------
// Responses as the caller sees them
// ---------------------------------------------------------------------------------------------

async fn non_2xx_status_is_a_response_not_an_error(transport: Arc<dyn Transport>) {
    let server = MockServer::start().await;
    let cases: [(u16, &str, Option<&str>); 8] = [
        (400, "invalidRequest", Some("fragmentLengthMismatch")),
        (401, "InvalidAuthenticationToken", None),
        (404, "itemNotFound", None),
        (413, "maxFragmentLengthExceeded", None),
        (416, "invalidRange", Some("fragmentOverlap")),
        (429, "activityLimitReached", None),
        (500, "generalException", None),
        (503, "serviceNotAvailable", None),
    ];
    for (status, code, inner) in cases {
        let mut body = GraphErrorBody::new(code, format!("status {status}"));
        if let Some(inner) = inner {
            body = body.with_inner(InnerError {
                code: Some(inner.to_string()),
                request_id: Some(format!("req-{status}")),
                ..InnerError::default()
            });
        }
        let mut template = ResponseTemplate::new(status)
            .set_body_json(&body)
            .insert_header("request-id", format!("req-{status}").as_str());
        if status == 429 || status == 503 {
            template = template.insert_header("Retry-After", "7");
        }
        Mock::given(path(format!("/status/{status}")))
            .respond_with(template)
            .mount(&server)
            .await;
    }
    for (status, code, inner) in cases {
        let url = format!("{}/status/{status}", server.uri());
        let request = Request::put(&url).unwrap().body(vec![0u8; 1000]);
        let response = expect_response(transport.send(request).await, &format!("{status}"));
        assert_eq!(response.status().as_u16(), status);
        assert_eq!(
            response.header_str("request-id"),
            Some(format!("req-{status}").as_str())
        );
        let error: GraphErrorBody = response
            .json()
            .unwrap_or_else(|e| panic!("{status}: no Graph error in {:?}: {e}", response.body()));
        assert_eq!(error.error.code, code);
        assert_eq!(error.error.message, format!("status {status}"));
        assert_eq!(error.most_specific_code(), inner.unwrap_or(code));
        let retry_after = response.header_str("retry-after");
        if status == 429 || status == 503 {
            assert_eq!(retry_after, Some("7"), "{status}");
        } else {
            assert_eq!(retry_after, None, "{status}");
        }
    }
    assert_eq!(received(&server).await.len(), cases.len());
}

async fn redirect_is_returned_not_followed(transport: Arc<dyn Transport>) {
    let server = MockServer::start().await;
    let target = format!("{}/moved", server.uri());
    for (status, route) in [(302, "/found"), (307, "/temporary"), (308, "/permanent")] {
        Mock::given(path(route))
            .respond_with(ResponseTemplate::new(status).insert_header("Location", target.as_str()))
            .mount(&server)
            .await;
    }
    Mock::given(path("/moved"))
        .respond_with(ResponseTemplate::new(200))
        .mount(&server)
        .await;
    for (status, route) in [(302, "/found"), (307, "/temporary"), (308, "/permanent")] {
        let request = Request::put(&format!("{}{route}", server.uri()))
            .unwrap()
            .body(vec![3u8; 100]);
        let response = expect_response(transport.send(request).await, route);
        assert_eq!(response.status().as_u16(), status, "{route}");
        assert_eq!(
            response.header_str("location"),
            Some(target.as_str()),
            "{route}"
        );
    }
    let requests = received(&server).await;
    assert!(
        requests.iter().all(|r| r.url.path() != "/moved"),
        "a redirect was followed: {:?}",
        requests.iter().map(|r| r.url.path()).collect::<Vec<_>>()
    );
    assert_eq!(requests.len(), 3);
}

async fn response_headers_and_an_empty_201_are_readable(transport: Arc<dyn Transport>) {
    let server = MockServer::start().await;
    let location = "https://graph.microsoft.com/v1.0/me/drive/items/01ABC?select=id";
    Mock::given(method("PUT"))
        .and(path("/created"))
        .respond_with(
            ResponseTemplate::new(201)
                .insert_header("Location", location)
                .append_header("x-ms-ags-diagnostic", "one")
                .append_header("x-ms-ags-diagnostic", "two"),
        )
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/session"))
        .respond_with(ResponseTemplate::new(200).set_body_raw(
            r#"{"expirationDateTime":"2030-01-01T00:00:00Z","nextExpectedRanges":["0-"]}"#,
            "application/json; charset=utf-8",
        ))
        .mount(&server)
        .await;

    let response = expect_response(
        transport
            .send(
                Request::put(&format!("{}/created", server.uri()))
                    .unwrap()
                    .body(vec![1u8; 10]),
            )
            .await,
        "PUT answered 201",
    );
    assert_eq!(response.status(), StatusCode::CREATED);
    assert!(response.body().is_empty(), "{:?}", response.body());
    assert_eq!(response.header_str("location"), Some(location));
    assert_eq!(
        response.header_str("LOCATION"),
        Some(location),
        "names are case-insensitive"
    );
    let diagnostics: Vec<_> = response
        .headers()
        .get_all("x-ms-ags-diagnostic")
        .iter()
        .collect();
    assert_eq!(diagnostics, ["one", "two"]);
    assert!(response.json::<GraphErrorBody>().is_err());

    let response = expect_response(
        transport
            .send(Request::get(&format!("{}/session", server.uri())).unwrap())
            .await,
        "GET session",
    );
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(
        response.header_str("content-type"),
        Some("application/json; charset=utf-8")
    );
    let session: serde_json::Value = response.json().unwrap();
    assert_eq!(session["nextExpectedRanges"][0], "0-");
}

async fn a_retry_of_the_same_request_sends_identical_bytes(transport: Arc<dyn Transport>) {
    let data = pattern(2 * MIB + 5, 5);
    let file = temp_file(&data);
    let bodies: [(&str, Body); 2] = [
        ("bytes", Body::from(data[..MIB].to_vec())),
        (
            "file slice",
            Body::from(FileSlice::open(file.path(), 5, 2 * MIB as u64).unwrap()),
        ),
    ];
    for (what, body) in bodies {
        let server = MockServer::start().await;
        // The first attempt is throttled, the retry accepted.
        Mock::given(any())
            .respond_with(ResponseTemplate::new(503).insert_header("Retry-After", "0"))
            .up_to_n_times(1)
            .with_priority(1)
            .mount(&server)
            .await;
        Mock::given(any())
            .respond_with(ResponseTemplate::new(202))
            .with_priority(2)
            .mount(&server)
            .await;
        let expected = body.len();
        let request = Request::put(&format!("{}{UPLOAD_PATH}?{UPLOAD_QUERY}", server.uri()))
            .unwrap()
            .header_str(
                header::CONTENT_RANGE,
                &format!("bytes 0-{}/{}", expected - 1, expected + 100),
            )
            .unwrap()
            .body(body);
        let first = expect_response(transport.send(request.clone()).await, what);
        assert_eq!(first.status(), StatusCode::SERVICE_UNAVAILABLE, "{what}");
        let second = expect_response(transport.send(request).await, what);
        assert_eq!(second.status(), StatusCode::ACCEPTED, "{what}");

        let requests = received(&server).await;
        assert_eq!(requests.len(), 2, "{what}");
        let (a, b) = (&requests[0], &requests[1]);
        assert_eq!(a.method, b.method, "{what}");
        assert_eq!(a.url, b.url, "{what}");
        assert_eq!(a.headers, b.headers, "{what}: the retry's headers differ");
        assert_eq!(single_content_length(a), expected, "{what}");
        assert_eq!(a.body.len() as u64, expected, "{what}");
        assert_same_bytes(&b.body, &a.body, &format!("{what}: retry body"));
        let original: &[u8] = if what == "bytes" {
            &data[..MIB]
        } else {
            &data[5..5 + 2 * MIB]
        };
        assert_same_bytes(&a.body, original, &format!("{what}: first body"));
    }
}

// ---------------------------------------------------------------------------------------------
// The exact bytes on the wire (raw server)
// ---------------------------------------------------------------------------------------------

/// The next request the raw server finished reading.
async fn next_captured(server: &mut RawServer) -> Captured {
    server
        .next_request(Duration::from_secs(5))
        .await
        .expect("the raw server got a request")
}

#[track_caller]
fn assert_raw_framing(captured: &Captured, expected_length: usize, what: &str) {
    assert_eq!(
        captured.header_values("content-length"),
        [expected_length.to_string()],
        "{what}: Content-Length lines in {:?}",
        captured.headers
    );
    assert!(
        captured.header_values("transfer-encoding").is_empty(),
        "{what}: Transfer-Encoding in {:?}",
        captured.headers
    );
}

async fn raw_request_head_has_content_length_and_no_authorization(transport: Arc<dyn Transport>) {
    let mut server =
        RawServer::start(Behaviour::respond(201, Vec::new(), Framing::ContentLength)).await;
    let data = pattern(100_000, 6);
    let file = temp_file(&data);
    let url = server.url(&format!("{UPLOAD_PATH}?{UPLOAD_QUERY}"));
    let bodies: [(&str, Body, &[u8]); 3] = [
        ("bytes", Body::from(data.clone()), &data),
        (
            "file slice",
            Body::from(FileSlice::open(file.path(), 1, 99_000).unwrap()),
            &data[1..99_001],
        ),
        ("empty", Body::Empty, &[]),
    ];
    for (what, body, expected) in bodies {
        let request = Request::put(&url)
            .unwrap()
            .header_str(header::CONTENT_RANGE, "bytes 0-99999/100000")
            .unwrap()
            .body(body);
        let response = expect_response(transport.send(request).await, what);
        assert_eq!(response.status(), StatusCode::CREATED, "{what}");
        let captured = next_captured(&mut server).await;
        assert_eq!(
            captured.request_line,
            format!("PUT {UPLOAD_PATH}?{UPLOAD_QUERY} HTTP/1.1"),
            "{what}: the request target must arrive unchanged"
        );
        assert!(
            captured.header_values("authorization").is_empty(),
            "{what}: Authorization in {:?}",
            captured.headers
        );
        assert_eq!(
            captured.header_values("host"),
            [server.authority()],
            "{what}"
        );
        assert_eq!(
            captured.header_values("content-range"),
            ["bytes 0-99999/100000"],
            "{what}"
        );
        assert_raw_framing(&captured, expected.len(), what);
        assert!(captured.complete, "{what}");
        assert_same_bytes(&captured.body, expected, what);
    }
}

async fn raw_get_and_delete_without_body_send_no_framing_headers(transport: Arc<dyn Transport>) {
    let mut server = RawServer::start(Behaviour::respond(
        200,
        b"{}".to_vec(),
        Framing::ContentLength,
    ))
    .await;
    let url = server.url(&format!("{UPLOAD_PATH}?{UPLOAD_QUERY}"));
    for request in [Request::get(&url).unwrap(), Request::delete(&url).unwrap()] {
        let what = request.method().to_string();
        let response = expect_response(transport.send(request).await, &what);
        assert_eq!(response.status(), StatusCode::OK, "{what}");
        assert_eq!(response.body().as_ref(), b"{}", "{what}");
        let captured = next_captured(&mut server).await;
        assert_eq!(
            captured.request_line,
            format!("{what} {UPLOAD_PATH}?{UPLOAD_QUERY} HTTP/1.1")
        );
        // A GET with `Content-Length: 0` upsets some servers; a bodiless request needs none.
        let framing: Vec<_> = captured
            .headers
            .iter()
            .filter(|(name, value)| {
                name == "transfer-encoding" || (name == "content-length" && value != "0")
            })
            .collect();
        assert!(framing.is_empty(), "{what}: {framing:?}");
        if what == "GET" {
            assert!(
                captured.header_values("content-length").is_empty(),
                "GET: {:?}",
                captured.headers
            );
        }
        assert!(captured.header_values("authorization").is_empty(), "{what}");
        assert!(captured.body.is_empty(), "{what}");
    }
}

async fn raw_caller_content_length_is_not_duplicated(transport: Arc<dyn Transport>) {
    // Graph's documentation shows `Content-Length` on fragment PUTs, so callers may set it.
    // The wire must still carry exactly one, equal to the body's length: servers and proxies
    // may refuse a request with repeated Content-Length lines, and a wrong one would
    // desynchronise the connection.
    let mut server =
        RawServer::start(Behaviour::respond(202, Vec::new(), Framing::ContentLength)).await;
    let data = pattern(5000, 7);
    for (caller_value, what) in [(5000u64, "the body's length"), (4999, "a wrong length")] {
        let request = Request::put(&server.url(UPLOAD_PATH))
            .unwrap()
            .header(header::CONTENT_LENGTH, HeaderValue::from(caller_value))
            .body(data.clone());
        let response = expect_response(transport.send(request).await, what);
        assert_eq!(response.status(), StatusCode::ACCEPTED, "{what}");
        let captured = next_captured(&mut server).await;
        assert_raw_framing(
            &captured,
            data.len(),
            &format!("caller Content-Length: {what}"),
        );
        assert_same_bytes(&captured.body, &data, what);
    }
}

// ---------------------------------------------------------------------------------------------
// Failures
// ---------------------------------------------------------------------------------------------

/// The refused port of the connect tests: refused, and nobody else can take it meanwhile.
#[test]
fn a_refused_port_refuses_and_stays_reserved_until_dropped() {
    let refused = refused_port::RefusedPort::bind();
    let error = std::net::TcpStream::connect(refused.addr()).expect_err("nothing listens");
    assert_eq!(
        error.kind(),
        std::io::ErrorKind::ConnectionRefused,
        "{error}"
    );
    let taken = std::net::TcpListener::bind(refused.addr()).expect_err("the port is held");
    assert_eq!(taken.kind(), std::io::ErrorKind::AddrInUse, "{taken}");
    let addr = refused.addr();
    drop(refused);
    std::net::TcpListener::bind(addr).expect("the port is free once dropped");
}

#[test]
fn invalid_url_is_refused_before_anything_is_sent() {
    for url in [
        "uploadSessions/1?tempauthtoken=x",
        "ftp://127.0.0.1/x",
        "http://",
    ] {
        let error = Request::new(Method::PUT, url).unwrap_err();
        assert_eq!(error.kind(), ErrorKind::InvalidRequest, "{url}");
        assert!(!error.may_have_been_sent(), "{url}");
    }
}

async fn connect_refused_is_a_connect_error_and_not_sent(transport: Arc<dyn Transport>) {
    let refused = refused_port::RefusedPort::bind();
    let port = refused.port();
    let request = Request::put(&format!("http://127.0.0.1:{port}{UPLOAD_PATH}"))
        .unwrap()
        .body(vec![0u8; 1000]);
    let started = Instant::now();
    let error = expect_error(transport.send(request).await, "connect to a closed port");
    assert_eq!(error.kind(), ErrorKind::Connect, "{error:?}");
    assert!(!error.may_have_been_sent(), "{error:?}");
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "{:?}",
        started.elapsed()
    );
}

async fn https_to_a_plain_http_server_is_a_tls_error_and_not_sent(transport: Arc<dyn Transport>) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    // A plain HTTP server answers the TLS ClientHello with an HTTP error page.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move {
        while let Ok((mut socket, _)) = listener.accept().await {
            let mut hello = [0u8; 512];
            let _ = socket.read(&mut hello).await;
            let _ = socket
                .write_all(b"HTTP/1.1 400 Bad Request\r\ncontent-length: 0\r\n\r\n")
                .await;
        }
    });
    let request = Request::get(&format!(
        "https://127.0.0.1:{port}{UPLOAD_PATH}?{UPLOAD_QUERY}"
    ))
    .unwrap();
    let error = expect_error(
        transport.send(request).await,
        "https to a plain http server",
    );
    assert_eq!(error.kind(), ErrorKind::Tls, "{error:?}");
    assert!(!error.may_have_been_sent(), "{error:?}");
    let shown = format!("{error} {error:?}");
    assert!(
        !shown.contains("tempauthtoken"),
        "the upload URL's query leaked: {shown}"
    );
}

async fn silent_server_times_out_within_the_request_timeout(make: MakeTransport) {
    let timeout = Duration::from_millis(300);
    let transport = make(test_config().request_timeout(Some(timeout)));
    let mut server = RawServer::start(Behaviour::NeverAnswer).await;
    let request = Request::put(&server.url(UPLOAD_PATH))
        .unwrap()
        .body(vec![9u8; 10_000]);
    let started = Instant::now();
    let error = expect_error(transport.send(request).await, "silent server");
    let elapsed = started.elapsed();
    assert_eq!(error.kind(), ErrorKind::Timeout, "{error:?}");
    assert!(error.may_have_been_sent(), "{error:?}");
    assert!(
        elapsed >= timeout,
        "gave up after {elapsed:?}, before the {timeout:?} timeout"
    );
    assert!(
        elapsed < Duration::from_secs(5),
        "took {elapsed:?} for a {timeout:?} timeout"
    );
    let captured = next_captured(&mut server).await;
    assert!(captured.complete, "the silent server got the whole request");
}

async fn response_body_stalling_midway_times_out(make: MakeTransport) {
    // The request timeout runs to the last byte of the response body, not only the head.
    let timeout = Duration::from_millis(300);
    let transport = make(test_config().request_timeout(Some(timeout)));
    let server = RawServer::start(Behaviour::ShortResponse {
        declared: 1000,
        sent: 10,
        stall: true,
    })
    .await;
    let started = Instant::now();
    let error = expect_error(
        transport
            .send(Request::get(&server.url("/stall")).unwrap())
            .await,
        "stalled response body",
    );
    let elapsed = started.elapsed();
    assert_eq!(error.kind(), ErrorKind::Timeout, "{error:?}");
    assert!(error.may_have_been_sent(), "{error:?}");
    assert!(elapsed >= timeout, "{elapsed:?}");
    assert!(elapsed < Duration::from_secs(5), "{elapsed:?}");
}

async fn a_timed_out_connection_is_not_reused_for_the_next_request(make: MakeTransport) {
    // The slow answer is still due on the first connection: a transport that pooled that
    // connection would hand the next request the wrong response, or time out again. The
    // follow-up requests go through the same transport (its pool is what is tested), so its
    // timeout is one they cannot reach on a busy machine, and the slow answer is far later.
    let timeout = Duration::from_secs(2);
    let transport = make(test_config().request_timeout(Some(timeout)));
    let server = MockServer::start().await;
    Mock::given(path("/slow"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_string("slow")
                .set_delay(10 * timeout),
        )
        .mount(&server)
        .await;
    Mock::given(path("/fast"))
        .respond_with(ResponseTemplate::new(200).set_body_string("fast"))
        .mount(&server)
        .await;
    let error = expect_error(
        transport
            .send(Request::get(&format!("{}/slow", server.uri())).unwrap())
            .await,
        "slow answer",
    );
    assert_eq!(error.kind(), ErrorKind::Timeout, "{error:?}");
    for attempt in 0..2 {
        let response = expect_response(
            transport
                .send(Request::get(&format!("{}/fast", server.uri())).unwrap())
                .await,
            &format!("fast answer {attempt} after a timeout"),
        );
        assert_eq!(response.body().as_ref(), b"fast", "attempt {attempt}");
    }
}

async fn close_mid_request_body(transport: Arc<dyn Transport>, reset: bool) {
    let mut server = RawServer::start(Behaviour::CloseMidRequestBody {
        after: 64 * 1024,
        reset,
    })
    .await;
    let data = Bytes::from(pattern(10 * MIB, 8));
    let request = Request::put(&server.url(UPLOAD_PATH)).unwrap().body(data);
    let started = Instant::now();
    let error = expect_error(transport.send(request).await, "server hung up mid-body");
    assert_io_or_body_that_may_have_been_sent(&error, "server hung up mid-body");
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );
    let captured = next_captured(&mut server).await;
    assert!(!captured.complete);
    assert!(captured.body.len() >= 64 * 1024);
}

async fn server_closing_mid_request_body_is_an_io_or_body_error_that_may_have_been_sent(
    transport: Arc<dyn Transport>,
) {
    close_mid_request_body(transport, false).await;
}

async fn server_resetting_mid_request_body_is_an_io_or_body_error_that_may_have_been_sent(
    transport: Arc<dyn Transport>,
) {
    close_mid_request_body(transport, true).await;
}

async fn server_closing_without_an_answer_is_an_io_or_body_error_that_may_have_been_sent(
    transport: Arc<dyn Transport>,
) {
    let mut server = RawServer::start(Behaviour::CloseWithoutAnswer).await;
    let data = pattern(300_000, 9);
    let request = Request::put(&server.url(UPLOAD_PATH)).unwrap().body(data);
    let error = expect_error(transport.send(request).await, "closed without an answer");
    assert_io_or_body_that_may_have_been_sent(&error, "closed without an answer");
    assert!(next_captured(&mut server).await.complete);
}

async fn response_shorter_than_its_content_length_is_a_body_or_io_error(
    transport: Arc<dyn Transport>,
) {
    let server = RawServer::start(Behaviour::ShortResponse {
        declared: 100_000,
        sent: 10,
        stall: false,
    })
    .await;
    let request = Request::put(&server.url(UPLOAD_PATH))
        .unwrap()
        .body(vec![1u8; 1000]);
    let error = expect_error(transport.send(request).await, "truncated response");
    assert!(
        matches!(error.kind(), ErrorKind::Body | ErrorKind::Io),
        "expected a Body or Io error, got {error:?}"
    );
    assert!(error.may_have_been_sent(), "{error:?}");
}

async fn file_truncated_after_planning_fails_and_never_reports_success(
    transport: Arc<dyn Transport>,
) {
    // Truncated in the middle of the slice (after the first read block), and before it.
    for (shrink_to, what) in [(MIB + MIB / 2, "mid-slice"), (0, "to nothing")] {
        let mut server =
            RawServer::start(Behaviour::respond(201, Vec::new(), Framing::ContentLength)).await;
        let data = pattern(3 * MIB, 10);
        let file = temp_file(&data);
        let slice = FileSlice::open(file.path(), 0, data.len() as u64).unwrap();
        let request = Request::put(&server.url(UPLOAD_PATH)).unwrap().body(slice);
        file.as_file().set_len(shrink_to as u64).unwrap();

        let error = expect_error(transport.send(request).await, what);
        assert!(
            matches!(error.kind(), ErrorKind::Body | ErrorKind::Io),
            "{what}: expected a Body (or Io) error, got {error:?}"
        );
        if let Some(captured) = server.next_request(Duration::from_secs(3)).await {
            assert!(
                !captured.complete,
                "{what}: the server read a complete request ({} of {:?} bytes)",
                captured.body.len(),
                captured.content_length()
            );
            if let Some(declared) = captured.content_length() {
                assert_eq!(
                    declared,
                    data.len(),
                    "{what}: Content-Length is the planned length"
                );
            }
        }
    }
}

async fn a_file_that_shrank_is_a_body_error(transport: Arc<dyn Transport>) {
    // `ErrorKind::Body`: "the request body could not be produced (for example the file
    // shrank)", whatever the backend.
    let server =
        RawServer::start(Behaviour::respond(201, Vec::new(), Framing::ContentLength)).await;
    let data = pattern(3 * MIB, 15);
    let file = temp_file(&data);
    let slice = FileSlice::open(file.path(), 0, data.len() as u64).unwrap();
    file.as_file().set_len((2 * MIB) as u64).unwrap();
    let request = Request::put(&server.url(UPLOAD_PATH)).unwrap().body(slice);
    let error = expect_error(transport.send(request).await, "shrunk file");
    assert_eq!(error.kind(), ErrorKind::Body, "{error}");
    assert!(error.may_have_been_sent(), "{error:?}");
}

// ---------------------------------------------------------------------------------------------
// Response size cap
// ---------------------------------------------------------------------------------------------

async fn too_large(make: MakeTransport, framing: Framing) {
    let transport = make(capped_config());
    let server = RawServer::start(Behaviour::respond(200, pattern(2 * MIB, 11), framing)).await;
    let error = expect_error(
        transport
            .send(Request::get(&server.url("/content")).unwrap())
            .await,
        "2 MiB response over a 1 MiB cap",
    );
    assert_eq!(error.kind(), ErrorKind::ResponseTooLarge, "{error:?}");
    assert!(error.may_have_been_sent(), "the server answered: {error:?}");
}

async fn response_over_the_cap_with_content_length_is_too_large(make: MakeTransport) {
    too_large(make, Framing::ContentLength).await;
}

async fn chunked_response_over_the_cap_is_too_large(make: MakeTransport) {
    too_large(make, Framing::Chunked).await;
}

async fn response_exactly_at_the_cap_arrives_intact(make: MakeTransport) {
    let transport = make(capped_config());
    for framing in [Framing::ContentLength, Framing::Chunked] {
        let body = pattern(CAP, 12);
        let server = RawServer::start(Behaviour::respond(200, body.clone(), framing)).await;
        let response = expect_response(
            transport
                .send(Request::get(&server.url("/content")).unwrap())
                .await,
            &format!("{framing:?} response at the cap"),
        );
        assert_same_bytes(response.body(), &body, &format!("{framing:?} at the cap"));
    }
}

async fn request_cap_override_lets_a_larger_response_through(make: MakeTransport) {
    let transport = make(capped_config());
    for framing in [Framing::ContentLength, Framing::Chunked] {
        let body = pattern(2 * MIB, 13);
        let server = RawServer::start(Behaviour::respond(200, body.clone(), framing)).await;
        let request = Request::get(&server.url("/content"))
            .unwrap()
            .max_response_bytes(3 * MIB);
        let response = expect_response(
            transport.send(request).await,
            &format!("{framing:?} 2 MiB response under a 3 MiB request cap"),
        );
        assert_eq!(response.status(), StatusCode::OK);
        assert_same_bytes(
            response.body(),
            &body,
            &format!("{framing:?} over the config cap"),
        );
    }
}

async fn request_cap_override_can_lower_the_limit(transport: Arc<dyn Transport>) {
    for framing in [Framing::ContentLength, Framing::Chunked] {
        let server = RawServer::start(Behaviour::respond(200, vec![b'a'; 2000], framing)).await;
        let request = Request::get(&server.url("/content"))
            .unwrap()
            .max_response_bytes(1000);
        let error = expect_error(transport.send(request).await, &format!("{framing:?}"));
        assert_eq!(
            error.kind(),
            ErrorKind::ResponseTooLarge,
            "{framing:?}: {error:?}"
        );
    }
}

async fn transport_is_usable_after_a_response_over_the_cap(make: MakeTransport) {
    // The refused body is left unread on its connection: that connection must not serve
    // the next request.
    let transport = make(capped_config());
    let server = MockServer::start().await;
    Mock::given(path("/big"))
        .respond_with(ResponseTemplate::new(200).set_body_bytes(pattern(2 * MIB, 16)))
        .mount(&server)
        .await;
    Mock::given(path("/small"))
        .respond_with(ResponseTemplate::new(200).set_body_string("small"))
        .mount(&server)
        .await;
    let error = expect_error(
        transport
            .send(Request::get(&format!("{}/big", server.uri())).unwrap())
            .await,
        "2 MiB over a 1 MiB cap",
    );
    assert_eq!(error.kind(), ErrorKind::ResponseTooLarge, "{error:?}");
    for attempt in 0..2 {
        let response = expect_response(
            transport
                .send(Request::get(&format!("{}/small", server.uri())).unwrap())
                .await,
            &format!("small answer {attempt}"),
        );
        assert_eq!(response.body().as_ref(), b"small", "attempt {attempt}");
    }
}
