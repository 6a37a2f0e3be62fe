//! Failures: refused connections, TLS to a plain server, timeouts, servers that hang up or
//! answer short, files that change under a send; and whether each may have been sent.

use crate::helpers::{
    MIB, MakeTransport, UPLOAD_PATH, UPLOAD_QUERY, assert_io_or_body_that_may_have_been_sent,
    expect_error, expect_response, next_captured, pattern, temp_file, test_config,
};
use bytes::Bytes;
use graph_upload_testkit::raw_server::{Behaviour, Framing, RawServer};
use graph_upload_testkit::refused_port;
use graph_upload_transport::{ErrorKind, FileSlice, Method, Request, Transport};
use std::sync::Arc;
use std::time::{Duration, Instant};
use wiremock::matchers::path;
use wiremock::{Mock, MockServer, ResponseTemplate};

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

pub(crate) async fn connect_refused_is_a_connect_error_and_not_sent(transport: Arc<dyn Transport>) {
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

pub(crate) async fn https_to_a_plain_http_server_is_a_tls_error_and_not_sent(
    transport: Arc<dyn Transport>,
) {
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

pub(crate) async fn silent_server_times_out_within_the_request_timeout(make: MakeTransport) {
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

pub(crate) async fn response_body_stalling_midway_times_out(make: MakeTransport) {
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

pub(crate) async fn a_timed_out_connection_is_not_reused_for_the_next_request(make: MakeTransport) {
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

pub(crate) async fn server_closing_mid_request_body_is_an_io_or_body_error_that_may_have_been_sent(
    transport: Arc<dyn Transport>,
) {
    close_mid_request_body(transport, false).await;
}

pub(crate) async fn server_resetting_mid_request_body_is_an_io_or_body_error_that_may_have_been_sent(
    transport: Arc<dyn Transport>,
) {
    close_mid_request_body(transport, true).await;
}

pub(crate) async fn server_closing_without_an_answer_is_an_io_or_body_error_that_may_have_been_sent(
    transport: Arc<dyn Transport>,
) {
    let mut server = RawServer::start(Behaviour::CloseWithoutAnswer).await;
    let data = pattern(300_000, 9);
    let request = Request::put(&server.url(UPLOAD_PATH)).unwrap().body(data);
    let error = expect_error(transport.send(request).await, "closed without an answer");
    assert_io_or_body_that_may_have_been_sent(&error, "closed without an answer");
    assert!(next_captured(&mut server).await.complete);
}

pub(crate) async fn response_shorter_than_its_content_length_is_a_body_or_io_error(
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

pub(crate) async fn file_truncated_after_planning_fails_and_never_reports_success(
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

pub(crate) async fn a_file_that_shrank_is_a_body_error(transport: Arc<dyn Transport>) {
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
