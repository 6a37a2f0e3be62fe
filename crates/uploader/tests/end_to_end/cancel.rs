//! Cancellation from the progress callback: `Cancelled`, the session deleted, its bytes gone
//! from the disk.

use crate::checks::summary;
use graph_upload::transport::Method;
use graph_upload::{CancellationToken, EndpointProfile, ProgressEvent, UploadError};
use graph_upload_server::fixtures::{LIST_ID, SHARE_ID, TASK_ID};
use graph_upload_testkit::e2e_harness::{Emulator, Events, MIB, MakeTransport, QUANTUM};
use graph_upload_testkit::e2e_transport::Recorder;

/// Cancels an upload from its progress callback after the first acknowledged fragment; the
/// result is `Cancelled`, the session answers `404` and its bytes are gone from `blobs/`
/// (only the completed document of an earlier upload remains).
pub(crate) async fn cancel_and_check(make: MakeTransport, todo: bool, parallel: usize) {
    let graph = Emulator::start().await;
    // An earlier, completed upload: its blob must stay.
    let done = graph.file("done.pdf", MIB, 1);
    graph
        .uploader(make())
        .print_to_share(SHARE_ID)
        .upload(&done.source())
        .await
        .expect("the first upload");
    let blobs_before = graph.blob_names();
    assert_eq!(blobs_before.len(), 1);
    let attachments_before = graph.todo_attachments().await.len();

    let file = graph.file("cancelled.bin", if todo { 20 * MIB } else { 30 * MIB }, 3);
    let cancel = CancellationToken::new();
    let trigger = cancel.clone();
    let events = Events::default();
    let callback = events.callback_and(move |event| {
        if matches!(event, ProgressEvent::FragmentAcknowledged { .. }) {
            trigger.cancel();
        }
    });
    let recorder = Recorder::new(make());
    let uploader = graph.uploader(recorder.clone());
    let result = if todo {
        uploader
            .todo_attachment(LIST_ID, TASK_ID)
            .name("cancelled.bin")
            .profile(EndpointProfile::todo().with_max_fragment(QUANTUM))
            .on_progress(callback)
            .cancel_on(cancel)
            .upload(&file.source())
            .await
            .map(|uploaded| format!("attachment {}", uploaded.item.location))
    } else {
        uploader
            .print_to_share(SHARE_ID)
            .document_name("cancelled.pdf")
            .profile(
                EndpointProfile::print()
                    .with_max_fragment(QUANTUM)
                    .with_parallel(parallel),
            )
            .on_progress(callback)
            .cancel_on(cancel)
            .upload(&file.source())
            .await
            .map(|result| format!("document {result:?}"))
    };
    assert!(
        matches!(result, Err(UploadError::Cancelled)),
        "expected Cancelled, got {result:?}"
    );
    let (upload_url, _, _) = events.session_ready();
    // No fragment was started after the cancellation: the `parallel` in flight when the first
    // answer came, and the one that replaced it before the uploader saw the cancellation.
    let puts = recorder.puts();
    assert!(
        !puts.is_empty() && puts.len() <= parallel + 1,
        "{:#?}",
        summary(&puts)
    );
    // The uploader deleted the session: DELETE {uploadUrl} (never `/content`), 204.
    let deletes: Vec<_> = recorder
        .log()
        .into_iter()
        .filter(|sent| sent.method == Method::DELETE)
        .collect();
    assert_eq!(deletes.len(), 1, "{deletes:#?}");
    assert_eq!(deletes[0].url, upload_url);
    assert_eq!(deletes[0].outcome, Some(Ok(204)), "{deletes:#?}");
    assert_eq!(deletes[0].authorized, todo, "{deletes:#?}");
    // Gone for the server, and from the disk.
    let status = graph.get_status(&upload_url).await;
    assert_eq!(status.status, 404, "{}", status.text());
    assert_eq!(graph.blob_names(), blobs_before);
    assert_eq!(graph.todo_attachments().await.len(), attachments_before);
    graph.stop().await;
}

pub(crate) async fn cancellation_deletes_the_session(make: MakeTransport) {
    cancel_and_check(make, false, 1).await;
}

pub(crate) async fn cancellation_with_fragments_in_flight_deletes_the_session(make: MakeTransport) {
    cancel_and_check(make, false, 4).await;
}

pub(crate) async fn todo_cancellation_deletes_the_session(make: MakeTransport) {
    cancel_and_check(make, true, 1).await;
}
