//! Server restarts: the emulator stopped and started again on the same data directory keeps
//! what it acknowledged, and the uploader sends only what it reports missing.

use crate::checks::{assert_sent_exactly, completed_print_document, missing, summary};
use graph_upload::ranges::RangeSet;
use graph_upload::{EndpointProfile, InstantClock, RetryPolicy, UploadError};
use graph_upload_testkit::e2e_harness::{Emulator, Events, MIB, MakeTransport, QUANTUM, download};
use graph_upload_testkit::e2e_transport::Recorder;
use graph_upload_testkit::emulator::PrintTarget;
use graph_upload_testkit::urls::rebase;
use std::sync::Arc;

/// Some fragments by hand (with gaps), the server stopped and started again on the same
/// data directory (new port), then the uploader on the session with the ranges the new server
/// reports: it sends exactly the missing ranges.
pub(crate) async fn upload_resumed_after_a_server_restart_sends_only_the_missing_ranges(
    make: MakeTransport,
) {
    let mut graph = Emulator::start().await;
    let size = 10 * QUANTUM + 12_345;
    let file = graph.file("resumed.pdf", size, 4);
    let bytes = file.read(0..size);
    let (PrintTarget { job, document, .. }, session) = graph.new_print_upload(size).await;
    for index in [0u64, 1, 4, 7] {
        let span = index * QUANTUM..(index + 1) * QUANTUM;
        let reply = graph
            .put_fragment(
                &session.upload_url,
                span.start,
                &bytes[span.start as usize..span.end as usize],
                size,
            )
            .await;
        assert_eq!(reply.status, 202, "fragment {index}: {}", reply.text());
    }

    graph.restart().await;
    let upload_url = rebase(&session.upload_url, &graph.base);
    let ranges = graph.missing(&upload_url).await;
    let q = QUANTUM;
    assert_eq!(
        ranges,
        [
            format!("{}-{}", 2 * q, 4 * q - 1),
            format!("{}-{}", 5 * q, 7 * q - 1),
            format!("{}-{}", 8 * q, size - 1),
        ],
        "the restarted server lost or invented bytes"
    );
    let expected = missing(&ranges, size);

    let transport = make();
    let recorder = Recorder::new(Arc::clone(&transport));
    let events = Events::default();
    let mut resumed = session.clone();
    resumed.upload_url = upload_url.clone().into();
    resumed.next_expected_ranges = ranges;
    let outcome = graph
        .uploader(recorder.clone())
        .existing_session(
            resumed,
            EndpointProfile::print()
                .with_max_fragment(2 * QUANTUM)
                .with_parallel(4),
        )
        .on_progress(events.callback())
        .upload(&file.source())
        .await
        .expect("the resumed upload succeeds")
        .item;
    let doc = completed_print_document(&outcome);
    assert_eq!(doc.id, document);
    assert_eq!(doc.size, size);
    assert_eq!(events.session_ready(), (upload_url, size, 4 * QUANTUM));
    assert_sent_exactly(&recorder, &expected, 2 * QUANTUM);
    for put in recorder.puts() {
        assert!(!put.authorized, "the token went to the upload URL");
    }
    let bytes = download(&transport, &graph.print_value_url(&job, &document)).await;
    file.assert_same(&bytes, "$value after the restart");
    graph.stop().await;
}

/// The uploader runs while the server stops: fragments answered before the stop stay on disk,
/// the upload then fails with a transport error once its (short) retry budget is spent; after
/// the server starts again on the same data directory, a second uploader call on the same
/// session sends only what the server reports missing.
pub(crate) async fn upload_interrupted_by_server_stop_finishes_after_restart(make: MakeTransport) {
    let mut graph = Emulator::start().await;
    let size = 8 * MIB;
    let fragment = 2 * QUANTUM;
    let file = graph.file("interrupted.pdf", size, 8);
    let (PrintTarget { job, document, .. }, session) = graph.new_print_upload(size).await;

    // First run: 4 fragments in flight; once one is answered, every new request waits at the
    // gate while the server stops, then goes to the stopped server.
    let first = Recorder::new(make());
    first.hold_after_puts(1);
    let first_events = Events::default();
    let upload = graph
        .uploader_builder(first.clone())
        .retry(RetryPolicy::default().with_max_retries(3))
        .clock(Arc::new(InstantClock::default()))
        .build()
        .expect("uploader")
        .existing_session(
            session.clone(),
            EndpointProfile::print()
                .with_max_fragment(fragment)
                .with_parallel(4),
        )
        .on_progress(first_events.callback());
    let source = file.source();
    let running = tokio::spawn(async move { upload.upload(&source).await });
    first.wait_until_holding().await;
    graph.stop_server().await;
    first.release();
    let result = running.await.expect("the upload task");
    assert!(
        matches!(result, Err(UploadError::Connection { .. })),
        "expected a transport error once the server is gone, got {result:?}"
    );
    let acknowledged_by_client = first_events.acknowledged();
    assert!(
        acknowledged_by_client >= fragment,
        "{:?}",
        first_events.all()
    );
    assert!(acknowledged_by_client < size);

    // The server comes back on the same data directory, on another port.
    graph.restart().await;
    let upload_url = rebase(&session.upload_url, &graph.base);
    let ranges = graph.missing(&upload_url).await;
    let expected = missing(&ranges, size);
    let received = expected.missing(size);
    // What the server acknowledged, it kept; what it kept, it acknowledged (or was sending
    // the answer when the uploader gave up).
    let mut answered = RangeSet::new();
    let mut unanswered = RangeSet::new();
    for put in first.puts() {
        let span = put.span.clone().expect("a span");
        match put.outcome {
            Some(Ok(202)) => answered.insert(span),
            None => unanswered.insert(span),
            _ => {}
        }
    }
    assert!(
        answered.difference(&received).is_empty()
            && received
                .difference(&answered)
                .difference(&unanswered)
                .is_empty(),
        "the server kept {received:?}, it acknowledged {answered:?}; PUTs: {:#?}",
        summary(&first.puts())
    );
    assert!(received.total_len() >= acknowledged_by_client);

    // Second run, on the same session: only the missing bytes.
    let transport = make();
    let second = Recorder::new(Arc::clone(&transport));
    let events = Events::default();
    let mut resumed = session.clone();
    resumed.upload_url = upload_url.clone().into();
    resumed.next_expected_ranges = ranges;
    let outcome = graph
        .uploader(second.clone())
        .existing_session(
            resumed,
            EndpointProfile::print()
                .with_max_fragment(fragment)
                .with_parallel(4),
        )
        .on_progress(events.callback())
        .upload(&file.source())
        .await
        .expect("the upload finishes after the restart")
        .item;
    let doc = completed_print_document(&outcome);
    assert_eq!((doc.id.as_str(), doc.size), (document.as_str(), size));
    assert_eq!(
        events.session_ready(),
        (upload_url, size, received.total_len())
    );
    assert_sent_exactly(&second, &expected, fragment);
    let bytes = download(&transport, &graph.print_value_url(&job, &document)).await;
    file.assert_same(&bytes, "$value after the stop and restart");
    graph.stop().await;
}
