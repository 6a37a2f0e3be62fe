//! The uploader end to end: the real emulator on `127.0.0.1:0` with its data directory in a
//! temporary directory, real files next to it, and the uploader over each transport backend.
//!
//! Every scenario is written once, as an `async fn` taking the backend's constructor, and
//! `end_to_end!` runs it over each backend (`reqwest_backend::…`, `hyper_backend::…`). Bytes
//! are always checked through `$value`; what the uploader sent is checked through a recording
//! transport layer in front of the backend (`support/e2e_transport.rs`), which also holds
//! requests at a gate so that the server can be stopped, or the client "killed", at a known
//! point of an upload.
//!
//! Not covered here: a client process killed and resumed from its on-disk journal
//! (`crates/cli/tests/upload_resume.rs` does that with real processes); memory and throughput
//! (the benchmarks measure them).

use graph_upload::models::{PrintDocument, UploadSession};
use graph_upload::ranges::RangeSet;
use graph_upload::{
    CancellationToken, EndpointProfile, InstantClock, PrintedDocument, ProgressEvent, RetryPolicy,
    UploadError, UploadOutcome, Uploaded,
};
use graph_upload_server::fixtures::{LIST_ID, SHARE_ID, TASK_ID};
use graph_upload_testkit::e2e_harness::{
    self as harness, Events, Graph, MIB, MakeTransport, QUANTUM, TestFile, download,
};
use graph_upload_testkit::e2e_transport::{
    self as recording, Recorder, ReplayFirstAfterCompletion, SwapFirstTwoAnswers,
};
use graph_upload_testkit::urls::rebase;
use std::future::Future;
use std::ops::Range;
use std::sync::Arc;
use std::time::Duration;

/// No scenario may take longer than this (they take a few seconds in debug builds).
const CASE_TIMEOUT: Duration = Duration::from_secs(60);

