//! Chaos: the real `graph-upload` binaries, a proxy that resets 30% of connections at random
//! byte offsets, and one `kill -9` of the emulator in the middle of the print upload (restarted
//! on the same port and data directory). A 64 MiB print document in parallel and a 20 MiB To
//! Do attachment must still arrive byte for byte through `$value`.
//!
//! The seed is printed; `GRAPH_UPLOAD_CHAOS_SEED=N` repeats a run.

#![cfg(unix)]
// One copy for the workspace: the tests crate's support module.
use graph_upload_server::fixtures::{LIST_ID, SHARE_ID, TASK_ID};
use graph_upload_testkit::chaos_proxy::ChaosProxy;
use graph_upload_testkit::child_guard::ChildGuard;
use graph_upload_testkit::refused_port::RefusedPort;
use graph_upload_testkit::serve_process::{MIB, Serve, serve_command_on};
use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::atomic::Ordering;
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// The binary under test.
const BIN: &str = env!("CARGO_BIN_EXE_graph-upload");

const TOKEN: &str = "chaos-token";

/// A file whose every MiB differs (so a misplaced fragment cannot go unnoticed).
fn patterned(path: &Path, size: u64) -> Vec<u8> {
    let mut bytes = Vec::with_capacity(size as usize);
    let mut state = 0x9e37_79b9_7f4a_7c15u64;
    while (bytes.len() as u64) < size {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        bytes.extend_from_slice(&state.to_le_bytes());
    }
    bytes.truncate(size as usize);
    std::fs::File::create(path)
        .unwrap()
        .write_all(&bytes)
        .unwrap();
    bytes
}

fn serve_on(data_dir: &Path, listen: &str, public_url: &str) -> Serve {
    let mut command = serve_command_on(BIN, data_dir, listen);
    command.args(["--token", TOKEN, "--public-url", public_url]);
    Serve::launch(command, Some(TOKEN))
}

/// Spawns `graph-upload upload ...` through the proxy; stderr lines go to the channel.
fn spawn_upload(base: &str, args: &[&str]) -> (ChildGuard, mpsc::Receiver<String>) {
    let mut child = ChildGuard::spawn(
        Command::new(BIN)
            .arg("upload")
            .args(args)
            .args(["--base-url", base, "--token", TOKEN])
            .stdout(Stdio::piped())
            .stderr(Stdio::piped()),
    );
    let stderr = child.stderr.take().unwrap();
    let (sender, lines) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            let _ = sender.send(line);
        }
    });
    (child, lines)
}

/// `label: N/M bytes` progress lines: the acknowledged count.
fn acknowledged(line: &str) -> Option<u64> {
    let (_, rest) = line.split_once(": ")?;
    let (count, _) = rest.split_once('/')?;
    count.parse().ok()
}

fn finish(child: ChildGuard, lines: &mpsc::Receiver<String>, seen: &mut Vec<String>) -> String {
    let output = child.wait_with_output().unwrap();
    while let Ok(line) = lines.recv_timeout(Duration::from_millis(200)) {
        seen.push(line);
    }
    assert!(
        output.status.success(),
        "the upload failed:\n{}",
        seen.join("\n")
    );
    String::from_utf8(output.stdout).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn uploads_survive_connection_resets_and_an_emulator_kill() {
    let started = Instant::now();
    let seed = std::env::var("GRAPH_UPLOAD_CHAOS_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(1, |d| d.as_nanos() as u64)
        });
    println!("chaos seed {seed} (GRAPH_UPLOAD_CHAOS_SEED={seed} repeats it)");
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let proxy_listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let proxy_base = format!("http://{}", proxy_listener.local_addr().unwrap());
    let mut serve = serve_on(&data, "127.0.0.1:0", &proxy_base);
    let upstream = serve.addr;
    let proxy = ChaosProxy::start(proxy_listener, upstream, 0.3, 4 * MIB, seed).await;
    proxy.stats.force.store(2, Ordering::Relaxed);

    // Print: 64 MiB in parallel, the emulator killed once a third is acknowledged.
    let size = 64 * MIB;
    let file = dir.path().join("chaos.pdf");
    let bytes = patterned(&file, size);
    let (child, lines) = spawn_upload(
        &proxy.base,
        &[
            "print",
            "--share",
            SHARE_ID,
            "--parallel",
            "4",
            file.to_str().unwrap(),
        ],
    );
    let mut seen = Vec::new();
    let deadline = Instant::now() + Duration::from_secs(40);
    let at_kill = loop {
        let line = lines
            .recv_timeout(deadline.saturating_duration_since(Instant::now()))
            .unwrap_or_else(|_| panic!("no progress before the kill:\n{}", seen.join("\n")));
        seen.push(line.clone());
        if let Some(count) = acknowledged(&line)
            && count >= size / 3
            && !line.contains("session ready")
        {
            break count;
        }
    };
    serve.kill9();
    let restarted_at = Instant::now();
    let serve = serve_on(&data, &upstream.to_string(), &proxy_base);
    let restart = restarted_at.elapsed();
    let stdout = finish(child, &lines, &mut seen);
    assert!(at_kill < size, "the kill landed after the upload ended");
    let document: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    let document_id = document["id"].as_str().unwrap();
    // The list leaves `documents` out unless expanded (printershare-list-jobs.md).
    let (_, jobs) = serve
        .get(&format!(
            "/v1.0/print/shares/{SHARE_ID}/jobs?$expand=documents"
        ))
        .await;
    let jobs: serde_json::Value = serde_json::from_slice(&jobs).unwrap();
    let job = jobs["value"]
        .as_array()
        .unwrap()
        .iter()
        .find(|job| job["documents"][0]["id"] == document_id)
        .expect("the job of the uploaded document");
    let stored = serve
        .print_document_value(job["id"].as_str().unwrap(), document_id)
        .await;
    assert!(
        stored == bytes,
        "the stored print document differs from the file"
    );
    let print_retries = seen.iter().filter(|l| l.contains(": retry ")).count();
    let print_upstream = proxy.stats.upstream_bytes.load(Ordering::Relaxed);

    // To Do: 20 MiB in order, through the same proxy.
    let todo_size = 20 * MIB;
    let todo_file = dir.path().join("chaos.bin");
    let todo_bytes = patterned(&todo_file, todo_size);
    proxy.stats.force.store(2, Ordering::Relaxed);
    let (child, lines) = spawn_upload(
        &proxy.base,
        &[
            "todo",
            "--list",
            LIST_ID,
            "--task",
            TASK_ID,
            todo_file.to_str().unwrap(),
        ],
    );
    let mut todo_seen = Vec::new();
    let stdout = finish(child, &lines, &mut todo_seen);
    let attachment: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    let stored = serve
        .attachment_value(attachment["location"].as_str().unwrap())
        .await;
    assert!(
        stored == todo_bytes,
        "the stored attachment differs from the file"
    );
    let todo_retries = todo_seen.iter().filter(|l| l.contains(": retry ")).count();
    let total_upstream = proxy.stats.upstream_bytes.load(Ordering::Relaxed);

    let connections = proxy.stats.connections.load(Ordering::Relaxed);
    let cut = proxy.stats.cut.load(Ordering::Relaxed);
    let refused = proxy.stats.refused.load(Ordering::Relaxed);
    println!(
        "connections {connections}, cut on purpose {cut}, refused while the emulator was down {refused}; \
         emulator killed at {at_kill}/{size} bytes acknowledged, back in {restart:?}; \
         print: {print_retries} retries, {:.1}% of the file sent again (request bytes through the proxy {print_upstream}); \
         todo: {todo_retries} retries, {:.1}% sent again; {:?} in all",
        (print_upstream as f64 / size as f64 - 1.0) * 100.0,
        ((total_upstream - print_upstream) as f64 / todo_size as f64 - 1.0) * 100.0,
        started.elapsed()
    );
    assert!(cut >= 4, "the proxy cut only {cut} connections");
    assert!(
        print_retries + todo_retries > 0,
        "no retry was ever reported"
    );
    assert!(
        started.elapsed() < Duration::from_secs(60),
        "{:?}",
        started.elapsed()
    );
}

