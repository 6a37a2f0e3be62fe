//! The start-up contract: the first stdout line, the generated token, the data directory, bad
//! listen addresses and unusable data directories; and the child guard itself.

use crate::common::{BIN, SHARES, tempdir};
use graph_upload_server::fixtures::SHARE_ID;
use graph_upload_testkit::child_guard::ChildGuard;
use graph_upload_testkit::serve_process::{Serve, serve_command, serve_command_on};
use std::net::{IpAddr, Ipv4Addr};
use std::process::{Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

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
async fn first_line_is_the_listening_address_then_the_token_then_the_dashboard() {
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
    // Line 3: the dashboard, signed in by the fragment (the token is already on line 2).
    assert_eq!(
        generated.dashboard,
        format!("{}/_emulator/#token={}", generated.base, generated.token)
    );
    if let Err(line) = generated.stdout_silent_for(Duration::from_millis(300)) {
        panic!("unexpected fourth stdout line: {line:?}");
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

    // --token: the token line says it was given without showing it, the dashboard's URL has
    // no token, and that token is the one enforced.
    let mut command = serve_command(BIN, &dir.path().join("given"));
    command.arg("--token").arg("given-token-123");
    let given = Serve::launch(command, Some("given-token-123"));
    assert!(
        given
            .first_line
            .starts_with("listening on http://127.0.0.1:")
    );
    assert_eq!(
        given.startup_lines[1..],
        [
            "token: given with --token or GRAPH_UPLOAD_TOKEN (not shown)".to_owned(),
            format!("dashboard: {}/_emulator/", given.base)
        ]
    );
    if let Err(line) = given.stdout_silent_for(Duration::from_millis(300)) {
        panic!("with --token, stdout must stop after the dashboard's URL; got {line:?}");
    }
    assert_token_is_enforced(&given).await;
    drop(given);

    // GRAPH_UPLOAD_TOKEN is honoured the same way.
    let mut command = serve_command(BIN, &dir.path().join("env"));
    command.env("GRAPH_UPLOAD_TOKEN", "env-token-456");
    let from_env = Serve::launch(command, Some("env-token-456"));
    assert!(
        !from_env.startup_lines.concat().contains("env-token-456"),
        "a given token is never printed: {:?}",
        from_env.startup_lines
    );
    if let Err(line) = from_env.stdout_silent_for(Duration::from_millis(300)) {
        panic!("with GRAPH_UPLOAD_TOKEN, stdout must stop after the dashboard's URL; got {line:?}");
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
