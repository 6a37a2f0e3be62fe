//! The adaptive default (`graph_upload::adaptive`) against the real emulator on a shaped link
//! (`ServerConfig::latency` and `bandwidth`, as `serve --latency --bandwidth`): fragments grow
//! from 2.5 MiB within the endpoint's limit, print's parallelism grows from 2 to 4 where every
//! connection is capped, and a `503` halves both.

use crate::checks::summary;
use crate::flows::{print_and_check, todo_and_check};
use graph_upload::ProgressEvent;
use graph_upload::adaptive::{START_FRAGMENT_QUANTA, START_PARALLEL};
use graph_upload::{EndpointProfile, models};
use graph_upload_server::FaultRule;
use graph_upload_testkit::e2e_harness::{Emulator, MIB, MakeTransport, QUANTUM};
use std::time::Duration;

/// `(fragment_size, parallel)` of every `Adapted` event, in order.
fn adapted(events: &[ProgressEvent]) -> Vec<(u64, usize)> {
    events
        .iter()
        .filter_map(|event| match event {
            ProgressEvent::Adapted {
                fragment_size,
                parallel,
            } => Some((*fragment_size, *parallel)),
            _ => None,
        })
        .collect()
}

/// A link of 10 ms round trips, each connection capped at 8 MiB/s: more connections carry
/// more, and a fragment of 2.5 MiB leaves room to grow.
async fn shaped() -> Emulator {
    Emulator::start_with(|config| {
        config.latency = Duration::from_millis(10);
        config.bandwidth = Some(8 * MIB);
    })
    .await
}

pub(crate) async fn print_grows_its_fragments_and_parallelism_on_a_capped_link(
    make: MakeTransport,
) {
    let graph = shaped().await;
    let file = graph.file("report.pdf", 40 * MIB, 40);
    let (recorder, events) = print_and_check(&graph, make, &file, EndpointProfile::print()).await;
    let spans = recorder.put_spans();
    let first = spans.iter().map(|s| s.end - s.start).next();
    assert_eq!(
        first,
        Some(START_FRAGMENT_QUANTA * QUANTUM),
        "{:#?}",
        summary(&recorder.log())
    );
    let largest = spans.iter().map(|s| s.end - s.start).max();
    assert_eq!(
        largest,
        Some(models::PRINT_MAX_FRAGMENT_SIZE),
        "grew to print's limit"
    );
    let steps = adapted(&events.all());
    assert!(
        steps.iter().any(|(_, parallel)| *parallel == 4),
        "every connection is capped, so 4 carry more than {START_PARALLEL}: {steps:?}"
    );
    assert!(
        steps.iter().all(|(_, parallel)| *parallel <= 4),
        "{steps:?}"
    );
    assert!(recorder.most_puts_in_flight() <= 4);
    graph.stop().await;
}

pub(crate) async fn todo_grows_its_fragments_to_its_limit_and_no_further(make: MakeTransport) {
    let graph = shaped().await;
    let file = graph.file("flower.bin", 20 * MIB, 21);
    let (recorder, events) = todo_and_check(&graph, make, &file, EndpointProfile::todo()).await;
    let sizes: Vec<u64> = recorder
        .put_spans()
        .iter()
        .map(|s| s.end - s.start)
        .collect();
    assert_eq!(sizes[0], START_FRAGMENT_QUANTA * QUANTUM, "{sizes:?}");
    assert_eq!(
        sizes[1],
        12 * QUANTUM,
        "To Do's largest under 4 MiB: {sizes:?}"
    );
    assert!(
        sizes
            .iter()
            .all(|size| *size <= models::TODO_MAX_FRAGMENT_SIZE)
    );
    assert_eq!(recorder.most_puts_in_flight(), 1, "in order, one at a time");
    assert!(
        adapted(&events.all())
            .iter()
            .all(|(_, parallel)| *parallel == 1)
    );
    graph.stop().await;
}

pub(crate) async fn a_503_halves_the_fragment_and_the_parallelism(make: MakeTransport) {
    // Every 6th fragment PUT answers 503 (retry at once): then the next fragments are half as
    // large and half as many in flight, until acknowledgements let them grow again.
    let rules =
        FaultRule::parse_list(br#"[{"route": "put", "every": 6, "status": 503, "retryAfter": 0}]"#)
            .expect("valid rules");
    let graph = Emulator::start_with(|config| config.faults = rules).await;
    let file = graph.file("report.pdf", 40 * MIB, 41);
    let (_recorder, events) = print_and_check(&graph, make, &file, EndpointProfile::print()).await;
    let events = events.all();
    let retried = events
        .iter()
        .position(|event| matches!(event, ProgressEvent::Retrying { .. }))
        .expect("a 503 was retried");
    // The uploader backs off as it reads the 503, before it waits to retry.
    let steps = adapted(&events[..retried]);
    let [.., (fragment, parallel), halved] = steps[..] else {
        panic!("adapted before and at the 503: {events:?}");
    };
    assert_eq!(
        halved,
        (
            (fragment / 2 / QUANTUM).max(1) * QUANTUM,
            (parallel / 2).max(1)
        ),
        "{events:?}"
    );
    assert!(
        matches!(events[retried - 1], ProgressEvent::Adapted { .. }),
        "{events:?}"
    );
    graph.stop().await;
}
