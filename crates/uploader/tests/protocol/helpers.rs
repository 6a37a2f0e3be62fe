//! What the cases share: building the uploader, Graph's JSON, mounting the create and start
//! requests, and checks of what the server received.

use graph_upload::models::{PrintDocument, UploadSession};
use graph_upload::ranges::GRAPH_QUANTUM;
use graph_upload::transport::{Transport, TransportConfig};
use graph_upload::{
    CancellationToken, EndpointProfile, InstantClock, ProgressEvent, RetryPolicy, Uploader,
};
use graph_upload_testkit::uploader_mocks::{
    self, EXPIRY, FakeSession, TOKEN, count, print_document, requests,
};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use wiremock::matchers::{header, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

pub(crate) const Q: u64 = GRAPH_QUANTUM;

/// Builds a backend from a configuration.
pub(crate) type MakeTransport = fn(TransportConfig) -> Arc<dyn Transport>;

pub(crate) fn test_config() -> TransportConfig {
    TransportConfig::default()
        .connect_timeout(Duration::from_secs(2))
        .request_timeout(Some(Duration::from_secs(10)))
}

/// An uploader for the mock server's `/v1.0`, with a timer that never really sleeps.
pub(crate) fn uploader(
    server: &MockServer,
    transport: Arc<dyn Transport>,
) -> (Uploader, Arc<InstantClock>) {
    uploader_with(server, transport, RetryPolicy::default())
}

/// [`uploader`] with a retry policy.
pub(crate) fn uploader_with(
    server: &MockServer,
    transport: Arc<dyn Transport>,
    retry: RetryPolicy,
) -> (Uploader, Arc<InstantClock>) {
    let clock = Arc::new(InstantClock::default());
    let uploader = Uploader::builder(format!("{}/v1.0", server.uri()))
        .token(TOKEN)
        .transport(transport)
        .retry(retry)
        .clock(Arc::clone(&clock) as Arc<dyn graph_upload::Clock>)
        .build()
        .unwrap();
    (uploader, clock)
}

/// An `uploadSession` as `createUploadSession` answers it.
pub(crate) fn session_json(upload_url: &str, ranges: &[String]) -> serde_json::Value {
    serde_json::json!({
        "@odata.context": "https://graph.microsoft.com/v1.0/$metadata#microsoft.graph.uploadSession",
        "uploadUrl": upload_url,
        "expirationDateTime": EXPIRY,
        "nextExpectedRanges": ranges,
    })
}

pub(crate) fn session(upload_url: &str, ranges: &[String]) -> UploadSession {
    serde_json::from_value(session_json(upload_url, ranges)).expect("an uploadSession")
}

/// The print job `POST .../jobs` answers: paused, one empty document.
pub(crate) fn job_json(job_id: &str, document_id: &str) -> serde_json::Value {
    serde_json::json!({
        "id": job_id,
        "createdDateTime": "2026-01-01T00:00:00.0000000Z",
        "status": {"state": "paused", "details": ["uploadPending"]},
        "documents": [{"id": document_id, "displayName": "", "contentType": "", "size": 0}],
        "configuration": {}
    })
}

pub(crate) fn typed_document(size: u64) -> PrintDocument {
    let document: PrintDocument =
        serde_json::from_value(print_document(size)).expect("a printDocument");
    assert_eq!(document.id, "doc-1");
    assert_eq!(document.size, size);
    document
}

pub(crate) fn strings(items: &[&str]) -> Vec<String> {
    items.iter().map(|s| (*s).to_string()).collect()
}

/// A print profile cut in single quanta, one request at a time (deterministic order).
pub(crate) fn print_by_quantum() -> EndpointProfile {
    EndpointProfile::print()
        .with_max_fragment(Q)
        .with_parallel(1)
}

/// Collects progress events.
pub(crate) fn progress_log() -> (
    impl Fn(ProgressEvent) + Send + Sync + Clone + 'static,
    Arc<Mutex<Vec<ProgressEvent>>>,
) {
    let events = Arc::new(Mutex::new(Vec::new()));
    let sink = Arc::clone(&events);
    let callback = move |event| {
        sink.lock().unwrap().push(event);
    };
    (callback, events)
}

/// Mounts `createUploadSession` for an existing print job on a share.
pub(crate) async fn mount_print_session(
    server: &MockServer,
    share: &str,
    upload_url: &str,
    ranges: &[String],
) {
    Mock::given(method("POST"))
        .and(path(format!(
            "/v1.0/print/shares/{share}/jobs/job-1/documents/doc-1/createUploadSession"
        )))
        .and(header("authorization", format!("Bearer {TOKEN}").as_str()))
        .respond_with(ResponseTemplate::new(200).set_body_json(session_json(upload_url, ranges)))
        .expect(1)
        .mount(server)
        .await;
}

/// Mounts `POST .../jobs/job-1/start`, expected `times` times.
pub(crate) async fn mount_start(server: &MockServer, collection_and_id: &str, times: u64) {
    Mock::given(method("POST"))
        .and(path(format!(
            "/v1.0/print/{collection_and_id}/jobs/job-1/start"
        )))
        .and(header("authorization", format!("Bearer {TOKEN}").as_str()))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(serde_json::json!({"state": "processing", "details": []})),
        )
        .expect(times)
        .mount(server)
        .await;
}

/// Mounts To Do's `createUploadSession` on list-1/task-1 for `owner` (`me` or
/// `users/{id}`), answering the session `{server}/attachmentSessions/abc` with everything missing.
pub(crate) async fn mount_todo_session(server: &MockServer, owner: &str) {
    let upload_url = format!("{}/attachmentSessions/abc", server.uri());
    Mock::given(method("POST"))
        .and(path(format!(
            "/v1.0/{owner}/todo/lists/list-1/tasks/task-1/attachments/createUploadSession"
        )))
        .and(header("authorization", format!("Bearer {TOKEN}").as_str()))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(session_json(&upload_url, &strings(&["0-"]))),
        )
        .expect(1)
        .mount(server)
        .await;
}

/// The `uploadSession` of the print `fake` mounted on `server` (`{server}/upload/1`), with
/// the ranges it misses now.
pub(crate) fn session_of(server: &MockServer, fake: &FakeSession) -> UploadSession {
    session(
        &format!("{}/upload/1", server.uri()),
        &fake.expected_ranges(),
    )
}

pub(crate) fn assert_no_put_has_authorization(puts: &[uploader_mocks::SeenPut]) {
    for put in puts {
        assert_eq!(
            put.authorization, None,
            "the token went to the pre-authenticated print URL with {:?}",
            put.content_range
        );
    }
}

pub(crate) fn sorted(mut items: Vec<String>) -> Vec<String> {
    items.sort_by_key(|s| {
        s.trim_start_matches("bytes ")
            .split('-')
            .next()
            .and_then(|n| n.parse::<u64>().ok())
            .unwrap_or(0)
    });
    items
}

/// Cancels `token` once the server has received a PUT.
pub(crate) async fn cancel_after_first_put(server: &MockServer, token: CancellationToken) {
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        if count(&requests(server).await, "PUT", None) > 0 {
            break;
        }
        assert!(Instant::now() < deadline, "no PUT reached the server");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    token.cancel();
}
