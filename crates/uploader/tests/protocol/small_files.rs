//! Small files: To Do and Outlook files under 3 MB go as one `POST .../attachments` with
//! base64 `contentBytes` (no session); To Do can be made to use a session; retries and
//! cancellation go through the one loop.

use crate::helpers::{mount_todo_session, progress_log, uploader};
use graph_upload::models::{OUTLOOK_MIN_SESSION_SIZE, TODO_INLINE_ATTACHMENT_LIMIT};
use graph_upload::transport::Transport;
use graph_upload::{CancellationToken, OutlookItem, ProgressEvent, UploadError, UploadSource};
use graph_upload_testkit::uploader_mocks::{
    FakeSession, Scripted, SessionSpec, TOKEN, all_requests, count, pattern, requests,
};
use std::sync::Arc;
use wiremock::matchers::{header, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

fn base64(data: &[u8]) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.encode(data)
}

pub(crate) async fn a_small_todo_file_is_one_post_with_content_bytes(
    transport: Arc<dyn Transport>,
) {
    let server = MockServer::start().await;
    let size = TODO_INLINE_ATTACHMENT_LIMIT - 1;
    let data = pattern(size as usize, 21);
    Mock::given(method("POST"))
        .and(path("/v1.0/me/todo/lists/l/tasks/t/attachments"))
        .and(header("authorization", format!("Bearer {TOKEN}").as_str()))
        .respond_with(ResponseTemplate::new(201).set_body_json(serde_json::json!({
            "@odata.type": "#microsoft.graph.taskFileAttachment",
            "id": "att-9", "name": "notes.txt", "size": size
        })))
        .expect(1)
        .mount(&server)
        .await;
    let (uploader, _timer) = uploader(&server, transport);
    let (callback, events) = progress_log();

    let uploaded = uploader
        .todo_attachment("l", "t")
        .name("notes.txt")
        .content_type("text/plain")
        .on_progress(callback)
        .upload(&UploadSource::from_bytes(data.clone()))
        .await
        .expect("attached");

    assert_eq!(uploaded.item.id, "att-9");
    assert_eq!(
        uploaded.item.location,
        format!(
            "{}/v1.0/me/todo/lists/l/tasks/t/attachments/att-9",
            server.uri()
        )
    );
    assert_eq!(uploaded.bytes_sent, size);
    let requests = requests(&server).await;
    assert_eq!(requests.len(), 1, "no session, no PUT");
    let body: serde_json::Value = requests[0].body_json().expect("JSON body");
    assert_eq!(
        body,
        serde_json::json!({
            "@odata.type": "#microsoft.graph.taskFileAttachment",
            "name": "notes.txt", "contentType": "text/plain",
            "contentBytes": base64(&data)
        })
    );
    let events = events.lock().unwrap().clone();
    assert_eq!(
        events.last(),
        Some(&ProgressEvent::Completed { total: size }),
        "{events:?}"
    );
}

pub(crate) async fn force_session_sends_a_small_todo_file_through_a_session(
    transport: Arc<dyn Transport>,
) {
    let server = MockServer::start().await;
    let data = pattern(1000, 22);
    let location = format!(
        "{}/v1.0/me/todo/lists/list-1/tasks/task-1/attachments/att-1",
        server.uri()
    );
    let fake = FakeSession::new(SessionSpec::todo(1000, &location));
    fake.mount(&server).await;
    mount_todo_session(&server, "me").await;
    let (uploader, _timer) = uploader(&server, transport);

    let uploaded = uploader
        .todo_attachment("list-1", "task-1")
        .force_session(true)
        .upload(&UploadSource::from_bytes(data))
        .await
        .expect("uploaded");

    assert_eq!(uploaded.item.location, location);
    assert!(fake.completed());
    let requests = requests(&server).await;
    assert_eq!(count(&requests, "POST", None), 1);
    assert_eq!(
        count(
            &requests,
            "POST",
            Some("/v1.0/me/todo/lists/list-1/tasks/task-1/attachments")
        ),
        0,
        "no one-shot attachment"
    );
}

