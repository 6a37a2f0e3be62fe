//! Cancellation: the session is deleted (with the token for To Do only), at once.

use crate::helpers::{
    Q, cancel_after_first_put, job_json, mount_print_session, mount_start, mount_todo_session,
    print_by_quantum, session_json, session_of, uploader,
};
use graph_upload::transport::Transport;
use graph_upload::{
    CancellationToken, EndpointProfile, ProgressEvent, UploadError, UploadSource, Uploader,
};
use graph_upload_testkit::uploader_mocks::{
    FakeSession, SessionSpec, Step, TOKEN, count, error_reply, pattern, requests, transcript,
};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

pub(crate) async fn cancelling_a_print_upload_deletes_the_session_without_the_token(
    transport: Arc<dyn Transport>,
) {
    let server = MockServer::start().await;
    let size = 3 * Q;
    let fake = FakeSession::new(SessionSpec::print(size))
        .on_put(1, Step::StoreThenDelay(Duration::from_secs(10)));
    fake.mount(&server).await;
    mount_print_session(
        &server,
        "share-1",
        &format!("{}/upload/1?tempauthtoken=x", server.uri()),
        &[format!("0-{}", size - 1)],
    )
    .await;
    mount_start(&server, "shares/share-1", 0).await;
    let (uploader, _timer) = uploader(&server, transport);
    let token = CancellationToken::new();
    let source = UploadSource::from_bytes(pattern(size as usize, 28));
    let upload = uploader
        .print_to_share("share-1")
        .job("job-1", "doc-1")
        .profile(print_by_quantum())
        .cancel_on(token.clone());
    let started = Instant::now();
    let task = tokio::spawn(async move { upload.upload(&source).await });

    cancel_after_first_put(&server, token).await;
    let result = tokio::time::timeout(Duration::from_secs(5), task)
        .await
        .expect("the cancelled upload returns promptly")
        .expect("the upload task does not panic");

    assert!(matches!(result, Err(UploadError::Cancelled)), "{result:?}");
    assert!(started.elapsed() < Duration::from_secs(5));
    let requests = requests(&server).await;
    let deletes: Vec<_> = requests
        .iter()
        .filter(|r| r.method.as_str() == "DELETE")
        .collect();
    assert_eq!(deletes.len(), 1, "{:?}", transcript(&requests));
    assert_eq!(deletes[0].url.path(), "/upload/1");
    assert_eq!(deletes[0].url.query(), Some("tempauthtoken=x"));
    assert!(deletes[0].headers.get("authorization").is_none());
    assert_eq!(
        count(&requests, "PUT", None),
        1,
        "{:?}",
        transcript(&requests)
    );
    assert!(fake.deleted());
}

