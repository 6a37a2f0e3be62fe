//! Requests as wiremock sees them: methods, paths and queries, headers, `Content-Length`, large
//! and concurrent bodies.

use crate::helpers::{
    MIB, UPLOAD_PATH, UPLOAD_QUERY, assert_not_chunked, assert_same_bytes, expect_response,
    only_request, pattern, received, server_answering, single_content_length, temp_file,
};
use bytes::Bytes;
use graph_upload_transport::{
    FileSlice, HeaderName, HeaderValue, Method, Request, StatusCode, Transport, header,
};
use std::sync::Arc;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

pub(crate) async fn every_method_reaches_the_server_with_its_path_and_query(
    transport: Arc<dyn Transport>,
) {
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

pub(crate) async fn caller_headers_arrive_including_repeated_ones(transport: Arc<dyn Transport>) {
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

pub(crate) async fn no_authorization_header_is_added_by_the_transport(
    transport: Arc<dyn Transport>,
) {
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

pub(crate) async fn a_caller_authorization_header_arrives_exactly_once(
    transport: Arc<dyn Transport>,
) {
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

pub(crate) async fn content_length_equals_the_length_of_a_bytes_body(
    transport: Arc<dyn Transport>,
) {
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

pub(crate) async fn content_length_equals_the_length_of_a_file_slice_body(
    transport: Arc<dyn Transport>,
) {
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

pub(crate) async fn empty_put_and_post_send_content_length_zero(transport: Arc<dyn Transport>) {
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

pub(crate) async fn ten_mib_body_from_memory_arrives_intact(transport: Arc<dyn Transport>) {
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

pub(crate) async fn ten_mib_file_slice_at_an_offset_arrives_intact(transport: Arc<dyn Transport>) {
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

pub(crate) async fn concurrent_sends_of_slices_of_one_file_arrive_intact(
    transport: Arc<dyn Transport>,
) {
    // One transport, one open file, several slices in flight at once: positional reads
    // must keep every slice's bytes its own.
    let server = server_answering(202).await;
    let fragment = MIB + 7;
    let data = pattern(4 * fragment, 14);
    let file = temp_file(&data);
    let shared = Arc::new(std::fs::File::open(file.path()).unwrap());
    let mut sends = Vec::new();
    for i in 0..4 {
        let slice =
            FileSlice::new(Arc::clone(&shared), (i * fragment) as u64, fragment as u64).unwrap();
        let request = Request::put(&format!("{}/fragment/{i}", server.uri()))
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
            .trim_start_matches("/fragment/")
            .parse()
            .unwrap();
        assert_eq!(single_content_length(request), fragment as u64);
        assert_same_bytes(
            &request.body,
            &data[i * fragment..(i + 1) * fragment],
            &format!("slice {i}"),
        );
    }
}
