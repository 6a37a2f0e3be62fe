//! File sizes: large files in parallel or in order, and the edge sizes (0, 1, 3 quanta + 1).

use crate::checks::{assert_sent_exactly, fragments, summary};
use crate::flows::{print_and_check, todo_and_check};
use graph_upload::EndpointProfile;
use graph_upload::ranges::RangeSet;
use graph_upload_testkit::e2e_harness::{Emulator, MIB, MakeTransport, QUANTUM};

/// 50 MiB in 14 fragments, 4 at a time: each byte sent once.
pub(crate) async fn print_50_mib_in_parallel_arrives_byte_for_byte(make: MakeTransport) {
    let graph = Emulator::start().await;
    let file = graph.file("report.pdf", 50 * MIB, 50);
    let fragment = 4 * MIB;
    let (recorder, _events) = print_and_check(
        &graph,
        make,
        &file,
        EndpointProfile::print()
            .with_max_fragment(fragment)
            .with_parallel(4),
    )
    .await;
    // 4 MiB rounds down to 12 quanta: 14 fragments, 4 at a time.
    assert!(12 * QUANTUM <= fragment);
    let expected = fragments(file.len, 12 * QUANTUM);
    assert_eq!(expected.len(), 14);
    assert_sent_exactly(&recorder, &RangeSet::from(0..file.len), fragment);
    assert_eq!(recorder.put_spans(), expected);
    assert_eq!(recorder.most_puts_in_flight(), 4);
    // One blob: the document's.
    assert_eq!(graph.blob_names().len(), 1);
    graph.stop().await;
}

pub(crate) async fn todo_20_mib_arrives_byte_for_byte(make: MakeTransport) {
    let graph = Emulator::start().await;
    let file = graph.file("flower.bin", 20 * MIB, 20);
    let (recorder, _events) = todo_and_check(&graph, make, &file, EndpointProfile::todo()).await;
    // In order, one at a time: each byte once, in 12-quantum fragments.
    assert_sent_exactly(&recorder, &RangeSet::from(0..file.len), 4 * MIB);
    assert_eq!(
        recorder.puts().len() as u64,
        file.len.div_ceil(12 * QUANTUM)
    );
    assert_eq!(graph.blob_names().len(), 1);
    graph.stop().await;
}

/// A file of `size` bytes through print (fragments of one quantum, 4 in parallel) and To Do
/// (fragments of one quantum, in order): each byte exactly once, the last fragment down to 1 byte,
/// a 0-byte file as one empty PUT.
pub(crate) async fn edge_size(make: MakeTransport, size: u64) {
    let graph = Emulator::start().await;
    let file = graph.file("edge.bin", size, size);
    let (print, _) = print_and_check(
        &graph,
        make,
        &file,
        EndpointProfile::print()
            .with_max_fragment(QUANTUM)
            .with_parallel(4),
    )
    .await;
    let (todo, _) = todo_and_check(
        &graph,
        make,
        &file,
        EndpointProfile::todo().with_max_fragment(QUANTUM),
    )
    .await;
    for recorder in [print, todo] {
        if size == 0 {
            let puts = recorder.puts();
            assert_eq!(puts.len(), 1, "{:#?}", summary(&puts));
            assert_eq!(puts[0].content_range.as_deref(), Some("bytes */0"));
            assert_eq!(puts[0].body_len, 0);
            assert_eq!(puts[0].status(), Some(201));
        } else {
            assert_sent_exactly(&recorder, &RangeSet::from(0..size), QUANTUM);
            assert_eq!(recorder.put_spans(), fragments(size, QUANTUM));
        }
    }
    // One document and one attachment.
    assert_eq!(graph.blob_names().len(), 2);
    graph.stop().await;
}

pub(crate) async fn empty_file_arrives_through_print_and_todo(make: MakeTransport) {
    edge_size(make, 0).await;
}

pub(crate) async fn one_byte_file_arrives_through_print_and_todo(make: MakeTransport) {
    edge_size(make, 1).await;
}

pub(crate) async fn three_quanta_and_one_byte_arrive_through_print_and_todo(make: MakeTransport) {
    edge_size(make, 3 * QUANTUM + 1).await;
}
