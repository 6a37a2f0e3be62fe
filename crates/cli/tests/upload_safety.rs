//! `graph-upload upload` in a user's hands, against the real emulator: it never touches a file
//! that is not its own, finds bad input before it creates anything, fails fast with a hint
//! where waiting cannot help, removes what it created when it fails or is interrupted (exit
//! code 130), and never prints a secret.

#![cfg(unix)]
// One copy for the workspace: the tests crate's support module.
use graph_upload_server::fixtures::{LIST_ID, SHARE_ID, TASK_ID};
use graph_upload_testkit::child_guard::ChildGuard;
use graph_upload_testkit::refused_port::RefusedPort;
use graph_upload_testkit::serve_process::{self, MIB, Serve};
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

/// The binary under test.
const BIN: &str = env!("CARGO_BIN_EXE_graph-upload");

const TOKEN: &str = "safety-token-0123456789";

fn upload(serve_base: &str, args: &[&str]) -> Command {
    let mut command = Command::new(BIN);
    command
        .arg("upload")
        .args(args)
        .args(["--base-url", serve_base, "--token", TOKEN])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    command
}

fn print_args<'a>(file: &'a str, extra: &[&'a str]) -> Vec<&'a str> {
    let mut args = vec!["print", "--share", SHARE_ID];
    args.extend_from_slice(extra);
    args.push(file);
    args
}

fn todo_args<'a>(file: &'a str, extra: &[&'a str]) -> Vec<&'a str> {
    let mut args = vec!["todo", "--list", LIST_ID, "--task", TASK_ID];
    args.extend_from_slice(extra);
    args.push(file);
    args
}

/// The one line printed on stderr by a failed command (there must be exactly one).
fn failure_line(output: &Output) -> String {
    assert!(!output.status.success(), "the command succeeded");
    let stderr = String::from_utf8_lossy(&output.stderr);
    let lines: Vec<&str> = stderr
        .lines()
        .filter(|l| l.starts_with("graph-upload: "))
        .collect();
    assert_eq!(lines.len(), 1, "{stderr}");
    lines[0].trim_start_matches("graph-upload: ").to_owned()
}

async fn jobs(serve: &Serve) -> Vec<serde_json::Value> {
    let (status, body) = serve
        .get(&format!("/v1.0/print/shares/{SHARE_ID}/jobs"))
        .await;
    assert_eq!(status, 200);
    let value: serde_json::Value = serde_json::from_slice(&body).unwrap();
    value["value"].as_array().cloned().unwrap_or_default()
}

async fn attachments(serve: &Serve) -> usize {
    let (status, body) = serve
        .get(&format!(
            "/v1.0/me/todo/lists/{LIST_ID}/tasks/{TASK_ID}/attachments"
        ))
        .await;
    assert_eq!(status, 200);
    let value: serde_json::Value = serde_json::from_slice(&body).unwrap();
    value["value"].as_array().map_or(0, Vec::len)
}

fn write(path: &Path, size: u64) {
    let file = std::fs::File::create(path).unwrap();
    file.set_len(size).unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_journal_that_is_not_ours_or_is_the_file_is_refused_and_nothing_is_touched() {
    let dir = tempfile::tempdir().unwrap();
    let serve = Serve::start(BIN, &dir.path().join("data"), TOKEN);
    let file = dir.path().join("doc.pdf");
    std::fs::write(&file, b"%PDF-1.7 the user's document").unwrap();
    let precious = dir.path().join("precious.bin");
    std::fs::write(&precious, b"the user's data").unwrap();
    let file_arg = file.to_str().unwrap();

    let cases = [
        (
            precious.to_str().unwrap().to_owned(),
            format!(
                "{} is not a graph-upload journal (no \"graph-upload-journal\" marker); it was left untouched: choose another journal path",
                precious.display()
            ),
        ),
        (
            file_arg.to_owned(),
            format!(
                "the journal {} is the file being uploaded; choose another journal path",
                file.display()
            ),
        ),
        (
            // The same file, spelled differently.
            format!("{}/./doc.pdf", dir.path().display()),
            format!(
                "the journal {}/./doc.pdf is the file being uploaded; choose another journal path",
                dir.path().display()
            ),
        ),
        (
            dir.path()
                .join("missing/j.journal")
                .to_str()
                .unwrap()
                .to_owned(),
            format!(
                "journal directory {} does not exist",
                dir.path().join("missing").display()
            ),
        ),
    ];
    for (journal, expected) in &cases {
        for args in [
            print_args(file_arg, &["--journal", journal]),
            todo_args(file_arg, &["--journal", journal]),
        ] {
            let output = upload(&serve.base, &args).output().unwrap();
            assert_eq!(&failure_line(&output), expected);
        }
    }
    assert_eq!(std::fs::read(&precious).unwrap(), b"the user's data");
    assert_eq!(
        std::fs::read(&file).unwrap(),
        b"%PDF-1.7 the user's document"
    );
    let mut names: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    names.sort();
    assert_eq!(
        names,
        ["data", "doc.pdf", "precious.bin"],
        "no file was added"
    );
    assert!(jobs(&serve).await.is_empty(), "no job was created");
    assert_eq!(attachments(&serve).await, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_fragment_sizes_and_content_types_are_refused_before_anything_is_created() {
    let dir = tempfile::tempdir().unwrap();
    let serve = Serve::start(BIN, &dir.path().join("data"), TOKEN);
    let file = dir.path().join("doc.pdf");
    write(&file, 2 * MIB);
    let file = file.to_str().unwrap();
    let cases = [
        (
            print_args(file, &["--fragment-size", "0"]),
            "--fragment-size 0 bytes is below the 320 KiB that fragments are multiples of",
        ),
        (
            print_args(file, &["--fragment-size", "1"]),
            "--fragment-size 1 byte is below the 320 KiB that fragments are multiples of",
        ),
        (
            print_args(file, &["--fragment-size", "11MiB"]),
            "--fragment-size 11 MiB is over print's 10 MiB per request",
        ),
        (
            todo_args(file, &["--fragment-size", "5MiB"]),
            "--fragment-size 5 MiB is over To Do's 4 MiB per request",
        ),
        (
            print_args(file, &["--content-type", "text/plain"]),
            "the printer does not accept \"text/plain\" (it accepts application/pdf, image/jpeg, image/png, application/octet-stream); pass a supported content type",
        ),
    ];
    for (args, expected) in cases {
        let output = upload(&serve.base, &args).output().unwrap();
        assert_eq!(failure_line(&output), expected, "{args:?}");
    }
    let big = dir.path().join("big.bin");
    write(&big, 25 * MIB + 1);
    let output = upload(&serve.base, &todo_args(big.to_str().unwrap(), &[]))
        .output()
        .unwrap();
    assert_eq!(
        failure_line(&output),
        "the file's 26214401 bytes is over To Do's 25 MiB limit"
    );
    assert!(jobs(&serve).await.is_empty(), "no job was created");
    assert_eq!(attachments(&serve).await, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unreachable_or_mismatched_base_url_fails_within_three_seconds_with_a_hint() {
    let dir = tempfile::tempdir().unwrap();
    let serve = Serve::start(BIN, &dir.path().join("data"), TOKEN);
    let file = dir.path().join("doc.pdf");
    write(&file, MIB);
    let file = file.to_str().unwrap();
    let refused = RefusedPort::bind();
    let closed = refused.base();
    let https = serve.base.replace("http://", "https://");
    for transport in ["reqwest", "hyper"] {
        for (base, hint) in [
            (
                &closed,
                "is the emulator running? is it http or https?".to_string(),
            ),
            (
                &https,
                format!("the TLS handshake with {https}/v1.0 failed"),
            ),
        ] {
            for args in [print_args(file, &[]), todo_args(file, &[])] {
                let mut args = args.clone();
                args.splice(1..1, ["--transport", transport]);
                let started = Instant::now();
                let output = upload(base, &args).output().unwrap();
                let elapsed = started.elapsed();
                let line = failure_line(&output);
                assert!(elapsed < Duration::from_secs(3), "{elapsed:?}: {line}");
                assert!(line.contains(&hint), "{line}");
                assert_eq!(output.status.code(), Some(1));
            }
        }
    }
}

/// Starts an upload of a large file cut in small fragments, waits until the server has
/// acknowledged some bytes (a progress line on stderr), sends `signal`, and returns the
/// output.
fn interrupt_mid_upload(serve: &Serve, args: &[&str], signal: &str) -> Output {
    let mut child = ChildGuard::spawn(&mut upload(&serve.base, args));
    let stderr = child.stderr.take().unwrap();
    let (lines, seen) = std::sync::mpsc::channel::<String>();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            let _ = lines.send(line);
        }
    });
    let deadline = Instant::now() + Duration::from_secs(30);
    let mut collected = Vec::new();
    loop {
        let line = seen
            .recv_timeout(deadline.saturating_duration_since(Instant::now()))
            .expect("progress lines arrive");
        let acknowledged = line
            .split_whitespace()
            .find_map(|w| w.split('/').next()?.parse::<u64>().ok())
            .unwrap_or(0);
        collected.push(line.clone());
        if !line.contains("session ready") && acknowledged > 0 {
            break;
        }
    }
    let status = Command::new("kill")
        .args(["-s", signal, &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let mut output = child.wait_with_output().unwrap();
    while let Ok(line) = seen.recv_timeout(Duration::from_secs(5)) {
        collected.push(line);
    }
    output.stderr = collected.join("\n").into_bytes();
    output
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_interrupted_upload_exits_130_and_removes_what_it_created() {
    let dir = tempfile::tempdir().unwrap();
    let serve = Serve::start(BIN, &dir.path().join("data"), TOKEN);
    let file = dir.path().join("big.pdf");
    write(&file, 256 * MIB);
    let file = file.to_str().unwrap();
    for signal in ["INT", "TERM"] {
        let args = print_args(file, &["--fragment-size", "320KiB", "--parallel", "1"]);
        let output = interrupt_mid_upload(&serve, &args, signal);
        assert_eq!(output.status.code(), Some(130), "SIG{signal}");
        let line = failure_line(&output);
        assert_eq!(line, "cancelled: what the upload created was removed");
    }
    let jobs = jobs(&serve).await;
    assert_eq!(jobs.len(), 2);
    for job in &jobs {
        assert_eq!(job["status"]["state"], "canceled", "{job}");
    }
    // A To Do upload interrupted: its session is deleted, no attachment appears.
    let todo = dir.path().join("notes.bin");
    write(&todo, 24 * MIB);
    let args = todo_args(todo.to_str().unwrap(), &["--fragment-size", "320KiB"]);
    let output = interrupt_mid_upload(&serve, &args, "INT");
    assert_eq!(output.status.code(), Some(130));
    assert_eq!(attachments(&serve).await, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_a_journal_an_interrupted_upload_keeps_its_job_and_says_how_to_resume() {
    let dir = tempfile::tempdir().unwrap();
    let serve = Serve::start(BIN, &dir.path().join("data"), TOKEN);
    let file = dir.path().join("big.pdf");
    write(&file, 256 * MIB);
    let journal = dir.path().join("big.journal");
    let args = print_args(
        file.to_str().unwrap(),
        &[
            "--fragment-size",
            "320KiB",
            "--parallel",
            "1",
            "--journal",
            journal.to_str().unwrap(),
        ],
    );
    let output = interrupt_mid_upload(&serve, &args, "INT");
    assert_eq!(output.status.code(), Some(130));
    assert_eq!(
        failure_line(&output),
        format!(
            "interrupted: {} keeps the session; run the same command again to resume",
            journal.display()
        )
    );
    let jobs = jobs(&serve).await;
    assert_eq!(jobs.len(), 1);
    assert_eq!(jobs[0]["status"]["state"], "paused", "kept for the resume");
    let text = std::fs::read_to_string(&journal).unwrap();
    assert!(
        text.contains("\"format\": \"graph-upload-journal\""),
        "{text}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_journal_of_another_file_is_replaced_with_a_warning_and_its_session_deleted() {
    let dir = tempfile::tempdir().unwrap();
    let serve = Serve::start(BIN, &dir.path().join("data"), TOKEN);
    let journal = dir.path().join("shared.journal");
    let first = dir.path().join("first.pdf");
    write(&first, 256 * MIB);
    let args = print_args(
        first.to_str().unwrap(),
        &[
            "--fragment-size",
            "320KiB",
            "--parallel",
            "1",
            "--journal",
            journal.to_str().unwrap(),
        ],
    );
    let output = interrupt_mid_upload(&serve, &args, "INT");
    assert_eq!(output.status.code(), Some(130));
    let saved: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&journal).unwrap()).unwrap();
    let old_url = saved["upload_url"].as_str().unwrap().to_owned();
    let old_path = old_url.split('?').next().unwrap().to_owned();

    let second = dir.path().join("second.pdf");
    write(&second, MIB);
    let output = upload(
        &serve.base,
        &print_args(
            second.to_str().unwrap(),
            &["--journal", journal.to_str().unwrap()],
        ),
    )
    .output()
    .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stderr}");
    assert!(
        stderr.contains(&format!(
            "warning: the journal {} belongs to another file or destination (session {old_path}?...)",
            journal.display()
        )),
        "{stderr}"
    );
    assert!(!stderr.contains("tempauthtoken"), "{stderr}");
    let gone = serve.http.get(&old_url).send().await.unwrap();
    assert_eq!(gone.status().as_u16(), 404, "the old session was deleted");
    let states: Vec<String> = jobs(&serve)
        .await
        .iter()
        .map(|job| job["status"]["state"].as_str().unwrap_or("").to_owned())
        .collect();
    assert!(states.contains(&"canceled".to_string()), "{states:?}");
    assert!(!journal.exists(), "the finished upload removed its journal");
}

/// Writes a journal for `file` naming `upload` (a job this client "created").
fn journal_for(journal: &Path, file: &Path, upload: &serve_process::PrintUpload) {
    let saved = graph_upload::test_journal::Journal::open(journal, file).unwrap();
    saved
        .save(&graph_upload::test_journal::JournalEntry {
            fingerprint: graph_upload::test_journal::Fingerprint::of(file).unwrap(),
            destination: format!("print/shares/{SHARE_ID}"),
            upload_url: upload.upload_url.clone().into(),
            ids: vec![upload.job_id.clone(), upload.document_id.clone()],
            created_job: true,
        })
        .unwrap();
}

async fn job_state(serve: &Serve, job_id: &str) -> String {
    let (status, body) = serve
        .get(&format!("/v1.0/print/shares/{SHARE_ID}/jobs/{job_id}"))
        .await;
    assert_eq!(status, 200);
    let job: serde_json::Value = serde_json::from_slice(&body).unwrap();
    job["status"]["state"].as_str().unwrap_or("").to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_journaled_session_that_is_gone_cancels_its_job_only_when_the_document_is_missing() {
    let dir = tempfile::tempdir().unwrap();
    let serve = Serve::start(BIN, &dir.path().join("data"), TOKEN);
    let file = dir.path().join("doc.pdf");
    let bytes: Vec<u8> = (0..1000u32).map(|i| (i % 251) as u8).collect();
    std::fs::write(&file, &bytes).unwrap();
    let journal = dir.path().join("doc.journal");

    // Completed by a run that died before it heard so: the job keeps its document.
    let completed = serve.create_print_upload(bytes.len() as u64).await;
    let reply = serve
        .http
        .put(&completed.upload_url)
        .header("content-range", "bytes 0-999/1000")
        .body(bytes.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(reply.status().as_u16(), 201);
    journal_for(&journal, &file, &completed);
    let output = upload(
        &serve.base,
        &print_args(
            file.to_str().unwrap(),
            &["--no-start", "--journal", journal.to_str().unwrap()],
        ),
    )
    .output()
    .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stderr}");
    assert!(
        stderr.contains("holds the whole document; it was left as is"),
        "{stderr}"
    );
    assert_eq!(job_state(&serve, &completed.job_id).await, "paused");

    // Expired (here: deleted) before any byte: its empty job is cancelled.
    let expired = serve.create_print_upload(bytes.len() as u64).await;
    let deleted = serve.http.delete(&expired.upload_url).send().await.unwrap();
    assert_eq!(deleted.status().as_u16(), 204);
    journal_for(&journal, &file, &expired);
    let output = upload(
        &serve.base,
        &print_args(
            file.to_str().unwrap(),
            &["--no-start", "--journal", journal.to_str().unwrap()],
        ),
    )
    .output()
    .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert_eq!(job_state(&serve, &expired.job_id).await, "canceled");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_a_journal_any_failure_after_the_session_says_how_to_resume_and_the_rerun_continues() {
    let dir = tempfile::tempdir().unwrap();
    // Fragments over 1 MiB are refused (413) once the session exists.
    let mut command = serve_process::serve_command(BIN, &dir.path().join("data"));
    command.args(["--token", TOKEN, "--print-max-fragment", "1048576"]);
    let serve = Serve::launch(command, Some(TOKEN));
    let file = dir.path().join("doc.pdf");
    let bytes: Vec<u8> = (0..4 * MIB).map(|i| (i % 253) as u8).collect();
    std::fs::write(&file, &bytes).unwrap();
    let journal = dir.path().join("doc.journal");
    let journal_arg = journal.to_str().unwrap();

    let output = upload(
        &serve.base,
        &print_args(file.to_str().unwrap(), &["--journal", journal_arg]),
    )
    .output()
    .unwrap();
    assert_eq!(
        failure_line(&output),
        format!(
            "too large: a fragment is over the service's per-request limit; lower the fragment size; {} keeps the session: run the same command again to resume",
            journal.display()
        )
    );
    let kept = jobs(&serve).await;
    assert_eq!(kept.len(), 1);
    assert_eq!(kept[0]["status"]["state"], "paused");

    let output = upload(
        &serve.base,
        &print_args(
            file.to_str().unwrap(),
            &["--journal", journal_arg, "--fragment-size", "960KiB"],
        ),
    )
    .output()
    .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let after = jobs(&serve).await;
    assert_eq!(after.len(), 1, "the rerun continued the same job");
    assert_eq!(after[0]["id"], kept[0]["id"]);
    assert!(!journal.exists());
}
