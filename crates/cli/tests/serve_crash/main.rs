//! Process-level tests of `graph-upload serve`: the start-up contract (first stdout line, the
//! generated token, the data directory, bad listen addresses), and crashes: every fragment the
//! server acknowledged survives `kill -9`, and SIGTERM/SIGINT stop it gracefully.
//!
//! Every test runs the real binary on `127.0.0.1:0` with a temporary data directory; a
//! [`Serve`] kills its process when dropped, so a failing test leaves nothing running.
//! Unix only: the tests send signals with kill(1).

#![cfg(unix)]

use graph_upload_server::fixtures::SHARE_ID;
use graph_upload_testkit::child_guard::ChildGuard;
use graph_upload_testkit::serve_process::{
    MIB, PutReply, RawPut, Rng, Serve, assert_same_bytes, complement, intersects, merge,
    parse_ranges, pattern, pieces, put_print, put_todo, serve_command, serve_command_on,
    session_status, wait_for_bytes_on_disk,
};
use graph_upload_testkit::urls::rebase;
use std::net::{IpAddr, Ipv4Addr};
use std::ops::Range;
use std::path::Path;
use std::process::{Command, ExitStatus, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// The binary under test.
const BIN: &str = env!("CARGO_BIN_EXE_graph-upload");

const SHARES: &str = "/v1.0/print/shares";

fn tempdir() -> tempfile::TempDir {
    tempfile::tempdir().expect("temp dir")
}

fn slice(bytes: &[u8], span: &Range<u64>) -> Vec<u8> {
    bytes[span.start as usize..span.end as usize].to_vec()
}

/// The missing spans a fragment reply reports (`nextExpectedRanges`, or To Do's
/// `NextExpectedRanges`).
fn reply_missing(reply: &PutReply, size: u64) -> Vec<Range<u64>> {
    let list = reply.body["nextExpectedRanges"]
        .as_array()
        .or_else(|| reply.body["NextExpectedRanges"].as_array())
        .unwrap_or_else(|| panic!("no next expected ranges in {}", reply.body));
    let texts: Vec<String> = list
        .iter()
        .map(|v| v.as_str().expect("range string").to_owned())
        .collect();
    parse_ranges(&texts, size)
}

/// Runs a command that is expected to exit by itself; kills it after `timeout`.
fn run_to_exit(mut command: Command, timeout: Duration) -> (ExitStatus, String, String) {
    let stdout = tempfile::NamedTempFile::new().expect("stdout file");
    let stderr = tempfile::NamedTempFile::new().expect("stderr file");
    command
        .stdin(Stdio::null())
        .stdout(Stdio::from(stdout.reopen().expect("reopen")))
        .stderr(Stdio::from(stderr.reopen().expect("reopen")));
    let mut child = ChildGuard::spawn(&mut command);
    let deadline = Instant::now() + timeout;
    let status = loop {
        if let Some(status) = child.try_wait().expect("try_wait") {
            break status;
        }
        if Instant::now() >= deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!(
                "graph-upload did not exit within {timeout:?}; stdout: {:?}; stderr: {:?}",
                std::fs::read_to_string(stdout.path()).unwrap_or_default(),
                std::fs::read_to_string(stderr.path()).unwrap_or_default()
            );
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    (
        status,
        std::fs::read_to_string(stdout.path()).unwrap_or_default(),
        std::fs::read_to_string(stderr.path()).unwrap_or_default(),
    )
}

/// Status of an API call with an explicit `Authorization` header (or none).
async fn status_with_auth(server: &Serve, path: &str, authorization: Option<&str>) -> u16 {
    let mut request = server.http.get(server.url(path));
    if let Some(value) = authorization {
        request = request.header(reqwest::header::AUTHORIZATION, value);
    }
    request
        .send()
        .await
        .unwrap_or_else(|e| panic!("GET {path}: {e}"))
        .status()
        .as_u16()
}

/// The token works, a wrong one and none get `401`.
async fn assert_token_is_enforced(server: &Serve) {
    let (status, body) = server.get(SHARES).await;
    assert_eq!(status, 200, "{}", String::from_utf8_lossy(&body));
    let shares: serde_json::Value = serde_json::from_slice(&body).expect("shares JSON");
    assert!(
        shares["value"]
            .as_array()
            .is_some_and(|all| all.iter().any(|s| s["id"] == SHARE_ID)),
        "the fixture share is listed: {shares}"
    );
    let wrong = format!("Bearer {}x", server.token);
    assert_eq!(status_with_auth(server, SHARES, Some(&wrong)).await, 401);
    assert_eq!(status_with_auth(server, SHARES, Some("Bearer ")).await, 401);
    assert_eq!(status_with_auth(server, SHARES, None).await, 401);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn first_line_is_the_listening_address_and_token_is_printed_when_generated() {
    let dir = tempdir();

    // No --token, no GRAPH_UPLOAD_TOKEN: a token is generated and printed on line 2.
    let generated = Serve::launch(serve_command(BIN, &dir.path().join("generated")), None);
    assert_eq!(generated.addr.ip(), IpAddr::V4(Ipv4Addr::LOCALHOST));
    assert_ne!(generated.addr.port(), 0);
    assert_eq!(
        generated.first_line,
        format!("listening on http://127.0.0.1:{}", generated.addr.port())
    );
    let token_line = generated.token_line.clone().expect("a token line");
    assert_eq!(token_line, format!("token: {}", generated.token));
    assert!(
        generated.token.len() >= 16,
        "a generated token should be long: {token_line:?}"
    );
    if let Err(line) = generated.stdout_silent_for(Duration::from_millis(300)) {
        panic!("unexpected third stdout line: {line:?}");
    }
    assert_token_is_enforced(&generated).await;

    // Another generated token is another token.
    let other = Serve::launch(serve_command(BIN, &dir.path().join("other")), None);
    assert_ne!(
        other.token, generated.token,
        "generated tokens must be random"
    );
    assert_ne!(other.addr, generated.addr);
    drop(other);
    drop(generated);

    // --token: no token line, and that token is the one enforced.
    let mut command = serve_command(BIN, &dir.path().join("given"));
    command.arg("--token").arg("given-token-123");
    let given = Serve::launch(command, Some("given-token-123"));
    assert!(
        given
            .first_line
            .starts_with("listening on http://127.0.0.1:")
    );
    if let Err(line) = given.stdout_silent_for(Duration::from_millis(300)) {
        panic!("with --token, stdout must stop after the address; got {line:?}");
    }
    assert_token_is_enforced(&given).await;
    drop(given);

    // GRAPH_UPLOAD_TOKEN is honoured the same way.
    let mut command = serve_command(BIN, &dir.path().join("env"));
    command.env("GRAPH_UPLOAD_TOKEN", "env-token-456");
    let from_env = Serve::launch(command, Some("env-token-456"));
    if let Err(line) = from_env.stdout_silent_for(Duration::from_millis(300)) {
        panic!("with GRAPH_UPLOAD_TOKEN, stdout must stop after the address; got {line:?}");
    }
    assert_token_is_enforced(&from_env).await;
}

/// A test that panics while a `graph-upload` it spawned runs leaves no process behind.
#[test]
fn a_child_guard_kills_and_reaps_its_process_when_the_test_panics() {
    let dir = tempdir();
    let mut command = serve_command(BIN, &dir.path().join("data"));
    command.args(["--token", "t"]);
    let (pid_sender, pid) = std::sync::mpsc::channel();
    let test = std::thread::spawn(move || {
        let child = ChildGuard::spawn(&mut command);
        pid_sender.send(child.id()).expect("send the pid");
        panic!("a failing test");
    });
    assert!(test.join().is_err(), "the test thread panicked");
    let pid = pid.recv().expect("the pid").to_string();
    // Reaped: no process (not even a zombie) has the pid any more.
    let alive = Command::new("kill")
        .args(["-0", &pid])
        .stderr(Stdio::null())
        .status()
        .expect("run kill(1)");
    assert!(
        !alive.success(),
        "process {pid} outlived the panicking test"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn data_dir_is_created_when_missing() {
    let dir = tempdir();
    let nested = dir.path().join("does").join("not").join("exist");
    assert!(!dir.path().join("does").exists());
    let server = Serve::start(BIN, &nested, "t");
    // The first request is answered once the data directory is open.
    let (status, _) = server.get(SHARES).await;
    assert_eq!(status, 200, "stderr:\n{}", server.stderr());
    assert!(nested.is_dir(), "{} was not created", nested.display());
    assert!(
        std::fs::read_dir(&nested).expect("read data dir").count() > 0,
        "the data directory holds the server's state"
    );
}

#[test]
fn bad_listen_address_fails_with_a_clear_message_and_nonzero_exit() {
    let dir = tempdir();

    let mut command = serve_command_on(BIN, &dir.path().join("data"), "not-an-address");
    command.args(["--token", "t"]);
    let (status, stdout, stderr) = run_to_exit(command, Duration::from_secs(20));
    assert!(!status.success(), "exit status {status:?}");
    assert!(
        !stdout.contains("listening on"),
        "a server that cannot listen must not announce an address: {stdout:?}"
    );
    assert!(
        stderr.contains("not-an-address"),
        "the message names the bad address: {stderr:?}"
    );

    // A port already in use.
    let holder = std::net::TcpListener::bind("127.0.0.1:0").expect("bind a port");
    let taken = holder.local_addr().expect("address").to_string();
    let mut command = serve_command_on(BIN, &dir.path().join("data"), &taken);
    command.args(["--token", "t"]);
    let (status, stdout, stderr) = run_to_exit(command, Duration::from_secs(20));
    assert!(!status.success(), "exit status {status:?}");
    assert!(
        !stdout.contains("listening on"),
        "a server that cannot listen must not announce an address: {stdout:?}"
    );
    assert!(
        stderr.contains(&taken),
        "the message names the address: {stderr:?}"
    );
    assert!(
        stderr.to_ascii_lowercase().contains("in use"),
        "the message says the address is in use: {stderr:?}"
    );
    drop(holder);
}

/// Tools take the first stdout line as "the server is up". A server whose data directory
/// cannot be opened must fail without announcing an address.
#[test]
fn unusable_data_dir_fails_before_the_address_is_announced() {
    let dir = tempdir();

    // The data directory is a regular file.
    let file = dir.path().join("a-file");
    std::fs::write(&file, b"not a directory").expect("write file");
    let mut command = serve_command(BIN, &file);
    command.args(["--token", "t"]);
    let (status, stdout, stderr) = run_to_exit(command, Duration::from_secs(20));
    assert!(!status.success(), "exit status {status:?}");
    assert!(!stderr.is_empty(), "a message explains the failure");
    assert!(
        !stdout.contains("listening on"),
        "announced an address, then failed: stdout {stdout:?}, stderr {stderr:?}"
    );

    // The data directory is in use by another server (its database is locked).
    let data = dir.path().join("data");
    let running = Serve::start(BIN, &data, "t");
    let mut command = serve_command(BIN, &data);
    command.args(["--token", "t"]);
    let (status, stdout, stderr) = run_to_exit(command, Duration::from_secs(20));
    assert!(!status.success(), "exit status {status:?}");
    assert!(
        !stdout.contains("listening on"),
        "announced an address, then failed: stdout {stdout:?}, stderr {stderr:?}"
    );
    drop(running);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill_9_mid_upload_keeps_every_acknowledged_range() {
    let dir = tempdir();
    let data_dir = dir.path().join("data");
    let token = "kill-9-token";
    let fragment = 4 * MIB;

    // Print: three fragments acknowledged out of order, a fourth in flight.
    let size = 24 * MIB;
    let bytes = pattern(size, 0x9_1);
    let mut server = Serve::start(BIN, &data_dir, token);
    let upload = server.create_print_upload(size).await;
    let mut acked = Vec::new();
    for index in [0, 2, 3] {
        let span = index * fragment..(index + 1) * fragment;
        let reply = put_print(
            &server.http,
            &upload.upload_url,
            size,
            span.clone(),
            slice(&bytes, &span),
        )
        .await
        .expect("PUT fragment");
        assert_eq!(reply.status, 202, "{span:?}: {}", reply.body);
        acked.push(span);
        assert_eq!(reply_missing(&reply, size), complement(&acked, size));
    }
    let in_flight = 4 * fragment..5 * fragment;
    let half = (fragment / 2) as usize;
    let start = in_flight.start as usize;
    let mut raw = RawPut::print_fragment(server.addr, &upload.upload_url, size, &in_flight)
        .expect("start the in-flight PUT");
    raw.send(&bytes[start..start + half])
        .expect("send half a fragment");
    if !wait_for_bytes_on_disk(
        &data_dir,
        in_flight.start,
        &bytes[start..start + 64 * 1024],
        Duration::from_secs(5),
    ) {
        eprintln!("note: the in-flight bytes were not seen on disk before kill -9");
    }
    server.kill9();
    let answer = raw.status();
    assert!(
        !answer.is_some_and(|code| (200..300).contains(&code)),
        "a fragment whose body never ended was acknowledged: {answer:?}"
    );
    drop(server);

    let server = Serve::start(BIN, &data_dir, token);
    let url = rebase(&upload.upload_url, &server.base);
    let (status, missing, body) = session_status(&server.http, &url, None, size).await;
    assert_eq!(status, 200, "GET the session after restart: {body}");
    assert_eq!(
        missing,
        complement(&acked, size),
        "after kill -9: {body} (acknowledged {acked:?})"
    );
    let rest: Vec<Range<u64>> = missing
        .into_iter()
        .flat_map(|span| pieces(span, fragment))
        .collect();
    for (i, span) in rest.iter().enumerate() {
        let reply = put_print(&server.http, &url, size, span.clone(), slice(&bytes, span))
            .await
            .expect("PUT after restart");
        let expected = if i + 1 == rest.len() { 201 } else { 202 };
        assert_eq!(reply.status, expected, "{span:?}: {}", reply.body);
        if expected == 201 {
            assert_eq!(reply.body["size"], size, "{}", reply.body);
        }
    }
    assert_same_bytes(
        &server.print_value(&upload).await,
        &bytes,
        "print $value after kill -9",
    );

    // To Do: two fragments acknowledged in order, the third in flight.
    let size = 10 * MIB + 12_345;
    let bytes = pattern(size, 0x70_d0);
    let mut server = server;
    let upload = server.create_todo_upload("x.bin", size).await;
    let mut acked = Vec::new();
    for index in 0..2 {
        let span = index * fragment..(index + 1) * fragment;
        let reply = put_todo(
            &server.http,
            &upload.upload_url,
            token,
            size,
            span.clone(),
            slice(&bytes, &span),
        )
        .await
        .expect("PUT To Do fragment");
        assert_eq!(reply.status, 200, "{span:?}: {}", reply.body);
        assert_eq!(
            reply.body["NextExpectedRanges"],
            serde_json::json!([span.end.to_string()]),
            "{}",
            reply.body
        );
        acked.push(span);
    }
    let in_flight = 2 * fragment..size;
    let start = in_flight.start as usize;
    let mut raw = RawPut::todo_fragment(server.addr, &upload.upload_url, token, size, &in_flight)
        .expect("start the in-flight To Do PUT");
    raw.send(&bytes[start..start + half])
        .expect("send half a fragment");
    if !wait_for_bytes_on_disk(
        &data_dir,
        in_flight.start,
        &bytes[start..start + 64 * 1024],
        Duration::from_secs(5),
    ) {
        eprintln!("note: the in-flight To Do bytes were not seen on disk before kill -9");
    }
    server.kill9();
    let answer = raw.status();
    assert!(
        !answer.is_some_and(|code| (200..300).contains(&code)),
        "a To Do fragment whose body never ended was acknowledged: {answer:?}"
    );
    drop(server);

    let server = Serve::start(BIN, &data_dir, token);
    let url = rebase(&upload.upload_url, &server.base);
    let (status, missing, body) = session_status(&server.http, &url, Some(token), size).await;
    assert_eq!(status, 200, "GET the To Do session after restart: {body}");
    assert_eq!(missing, complement(&acked, size), "after kill -9: {body}");
    // Continue in order from where the server says.
    let rest = pieces(missing[0].start..size, fragment);
    let mut location = None;
    for (i, span) in rest.iter().enumerate() {
        let reply = put_todo(
            &server.http,
            &url,
            token,
            size,
            span.clone(),
            slice(&bytes, span),
        )
        .await
        .expect("PUT To Do after restart");
        if i + 1 == rest.len() {
            assert_eq!(reply.status, 201, "{span:?}: {}", reply.body);
            location = reply.location;
        } else {
            assert_eq!(reply.status, 200, "{span:?}: {}", reply.body);
        }
    }
    let location = location.expect("the completed To Do upload has a Location");
    assert!(
        location.starts_with(&server.base),
        "Location {location} is on the restarted server {}",
        server.base
    );
    assert_same_bytes(
        &server.attachment_value(&location).await,
        &bytes,
        "To Do $value after kill -9",
    );
}

/// What the uploading tasks saw before the server was killed.
#[derive(Debug, Default)]
struct Progress {
    /// Spans whose PUT got a 2xx.
    acked: Vec<Range<u64>>,
    /// A PUT got `201`: the upload completed.
    completed: bool,
    /// Unexpected (non-2xx) answers, which no PUT should get before the kill.
    refused: Vec<(Range<u64>, u16, String)>,
}

/// One upload driven by background tasks: print with two uploaders in parallel, in the order
/// of `spans`; To Do with one, in order. They stop at the first connection error.
fn spawn_uploaders(
    server: &Serve,
    upload_url: &str,
    todo: bool,
    bytes: &Arc<Vec<u8>>,
    spans: Vec<Range<u64>>,
    progress: &Arc<Mutex<Progress>>,
) -> Vec<tokio::task::JoinHandle<()>> {
    let size = bytes.len() as u64;
    let queue = Arc::new(Mutex::new(spans.into_iter().rev().collect::<Vec<_>>()));
    let workers = if todo { 1 } else { 2 };
    let mut tasks = Vec::new();
    for _ in 0..workers {
        let (queue, progress, bytes) = (queue.clone(), progress.clone(), bytes.clone());
        let http = server.http.clone();
        let (url, token) = (upload_url.to_owned(), server.token.clone());
        tasks.push(tokio::spawn(async move {
            loop {
                let Some(span) = queue.lock().unwrap().pop() else {
                    return;
                };
                let body = slice(&bytes, &span);
                let result = if todo {
                    put_todo(&http, &url, &token, size, span.clone(), body).await
                } else {
                    put_print(&http, &url, size, span.clone(), body).await
                };
                let Ok(reply) = result else {
                    return; // the server is gone
                };
                let mut progress = progress.lock().unwrap();
                if (200..300).contains(&reply.status) {
                    progress.acked.push(span);
                    progress.completed |= reply.status == 201;
                } else {
                    progress
                        .refused
                        .push((span, reply.status, reply.body.to_string()));
                    return;
                }
            }
        }));
    }
    tasks
}

async fn join_uploaders(tasks: Vec<tokio::task::JoinHandle<()>>, context: &str) {
    for task in tasks {
        tokio::time::timeout(Duration::from_secs(60), task)
            .await
            .unwrap_or_else(|_| panic!("{context}: an uploader hung"))
            .expect("uploader task");
    }
}

/// Waits until the uploaders have had `count` fragments acknowledged (or stopped).
async fn wait_for_acks(
    progress: &Arc<Mutex<Progress>>,
    tasks: &[tokio::task::JoinHandle<()>],
    count: usize,
    context: &str,
) {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        {
            let progress = progress.lock().unwrap();
            assert!(
                progress.refused.is_empty(),
                "{context}: refused PUTs {:?}",
                progress.refused
            );
            if progress.acked.len() >= count {
                return;
            }
        }
        assert!(
            !tasks.iter().all(tokio::task::JoinHandle::is_finished),
            "{context}: the uploaders stopped before {count} fragments were acknowledged: {:?}",
            progress.lock().unwrap()
        );
        assert!(
            Instant::now() < deadline,
            "{context}: {count} fragments were not acknowledged within 30 s: {:?}",
            progress.lock().unwrap()
        );
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill_9_at_random_moments_never_loses_acknowledged_bytes() {
    const SEED: u64 = 0x5eed_6a4f_2026;
    const ITERATIONS: u64 = 8;
    let dir = tempdir();
    let data_dir = dir.path().join("data");
    let token = "random-kill-token";
    let piece = 256 * 1024;
    let mut rng = Rng::new(SEED);
    let mut server = Serve::start(BIN, &data_dir, token);

    let mut interrupted = 0;
    for iteration in 0..ITERATIONS {
        let todo = iteration % 2 == 1;
        let size = 6 * MIB + rng.below(MIB);
        let bytes = Arc::new(pattern(size, SEED ^ iteration));
        let name = format!("random-{iteration}.bin");
        let context = format!("seed {SEED:#x}, iteration {iteration}, To Do {todo}, size {size}");
        let mut spans = pieces(0..size, piece);
        let (upload_url, print_upload) = if todo {
            (
                server.create_todo_upload(&name, size).await.upload_url,
                None,
            )
        } else {
            rng.shuffle(&mut spans);
            let upload = server.create_print_upload(size).await;
            (upload.upload_url.clone(), Some(upload))
        };
        let progress = Arc::new(Mutex::new(Progress::default()));
        // The kill comes once a random number of fragments were acknowledged, leaving at
        // least four of them to go: the upload is cut with acknowledged bytes behind it and
        // more in flight, whatever the speed of the machine.
        let kill_after = 1 + rng.below(spans.len() as u64 - 4) as usize;
        let tasks = spawn_uploaders(&server, &upload_url, todo, &bytes, spans, &progress);
        wait_for_acks(&progress, &tasks, kill_after, &context).await;
        server.kill9();
        join_uploaders(tasks, &context).await;
        drop(server);
        let Progress {
            acked,
            completed,
            refused,
        } = std::mem::take(&mut *progress.lock().unwrap());
        assert!(refused.is_empty(), "{context}: refused PUTs {refused:?}");
        let acked = merge(acked);
        let acked_bytes: u64 = acked.iter().map(|s| s.end - s.start).sum();
        eprintln!(
            "{context}: killed after {kill_after} acknowledged fragments, with {acked_bytes} bytes acknowledged{}",
            if completed { " (completed)" } else { "" }
        );

        server = Serve::start(BIN, &data_dir, token);
        let url = rebase(&upload_url, &server.base);
        let bearer = todo.then_some(token);
        let (status, missing, body) = session_status(&server.http, &url, bearer, size).await;
        if status == 404 {
            // The upload completed before the kill (its 201 may not have reached the client).
            let stored = match &print_upload {
                Some(upload) => server.print_value(upload).await,
                None => {
                    let location = server.find_attachment(&name).await.unwrap_or_else(|| {
                        panic!("{context}: the session is gone but no attachment exists")
                    });
                    server.attachment_value(&location).await
                }
            };
            assert_same_bytes(&stored, &bytes, &context);
            continue;
        }
        assert_eq!(status, 200, "{context}: GET session: {body}");
        assert!(
            !completed,
            "{context}: a PUT got 201 yet the session still exists: {body}"
        );
        assert!(
            !intersects(&missing, &acked),
            "{context}: acknowledged bytes {acked:?} are reported missing again: {missing:?}"
        );
        if acked_bytes > 0 {
            interrupted += 1;
        }

        // Finish the upload and compare.
        let rest: Vec<Range<u64>> = if todo {
            pieces(missing[0].start..size, piece)
        } else {
            missing.into_iter().flat_map(|s| pieces(s, piece)).collect()
        };
        let mut location = None;
        for (i, span) in rest.iter().enumerate() {
            let body = slice(&bytes, span);
            let reply = if todo {
                put_todo(&server.http, &url, token, size, span.clone(), body).await
            } else {
                put_print(&server.http, &url, size, span.clone(), body).await
            }
            .unwrap_or_else(|e| panic!("{context}: PUT {span:?} after restart: {e}"));
            let expected = match (i + 1 == rest.len(), todo) {
                (true, _) => 201,
                (false, true) => 200,
                (false, false) => 202,
            };
            assert_eq!(
                reply.status, expected,
                "{context}: {span:?}: {}",
                reply.body
            );
            location = reply.location;
        }
        let stored = match &print_upload {
            Some(upload) => server.print_value(upload).await,
            None => {
                let location = location.expect("Location of the attachment");
                server.attachment_value(&location).await
            }
        };
        assert_same_bytes(&stored, &bytes, &context);
    }
    eprintln!("{interrupted} of {ITERATIONS} uploads were killed midway with acknowledged bytes");
    assert!(
        interrupted * 5 >= ITERATIONS * 4,
        "only {interrupted} of {ITERATIONS} uploads were killed midway with acknowledged bytes: \
         the test did not test kills mid-upload"
    );
}

/// Sends half of a print fragment over a raw connection, then SIGTERM; returns the connection.
fn half_fragment_then_sigterm(
    server: &Serve,
    data_dir: &Path,
    upload_url: &str,
    bytes: &[u8],
    span: &Range<u64>,
) -> RawPut {
    let size = bytes.len() as u64;
    let start = span.start as usize;
    let half = ((span.end - span.start) / 2) as usize;
    let mut raw = RawPut::print_fragment(server.addr, upload_url, size, span)
        .expect("start the in-flight PUT");
    raw.send(&bytes[start..start + half])
        .expect("send half a fragment");
    if !wait_for_bytes_on_disk(
        data_dir,
        span.start,
        &bytes[start..start + 64 * 1024],
        Duration::from_secs(5),
    ) {
        eprintln!("note: the in-flight bytes were not seen on disk before SIGTERM");
    }
    server.signal("TERM");
    // The server closes its listener when it starts shutting down.
    assert!(
        server.wait_until_refusing(Duration::from_secs(10)),
        "the server still accepts connections 10 s after SIGTERM"
    );
    raw
}

fn assert_exits_zero(server: &mut Serve, within: Duration, what: &str) {
    let status = server
        .wait_exit(within)
        .unwrap_or_else(|| panic!("{what}: still running {within:?} after the signal"));
    assert_eq!(
        status.code(),
        Some(0),
        "{what}: exit status {status:?}; stderr:\n{}",
        server.stderr()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_lets_an_in_flight_fragment_finish_or_not_be_acknowledged() {
    let dir = tempdir();
    let data_dir = dir.path().join("data");
    let token = "sigterm-token";
    let fragment = 4 * MIB;
    let size = 12 * MIB;
    let bytes = pattern(size, 0x7e_a3);
    let mut server = Serve::start(BIN, &data_dir, token);
    let upload = server.create_print_upload(size).await;
    let first = 0..fragment;
    let reply = put_print(
        &server.http,
        &upload.upload_url,
        size,
        first.clone(),
        slice(&bytes, &first),
    )
    .await
    .expect("PUT");
    assert_eq!(reply.status, 202, "{}", reply.body);
    let mut acked = vec![first];

    // 1. SIGTERM mid-body, then the client finishes sending.
    let span = fragment..2 * fragment;
    let mut raw = half_fragment_then_sigterm(&server, &data_dir, &upload.upload_url, &bytes, &span);
    let start = (span.start + fragment / 2) as usize;
    let answer = match raw.send(&bytes[start..span.end as usize]) {
        Ok(()) => raw.status(),
        Err(_) => None,
    };
    let acknowledged = answer.is_some_and(|code| (200..300).contains(&code));
    eprintln!("SIGTERM with a fragment in flight, body finished: answer {answer:?}");
    if acknowledged {
        acked.push(span.clone());
    }
    assert_exits_zero(
        &mut server,
        Duration::from_secs(15),
        "SIGTERM, body finished",
    );
    drop(server);

    let mut server = Serve::start(BIN, &data_dir, token);
    let url = rebase(&upload.upload_url, &server.base);
    let (status, missing, body) = session_status(&server.http, &url, None, size).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        missing,
        complement(&acked, size),
        "answer {answer:?}: the fragment must be stored iff it was acknowledged; {body}"
    );

    // 2. SIGTERM mid-body, then the client gives up: nothing acknowledged, and the server
    // still exits by itself once the connection is gone.
    let span = 2 * fragment..size;
    let raw = half_fragment_then_sigterm(&server, &data_dir, &url, &bytes, &span);
    drop(raw);
    assert_exits_zero(
        &mut server,
        Duration::from_secs(15),
        "SIGTERM, client gave up",
    );
    drop(server);

    let mut server = Serve::start(BIN, &data_dir, token);
    let url = rebase(&upload.upload_url, &server.base);
    let (status, missing, body) = session_status(&server.http, &url, None, size).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        missing,
        complement(&acked, size),
        "an abandoned fragment is not received: {body}"
    );
    let rest: Vec<Range<u64>> = missing
        .into_iter()
        .flat_map(|s| pieces(s, fragment))
        .collect();
    for (i, span) in rest.iter().enumerate() {
        let reply = put_print(&server.http, &url, size, span.clone(), slice(&bytes, span))
            .await
            .expect("PUT after restart");
        let expected = if i + 1 == rest.len() { 201 } else { 202 };
        assert_eq!(reply.status, expected, "{span:?}: {}", reply.body);
    }
    assert_same_bytes(&server.print_value(&upload).await, &bytes, "print $value");

    // 3. SIGTERM with nothing in flight (the client's pooled connection is idle).
    server.signal("TERM");
    assert_exits_zero(&mut server, Duration::from_secs(10), "SIGTERM, idle");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigint_stops_the_server_gracefully() {
    let dir = tempdir();
    let data_dir = dir.path().join("data");
    let mut server = Serve::start(BIN, &data_dir, "sigint-token");
    let (status, _) = server.get(SHARES).await;
    assert_eq!(status, 200);
    server.signal("INT");
    assert_exits_zero(&mut server, Duration::from_secs(10), "SIGINT");
    drop(server);
    // The data directory is left in a state the next server opens.
    let server = Serve::start(BIN, &data_dir, "sigint-token");
    let (status, _) = server.get(SHARES).await;
    assert_eq!(status, 200, "stderr:\n{}", server.stderr());
}
