//! `graph-upload serve --job-processing-ms` and `--download-url-ttl` reach the emulator
//! (printjob-start.md, printJobStatus.md: `processing`, then `completed` with
//! `completedSuccessfully`; printdocument-get-file.md: `$value` answers `302` to a
//! pre-authenticated URL), and the request log never shows that URL's `tempauthtoken`.

#![cfg(unix)]
use graph_upload_server::fixtures::SHARE_ID;
use graph_upload_testkit::serve_process::{Serve, serve_command};
use std::time::{Duration, Instant};

/// The binary under test.
const BIN: &str = env!("CARGO_BIN_EXE_graph-upload");

const TOKEN: &str = "print-test-token-8d2e4b17";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_started_job_completes_after_the_set_time_and_its_download_url_is_not_logged() {
    let dir = tempfile::tempdir().unwrap();
    let mut command = serve_command(BIN, &dir.path().join("data"));
    command.args(["--token", TOKEN]).args([
        "--job-processing-ms",
        "300",
        "--download-url-ttl",
        "60",
    ]);
    let serve = Serve::launch(command, Some(TOKEN));

    let bytes: Vec<u8> = (0..5000u32).map(|i| (i % 251) as u8).collect();
    let upload = serve.create_print_upload(bytes.len() as u64).await;
    let put = serve
        .http
        .put(&upload.upload_url)
        .header("content-range", format!("bytes 0-4999/{}", bytes.len()))
        .body(bytes.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(put.status(), 201);
    let job_path = format!("/v1.0/print/shares/{SHARE_ID}/jobs/{}", upload.job_id);
    let (status, started) = serve
        .post_json(&format!("{job_path}/start"), &serde_json::json!({}))
        .await;
    assert_eq!(status, 200, "{started}");
    assert_eq!(started["state"], "processing", "{started}");

    let deadline = Instant::now() + Duration::from_secs(10);
    let job = loop {
        let (status, job) = serve.get(&job_path).await;
        assert_eq!(status, 200);
        let job: serde_json::Value = serde_json::from_slice(&job).unwrap();
        if job["status"]["state"] == "completed" {
            break job;
        }
        assert!(Instant::now() < deadline, "never completed: {job}");
        tokio::time::sleep(Duration::from_millis(25)).await;
    };
    assert_eq!(
        job["status"]["details"],
        serde_json::json!(["completedSuccessfully"])
    );

    // `$value` through its 302, the download URL fetched without the token.
    assert!(serve.print_value(&upload).await == bytes);
    let logged = serve.wait_for_stderr_line(Duration::from_secs(10), |line| {
        line.contains("/printDocuments/")
    });
    assert!(logged.contains("?..."), "{logged}");
    let log = serve.stderr();
    assert!(
        !log.contains("tempauthtoken"),
        "a pre-authenticated URL's query reached the log"
    );
    assert!(!log.contains(TOKEN), "the bearer token reached the log");
}
