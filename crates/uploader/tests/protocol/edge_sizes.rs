//! Edge sizes: empty, one byte, a whole number of quanta plus one.

use crate::helpers::{
    Q, assert_no_put_has_authorization, mount_print_session, mount_todo_session, print_by_quantum,
    session_of, strings, typed_document, uploader,
};
use graph_upload::transport::Transport;
use graph_upload::{UploadOutcome, UploadSource};
use graph_upload_testkit::uploader_mocks::{
    FakeSession, SessionSpec, TOKEN, assert_bodies_match, assert_no_byte_twice, content_ranges,
    count, cr, pattern, puts, requests, transcript,
};
use std::io::Write as _;
use std::sync::Arc;
use wiremock::MockServer;

pub(crate) async fn empty_print_file_is_one_put_of_bytes_star_slash_zero(
    transport: Arc<dyn Transport>,
) {
    let server = MockServer::start().await;
    let fake = FakeSession::new(SessionSpec::print(0));
    fake.mount(&server).await;
    mount_print_session(
        &server,
        "share-1",
        &format!("{}/upload/1?tempauthtoken=x", server.uri()),
        &strings(&["0-"]),
    )
    .await;
    let (uploader, _timer) = uploader(&server, transport);

    let result = uploader
        .print_to_share("share-1")
        .job("job-1", "doc-1")
        .start_job(false)
        .upload(&UploadSource::from_bytes(Vec::new()))
        .await
        .expect("the empty print upload succeeds")
        .item;

    assert_eq!(result.document, typed_document(0));
    let requests = requests(&server).await;
    let puts = puts(&requests);
    assert_eq!(content_ranges(&puts), vec!["bytes */0".to_string()]);
    assert!(puts[0].body.is_empty());
    assert_eq!(puts[0].content_length.as_deref(), Some("0"));
    assert_eq!(puts[0].query.as_deref(), Some("tempauthtoken=x"));
    assert_no_put_has_authorization(&puts);
    assert_eq!(
        count(&requests, "GET", None),
        0,
        "{:?}",
        transcript(&requests)
    );
    assert!(fake.completed());
}

pub(crate) async fn empty_todo_file_is_one_put_of_bytes_star_slash_zero_to_content(
    transport: Arc<dyn Transport>,
) {
    let server = MockServer::start().await;
    let location = format!(
        "{}/v1.0/me/todo/lists/list-1/tasks/task-1/attachments/att-0",
        server.uri()
    );
    let fake = FakeSession::new(SessionSpec::todo(0, &location));
    fake.mount(&server).await;
    mount_todo_session(&server, "me").await;
    let (uploader, _timer) = uploader(&server, transport);

    let result = uploader
        .todo_attachment("list-1", "task-1")
        .force_session(true)
        .name("empty.txt")
        .upload(&UploadSource::from_bytes(Vec::new()))
        .await
        .expect("the empty To Do upload succeeds")
        .item;

    assert_eq!(result.location, location);
    let requests = requests(&server).await;
    let puts = puts(&requests);
    assert_eq!(content_ranges(&puts), vec!["bytes */0".to_string()]);
    assert!(puts[0].body.is_empty());
    assert_eq!(puts[0].content_length.as_deref(), Some("0"));
    assert_eq!(puts[0].path, "/attachmentSessions/abc/content");
    assert_eq!(
        puts[0].authorization.as_deref(),
        Some(format!("Bearer {TOKEN}").as_str())
    );
}

pub(crate) async fn one_byte_file_is_one_put_of_bytes_0_0(transport: Arc<dyn Transport>) {
    let server = MockServer::start().await;
    let fake = FakeSession::new(SessionSpec::print(1));
    fake.mount(&server).await;
    mount_print_session(
        &server,
        "share-1",
        &format!("{}/upload/1", server.uri()),
        &strings(&["0-0"]),
    )
    .await;
    let (uploader, _timer) = uploader(&server, transport);

    let result = uploader
        .print_to_share("share-1")
        .job("job-1", "doc-1")
        .start_job(false)
        .upload(&UploadSource::from_bytes(vec![0xA5u8]))
        .await
        .expect("the 1-byte upload succeeds")
        .item;

    assert_eq!(result.document, typed_document(1));
    let requests = requests(&server).await;
    let puts = puts(&requests);
    assert_eq!(content_ranges(&puts), vec!["bytes 0-0/1".to_string()]);
    assert_eq!(puts[0].body, vec![0xA5u8]);
    assert_eq!(puts[0].content_length.as_deref(), Some("1"));
}

pub(crate) async fn k_quanta_plus_one_from_disk_ends_with_a_one_byte_fragment(
    transport: Arc<dyn Transport>,
) {
    let server = MockServer::start().await;
    let data = pattern(3 * Q as usize + 1, 8);
    let size = data.len() as u64;
    let mut file = tempfile::NamedTempFile::new().expect("temp file");
    file.write_all(&data).expect("write the file");
    file.flush().expect("flush");
    let source = UploadSource::from_path(file.path()).expect("open the file");
    assert_eq!(source.len(), size);
    let fake = FakeSession::new(SessionSpec::print(size));
    fake.mount(&server).await;
    let (uploader, _timer) = uploader(&server, transport);

    let outcome = uploader
        .existing_session(session_of(&server, &fake), print_by_quantum())
        .upload(&source)
        .await
        .expect("the upload from disk succeeds")
        .item;

    assert!(
        matches!(&outcome, UploadOutcome::PrintDocument(document) if document.id == "doc-1"),
        "{outcome:?}"
    );
    let requests = requests(&server).await;
    let puts = puts(&requests);
    assert_eq!(
        content_ranges(&puts),
        vec![
            cr(0..Q, size),
            cr(Q..2 * Q, size),
            cr(2 * Q..3 * Q, size),
            cr(3 * Q..size, size),
        ]
    );
    assert_eq!(puts[3].body.len(), 1, "the last fragment is the last byte");
    assert_bodies_match(&puts, &data);
    assert_no_byte_twice(&puts);
}
