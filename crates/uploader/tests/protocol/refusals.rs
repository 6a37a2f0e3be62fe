//! `416`, `404` and refusals that are never retried.

use crate::helpers::{Q, print_by_quantum, progress_log, session, session_of, strings, uploader};
use graph_upload::transport::Transport;
use graph_upload::{EndpointProfile, ProgressEvent, UploadError, UploadOutcome, UploadSource};
use graph_upload_testkit::uploader_mocks::{
    FakeSession, SessionSpec, Step, TOKEN, assert_bodies_match, assert_no_byte_twice, cr,
    error_reply, pattern, puts, requests, transcript,
};
use std::sync::Arc;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer};

pub(crate) async fn after_416_the_session_is_read_and_only_missing_ranges_are_sent(
    transport: Arc<dyn Transport>,
) {
    // To Do: the server stores the second fragment but answers 416; the client asks (GET on the
    // upload URL, with the token, without /content), learns it has two fragments, and sends
    // only the third.
    let server = MockServer::start().await;
    let size = 3 * Q;
    let data = pattern(size as usize, 15);
    let location = format!(
        "{}/v1.0/me/todo/lists/l/tasks/t/attachments/a",
        server.uri()
    );
    let fake = FakeSession::new(SessionSpec::todo(size, &location)).on_put(
        2,
        Step::StoreThenReply(error_reply(416, "invalidRange", "fragmentOverlap")),
    );
    fake.mount(&server).await;
    let (uploader, _timer) = uploader(&server, transport);
    let (callback, events) = progress_log();

    let outcome = uploader
        .existing_session(
            session(
                &format!("{}/attachmentSessions/abc", server.uri()),
                &strings(&["0-"]),
            ),
            EndpointProfile::todo().with_max_fragment(Q),
        )
        .on_progress(callback)
        .upload(&UploadSource::from_bytes(data.clone()))
        .await
        .expect("the upload succeeds")
        .item;

    assert_eq!(outcome, UploadOutcome::Attachment { location });
    let requests = requests(&server).await;
    assert_eq!(
        transcript(&requests),
        vec![
            format!("PUT /attachmentSessions/abc/content {}", cr(0..Q, size)),
            format!("PUT /attachmentSessions/abc/content {}", cr(Q..2 * Q, size)),
            "GET /attachmentSessions/abc".to_string(),
            format!(
                "PUT /attachmentSessions/abc/content {}",
                cr(2 * Q..size, size)
            ),
        ]
    );
    let get = requests
        .iter()
        .find(|r| r.method.as_str() == "GET")
        .unwrap();
    assert_eq!(
        get.headers
            .get("authorization")
            .and_then(|v| v.to_str().ok()),
        Some(format!("Bearer {TOKEN}").as_str())
    );
    let puts = puts(&requests);
    assert_bodies_match(&puts, &data);
    assert_no_byte_twice(&puts);
    assert!(
        events.lock().unwrap().contains(&ProgressEvent::Resumed {
            acknowledged: 2 * Q
        }),
        "{:?}",
        events.lock().unwrap()
    );
}

pub(crate) async fn after_416_a_range_the_server_lacks_is_sent_again(
    transport: Arc<dyn Transport>,
) {
    // Print: the first fragment is refused with 416 without being stored; the status says it is
    // still missing, so it goes again (and no token goes to the upload URL, GET included).
    let server = MockServer::start().await;
    let size = 2 * Q;
    let data = pattern(size as usize, 16);
    let fake = FakeSession::new(SessionSpec::print(size)).on_put(
        1,
        Step::Reply(error_reply(416, "invalidRange", "fragmentOutOfOrder")),
    );
    fake.mount(&server).await;
    let (uploader, _timer) = uploader(&server, transport);

    uploader
        .existing_session(session_of(&server, &fake), print_by_quantum())
        .upload(&UploadSource::from_bytes(data.clone()))
        .await
        .expect("the upload succeeds");

    let requests = requests(&server).await;
    assert_eq!(
        transcript(&requests),
        vec![
            format!("PUT /upload/1 {}", cr(0..Q, size)),
            "GET /upload/1".to_string(),
            format!("PUT /upload/1 {}", cr(0..Q, size)),
            format!("PUT /upload/1 {}", cr(Q..size, size)),
        ]
    );
    assert!(
        requests
            .iter()
            .all(|r| r.headers.get("authorization").is_none()),
        "no token to the print upload URL"
    );
    assert_bodies_match(&puts(&requests), &data);
    assert!(fake.completed());
}