/// One module per backend, one test per scenario. A scenario that finds a bug in the uploader
/// or the server carries `#[ignore = "bug: …"]` (for both backends) while its assertions stay
/// strict; once the bug is fixed, drop the attribute.
macro_rules! end_to_end {
    (backends: [$($backend:ident),+ $(,)?], cases: $cases:tt $(,)?) => {
        $(
            mod $backend {
                end_to_end!(@cases $backend; $cases);
            }
        )+
    };
    (@cases $backend:ident; [$($(#[$attribute:meta])* $case:ident),* $(,)?]) => {
        $(
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            $(#[$attribute])*
            async fn $case() {
                super::run(super::$case, super::harness::$backend).await;
            }
        )*
    };
}

end_to_end! {
    backends: [reqwest_backend, hyper_backend],
    cases: [
        print_50_mib_in_parallel_arrives_byte_for_byte,
        todo_20_mib_arrives_byte_for_byte,
        empty_file_arrives_through_print_and_todo,
        one_byte_file_arrives_through_print_and_todo,
        three_quanta_and_one_byte_arrive_through_print_and_todo,
        upload_resumed_after_a_server_restart_sends_only_the_missing_ranges,
        upload_interrupted_by_server_stop_finishes_after_restart,
        cancellation_deletes_the_session,
        cancellation_with_fragments_in_flight_deletes_the_session,
        todo_cancellation_deletes_the_session,
        resume_after_the_server_forgot_nothing_but_the_client_restarted,
        todo_resume_after_the_client_restarted,
        parallel_answers_out_of_order_do_not_resend_acknowledged_bytes,
        a_404_while_the_completing_put_is_in_flight_does_not_fail_the_upload,
        existing_print_session_returns_the_print_document,
    ],
}

async fn run<F, Fut>(case: F, make: MakeTransport)
where
    F: FnOnce(MakeTransport) -> Fut,
    Fut: Future<Output = ()>,
{
    tokio::time::timeout(CASE_TIMEOUT, case(make))
        .await
        .expect("the scenario finished in time");
}

// ---- checks -----------------------------------------------------------------------------------

/// Asserts that the `PUT`s of `recorder` sent exactly the bytes of `expected`, each once: no
/// byte twice, none outside `expected`, every body as long as its `Content-Range`, every
/// answer a success (`200`, `201` or `202`, never `416`; or none read, for a request still in
/// flight when the `201` ended the upload), every fragment at most `max_fragment` and a multiple of
/// the quantum unless it ends a missing range.
fn assert_sent_exactly(recorder: &Recorder, expected: &RangeSet, max_fragment: u64) {
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
fn fragments(size: u64, fragment: u64) -> Vec<Range<u64>> {
    (0..size.div_ceil(fragment))
        .map(|i| i * fragment..((i + 1) * fragment).min(size))
        .collect()
}

/// `Content-Range -> status` of each PUT, for failure messages.
fn summary(puts: &[recording::Sent]) -> Vec<String> {
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
fn missing(ranges: &[String], size: u64) -> RangeSet {
    RangeSet::from_expected(ranges, size).expect("valid nextExpectedRanges")
}

/// The printDocument that completed a print session uploaded through `existing_session`.
///
/// `SessionUpload::upload` answers `UploadOutcome::Other { status: 201, body }` for a print
/// session instead of `UploadOutcome::PrintDocument` (strictly checked, and ignored until that
/// is fixed, by `existing_print_session_returns_the_print_document`); the resume scenarios
/// read the document from either, so that they check what they are about.
fn completed_print_document(outcome: &UploadOutcome) -> PrintDocument {
    match outcome {
        UploadOutcome::PrintDocument(document) => document.clone(),
        UploadOutcome::Other { status: 201, body } => {
            serde_json::from_str(body).unwrap_or_else(|error| {
                panic!("the 201 body is not a printDocument ({error}): {body}")
            })
        }
        other => panic!("not a print completion: {other:?}"),
    }
}

/// Asserts that the print job is started and its document is the uploaded one.
async fn assert_job_started(graph: &Graph, job_id: &str, document_id: &str, size: u64) {
    let job = graph.print_job(job_id).await;
    assert_eq!(job["status"]["state"], "processing", "{job:#}");
    assert_eq!(job["documents"][0]["id"], document_id, "{job:#}");
    assert_eq!(job["documents"][0]["size"], size, "{job:#}");
}

/// Uploads `file` to the fixture share with `profile`; checks the result, the job and `$value`.
async fn print_and_check(
    graph: &Graph,
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
    assert_eq!(graph.session_status(&upload_url).await.status, 404);
    assert_eq!(events.completed(), vec![file.len]);
    (recorder, events)
}

/// Uploads `file` as an attachment of the fixture task with `profile`; checks the `Location`,
/// the task's attachments and `$value`.
async fn todo_and_check(
    graph: &Graph,
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
    assert_eq!(graph.session_status(&upload_url).await.status, 404);
    assert_eq!(events.completed(), vec![file.len]);
    (recorder, events)
}

// ---- large files --------------------------------------------------------------------------------

/// 50 MiB in 14 fragments, 4 at a time: each byte sent once.
async fn print_50_mib_in_parallel_arrives_byte_for_byte(make: MakeTransport) {
    let graph = Graph::start().await;
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
    graph.shutdown().await;
}

async fn todo_20_mib_arrives_byte_for_byte(make: MakeTransport) {
    let graph = Graph::start().await;
    let file = graph.file("flower.bin", 20 * MIB, 20);
    let (recorder, _events) = todo_and_check(&graph, make, &file, EndpointProfile::todo()).await;
    // In order, one at a time: each byte once, in 12-quantum fragments.
    assert_sent_exactly(&recorder, &RangeSet::from(0..file.len), 4 * MIB);
    assert_eq!(
        recorder.puts().len() as u64,
        file.len.div_ceil(12 * QUANTUM)
    );
    assert_eq!(graph.blob_names().len(), 1);
    graph.shutdown().await;
}

// ---- edge sizes ---------------------------------------------------------------------------------

/// A file of `size` bytes through print (fragments of one quantum, 4 in parallel) and To Do
/// (fragments of one quantum, in order): each byte exactly once, the last fragment down to 1 byte,
/// a 0-byte file as one empty PUT.
async fn edge_size(make: MakeTransport, size: u64) {
    let graph = Graph::start().await;
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
    graph.shutdown().await;
}

async fn empty_file_arrives_through_print_and_todo(make: MakeTransport) {
    edge_size(make, 0).await;
}

async fn one_byte_file_arrives_through_print_and_todo(make: MakeTransport) {
    edge_size(make, 1).await;
}

async fn three_quanta_and_one_byte_arrive_through_print_and_todo(make: MakeTransport) {
    edge_size(make, 3 * QUANTUM + 1).await;
}

// ---- server restarts ----------------------------------------------------------------------------

/// Some fragments by hand (with gaps), the server stopped and started again on the same
/// data directory (new port), then the uploader on the session with the ranges the new server
/// reports: it sends exactly the missing ranges.
async fn upload_resumed_after_a_server_restart_sends_only_the_missing_ranges(make: MakeTransport) {
    let mut graph = Graph::start().await;
    let size = 10 * QUANTUM + 12_345;
    let file = graph.file("resumed.pdf", size, 4);
    let bytes = file.read(0..size);
    let (job, document, session) = graph.create_print_session(size).await;
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
    let ranges = graph.next_expected_ranges(&upload_url).await;
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
    graph.shutdown().await;
}

/// The uploader runs while the server stops: fragments answered before the stop stay on disk,
/// the upload then fails with a transport error once its (short) retry budget is spent; after
/// the server starts again on the same data directory, a second uploader call on the same
/// session sends only what the server reports missing.
async fn upload_interrupted_by_server_stop_finishes_after_restart(make: MakeTransport) {
    let mut graph = Graph::start().await;
    let size = 8 * MIB;
    let fragment = 2 * QUANTUM;
    let file = graph.file("interrupted.pdf", size, 8);
    let (job, document, session) = graph.create_print_session(size).await;

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
    graph.stop().await;
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
    let ranges = graph.next_expected_ranges(&upload_url).await;
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
    graph.shutdown().await;
}

// ---- cancellation -------------------------------------------------------------------------------

/// Cancels an upload from its progress callback after the first acknowledged fragment; the
/// result is `Cancelled`, the session answers `404` and its bytes are gone from `blobs/`
/// (only the completed document of an earlier upload remains).
async fn cancel_and_check(make: MakeTransport, todo: bool, parallel: usize) {
    let graph = Graph::start().await;
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
        .filter(|sent| sent.method == http::Method::DELETE)
        .collect();
    assert_eq!(deletes.len(), 1, "{deletes:#?}");
    assert_eq!(deletes[0].url, upload_url);
    assert_eq!(deletes[0].outcome, Some(Ok(204)), "{deletes:#?}");
    assert_eq!(deletes[0].authorized, todo, "{deletes:#?}");
    // Gone for the server, and from the disk.
    let status = graph.session_status(&upload_url).await;
    assert_eq!(status.status, 404, "{}", status.text());
    assert_eq!(graph.blob_names(), blobs_before);
    assert_eq!(graph.todo_attachments().await.len(), attachments_before);
    graph.shutdown().await;
}

async fn cancellation_deletes_the_session(make: MakeTransport) {
    cancel_and_check(make, false, 1).await;
}

async fn cancellation_with_fragments_in_flight_deletes_the_session(make: MakeTransport) {
    cancel_and_check(make, false, 4).await;
}

async fn todo_cancellation_deletes_the_session(make: MakeTransport) {
    cancel_and_check(make, true, 1).await;
}

// ---- client restarts ----------------------------------------------------------------------------

/// A first uploader sends 5 one-quantum fragments of `session`, one at a time, and "dies" (its
/// task is aborted while its next request waits at the gate, so that nothing is half sent); a
/// new uploader, with a new transport and `resume_parallel` fragments in flight, resumes from
/// `GET {uploadUrl}` and sends only the missing bytes. Returns the outcome.
async fn restart_client(
    graph: &Graph,
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

    let ranges = graph.next_expected_ranges(&session.upload_url).await;
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
    assert_eq!(graph.session_status(&session.upload_url).await.status, 404);
    outcome
}

async fn resume_after_the_server_forgot_nothing_but_the_client_restarted(make: MakeTransport) {
    let graph = Graph::start().await;
    let file = graph.file("resumed.pdf", 6 * MIB, 6);
    let (job, document, session) = graph.create_print_session(file.len).await;
    let outcome = restart_client(&graph, make, &file, session, EndpointProfile::print(), 4).await;
    let doc = completed_print_document(&outcome);
    assert_eq!((doc.id.as_str(), doc.size), (document.as_str(), file.len));
    let bytes = download(&make(), &graph.print_value_url(&job, &document)).await;
    file.assert_same(&bytes, "$value after the client restarted");
    graph.shutdown().await;
}

async fn todo_resume_after_the_client_restarted(make: MakeTransport) {
    let graph = Graph::start().await;
    let file = graph.file("resumed.bin", 6 * MIB, 7);
    let session = graph.create_todo_session("resumed.bin", file.len).await;
    let outcome = restart_client(&graph, make, &file, session, EndpointProfile::todo(), 1).await;
    let UploadOutcome::Attachment { location } = outcome else {
        panic!("no attachment Location: {outcome:?}");
    };
    let bytes = download(&make(), &format!("{location}/$value")).await;
    file.assert_same(&bytes, "To Do $value after the client restarted");
    graph.shutdown().await;
}

/// Uploads `file` to the share through `recorder`, one quantum per fragment, two fragments in flight:
/// the shape the reordering transports below are built for.
async fn print_in_quanta_two_at_a_time(
    graph: &Graph,
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

// ---- parallel answers out of order --------------------------------------------------------------

/// Two parallel fragments are answered by the server in one order and reach the uploader in the
/// other (two connections can always do this): the older `202` lists the newer fragment as
/// missing. The uploader must not take that stale list as the truth and send an acknowledged
/// fragment again (a `416` and a status round trip, and up to 10 MiB sent twice; near the end, a
/// `404` because the session completed meanwhile). Two fragments in flight, so that the transport
/// layer can order the answers deterministically.
async fn parallel_answers_out_of_order_do_not_resend_acknowledged_bytes(make: MakeTransport) {
    let graph = Graph::start().await;
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
    graph.shutdown().await;
}

/// A `404` for one fragment while the `201` of the `PUT` that completed the upload is still on its
/// way (the session is gone because it is complete): the uploader must wait for the requests
/// in flight and report the completed upload, not `SessionGone`.
async fn a_404_while_the_completing_put_is_in_flight_does_not_fail_the_upload(make: MakeTransport) {
    let graph = Graph::start().await;
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
    graph.shutdown().await;
}

// ---- sessions created elsewhere -----------------------------------------------------------------

/// `existing_session` on a print session (created by hand, uploaded with the print profile)
/// ends with the printDocument of the `201`, as `print_to_share` does.
async fn existing_print_session_returns_the_print_document(make: MakeTransport) {
    let graph = Graph::start().await;
    let file = graph.file("elsewhere.pdf", QUANTUM + 5, 11);
    let (job, document, session) = graph.create_print_session(file.len).await;
    let transport = make();
    let outcome = graph
        .uploader(Arc::clone(&transport))
        .existing_session(session, EndpointProfile::print())
        .upload(&file.source())
        .await
        .expect("the upload succeeds")
        .item;
    match &outcome {
        UploadOutcome::PrintDocument(doc) => {
            assert_eq!(doc.id, document);
            assert_eq!(doc.size, file.len);
            assert_eq!(doc.document_name.as_deref(), Some("resumed.pdf"));
        }
        other => panic!("a print session ended without its printDocument: {other:?}"),
    }
    let bytes = download(&transport, &graph.print_value_url(&job, &document)).await;
    file.assert_same(&bytes, "$value");
    graph.shutdown().await;
}
