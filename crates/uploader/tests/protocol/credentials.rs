//! The token provider: asked before each request that carries the token.

use crate::helpers::{Q, mount_todo_session};
use graph_upload::transport::Transport;
use graph_upload::{
    AccessToken, CredentialError, EndpointProfile, TokenFn, UploadError, UploadSource, Uploader,
};
use graph_upload_testkit::uploader_mocks::{
    FakeSession, SessionSpec, TOKEN, all_requests, pattern, requests,
};
use std::sync::Arc;
use wiremock::MockServer;

/// The uploader asks the provider before every request with a token (the create, each PUT),
/// so an upload that outlives a token keeps working; requests without one never ask.
pub(crate) async fn the_token_provider_is_asked_before_each_request_that_carries_the_token(
    transport: Arc<dyn Transport>,
) {
    let server = MockServer::start().await;
    let size = 2 * Q + 1;
    let data = pattern(size as usize, 8);
    let location = format!(
        "{}/v1.0/me/todo/lists/list-1/tasks/task-1/attachments/att-3",
        server.uri()
    );
    let fake = FakeSession::new(SessionSpec::todo(size, &location));
    fake.mount(&server).await;
    mount_todo_session(&server, "me").await;
    let asked = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let counter = Arc::clone(&asked);
    let uploader = Uploader::builder(format!("{}/v1.0", server.uri()))
        .token_provider(TokenFn::new(move || {
            counter.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            async { Ok(AccessToken::new(TOKEN, None)) }
        }))
        .transport(transport)
        .build()
        .unwrap();

    let uploaded = uploader
        .todo_attachment("list-1", "task-1")
        .force_session(true)
        .profile(EndpointProfile::todo().with_max_fragment(Q))
        .upload(&UploadSource::from_bytes(data.clone()))
        .await
        .expect("the To Do upload succeeds");

    assert_eq!(uploaded.item.id, "att-3");
    assert_eq!((uploaded.bytes_sent, uploaded.bytes_resent), (size, 0));
    let requests = requests(&server).await;
    let authorized = requests
        .iter()
        .filter(|r| r.headers.get("authorization").is_some())
        .count();
    assert_eq!(
        authorized,
        1 + 3,
        "the create and three PUTs carry the token"
    );
    assert_eq!(
        asked.load(std::sync::atomic::Ordering::SeqCst),
        authorized,
        "one question per request with a token"
    );
}

/// A provider that cannot give a token fails the upload before anything is sent, with its
/// error as the source.
pub(crate) async fn a_failing_token_provider_sends_nothing(transport: Arc<dyn Transport>) {
    let server = MockServer::start().await;
    let uploader = Uploader::builder(format!("{}/v1.0", server.uri()))
        .token_provider(TokenFn::new(|| async {
            Err(CredentialError::new("az: not logged in; run az login"))
        }))
        .transport(transport)
        .build()
        .unwrap();

    let error = uploader
        .todo_attachment("list-1", "task-1")
        .force_session(true)
        .upload(&UploadSource::from_bytes(pattern(10, 9)))
        .await
        .expect_err("no token");

    assert!(matches!(error, UploadError::Credential(_)), "{error:?}");
    assert!(error.to_string().contains("run az login"), "{error}");
    assert!(
        all_requests(&server).await.is_empty(),
        "nothing may be sent"
    );
}
