//! Checks before anything is created, and clean-up after a failure: the session deleted,
//! the job the uploader created cancelled.

use crate::helpers::{
    Q, cancel_after_first_put, job_json, mount_print_session, mount_todo_session, print_by_quantum,
    uploader,
};
use graph_upload::transport::Transport;
use graph_upload::{CancellationToken, InvalidInput, UploadError, UploadSource};
use graph_upload_testkit::uploader_mocks::{
    FakeSession, SessionSpec, Step, TOKEN, all_requests, count, error_reply, pattern, requests,
    transcript,
};
use std::sync::Arc;
use std::time::Duration;
use wiremock::matchers::{header, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

/// Mounts `GET /v1.0/print/shares/{share}` answering `capabilities.contentTypes`.
async fn mount_capabilities(server: &MockServer, share: &str, types: &[&str]) {
    Mock::given(method("GET"))
        .and(path(format!("/v1.0/print/shares/{share}")))
        .and(header("authorization", format!("Bearer {TOKEN}").as_str()))
        .respond_with(ResponseTemplate::new(200).set_body_json(serde_json::json!({
            "id": share,
            "displayName": "share",
            "capabilities": {"contentTypes": types},
        })))
        .mount(server)
        .await;
}

/// Mounts job creation (`job-1`/`doc-1`) and the session of `upload_url`, and `cancel`.
async fn mount_created_job(server: &MockServer, upload_url: &str, size: u64) {
    Mock::given(method("POST"))
        .and(path("/v1.0/print/shares/share-1/jobs"))
        .respond_with(ResponseTemplate::new(201).set_body_json(job_json("job-1", "doc-1")))
        .expect(1)
        .mount(server)
        .await;
    mount_print_session(server, "share-1", upload_url, &[format!("0-{}", size - 1)]).await;
    Mock::given(method("POST"))
        .and(path("/v1.0/print/shares/share-1/jobs/job-1/cancel"))
        .and(header("authorization", format!("Bearer {TOKEN}").as_str()))
        .respond_with(ResponseTemplate::new(204))
        .mount(server)
        .await;
}

fn cancels(requests: &[wiremock::Request]) -> usize {
    count(
        requests,
        "POST",
        Some("/v1.0/print/shares/share-1/jobs/job-1/cancel"),
    )
}

pub(crate) async fn unsupported_content_type_is_refused_before_the_job_is_created(
    transport: Arc<dyn Transport>,
) {
    let server = MockServer::start().await;
    mount_capabilities(&server, "share-1", &["image/png", "image/jpeg"]).await;
    let (uploader, _timer) = uploader(&server, Arc::clone(&transport));

    let error = uploader
        .print_to_share("share-1")
        .content_type("application/pdf")
        .upload(&UploadSource::from_bytes(pattern(1000, 40)))
        .await
        .expect_err("a PNG printer does not take PDF");

    match &error {
        UploadError::Invalid(InvalidInput::UnsupportedContentType {
            content_type,
            supported,
        }) => {
            assert_eq!(content_type, "application/pdf");
            assert_eq!(supported, &["image/png", "image/jpeg"]);
        }
        other => panic!("{other:?}"),
    }
    assert!(
        error.to_string().contains("image/png, image/jpeg"),
        "{error}"
    );
    let all = all_requests(&server).await;
    assert_eq!(transcript(&all), ["GET /v1.0/print/shares/share-1"]);

    // OXPS goes to a PDF printer (the service converts it): the check lets it through.
    let server = MockServer::start().await;
    mount_capabilities(&server, "share-1", &["application/pdf"]).await;
    let size = Q;
    let fake = FakeSession::new(SessionSpec::print(size));
    fake.mount(&server).await;
    mount_created_job(
        &server,
        &format!("{}/upload/1?tempauthtoken=x", server.uri()),
        size,
    )
    .await;
    let (oxps, _timer) = crate::helpers::uploader(&server, Arc::clone(&transport));
    oxps.print_to_share("share-1")
        .content_type("application/oxps")
        .start_job(false)
        .upload(&UploadSource::from_bytes(pattern(size as usize, 41)))
        .await
        .expect("OXPS to a PDF printer is accepted");
}

/// A print upload whose first fragment the service refuses (`400`), with clean-up on or off:
/// the error, the server's requests and the session.
async fn refused_print_upload(
    transport: Arc<dyn Transport>,
    clean_up: bool,
) -> (UploadError, Vec<wiremock::Request>, FakeSession) {
    let server = MockServer::start().await;
    let size = 2 * Q;
    let fake = FakeSession::new(SessionSpec::print(size)).on_put(
        1,
        Step::Reply(error_reply(400, "invalidRequest", "badFragment")),
    );
    fake.mount(&server).await;
    mount_created_job(
        &server,
        &format!("{}/upload/1?tempauthtoken=x", server.uri()),
        size,
    )
    .await;
    let (uploader, _timer) = uploader(&server, transport);
    let error = uploader
        .print_to_share("share-1")
        .profile(print_by_quantum())
        .clean_up_on_failure(clean_up)
        .upload(&UploadSource::from_bytes(pattern(size as usize, 42)))
        .await
        .expect_err("the service refuses the fragment");
    (error, requests(&server).await, fake)
}

pub(crate) async fn a_failed_print_upload_deletes_its_session_and_cancels_the_job_it_created(
    transport: Arc<dyn Transport>,
) {
    let (error, requests, fake) = refused_print_upload(transport, true).await;

    assert!(
        matches!(error.service_error().map(|e| e.status()), Some(400)),
        "{error:?}"
    );
    let shown = format!("{error} {error:?}");
    assert!(
        !shown.contains("tempauthtoken") && !shown.contains(TOKEN),
        "{shown}"
    );
    let order = transcript(&requests);
    let delete = order.iter().position(|r| r == "DELETE /upload/1");
    let cancel = order
        .iter()
        .position(|r| r == "POST /v1.0/print/shares/share-1/jobs/job-1/cancel");
    assert!(
        matches!((delete, cancel), (Some(d), Some(c)) if d < c),
        "the session is deleted, then the job cancelled: {order:?}"
    );
    assert!(fake.deleted());
    assert_eq!(cancels(&requests), 1);
}

pub(crate) async fn a_cancelled_print_upload_cancels_the_job_it_created(
    transport: Arc<dyn Transport>,
) {
    let server = MockServer::start().await;
    let size = 3 * Q;
    let fake = FakeSession::new(SessionSpec::print(size))
        .on_put(1, Step::StoreThenDelay(Duration::from_secs(10)));
    fake.mount(&server).await;
    mount_created_job(
        &server,
        &format!("{}/upload/1?tempauthtoken=x", server.uri()),
        size,
    )
    .await;
    let (uploader, _timer) = uploader(&server, transport);
    let token = CancellationToken::new();
    let source = UploadSource::from_bytes(pattern(size as usize, 43));
    let upload = uploader
        .print_to_share("share-1")
        .profile(print_by_quantum())
        .cancel_on(token.clone());
    let task = tokio::spawn(async move { upload.upload(&source).await });
    cancel_after_first_put(&server, token).await;
    let result = tokio::time::timeout(Duration::from_secs(5), task)
        .await
        .expect("the cancelled upload returns promptly")
        .expect("no panic");

    assert!(matches!(result, Err(UploadError::Cancelled)), "{result:?}");
    let requests = requests(&server).await;
    assert!(fake.deleted(), "{:?}", transcript(&requests));
    assert_eq!(cancels(&requests), 1, "{:?}", transcript(&requests));
}

pub(crate) async fn clean_up_can_be_turned_off(transport: Arc<dyn Transport>) {
    let (_, requests, fake) = refused_print_upload(transport, false).await;

    assert!(!fake.deleted(), "{:?}", transcript(&requests));
    assert_eq!(cancels(&requests), 0, "{:?}", transcript(&requests));
}

pub(crate) async fn a_failed_todo_upload_deletes_its_session(transport: Arc<dyn Transport>) {
    let server = MockServer::start().await;
    let size = 2 * Q;
    let location = format!(
        "{}/v1.0/me/todo/lists/list-1/tasks/task-1/attachments/a",
        server.uri()
    );
    let fake = FakeSession::new(SessionSpec::todo(size, &location)).on_put(
        1,
        Step::Reply(error_reply(400, "invalidRequest", "badFragment")),
    );
    fake.mount(&server).await;
    mount_todo_session(&server, "me").await;
    let (uploader, _timer) = uploader(&server, transport);

    uploader
        .todo_attachment("list-1", "task-1")
        .force_session(true)
        .upload(&UploadSource::from_bytes(pattern(size as usize, 45)))
        .await
        .expect_err("the service refuses the fragment");

    assert!(fake.deleted(), "{:?}", transcript(&requests(&server).await));
}
