//! The To Do flow: PUTs to `{uploadUrl}/content` with the token, the `Location`, the limit.

use crate::helpers::{Q, mount_todo_session, progress_log, session_json, strings, uploader};
use graph_upload::transport::Transport;
use graph_upload::{InvalidInput, ProgressEvent, UploadError, UploadSource};
use graph_upload_testkit::uploader_mocks::{
    FakeSession, SessionSpec, TOKEN, all_requests, assert_bodies_match, assert_no_byte_twice,
    content_ranges, count, cr, pattern, puts, requests,
};
use std::sync::Arc;
use wiremock::matchers::{body_partial_json, header, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

pub(crate) async fn todo_flow_puts_to_content_with_the_token_and_returns_the_location(
    transport: Arc<dyn Transport>,
) {
    // The adaptive default starts at 8 quanta and grows to 12, To Do's largest fragment under
    // 4 MiB; one more byte is a 1-byte last fragment.
    let server = MockServer::start().await;
    let data = pattern(32 * Q as usize + 1, 6);
    let size = data.len() as u64;
    let location = format!(
        "{}/v1.0/me/todo/lists/list-1/tasks/task-1/attachments/att-1",
        server.uri()
    );
    let fake = FakeSession::new(SessionSpec::todo(size, &location));
    fake.mount(&server).await;
    Mock::given(method("POST"))
        .and(path(
            "/v1.0/me/todo/lists/list-1/tasks/task-1/attachments/createUploadSession",
        ))
        .and(header("authorization", format!("Bearer {TOKEN}").as_str()))
        .and(body_partial_json(serde_json::json!({"attachmentInfo": {
            "attachmentType": "file", "name": "photo.jpg", "size": size,
            "contentType": "image/jpeg"
        }})))
        .respond_with(ResponseTemplate::new(200).set_body_json(session_json(
            &format!("{}/attachmentSessions/abc", server.uri()),
            &strings(&["0-"]),
        )))
        .expect(1)
        .mount(&server)
        .await;
    let (uploader, timer) = uploader(&server, transport);
    let (callback, events) = progress_log();

    let result = uploader
        .todo_attachment("list-1", "task-1")
        .name("photo.jpg")
        .content_type("image/jpeg")
        .on_progress(callback)
        .upload(&UploadSource::from_bytes(data.clone()))
        .await
        .expect("the To Do upload succeeds")
        .item;

    assert_eq!(result.location, location);
    let requests = requests(&server).await;
    let puts = puts(&requests);
    assert_eq!(
        content_ranges(&puts),
        vec![
            cr(0..8 * Q, size),
            cr(8 * Q..20 * Q, size),
            cr(20 * Q..32 * Q, size),
            cr(32 * Q..size, size)
        ],
        "in order, 8 quanta, then 12 (never more), then 1 byte"
    );
    for put in &puts {
        assert_eq!(put.path, "/attachmentSessions/abc/content");
        assert_eq!(
            put.authorization.as_deref(),
            Some(format!("Bearer {TOKEN}").as_str())
        );
        assert_eq!(
            put.content_type.as_deref(),
            Some("application/octet-stream")
        );
    }
    assert_bodies_match(&puts, &data);
    assert_no_byte_twice(&puts);
    assert_eq!(count(&requests, "GET", None), 0);
    assert!(timer.sleeps().is_empty());
    let events = events.lock().unwrap().clone();
    assert!(
        matches!(
            events.first(),
            Some(ProgressEvent::SessionReady { total, acknowledged: 0, .. }) if *total == size
        ),
        "{events:?}"
    );
    assert!(
        events.contains(&ProgressEvent::FragmentAcknowledged {
            span: 8 * Q..20 * Q,
            acknowledged: 20 * Q,
            total: size
        }),
        "{events:?}"
    );
    assert!(
        events.contains(&ProgressEvent::Adapted {
            fragment_size: 12 * Q,
            parallel: 1
        }),
        "the fragment size grew after the first fragment: {events:?}"
    );
    assert_eq!(
        events.last(),
        Some(&ProgressEvent::Completed { total: size }),
        "{events:?}"
    );
}

pub(crate) async fn todo_flow_for_another_user_uses_the_users_path(transport: Arc<dyn Transport>) {
    let server = MockServer::start().await;
    let data = pattern(1000, 7);
    let location = format!(
        "{}/v1.0/users/user-5/todo/lists/list-1/tasks/task-1/attachments/att-2",
        server.uri()
    );
    let fake = FakeSession::new(SessionSpec::todo(1000, &location));
    fake.mount(&server).await;
    mount_todo_session(&server, "users/user-5").await;
    let (uploader, _timer) = uploader(&server, transport);

    let result = uploader
        .todo_attachment_for_user("user-5", "list-1", "task-1")
        .force_session(true)
        .upload(&UploadSource::from_bytes(data.clone()))
        .await
        .expect("the To Do upload succeeds")
        .item;

    assert_eq!(result.location, location);
    let requests = requests(&server).await;
    let create: serde_json::Value = requests[0].body_json().expect("JSON body");
    assert_eq!(create["attachmentInfo"]["attachmentType"], "file");
    assert_eq!(create["attachmentInfo"]["size"], 1000);
    let puts = puts(&requests);
    assert_eq!(content_ranges(&puts), vec![cr(0..1000, 1000)]);
    assert_eq!(puts[0].path, "/attachmentSessions/abc/content");
    assert_bodies_match(&puts, &data);
}

pub(crate) async fn todo_over_25_mib_is_too_large_before_anything_is_sent(
    transport: Arc<dyn Transport>,
) {
    let server = MockServer::start().await;
    // A sparse file one byte over To Do's 25 MiB limit.
    let file = tempfile::NamedTempFile::new().expect("temp file");
    file.as_file()
        .set_len(25 * 1024 * 1024 + 1)
        .expect("size the file");
    let source = UploadSource::from_path(file.path()).expect("open the file");
    let (uploader, _timer) = uploader(&server, transport);

    let error = uploader
        .todo_attachment("list-1", "task-1")
        .upload(&source)
        .await
        .expect_err("over the limit");

    assert!(
        matches!(
            error,
            UploadError::Invalid(InvalidInput::Limit(
                graph_upload::LimitError::FileOverLimit { .. }
            ))
        ),
        "{error:?}"
    );
    assert!(
        all_requests(&server).await.is_empty(),
        "nothing may be sent"
    );
}
