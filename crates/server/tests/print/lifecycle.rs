//! printjob-start.md, printJobStatus.md (states and `details`), printjob-abort.md,
//! printjob-cancel.md: a started job is `processing`, then `completed` with
//! `completedSuccessfully`; abort ends a job `aborted`; the lifecycle survives a restart.

use crate::uploaded_job;
use graph_upload_models::error_codes;
use graph_upload_server::fixtures::PRINTER_ID;
use graph_upload_testkit::emulator::{Emulator, PrintTarget, assert_graph_error, printer};
use serde_json::json;
use std::time::{Duration, Instant};

/// The job as seen through the printer (abort's documented path).
fn on_printer(target: &PrintTarget) -> PrintTarget {
    PrintTarget {
        parent: printer(PRINTER_ID),
        ..target.clone()
    }
}

/// Polls the job until its state is `state` (deadline 10 s); the last job seen.
async fn wait_for_state(emu: &Emulator, target: &PrintTarget, state: &str) -> serde_json::Value {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let job = emu.get_json(&target.job_path()).await;
        if job["status"]["state"] == state {
            return job;
        }
        assert!(Instant::now() < deadline, "never {state}: {job}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test]
async fn a_started_job_is_processing_then_completed_successfully() {
    let emu =
        Emulator::start_with(|config| config.job_processing = Duration::from_millis(300)).await;
    let (target, _) = uploaded_job(&emu, 1000).await;
    // After the upload, before start: paused, and no longer "waiting for its document".
    let job = emu.get_json(&target.job_path()).await;
    assert_eq!(job["status"]["state"], "paused", "{job}");
    assert_eq!(job["status"]["details"], json!([]), "{job}");
    let description = job["status"]["description"].as_str().unwrap();
    assert!(!description.contains("waiting for its document"), "{job}");
    assert_eq!(job["isFetchable"], true, "{job}");

    let started = emu
        .post_json(&format!("{}/start", target.job_path()), &json!({}))
        .await;
    assert_eq!(started.status, 200, "{}", started.text());
    assert_eq!(started.value()["state"], "processing");

    let job = wait_for_state(&emu, &target, "completed").await;
    assert_eq!(
        job["status"]["details"],
        json!(["completedSuccessfully"]),
        "{job}"
    );
    assert_eq!(job["isFetchable"], false, "{job}");
    // The same through the printer's listing.
    let jobs = emu.get_json(&format!("{}/jobs", printer(PRINTER_ID))).await;
    let listed = jobs["value"]
        .as_array()
        .unwrap()
        .iter()
        .find(|j| j["id"] == target.job.as_str())
        .cloned()
        .expect("the job in its printer's jobs");
    assert_eq!(listed["status"]["state"], "completed", "{listed}");
    // A completed job can be neither started, canceled nor aborted again.
    for action in ["start", "cancel"] {
        let reply = emu
            .post_json(&format!("{}/{action}", target.job_path()), &json!({}))
            .await;
        assert_graph_error(&reply, 409, error_codes::NOT_ALLOWED, None);
    }
    let reply = emu
        .post_json(
            &format!("{}/abort", on_printer(&target).job_path()),
            &json!({}),
        )
        .await;
    assert_graph_error(&reply, 409, error_codes::NOT_ALLOWED, None);
    emu.stop().await;
}

#[tokio::test]
async fn abort_ends_a_processing_job_aborted() {
    let emu =
        Emulator::start_with(|config| config.job_processing = Duration::from_secs(3600)).await;
    let (target, _) = uploaded_job(&emu, 100).await;
    let started = emu
        .post_json(&format!("{}/start", target.job_path()), &json!({}))
        .await;
    assert_eq!(started.status, 200);
    let path = format!("{}/abort", on_printer(&target).job_path());
    // printjob-abort.md: the body is optional; only `reason` (a String) is a parameter.
    for bad in [json!({"reason": 3}), json!({"why": "x"})] {
        let reply = emu.post_json(&path, &bad).await;
        assert_graph_error(&reply, 400, error_codes::INVALID_REQUEST, None);
    }
    let reply = emu
        .post_json(&path, &json!({"reason": "out of paper"}))
        .await;
    assert_eq!(reply.status, 204, "{}", reply.text());
    assert!(reply.body.is_empty());
    let job = emu.get_json(&target.job_path()).await;
    assert_eq!(job["status"]["state"], "aborted", "{job}");
    // Aborted is final: a second abort and a cancel answer 409.
    let again = emu.post_json(&path, &json!({})).await;
    assert_graph_error(&again, 409, error_codes::NOT_ALLOWED, None);
    let cancel = emu
        .post_json(&format!("{}/cancel", target.job_path()), &json!({}))
        .await;
    assert_graph_error(&cancel, 409, error_codes::NOT_ALLOWED, None);
    // Abort is documented on printers only: the share path has no such action.
    let on_share = emu
        .post_json(&format!("{}/abort", target.job_path()), &json!({}))
        .await;
    assert_eq!(on_share.status, 404, "{}", on_share.text());
    emu.stop().await;
}

#[tokio::test]
async fn abort_of_a_canceled_job_is_refused() {
    let emu = Emulator::start().await;
    let (target, _) = uploaded_job(&emu, 100).await;
    let cancel = emu
        .post_json(&format!("{}/cancel", target.job_path()), &json!({}))
        .await;
    assert_eq!(cancel.status, 204);
    let reply = emu
        .post_json(
            &format!("{}/abort", on_printer(&target).job_path()),
            &json!({}),
        )
        .await;
    assert_graph_error(&reply, 409, error_codes::NOT_ALLOWED, None);
    let job = emu.get_json(&target.job_path()).await;
    assert_eq!(job["status"]["state"], "canceled", "{job}");
    emu.stop().await;
}

#[tokio::test]
async fn a_job_processing_at_shutdown_completes_after_the_restart() {
    let (mut emu, clock) = Emulator::start_with_clock(|config| {
        config.job_processing = Duration::from_secs(30);
    })
    .await;
    let (target, _) = uploaded_job(&emu, 100).await;
    let started = emu
        .post_json(&format!("{}/start", target.job_path()), &json!({}))
        .await;
    assert_eq!(started.value()["state"], "processing");
    emu.restart().await;
    let job = emu.get_json(&target.job_path()).await;
    assert_eq!(job["status"]["state"], "processing", "{job}");
    clock.advance(Duration::from_secs(31));
    let job = emu.get_json(&target.job_path()).await;
    assert_eq!(job["status"]["state"], "completed", "{job}");
    assert_eq!(
        job["status"]["details"],
        json!(["completedSuccessfully"]),
        "{job}"
    );
    // Completed before another restart stays completed.
    emu.restart().await;
    let job = emu.get_json(&target.job_path()).await;
    assert_eq!(job["status"]["state"], "completed", "{job}");
    emu.stop().await;
}
