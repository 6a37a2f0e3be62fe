//! `graph-upload upload ... --journal`: a client killed with `kill -9` in the middle of an
//! upload continues the same session when it is run again, sending only what the server does
//! not have, and the bytes arrive intact.

#![cfg(unix)]
// One copy for the workspace: the tests crate's support module.
use graph_upload_server::fixtures::{LIST_ID, SHARE_ID, TASK_ID};
use graph_upload_testkit::child_guard::ChildGuard;
use graph_upload_testkit::refused_port::RefusedPort;
use graph_upload_testkit::serve_process::{MIB, Serve};
use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// The binary under test.
const BIN: &str = env!("CARGO_BIN_EXE_graph-upload");

fn pattern_file(path: &Path, size: u64) -> Vec<u8> {
    let bytes: Vec<u8> = (0..size)
        .map(|i| ((i * 31 + i / 4093) % 251) as u8)
        .collect();
    let mut file = std::fs::File::create(path).unwrap();
    file.write_all(&bytes).unwrap();
    bytes
}

/// The upload URL saved in the journal, once the journal exists.
fn journal_url(journal: &Path, deadline: Instant) -> String {
    loop {
        if let Ok(text) = std::fs::read_to_string(journal)
            && let Ok(value) = serde_json::from_str::<serde_json::Value>(&text)
            && let Some(url) = value["upload_url"].as_str()
        {
            return url.to_owned();
        }
        assert!(Instant::now() < deadline, "the journal was never written");
        std::thread::sleep(Duration::from_millis(5));
    }
}

/// Bytes the server has acknowledged for an upload URL (size minus nextExpectedRanges).
async fn acknowledged(serve: &Serve, url: &str, size: u64, bearer: bool) -> Option<u64> {
    let mut request = serve.http.get(url);
    if bearer {
        request = request.bearer_auth(&serve.token);
    }
    let response = request.send().await.ok()?;
    if response.status() != 200 {
        return None;
    }
    let status: serde_json::Value = serde_json::from_slice(&response.bytes().await.ok()?).ok()?;
    let ranges: Vec<String> = serde_json::from_value(status["nextExpectedRanges"].clone()).ok()?;
    let missing = graph_upload::ranges::RangeSet::from_expected(&ranges, size).ok()?;
    Some(size - missing.total_len())
}

fn upload_command(serve: &Serve, args: &[&str]) -> Command {
    let mut command = Command::new(BIN);
    command
        .arg("upload")
        .args(args)
        .arg("--base-url")
        .arg(&serve.base)
        .env("GRAPH_UPLOAD_TOKEN", &serve.token)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    command
}

