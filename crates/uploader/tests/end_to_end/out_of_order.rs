//! Parallel answers out of order: a stale `202`, and a `404` while the completing `PUT` is in
//! flight.

use crate::checks::{assert_job_started, assert_sent_exactly, summary};
use graph_upload::ranges::RangeSet;
use graph_upload::{EndpointProfile, PrintedDocument, UploadError, Uploaded};
use graph_upload_server::fixtures::SHARE_ID;
use graph_upload_testkit::e2e_harness::{Emulator, MakeTransport, QUANTUM, TestFile, download};
use graph_upload_testkit::e2e_transport::{
    Recorder, ReplayFirstAfterCompletion, SwapFirstTwoAnswers,
};
use std::sync::Arc;

/// Uploads `file` to the share through `recorder`, one quantum per fragment, two fragments in
/// flight: the shape the reordering transports below are built for.
pub(crate) async fn print_in_quanta_two_at_a_time(
    graph: &Emulator,
    recorder: &Arc<Recorder>,
    file: &TestFile,
) -> Result<Uploaded<PrintedDocument>, UploadError> {
    graph
        .uploader(recorder.clone())
        .print_to_share(SHARE_ID)
        .profile(
            EndpointProfile::print()
                .with_max_fragment(QUANTUM)
                .with_parallel(2),
        )
        .upload(&file.source())
        .await
}

/// Two parallel fragments are answered by the server in one order and reach the uploader in the
/// other (two connections can always do this): the older `202` lists the newer fragment as
/// missing. The uploader must not take that stale list as the truth and send an acknowledged
/// fragment again (a `416` and a status round trip, and up to 10 MiB sent twice; near the end, a
/// `404` because the session completed meanwhile). Two fragments in flight, so that the transport
/// layer can order the answers deterministically.
pub(crate) async fn parallel_answers_out_of_order_do_not_resend_acknowledged_bytes(
    make: MakeTransport,
) {
    let graph = Emulator::start().await;
    let file = graph.file("swapped.pdf", 8 * QUANTUM, 9);
    let transport = make();
    let swap = SwapFirstTwoAnswers::new(Arc::clone(&transport));
    let recorder = Recorder::new(swap.clone());
    let uploaded = print_in_quanta_two_at_a_time(&graph, &recorder, &file)
        .await
        .expect("the upload succeeds");
    // The stale answer did not make the uploader send an acknowledged fragment again.
    assert_eq!(
        (uploaded.bytes_sent, uploaded.bytes_resent),
        (file.len, 0),
        "{uploaded:?}"
    );
    let result = uploaded.item;
    assert!(
        swap.swapped(),
        "the answers to the first two PUTs did not reach the uploader swapped: {:#?}",
        summary(&recorder.puts())
    );
    let bytes = download(
        &transport,
        &graph.print_value_url(&result.job_id, &result.document.id),
    )
    .await;
    file.assert_same(&bytes, "$value");
    assert_sent_exactly(&recorder, &RangeSet::from(0..file.len), QUANTUM);
    graph.stop().await;
}

/// A `404` for one fragment while the `201` of the `PUT` that completed the upload is still on its
/// way (the session is gone because it is complete): the uploader must wait for the requests
/// in flight and report the completed upload, not `SessionGone`.
pub(crate) async fn a_404_while_the_completing_put_is_in_flight_does_not_fail_the_upload(
    make: MakeTransport,
) {
    let graph = Emulator::start().await;
    let file = graph.file("completed.pdf", 3 * QUANTUM, 10);
    let transport = make();
    let replay = ReplayFirstAfterCompletion::new(Arc::clone(&transport));
    let recorder = Recorder::new(replay.clone());
    let result = print_in_quanta_two_at_a_time(&graph, &recorder, &file).await;
    let puts = recorder.puts();
    assert!(
        replay.read_404_first(),
        "the uploader did not read the 404 before the 201: {:#?}",
        summary(&puts)
    );
    let result = result
        .unwrap_or_else(|error| {
            panic!(
                "the upload was completed, yet: {error:?}; PUTs: {:#?}",
                summary(&puts)
            )
        })
        .item;
    // The scenario happened: one fragment was answered 404, and the last one 201.
    let statuses: Vec<u16> = puts.iter().filter_map(|put| put.status()).collect();
    assert_eq!(
        (
            statuses.iter().filter(|s| **s == 404).count(),
            statuses.iter().filter(|s| **s == 201).count()
        ),
        (1, 1),
        "{:#?}",
        summary(&puts)
    );
    assert_eq!(result.document.size, file.len);
    assert_job_started(&graph, &result.job_id, &result.document.id, file.len).await;
    let bytes = download(
        &transport,
        &graph.print_value_url(&result.job_id, &result.document.id),
    )
    .await;
    file.assert_same(&bytes, "$value");
    graph.stop().await;
}