pub(crate) async fn cancelling_a_todo_upload_deletes_the_session_with_the_token(
    transport: Arc<dyn Transport>,
) {
    let server = MockServer::start().await;
    let size = 3 * Q;
    let location = format!(
        "{}/v1.0/me/todo/lists/l/tasks/t/attachments/a",
        server.uri()
    );
    let fake = FakeSession::new(SessionSpec::todo(size, &location))
        .on_put(2, Step::StoreThenDelay(Duration::from_secs(10)));
    fake.mount(&server).await;
    mount_todo_session(&server, "me").await;
    let (uploader, _timer) = uploader(&server, transport);
    let token = CancellationToken::new();
    let source = UploadSource::from_bytes(pattern(size as usize, 29));
    let upload = uploader
        .todo_attachment("list-1", "task-1")
        .force_session(true)
        .profile(EndpointProfile::todo().with_max_fragment(Q))
        .cancel_on(token.clone());
    let task = tokio::spawn(async move { upload.upload(&source).await });

    // Wait for the second (held) PUT.
    let deadline = Instant::now() + Duration::from_secs(5);
    while count(&requests(&server).await, "PUT", None) < 2 {
        assert!(Instant::now() < deadline, "the second PUT never arrived");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    token.cancel();
    let result = tokio::time::timeout(Duration::from_secs(5), task)
        .await
        .expect("the cancelled upload returns promptly")
        .expect("the upload task does not panic");

    assert!(matches!(result, Err(UploadError::Cancelled)), "{result:?}");
    let requests = requests(&server).await;
    let deletes: Vec<_> = requests
        .iter()
        .filter(|r| r.method.as_str() == "DELETE")
        .collect();
    assert_eq!(deletes.len(), 1, "{:?}", transcript(&requests));
    assert_eq!(
        deletes[0].url.path(),
        "/attachmentSessions/abc",
        "no /content"
    );
    assert_eq!(
        deletes[0]
            .headers
            .get("authorization")
            .and_then(|v| v.to_str().ok()),
        Some(format!("Bearer {TOKEN}").as_str())
    );
    assert!(fake.deleted());
}

pub(crate) async fn a_token_cancelled_before_the_upload_sends_nothing(
    transport: Arc<dyn Transport>,
) {
    // Nothing should be created (a print job left "uploadPending" lingers on the printer)
    // and no byte sent once the caller has already cancelled.
    let server = MockServer::start().await;
    let fake = FakeSession::new(SessionSpec::print(Q));
    fake.mount(&server).await;
    Mock::given(method("POST"))
        .and(path("/v1.0/print/shares/share-1/jobs"))
        .respond_with(ResponseTemplate::new(201).set_body_json(job_json("job-1", "doc-1")))
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path(
            "/v1.0/print/shares/share-1/jobs/job-1/documents/doc-1/createUploadSession",
        ))
        .respond_with(ResponseTemplate::new(200).set_body_json(session_json(
            &format!("{}/upload/1", server.uri()),
            &[format!("0-{}", Q - 1)],
        )))
        .mount(&server)
        .await;
    mount_start(&server, "shares/share-1", 0).await;
    let (uploader, _timer) = uploader(&server, transport);
    let token = CancellationToken::new();
    token.cancel();

    let result = uploader
        .print_to_share("share-1")
        .cancel_on(token)
        .upload(&UploadSource::from_bytes(pattern(Q as usize, 33)))
        .await
        .map(|uploaded| uploaded.item);

    assert!(matches!(result, Err(UploadError::Cancelled)), "{result:?}");
    let requests = requests(&server).await;
    assert!(requests.is_empty(), "{:?}", transcript(&requests));
}

pub(crate) async fn cancelling_during_a_retry_after_wait_stops_at_once(
    transport: Arc<dyn Transport>,
) {
    // The real timer: a 429 asks for 60 s. Cancelling during that wait must not take 60 s.
    let server = MockServer::start().await;
    let fake = FakeSession::new(SessionSpec::print(Q)).on_put(
        1,
        Step::Reply(
            error_reply(429, "tooManyRequests", "throttled").insert_header("Retry-After", "60"),
        ),
    );
    fake.mount(&server).await;
    let uploader = Uploader::builder(format!("{}/v1.0", server.uri()))
        .token(TOKEN)
        .transport(transport)
        .build()
        .unwrap();
    let token = CancellationToken::new();
    let source = UploadSource::from_bytes(pattern(Q as usize, 30));
    let upload = uploader
        .existing_session(session_of(&server, &fake), print_by_quantum())
        .cancel_on(token.clone());
    // Cancel once the uploader reports that it is waiting the 60 s (not after a guessed delay).
    let waiting = Arc::new(Mutex::new(None));
    let seen = Arc::clone(&waiting);
    let upload = upload.on_progress(move |event| {
        if let ProgressEvent::Retrying { delay, .. } = event {
            *seen.lock().unwrap() = Some(delay);
            token.cancel();
        }
    });
    let task = tokio::spawn(async move { upload.upload(&source).await });

    let result = tokio::time::timeout(Duration::from_secs(3), task)
        .await
        .expect("cancelling must interrupt the Retry-After wait")
        .expect("the upload task does not panic");

    assert!(matches!(result, Err(UploadError::Cancelled)), "{result:?}");
    assert_eq!(*waiting.lock().unwrap(), Some(Duration::from_secs(60)));
    let requests = requests(&server).await;
    assert_eq!(count(&requests, "DELETE", Some("/upload/1")), 1);
    assert_eq!(count(&requests, "PUT", None), 1);
}
