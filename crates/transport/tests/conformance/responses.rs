//! Responses as the caller sees them: statuses that are not errors, redirects, headers, empty
//! bodies, identical bytes on a retry.

use crate::helpers::{
    MIB, UPLOAD_PATH, UPLOAD_QUERY, assert_same_bytes, expect_response, pattern, received,
    single_content_length, temp_file,
};
use graph_upload_models::{GraphErrorBody, InnerError};
use graph_upload_transport::{Body, FileSlice, Request, StatusCode, Transport, header};
use std::sync::Arc;
use wiremock::matchers::{any, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

pub(crate) async fn non_2xx_status_is_a_response_not_an_error(transport: Arc<dyn Transport>) {
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

pub(crate) async fn redirect_is_returned_not_followed(transport: Arc<dyn Transport>) {
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

pub(crate) async fn response_headers_and_an_empty_201_are_readable(transport: Arc<dyn Transport>) {
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

pub(crate) async fn a_retry_of_the_same_request_sends_identical_bytes(
    transport: Arc<dyn Transport>,
) {
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