/// Runs one kill-and-resume round for `args` (print or todo) and returns the final stdout.
async fn kill_then_resume(
    serve: &Serve,
    args: &[&str],
    journal: &Path,
    size: u64,
    bearer: bool,
) -> String {
    let mut first = ChildGuard::spawn(&mut upload_command(serve, args));
    let deadline = Instant::now() + Duration::from_secs(60);
    let url = journal_url(journal, deadline);
    // Wait until the server has some bytes, then kill the client without warning.
    loop {
        let got = acknowledged(serve, &url, size, bearer).await.unwrap_or(0);
        if got > 0 {
            break;
        }
        assert!(Instant::now() < deadline, "no byte was ever acknowledged");
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    first.kill().unwrap();
    let status = first.wait().unwrap();
    assert!(
        !status.success(),
        "the first run finished before it could be killed"
    );
    let before = acknowledged(serve, &url, size, bearer)
        .await
        .expect("the session survives the client's death");
    assert!(
        before > 0 && before < size,
        "{before} of {size} bytes before the resume"
    );

    let second = upload_command(serve, args).output().unwrap();
    let stderr = String::from_utf8_lossy(&second.stderr);
    assert!(second.status.success(), "resume failed: {stderr}");
    // The resumed run continued the same session from what the server had.
    let ready = stderr
        .lines()
        .find(|line| line.contains("session ready"))
        .unwrap_or_else(|| panic!("no session line in {stderr}"));
    let resumed_from: u64 = ready
        .split_whitespace()
        .find_map(|word| word.split('/').next()?.parse().ok())
        .unwrap_or(0);
    assert!(
        resumed_from >= before,
        "{ready}: the resume started below the {before} acknowledged bytes"
    );
    assert!(
        !journal.exists(),
        "the journal is removed once the upload is confirmed"
    );
    String::from_utf8_lossy(&second.stdout).into_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn print_client_killed_mid_upload_resumes_its_session_from_the_journal() {
    let dir = tempfile::tempdir().unwrap();
    let serve = Serve::start(BIN, &dir.path().join("data"), "resume-token");
    let size = 48 * MIB + 5;
    let file = dir.path().join("big.pdf");
    let bytes = pattern_file(&file, size);
    let journal = dir.path().join("big.journal");
    let args = [
        "print",
        "--share",
        SHARE_ID,
        "--fragment-size",
        "320KiB",
        "--parallel",
        "1",
        "--journal",
        journal.to_str().unwrap(),
        file.to_str().unwrap(),
    ];
    let stdout = kill_then_resume(&serve, &args, &journal, size, false).await;
    let document: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(document["size"], size);
    let jobs_path = format!("/v1.0/print/shares/{SHARE_ID}/jobs");
    let (_, jobs) = serve.get(&jobs_path).await;
    let jobs: serde_json::Value = serde_json::from_slice(&jobs).unwrap();
    let jobs = jobs["value"].as_array().unwrap();
    assert_eq!(jobs.len(), 1, "the resume must not create a second job");
    let job = &jobs[0];
    let stored = serve
        .print_document_value(
            job["id"].as_str().unwrap(),
            document["id"].as_str().unwrap(),
        )
        .await;
    assert!(stored == bytes, "the stored document differs from the file");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn todo_client_killed_mid_upload_resumes_its_session_from_the_journal() {
    let dir = tempfile::tempdir().unwrap();
    let serve = Serve::start(BIN, &dir.path().join("data"), "resume-token");
    let size = 24 * MIB + 3;
    let file = dir.path().join("notes.bin");
    let bytes = pattern_file(&file, size);
    let journal = dir.path().join("notes.journal");
    let args = [
        "todo",
        "--list",
        LIST_ID,
        "--task",
        TASK_ID,
        "--fragment-size",
        "320KiB",
        "--journal",
        journal.to_str().unwrap(),
        file.to_str().unwrap(),
    ];
    let stdout = kill_then_resume(&serve, &args, &journal, size, true).await;
    let attachment: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    let location = attachment["location"].as_str().unwrap().to_owned();
    let stored = serve.attachment_value(&location).await;
    assert!(
        stored == bytes,
        "the stored attachment differs from the file"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn drive_client_killed_mid_upload_resumes_its_session_from_the_journal() {
    let dir = tempfile::tempdir().unwrap();
    let serve = Serve::start(BIN, &dir.path().join("data"), "resume-token");
    let size = 40 * MIB + 11;
    let file = dir.path().join("report.bin");
    let bytes = pattern_file(&file, size);
    let journal = dir.path().join("report.journal");
    let args = [
        "drive",
        "--path",
        "/Documents/report.bin",
        "--fragment-size",
        "320KiB",
        "--journal",
        journal.to_str().unwrap(),
        file.to_str().unwrap(),
    ];
    let stdout = kill_then_resume(&serve, &args, &journal, size, false).await;
    let item: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(item["size"], size, "{item:#}");
    assert_eq!(item["name"], "report.bin", "{item:#}");
    let (status, stored) = serve
        .get(&format!(
            "/v1.0/me/drive/items/{}/content",
            item["id"].as_str().unwrap()
        ))
        .await;
    assert_eq!(status, 200);
    assert!(
        stored == bytes,
        "the stored file differs from the uploaded one"
    );
    // One file, not a renamed second one.
    let (_, children) = serve.get("/v1.0/me/drive/root:/Documents:/children").await;
    let children: serde_json::Value = serde_json::from_slice(&children).unwrap();
    let names: Vec<&str> = children["value"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|child| child["name"].as_str())
        .collect();
    assert_eq!(names, ["report.bin"]);
}

#[test]
fn a_second_client_on_the_same_journal_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let journal = dir.path().join("held.journal");
    let file = dir.path().join("f.bin");
    std::fs::write(&file, b"hello").unwrap();
    let holder = graph_upload::test_journal::Journal::open(&journal, &file).unwrap();
    let refused = RefusedPort::bind();
    let output = Command::new(BIN)
        .args([
            "upload",
            "print",
            "--base-url",
            &refused.base(),
            "--token",
            "t",
        ])
        .args(["--share", SHARE_ID, "--journal", journal.to_str().unwrap()])
        .arg(&file)
        .output()
        .unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("in use by another process"), "{stderr}");
    drop(holder);
}