/// Runs `graph-upload upload ...` to the end and returns stdout and stderr together.
fn run_upload(base: &str, args: &[&str]) -> (bool, String) {
    let output = Command::new(BIN)
        .arg("upload")
        .args(args)
        .args(["--base-url", base, "--token", TOKEN])
        .output()
        .unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    (output.status.success(), text)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_secret_reaches_the_terminal_in_retrying_or_failing_uploads() {
    let dir = tempfile::tempdir().unwrap();
    let proxy_listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let proxy_base = format!("http://{}", proxy_listener.local_addr().unwrap());
    // Fragments over 1 MiB are refused with 413 once the session exists: a failing upload.
    let mut command = serve_command_on(BIN, &dir.path().join("data"), "127.0.0.1:0");
    command.args(["--token", TOKEN, "--public-url", &proxy_base]);
    let strict = {
        let mut command = serve_command_on(BIN, &dir.path().join("strict"), "127.0.0.1:0");
        command.args(["--token", TOKEN, "--print-max-fragment", "1048576"]);
        command.args(["--todo-max-fragment", "1048576"]);
        Serve::launch(command, Some(TOKEN))
    };
    let serve = Serve::launch(command, Some(TOKEN));
    let proxy = ChaosProxy::start(proxy_listener, serve.addr, 0.3, 2 * MIB, 7).await;
    let file = dir.path().join("secret.pdf");
    patterned(&file, 6 * MIB);
    let file = file.to_str().unwrap();
    let refused = RefusedPort::bind();
    let closed = refused.base();
    let mut transcript = String::new();
    let mut retried = 0;
    for transport in ["reqwest", "hyper"] {
        let print = ["print", "--transport", transport, "--share", SHARE_ID, file];
        let todo = [
            "todo",
            "--transport",
            transport,
            "--list",
            LIST_ID,
            "--task",
            TASK_ID,
            file,
        ];
        for args in [&print[..], &todo[..]] {
            proxy.stats.force.store(2, Ordering::Relaxed);
            let (ok, text) = run_upload(&proxy.base, args);
            assert!(ok, "{text}");
            retried += text.matches(": retry ").count();
            transcript.push_str(&text);
            let (ok, text) = run_upload(&strict.base, args);
            assert!(!ok && text.contains("too large"), "{text}");
            transcript.push_str(&text);
            let (ok, text) = run_upload(&closed, args);
            assert!(!ok && text.contains("nothing answers"), "{text}");
            transcript.push_str(&text);
        }
    }
    transcript.push_str(&serve.stderr());
    transcript.push_str(&strict.stderr());
    assert!(retried > 0, "no upload was retried:\n{transcript}");
    assert!(
        !transcript.contains(TOKEN),
        "the token was printed:\n{transcript}"
    );
    assert!(
        !transcript.contains("tempauthtoken"),
        "an upload URL's query was printed:\n{transcript}"
    );
    // The retries name the upload URL, redacted.
    assert!(transcript.contains("/uploadSessions/"), "{transcript}");
    assert!(transcript.contains("?..."), "{transcript}");
}
