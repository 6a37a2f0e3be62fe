//! The response size cap: over it with and without `Content-Length`, exactly at it, per-request
//! overrides, and a transport still usable afterwards.

use crate::helpers::{
    CAP, MIB, MakeTransport, assert_same_bytes, capped_config, expect_error, expect_response,
    pattern,
};
use graph_upload_testkit::raw_server::{Behaviour, Framing, RawServer};
use graph_upload_transport::{ErrorKind, Request, StatusCode, Transport};
use std::sync::Arc;
use wiremock::matchers::path;
use wiremock::{Mock, MockServer, ResponseTemplate};

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

pub(crate) async fn response_over_the_cap_with_content_length_is_too_large(make: MakeTransport) {
    too_large(make, Framing::ContentLength).await;
}

pub(crate) async fn chunked_response_over_the_cap_is_too_large(make: MakeTransport) {
    too_large(make, Framing::Chunked).await;
}

pub(crate) async fn response_exactly_at_the_cap_arrives_intact(make: MakeTransport) {
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

pub(crate) async fn request_cap_override_lets_a_larger_response_through(make: MakeTransport) {
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

pub(crate) async fn request_cap_override_can_lower_the_limit(transport: Arc<dyn Transport>) {
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

pub(crate) async fn transport_is_usable_after_a_response_over_the_cap(make: MakeTransport) {
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
