use crate::{EndpointProfile, UploadSource, Uploader};
use async_trait::async_trait;
use graph_upload_models::UploadSession;
use graph_upload_transport::{Request, Response, Transport, TransportError};
use std::sync::Arc;

/// A transport with a bug: it panics.
#[derive(Debug)]
struct Panics;

#[async_trait]
impl Transport for Panics {
    async fn send(&self, _request: Request) -> Result<Response, TransportError> {
        panic!("the transport's own bug");
    }
}

/// A panic in a request task is a bug, not an upload failure: it reaches the caller as the
/// same panic, not as an error that a retry or a caller's `match` would swallow.
#[tokio::test]
async fn a_panic_in_a_request_task_is_raised_again() {
    let uploader = Uploader::builder("http://127.0.0.1:9/v1.0")
        .token("t")
        .transport(Arc::new(Panics))
        .build()
        .unwrap();
    let session: UploadSession = serde_json::from_value(serde_json::json!({
        "uploadUrl": "http://127.0.0.1:9/upload/1",
        "expirationDateTime": "2030-01-01T00:00:00Z",
        "nextExpectedRanges": ["0-"]
    }))
    .unwrap();
    let upload = uploader.existing_session(session, EndpointProfile::print());
    let task = tokio::spawn(async move {
        upload
            .upload(&UploadSource::from_bytes(vec![1u8; 1000]))
            .await
    });
    let error = task.await.expect_err("the panic comes back");
    assert!(error.is_panic());
    let payload = error.into_panic();
    let message = payload.downcast_ref::<&str>().copied().unwrap_or_default();
    assert_eq!(message, "the transport's own bug");
}
