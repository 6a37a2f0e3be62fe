//! The exact bytes on the wire, as the raw server captured them: framing headers, no
//! `Authorization` unless the caller set one.

use crate::helpers::{
    UPLOAD_PATH, UPLOAD_QUERY, assert_same_bytes, expect_response, next_captured, pattern,
    temp_file,
};
use graph_upload_testkit::raw_server::{Behaviour, Captured, Framing, RawServer};
use graph_upload_transport::{
    Body, FileSlice, HeaderValue, Request, StatusCode, Transport, header,
};
use std::sync::Arc;

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

pub(crate) async fn raw_request_head_has_content_length_and_no_authorization(
    transport: Arc<dyn Transport>,
) {
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

pub(crate) async fn raw_get_and_delete_without_body_send_no_framing_headers(
    transport: Arc<dyn Transport>,
) {
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

pub(crate) async fn raw_caller_content_length_is_not_duplicated(transport: Arc<dyn Transport>) {
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