pub(crate) async fn a_404_on_a_put_is_session_gone(transport: Arc<dyn Transport>) {
    let server = MockServer::start().await;
    let fake = FakeSession::new(SessionSpec::print(1000)).on_put(
        1,
        Step::Reply(error_reply(404, "itemNotFound", "sessionExpired")),
    );
    fake.mount(&server).await;
    let (uploader, timer) = uploader(&server, transport);

    let error = uploader
        .existing_session(session_of(&server, &fake), EndpointProfile::print())
        .upload(&UploadSource::from_bytes(pattern(1000, 17)))
        .await
        .expect_err("the session is gone");

    assert!(matches!(error, UploadError::SessionGone), "{error:?}");
    assert!(error.is_session_gone());
    let requests = requests(&server).await;
    assert_eq!(
        transcript(&requests),
        vec![format!("PUT /upload/1 {}", cr(0..1000, 1000))],
        "no retry, no status read"
    );
    assert!(timer.sleeps().is_empty());
}

pub(crate) async fn a_404_on_the_status_read_is_session_gone(transport: Arc<dyn Transport>) {
    let server = MockServer::start().await;
    let fake = FakeSession::new(SessionSpec::print(1000))
        .on_put(
            1,
            Step::Reply(error_reply(416, "invalidRange", "fragmentOverlap")),
        )
        .on_get(
            1,
            Step::Reply(error_reply(404, "itemNotFound", "sessionExpired")),
        );
    fake.mount(&server).await;
    let (uploader, _timer) = uploader(&server, transport);

    let error = uploader
        .existing_session(session_of(&server, &fake), EndpointProfile::print())
        .upload(&UploadSource::from_bytes(pattern(1000, 18)))
        .await
        .expect_err("the session is gone");

    assert!(matches!(error, UploadError::SessionGone), "{error:?}");
    let requests = requests(&server).await;
    assert_eq!(
        transcript(&requests),
        vec![
            format!("PUT /upload/1 {}", cr(0..1000, 1000)),
            "GET /upload/1".to_string()
        ]
    );
}

pub(crate) async fn refusals_400_401_403_413_are_never_retried(transport: Arc<dyn Transport>) {
    for (status, code) in [
        (400u16, "invalidRequest"),
        (401, "unauthenticated"),
        (403, "accessDenied"),
        (413, "maxFragmentLengthExceeded"),
    ] {
        let server = MockServer::start().await;
        let fake = FakeSession::new(SessionSpec::print(2 * Q))
            .on_put(1, Step::Reply(error_reply(status, code, "refused")));
        fake.mount(&server).await;
        let (uploader, timer) = uploader(&server, Arc::clone(&transport));

        let error = uploader
            .existing_session(session_of(&server, &fake), print_by_quantum())
            .upload(&UploadSource::from_bytes(pattern(2 * Q as usize, 19)))
            .await
            .expect_err("a refusal ends the upload");

        let refusal = error
            .service_error()
            .unwrap_or_else(|| panic!("HTTP {status} gave {error:?}"));
        assert_eq!(refusal.status(), status, "{error:?}");
        assert!(refusal.graph_error().is_some(), "{error:?}");
        assert_eq!(
            error.graph_error().map(|g| g.error.code.as_str()),
            Some(code),
            "HTTP {status}"
        );
        let requests = requests(&server).await;
        assert_eq!(
            transcript(&requests),
            vec![format!("PUT /upload/1 {}", cr(0..Q, 2 * Q))],
            "HTTP {status} must not be retried"
        );
        assert!(
            timer.sleeps().is_empty(),
            "HTTP {status}: {:?}",
            timer.sleeps()
        );
    }
}

pub(crate) async fn refused_job_creation_is_not_retried(transport: Arc<dyn Transport>) {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v1.0/print/shares/share-1/jobs"))
        .respond_with(error_reply(403, "accessDenied", "missingPermission"))
        .expect(1)
        .mount(&server)
        .await;
    let (uploader, timer) = uploader(&server, transport);

    let error = uploader
        .print_to_share("share-1")
        .upload(&UploadSource::from_bytes(pattern(100, 20)))
        .await
        .expect_err("the job cannot be created");

    assert!(
        matches!(error.service_error().map(|e| e.status()), Some(403)),
        "{error:?}"
    );
    assert_eq!(requests(&server).await.len(), 1);
    assert!(timer.sleeps().is_empty());
}