pub(crate) async fn a_small_outlook_file_is_one_post_and_keeps_its_location(
    transport: Arc<dyn Transport>,
) {
    let server = MockServer::start().await;
    let size = OUTLOOK_MIN_SESSION_SIZE - 1;
    let data = pattern(size as usize, 23);
    let location = format!("{}/v1.0/users/u/messages/m/attachments/AAMk=", server.uri());
    // A 503 first: the one retry loop sends the POST again.
    Mock::given(method("POST"))
        .and(path("/v1.0/users/u/messages/m/attachments"))
        .respond_with(Scripted::new([
            ResponseTemplate::new(503),
            ResponseTemplate::new(201)
                .insert_header("location", location.as_str())
                .set_body_json(serde_json::json!({
                    "@odata.type": "#microsoft.graph.fileAttachment",
                    "id": "AAMk=", "name": "logo.png", "isInline": true, "contentId": "logo"
                })),
        ]))
        .expect(2)
        .mount(&server)
        .await;
    let (uploader, timer) = uploader(&server, transport);

    let uploaded = uploader
        .outlook_attachment(OutlookItem::Message("m".into()))
        .user("u")
        .name("logo.png")
        .inline("logo")
        .upload(&UploadSource::from_bytes(data.clone()))
        .await
        .expect("attached");

    assert_eq!(uploaded.item.id, "AAMk=");
    assert_eq!(uploaded.item.location, location);
    assert_eq!(uploaded.bytes_sent, size);
    assert_eq!(timer.sleeps().len(), 1, "one backoff");
    let requests = requests(&server).await;
    assert_eq!(requests.len(), 2);
    let body: serde_json::Value = requests[1].body_json().expect("JSON body");
    assert_eq!(body["@odata.type"], "#microsoft.graph.fileAttachment");
    assert_eq!(body["isInline"], true);
    assert_eq!(body["contentId"], "logo");
    assert_eq!(body["contentBytes"], base64(&data));
}

pub(crate) async fn a_small_file_from_disk_is_read_whole(transport: Arc<dyn Transport>) {
    let server = MockServer::start().await;
    let data = pattern(70_000, 24);
    let file = tempfile::NamedTempFile::new().expect("temp file");
    std::fs::write(file.path(), &data).expect("write");
    Mock::given(method("POST"))
        .and(path("/v1.0/me/events/e/attachments"))
        .respond_with(
            ResponseTemplate::new(201).set_body_json(serde_json::json!({"id": "a1", "name": "x"})),
        )
        .mount(&server)
        .await;
    let (uploader, _timer) = uploader(&server, transport);

    uploader
        .outlook_attachment(OutlookItem::Event("e".into()))
        .upload(&UploadSource::from_path(file.path()).expect("open"))
        .await
        .expect("attached");

    let requests = requests(&server).await;
    let body: serde_json::Value = requests[0].body_json().expect("JSON body");
    assert_eq!(body["contentBytes"], base64(&data));
    let name = file.path().file_name().unwrap().to_string_lossy();
    assert_eq!(body["name"], name.as_ref(), "the file name by default");
}

pub(crate) async fn a_cancelled_small_upload_sends_nothing(transport: Arc<dyn Transport>) {
    let server = MockServer::start().await;
    let (uploader, _timer) = uploader(&server, transport);
    let cancel = CancellationToken::new();
    cancel.cancel();

    let error = uploader
        .todo_attachment("l", "t")
        .cancel_on(cancel)
        .upload(&UploadSource::from_bytes(vec![1u8; 10]))
        .await
        .expect_err("cancelled");

    assert!(matches!(error, UploadError::Cancelled), "{error:?}");
    assert!(all_requests(&server).await.is_empty());
}
