//! Client restarts: a new uploader resumes a session another one left, from `GET {uploadUrl}`.

use crate::checks::{assert_sent_exactly, completed_print_document, missing};
use graph_upload::models::UploadSession;
use graph_upload::ranges::RangeSet;
use graph_upload::{EndpointProfile, UploadOutcome};
use graph_upload_testkit::e2e_harness::{
    Emulator, Events, MIB, MakeTransport, QUANTUM, TestFile, download,
};
use graph_upload_testkit::e2e_transport::Recorder;
use graph_upload_testkit::emulator::PrintTarget;

/// A first uploader sends 5 one-quantum fragments of `session`, one at a time, and "dies" (its
/// task is aborted while its next request waits at the gate, so that nothing is half sent); a
/// new uploader, with a new transport and `resume_parallel` fragments in flight, resumes from
/// `GET {uploadUrl}` and sends only the missing bytes. Returns the outcome.
pub(crate) async fn restart_client(
    graph: &Emulator,
    make: MakeTransport,
    file: &TestFile,
    session: UploadSession,
    profile: EndpointProfile,
    resume_parallel: usize,
) -> UploadOutcome {
    let profile = profile.with_max_fragment(QUANTUM);
    let first = Recorder::new(make());
    first.hold_after_puts(5);
    let upload = graph
        .uploader(first.clone())
        .existing_session(session.clone(), profile.clone().with_parallel(1));
    let source = file.source();
    let running = tokio::spawn(async move { upload.upload(&source).await });
    first.wait_until_holding().await;
    running.abort();
    assert!(running.await.expect_err("aborted").is_cancelled());
    let spans = first.put_spans();
    assert_eq!(
        spans,
        (0..5)
            .map(|i| i * QUANTUM..(i + 1) * QUANTUM)
            .collect::<Vec<_>>()
    );

    let ranges = graph.missing(&session.upload_url).await;
    let expected = missing(&ranges, file.len);
    assert_eq!(expected, RangeSet::from(5 * QUANTUM..file.len));

    let second = Recorder::new(make());
    let events = Events::default();
    let mut resumed = session.clone();
    resumed.next_expected_ranges = ranges;
    let outcome = graph
        .uploader(second.clone())
        .existing_session(resumed, profile.with_parallel(resume_parallel))
        .on_progress(events.callback())
        .upload(&file.source())
        .await
        .expect("the new client finishes the upload")
        .item;
    assert_eq!(
        events.session_ready(),
        (
            session.upload_url.as_str().to_owned(),
            file.len,
            5 * QUANTUM
        )
    );
    assert_sent_exactly(&second, &expected, QUANTUM);
    assert_eq!(graph.get_status(&session.upload_url).await.status, 404);
    outcome
}

pub(crate) async fn resume_after_the_server_forgot_nothing_but_the_client_restarted(
    make: MakeTransport,
) {
    let graph = Emulator::start().await;
    let file = graph.file("resumed.pdf", 6 * MIB, 6);
    let (PrintTarget { job, document, .. }, session) = graph.new_print_upload(file.len).await;
    let outcome = restart_client(&graph, make, &file, session, EndpointProfile::print(), 4).await;
    let doc = completed_print_document(&outcome);
    assert_eq!((doc.id.as_str(), doc.size), (document.as_str(), file.len));
    let bytes = download(&make(), &graph.print_value_url(&job, &document)).await;
    file.assert_same(&bytes, "$value after the client restarted");
    graph.stop().await;
}

pub(crate) async fn todo_resume_after_the_client_restarted(make: MakeTransport) {
    let graph = Emulator::start().await;
    let file = graph.file("resumed.bin", 6 * MIB, 7);
    let session = graph.create_todo_session("resumed.bin", file.len).await;
    let outcome = restart_client(&graph, make, &file, session, EndpointProfile::todo(), 1).await;
    let UploadOutcome::Attachment { location } = outcome else {
        panic!("no attachment Location: {outcome:?}");
    };
    let bytes = download(&make(), &format!("{location}/$value")).await;
    file.assert_same(&bytes, "To Do $value after the client restarted");
    graph.stop().await;
}
