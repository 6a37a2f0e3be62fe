//! A whole print or To Do upload through the uploader, checked end to end: the result, the
//! job or attachment, `$value`, the token's whereabouts, the session gone.

use crate::checks::assert_job_started;
use graph_upload::EndpointProfile;
use graph_upload_server::fixtures::{LIST_ID, SHARE_ID, TASK_ID};
use graph_upload_testkit::e2e_harness::{Emulator, Events, MakeTransport, TestFile, download};
use graph_upload_testkit::e2e_transport::Recorder;
use std::sync::Arc;

/// Uploads `file` to the fixture share with `profile`; checks the result, the job and `$value`.
pub(crate) async fn print_and_check(
    graph: &Emulator,
    make: MakeTransport,
    file: &TestFile,
    profile: EndpointProfile,
) -> (Arc<Recorder>, Events) {
    let transport = make();
    let recorder = Recorder::new(Arc::clone(&transport));
    let events = Events::default();
    let result = graph
        .uploader(recorder.clone())
        .print_to_share(SHARE_ID)
        .document_name("report.pdf")
        .content_type("application/pdf")
        .profile(profile)
        .on_progress(events.callback())
        .upload(&file.source())
        .await
        .expect("the print upload succeeds")
        .item;
    assert_eq!(result.document.size, file.len, "{result:?}");
    assert_eq!(
        result.document.document_name.as_deref(),
        Some("report.pdf"),
        "{result:?}"
    );
    assert_eq!(
        result.document.content_type.as_deref(),
        Some("application/pdf"),
        "{result:?}"
    );
    assert!(result.started, "{result:?}");
    assert_job_started(graph, &result.job_id, &result.document.id, file.len).await;
    let bytes = download(
        &transport,
        &graph.print_value_url(&result.job_id, &result.document.id),
    )
    .await;
    file.assert_same(&bytes, "print $value");
    // The URL is pre-authenticated: the token never goes to it.
    for sent in recorder.log() {
        if sent.url.contains("/uploadSessions/") {
            assert!(!sent.authorized, "the token was sent to {}", sent.url);
        }
    }
    // The session is gone once complete.
    let (upload_url, total, acknowledged) = events.session_ready();
    assert_eq!((total, acknowledged), (file.len, 0));
    assert_eq!(graph.get_status(&upload_url).await.status, 404);
    assert_eq!(events.completed(), vec![file.len]);
    (recorder, events)
}

/// Uploads `file` as an attachment of the fixture task with `profile`; checks the `Location`,
/// the task's attachments and `$value`.
pub(crate) async fn todo_and_check(
    graph: &Emulator,
    make: MakeTransport,
    file: &TestFile,
    profile: EndpointProfile,
) -> (Arc<Recorder>, Events) {
    let transport = make();
    let recorder = Recorder::new(Arc::clone(&transport));
    let events = Events::default();
    let attachment = graph
        .uploader(recorder.clone())
        .todo_attachment(LIST_ID, TASK_ID)
        .force_session(true)
        .name("flower.bin")
        .content_type("application/octet-stream")
        .profile(profile)
        .on_progress(events.callback())
        .upload(&file.source())
        .await
        .expect("the To Do upload succeeds")
        .item;
    let id = attachment.id;
    let location = attachment.location;
    let path = format!("/todo/lists/{LIST_ID}/tasks/{TASK_ID}/attachments/");
    assert!(
        location.starts_with(&graph.base) && location.contains(&path),
        "Location {location} is not an attachment of the fixture task"
    );
    assert_eq!(
        location.rsplit('/').next(),
        Some(id.as_str()),
        "the id is the last segment of {location}"
    );
    let attachments = graph.todo_attachments().await;
    let attachment = attachments
        .iter()
        .find(|a| a["id"] == id)
        .unwrap_or_else(|| panic!("{id} is not among {attachments:#?}"));
    assert_eq!(attachment["name"], "flower.bin", "{attachment:#}");
    assert_eq!(attachment["size"], file.len, "{attachment:#}");
    let bytes = download(&transport, &format!("{location}/$value")).await;
    file.assert_same(&bytes, "To Do $value");
    // Every PUT goes to `{uploadUrl}/content` with the token, in order.
    let (upload_url, total, acknowledged) = events.session_ready();
    assert_eq!((total, acknowledged), (file.len, 0));
    let puts = recorder.puts();
    for put in &puts {
        assert_eq!(put.url, format!("{upload_url}/content"));
        assert!(put.authorized, "a To Do PUT without the token");
    }
    let starts: Vec<Option<u64>> = puts
        .iter()
        .map(|put| put.span.as_ref().map(|s| s.start))
        .collect();
    let mut sorted = starts.clone();
    sorted.sort();
    assert_eq!(starts, sorted, "To Do fragments out of order");
    assert_eq!(graph.get_status(&upload_url).await.status, 404);
    assert_eq!(events.completed(), vec![file.len]);
    (recorder, events)
}
