//! The examples of `crates/uploader/examples`, run against the real emulator on a free
//! loopback port with its data directory and the files in a temporary directory.
//!
//! How: each example is a `main` that reads its settings from the environment and calls a
//! `pub async fn run(...)`. Cargo gives tests no path to example binaries, and a test that ran
//! `cargo run --example` would start a second cargo (and a build) inside the test run. So this
//! file compiles each example's source as a module (`#[path]`) and calls its `run` with
//! settings aimed at the emulator: what runs is the example's own code, all but `main` and the
//! reading of the environment. `cargo build --examples` and clippy build the binaries
//! themselves.

use graph_upload::{CancellationToken, EndpointProfile, UploadError, UploadOutcome};
use graph_upload_server::fixtures::{LIST_ID, SHARE_ID, TASK_ID};
use graph_upload_testkit::e2e_harness::{Emulator, MIB, QUANTUM, TOKEN, TestFile};
use graph_upload_testkit::emulator::{PrintTarget, last_segment, share};
use std::future::Future;
use std::path::PathBuf;
use std::time::Duration;

// `main` and `Settings::from_env` serve `cargo run --example` only.
#[path = "../examples/custom_transport.rs"]
#[allow(dead_code)]
mod custom_transport;
#[path = "../examples/existing_session.rs"]
#[allow(dead_code)]
mod existing_session;
#[path = "../examples/hyper_transport.rs"]
#[allow(dead_code)]
mod hyper_transport;
#[path = "../examples/print_to_share.rs"]
#[allow(dead_code)]
mod print_to_share;
#[path = "../examples/progress_and_cancel.rs"]
#[allow(dead_code)]
mod progress_and_cancel;
#[path = "../examples/resume_with_journal.rs"]
#[allow(dead_code)]
mod resume_with_journal;
#[path = "../examples/todo_attachment.rs"]
#[allow(dead_code)]
mod todo_attachment;

/// No example may take longer than this (each takes well under a second in a debug build).
const CASE_TIMEOUT: Duration = Duration::from_secs(30);

async fn within<T>(example: impl Future<Output = T>) -> T {
    tokio::time::timeout(CASE_TIMEOUT, example)
        .await
        .expect("the example finishes within 30 s")
}

/// The emulator's `/v1.0`, as `GRAPH_UPLOAD_BASE_URL` would give it.
fn base_url(graph: &Emulator) -> String {
    graph.url("")
}

/// The share's jobs, as the emulator lists them.
async fn share_jobs(graph: &Emulator) -> Vec<serde_json::Value> {
    let jobs = graph.get_json(&format!("{}/jobs", share(SHARE_ID))).await;
    jobs["value"].as_array().expect("a list of jobs").clone()
}

/// The printed document's bytes are the file's.
async fn assert_printed(graph: &Emulator, job: &str, document: &str, file: &TestFile) {
    let target = PrintTarget {
        parent: share(SHARE_ID),
        job: job.to_owned(),
        document: document.to_owned(),
    };
    file.assert_same(&graph.print_value(&target).await, "the printed document");
}

