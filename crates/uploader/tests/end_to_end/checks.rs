//! Checks of what the uploader sent (exactly the missing bytes, each once) and of what the
//! server holds.

use graph_upload::UploadOutcome;
use graph_upload::models::PrintDocument;
use graph_upload::ranges::RangeSet;
use graph_upload_testkit::e2e_harness::{Emulator, QUANTUM};
use graph_upload_testkit::e2e_transport::{self as recording, Recorder};
use std::ops::Range;

/// Asserts that the `PUT`s of `recorder` sent exactly the bytes of `expected`, each once: no
/// byte twice, none outside `expected`, every body as long as its `Content-Range`, every
/// answer a success (`200`, `201` or `202`, never `416`; or none read, for a request still in
/// flight when the `201` ended the upload), every fragment at most `max_fragment` and a multiple of
/// the quantum unless it ends a missing range.
pub(crate) fn assert_sent_exactly(recorder: &Recorder, expected: &RangeSet, max_fragment: u64) {
    let puts = recorder.puts();
    let mut sent = RangeSet::new();
    let mut total = 0;
    for put in &puts {
        let span = put
            .span
            .clone()
            .unwrap_or_else(|| panic!("a PUT without a byte range: {put:?}"));
        let len = span.end - span.start;
        assert!(
            matches!(put.status(), Some(200..=202) | None),
            "PUT {:?} was answered {:?}; all PUTs: {:#?}",
            put.content_range,
            put.status(),
            summary(&puts)
        );
        assert_eq!(put.body_len, len, "body length of {:?}", put.content_range);
        assert!(
            len <= max_fragment,
            "{span:?} is over the {max_fragment}-byte fragment"
        );
        assert!(
            len % QUANTUM == 0 || expected.as_slice().iter().any(|r| r.end == span.end),
            "{span:?} is not a multiple of 320 KiB and ends no missing range"
        );
        total += len;
        sent.insert(span);
    }
    assert_eq!(
        total,
        expected.total_len(),
        "{} bytes sent for {} missing: some bytes went twice; PUTs: {:#?}",
        total,
        expected.total_len(),
        summary(&puts)
    );
    assert_eq!(&sent, expected, "the PUTs do not cover the missing bytes");
}

/// `size` bytes cut into fragments of `fragment` bytes from the start.
pub(crate) fn fragments(size: u64, fragment: u64) -> Vec<Range<u64>> {
    (0..size.div_ceil(fragment))
        .map(|i| i * fragment..((i + 1) * fragment).min(size))
        .collect()
}

/// `Content-Range -> status` of each PUT, for failure messages.
pub(crate) fn summary(puts: &[recording::Sent]) -> Vec<String> {
    puts.iter()
        .map(|put| {
            format!(
                "{} -> {:?}",
                put.content_range.as_deref().unwrap_or("(none)"),
                put.outcome
            )
        })
        .collect()
}

/// The missing bytes that `nextExpectedRanges` names for a `size`-byte file.
pub(crate) fn missing(ranges: &[String], size: u64) -> RangeSet {
    RangeSet::from_expected(ranges, size).expect("valid nextExpectedRanges")
}

/// The printDocument that completed a print session uploaded through `existing_session`
/// (`existing_print_session_returns_the_print_document` checks the same for a fresh session).
pub(crate) fn completed_print_document(outcome: &UploadOutcome) -> PrintDocument {
    match outcome {
        UploadOutcome::PrintDocument(document) => document.clone(),
        other => panic!("a print session ended without its printDocument: {other:?}"),
    }
}

/// Asserts that the print job is started and its document is the uploaded one.
pub(crate) async fn assert_job_started(
    graph: &Emulator,
    job_id: &str,
    document_id: &str,
    size: u64,
) {
    let job = graph.print_job(job_id).await;
    assert_eq!(job["status"]["state"], "processing", "{job:#}");
    assert_eq!(job["documents"][0]["id"], document_id, "{job:#}");
    assert_eq!(job["documents"][0]["size"], size, "{job:#}");
}