#[test]
fn the_examples_default_to_the_emulators_fixtures() {
    for share_id in [
        print_to_share::EMULATOR_SHARE,
        hyper_transport::EMULATOR_SHARE,
        progress_and_cancel::EMULATOR_SHARE,
        resume_with_journal::EMULATOR_SHARE,
    ] {
        assert_eq!(share_id, SHARE_ID);
    }
    for (list_id, task_id) in [
        (
            todo_attachment::EMULATOR_LIST,
            todo_attachment::EMULATOR_TASK,
        ),
        (
            custom_transport::EMULATOR_LIST,
            custom_transport::EMULATOR_TASK,
        ),
    ] {
        assert_eq!((list_id, task_id), (LIST_ID, TASK_ID));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn print_to_share_prints_the_file_and_starts_the_job() {
    let graph = Emulator::start().await;
    let file = graph.file("report.pdf", 3 * MIB + 17, 1);
    let settings = print_to_share::Settings {
        base_url: base_url(&graph),
        token: TOKEN.into(),
        share_id: SHARE_ID.into(),
        content_type: "application/pdf".into(),
        file: file.path.clone(),
    };
    let uploaded = within(print_to_share::run(&settings))
        .await
        .expect("the example prints the file");
    let printed = &uploaded.item;
    assert!(printed.started);
    assert_eq!(printed.document.size, file.len);
    assert_eq!(
        printed.document.document_name.as_deref(),
        Some("report.pdf")
    );
    assert_eq!((uploaded.bytes_sent, uploaded.bytes_resent), (file.len, 0));
    let job = graph.print_job(&printed.job_id).await;
    assert_eq!(job["status"]["state"], "processing", "{job}");
    assert_printed(&graph, &printed.job_id, &printed.document.id, &file).await;
    graph.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn todo_attachment_attaches_the_file_in_order() {
    let graph = Emulator::start().await;
    // More than one To Do fragment (at most 12 quanta each).
    let file = graph.file("notes.txt", 5 * MIB + 3, 2);
    let settings = todo_attachment::Settings {
        base_url: base_url(&graph),
        token: TOKEN.into(),
        list_id: LIST_ID.into(),
        task_id: TASK_ID.into(),
        content_type: Some("text/plain".into()),
        file: file.path.clone(),
    };
    let uploaded = within(todo_attachment::run(&settings))
        .await
        .expect("the example attaches the file");
    let attachment = &uploaded.item;
    assert_eq!(last_segment(&attachment.location), attachment.id);
    assert_eq!(uploaded.bytes_sent, file.len);
    file.assert_same(&graph.todo_value(&attachment.id).await, "the attachment");
    let listed = graph.todo_attachments().await;
    let listed = listed
        .iter()
        .find(|item| item["id"] == attachment.id.as_str())
        .expect("the task lists the attachment");
    assert_eq!(listed["name"], "notes.txt");
    assert_eq!(listed["contentType"], "text/plain");
    graph.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hyper_transport_prints_the_file_over_hyper() {
    let graph = Emulator::start().await;
    let file = graph.file("hyper.pdf", 2 * MIB + 5, 3);
    let settings = hyper_transport::Settings {
        base_url: base_url(&graph),
        token: TOKEN.into(),
        share_id: SHARE_ID.into(),
        file: file.path.clone(),
    };
    let uploaded = within(hyper_transport::run(&settings))
        .await
        .expect("the example prints the file");
    assert_printed(
        &graph,
        &uploaded.item.job_id,
        &uploaded.item.document.id,
        &file,
    )
    .await;
    graph.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn progress_and_cancel_stops_at_the_limit_and_removes_what_it_created() {
    let graph = Emulator::start().await;
    // Ten fragments of four quanta: the first acknowledgement cancels with most still to send.
    let file = graph.file("big.pdf", 40 * QUANTUM, 4);
    let settings = progress_and_cancel::Settings {
        base_url: base_url(&graph),
        token: TOKEN.into(),
        share_id: SHARE_ID.into(),
        file: file.path.clone(),
        cancel_after: Some(1),
    };
    let cancel = CancellationToken::new();
    let result = within(progress_and_cancel::run(&settings, cancel.clone())).await;
    assert!(matches!(result, Err(UploadError::Cancelled)), "{result:?}");
    assert!(cancel.is_cancelled());
    // The job it created is cancelled, and its session is gone with its bytes.
    let jobs = share_jobs(&graph).await;
    assert_eq!(jobs.len(), 1, "{jobs:?}");
    assert_eq!(jobs[0]["status"]["state"], "canceled", "{jobs:?}");
    assert_eq!(graph.blob_count(), 0, "{:?}", graph.blob_names());

    // Ctrl-C before anything was sent: nothing is created.
    let cancel = CancellationToken::new();
    cancel.cancel();
    let settings = progress_and_cancel::Settings {
        cancel_after: None,
        ..settings
    };
    let result = within(progress_and_cancel::run(&settings, cancel)).await;
    assert!(matches!(result, Err(UploadError::Cancelled)), "{result:?}");
    assert_eq!(share_jobs(&graph).await.len(), 1);
    graph.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn resume_with_journal_continues_the_same_job_and_sends_only_the_rest() {
    let graph = Emulator::start().await;
    let file = graph.file("big.pdf", 40 * QUANTUM + 9, 5);
    let journal: PathBuf = graph.root().join("files").join("big.pdf.journal");
    let stopped = resume_with_journal::Settings {
        base_url: base_url(&graph),
        token: TOKEN.into(),
        share_id: SHARE_ID.into(),
        file: file.path.clone(),
        journal: journal.clone(),
        stop_after: Some(1),
    };
    let result = within(resume_with_journal::run(&stopped)).await;
    assert!(matches!(result, Err(UploadError::Cancelled)), "{result:?}");
    assert!(journal.exists(), "a stopped run keeps its journal");
    let jobs = share_jobs(&graph).await;
    assert_eq!(jobs.len(), 1, "{jobs:?}");
    assert_eq!(
        jobs[0]["status"]["state"], "paused",
        "the job waits: {jobs:?}"
    );
    assert_eq!(graph.blob_count(), 1, "the session and its bytes are kept");

    let again = resume_with_journal::Settings {
        stop_after: None,
        ..stopped
    };
    let uploaded = within(resume_with_journal::run(&again))
        .await
        .expect("the second run finishes the upload");
    assert_eq!(
        uploaded.item.job_id,
        jobs[0]["id"].as_str().expect("job id")
    );
    assert!(
        uploaded.bytes_sent > 0 && uploaded.bytes_sent < file.len,
        "the second run sent {} of {} bytes",
        uploaded.bytes_sent,
        file.len
    );
    assert!(!journal.exists(), "a finished upload removes its journal");
    assert_eq!(share_jobs(&graph).await.len(), 1, "no second job");
    assert_printed(
        &graph,
        &uploaded.item.job_id,
        &uploaded.item.document.id,
        &file,
    )
    .await;
    graph.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn custom_transport_tags_every_request_and_gets_each_id_back() {
    let graph = Emulator::start().await;
    let file = graph.file("tagged.bin", 5 * MIB, 6);
    let settings = custom_transport::Settings {
        base_url: base_url(&graph),
        token: TOKEN.into(),
        list_id: LIST_ID.into(),
        task_id: TASK_ID.into(),
        file: file.path.clone(),
    };
    let (uploaded, layer) = within(custom_transport::run(&settings))
        .await
        .expect("the example attaches the file");
    let (sent, echoed) = layer.counts();
    // The session's creation and two fragments at least.
    assert!(sent >= 3, "{sent} requests");
    assert_eq!(
        echoed, sent,
        "every answer carries its request's client-request-id"
    );
    file.assert_same(&graph.todo_value(&uploaded.item.id).await, "the attachment");
    graph.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn existing_session_finishes_a_session_created_with_plain_http() {
    let graph = Emulator::start().await;
    let file = graph.file("elsewhere.bin", 4 * MIB + 1, 7);
    let session = graph.create_todo_session("elsewhere.bin", file.len).await;
    let session_json = graph.root().join("session.json");
    std::fs::write(
        &session_json,
        serde_json::to_vec(&session).expect("an uploadSession as JSON"),
    )
    .expect("write session.json");
    let settings = existing_session::Settings {
        base_url: base_url(&graph),
        token: TOKEN.into(),
        profile: EndpointProfile::todo(),
        session_json,
        file: file.path.clone(),
    };
    let uploaded = within(existing_session::run(&settings))
        .await
        .unwrap_or_else(|error| panic!("the example finishes the session: {error}"));
    let UploadOutcome::Attachment { location } = &uploaded.item else {
        panic!("a To Do session ends with a Location: {:?}", uploaded.item);
    };
    assert!(
        location.contains(&format!(
            "/todo/lists/{LIST_ID}/tasks/{TASK_ID}/attachments/"
        )),
        "{location} is an attachment of the fixture task"
    );
    file.assert_same(
        &graph.todo_value(&last_segment(location)).await,
        "the attachment",
    );
    graph.stop().await;
}
