//! The token of `graph-upload serve` without `--token`: generated on the data directory's
//! first use, kept in `DIR/token`, and the same after every restart (graceful or `kill -9`),
//! printed each time as the second stdout line. An explicit token wins and is not stored; a
//! `token` file that is not ours is refused and left untouched.
//!
//! Every test runs the real binary on `127.0.0.1:0` with a temporary data directory. Unix
//! only: the tests stop the server with signals.

#![cfg(unix)]

use graph_upload_server::fixtures::SHARE_ID;
use graph_upload_testkit::serve_process::{Serve, serve_command};
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::Stdio;
use std::time::Duration;

/// The binary under test.
const BIN: &str = env!("CARGO_BIN_EXE_graph-upload");

const MARKER: &str = "graph-upload emulator token v1";

/// `GET /v1.0/print/shares/{id}` with `token`: the status.
async fn status_with(server: &Serve, token: &str) -> u16 {
    server
        .http
        .get(server.url(&format!("/v1.0/print/shares/{SHARE_ID}")))
        .bearer_auth(token)
        .send()
        .await
        .unwrap_or_else(|e| panic!("GET: {e}; stderr:\n{}", server.stderr()))
        .status()
        .as_u16()
}

/// Starts the server without a token on `data_dir`: it prints the token it uses.
fn start_without_token(data_dir: &Path) -> Serve {
    Serve::launch(serve_command(BIN, data_dir), None)
}

fn stop(mut server: Serve) {
    server.signal("TERM");
    assert!(
        server.wait_exit(Duration::from_secs(20)).is_some(),
        "the server did not stop on SIGTERM"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_generated_token_is_kept_across_restarts_of_the_same_data_directory() {
    let dir = tempfile::tempdir().expect("temp dir");
    let data = dir.path().join("data");
    let first = start_without_token(&data);
    let token = first.token.clone();
    assert_eq!(
        first.token_line.as_deref(),
        Some(&*format!("token: {token}"))
    );
    assert_eq!(status_with(&first, &token).await, 200);
    stop(first);

    // The file: the marker, then the token; owner-only.
    let file = data.join("token");
    let text = std::fs::read_to_string(&file).expect("DIR/token exists");
    assert_eq!(text, format!("{MARKER}\n{token}\n"));
    let mode = std::fs::metadata(&file)
        .expect("metadata")
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o600, "DIR/token has mode {mode:o}");

    // A graceful restart, then a restart after kill -9: the same token, printed each time,
    // and it is the one the API accepts.
    let mut second = start_without_token(&data);
    assert_eq!(second.token, token, "a restart changed the token");
    assert_eq!(
        second.token_line.as_deref(),
        Some(&*format!("token: {token}"))
    );
    assert_eq!(status_with(&second, &token).await, 200);
    assert_eq!(status_with(&second, "not-the-token").await, 401);
    second.kill9();
    let third = start_without_token(&data);
    assert_eq!(
        third.token, token,
        "a restart after kill -9 changed the token"
    );
    assert_eq!(status_with(&third, &token).await, 200);
    stop(third);
    assert_eq!(
        std::fs::read_to_string(&file).unwrap(),
        text,
        "file unchanged"
    );

    // Another data directory has its own token.
    let other = start_without_token(&dir.path().join("other"));
    assert_ne!(other.token, token);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_explicit_token_wins_and_is_not_stored() {
    let dir = tempfile::tempdir().expect("temp dir");
    let data = dir.path().join("data");

    // --token on a new directory: no token file.
    let given = Serve::start(BIN, &data, "given-token");
    assert_eq!(status_with(&given, "given-token").await, 200);
    stop(given);
    assert!(!data.join("token").exists(), "--token was stored");

    // GRAPH_UPLOAD_TOKEN likewise.
    let mut command = serve_command(BIN, &data);
    command.env("GRAPH_UPLOAD_TOKEN", "env-token");
    let from_env = Serve::launch(command, Some("env-token"));
    assert_eq!(status_with(&from_env, "env-token").await, 200);
    stop(from_env);
    assert!(
        !data.join("token").exists(),
        "GRAPH_UPLOAD_TOKEN was stored"
    );

    // With a stored token, --token still wins, and the stored one stays as it was.
    let stored = start_without_token(&data);
    let token = stored.token.clone();
    stop(stored);
    let text = std::fs::read_to_string(data.join("token")).unwrap();
    let given = Serve::start(BIN, &data, "another-token");
    if let Err(line) = given.stdout_silent_for(Duration::from_millis(300)) {
        panic!("with --token no token line is printed; got {line:?}");
    }
    assert_eq!(status_with(&given, "another-token").await, 200);
    assert_eq!(status_with(&given, &token).await, 401);
    stop(given);
    assert_eq!(std::fs::read_to_string(data.join("token")).unwrap(), text);
    let again = start_without_token(&data);
    assert_eq!(again.token, token);
}

#[test]
fn a_token_file_that_is_not_ours_is_refused_and_left_untouched() {
    let dir = tempfile::tempdir().expect("temp dir");
    let data = dir.path().join("data");
    std::fs::create_dir_all(&data).unwrap();
    let file = data.join("token");
    let content = b"my own notes, secret-words-here\n";
    std::fs::write(&file, content).unwrap();
    let output = serve_command(BIN, &data)
        .stderr(Stdio::piped())
        .output()
        .expect("run graph-upload serve");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success(), "exit status {:?}", output.status);
    assert!(
        !stdout.contains("listening on"),
        "announced an address, then failed: {stdout:?}"
    );
    assert!(
        stderr.contains(&file.display().to_string())
            && stderr.contains("not a graph-upload token file"),
        "the message names the file and why: {stderr:?}"
    );
    assert!(
        !stderr.contains("secret-words-here"),
        "the file's content is never shown: {stderr:?}"
    );
    assert_eq!(
        std::fs::read(&file).unwrap(),
        content,
        "the file was changed"
    );
    assert_eq!(
        std::fs::read_dir(&data).unwrap().count(),
        1,
        "nothing else was created in the data directory"
    );

    // An explicit token does not need the file: the server starts.
    let server = Serve::start(BIN, &data, "explicit");
    drop(server);
    assert_eq!(std::fs::read(&file).unwrap(), content);
}

/// `--token NAME:TOKEN:KIND:SCOPES` (repeatable) next to the plain token: the plain one may call
/// everything, a scoped one what its kind and scopes allow (printershare-get: delegated
/// PrinterShare.ReadBasic.All, application not supported), others get 401. Without a plain
/// token the data directory's own token stays the all-powerful one.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn scoped_tokens_are_checked_against_their_kind_and_scopes() {
    let dir = tempfile::tempdir().expect("temp dir");
    let data = dir.path().join("data");
    let mut command = serve_command(BIN, &data);
    command.args([
        "--token",
        "owner-token",
        "--token",
        "alice:alice-token:delegated:PrinterShare.ReadBasic.All",
        "--token",
        "daemon:daemon-token:application:PrintJob.ReadWrite.All,PrinterShare.ReadBasic.All",
    ]);
    let server = Serve::launch(command, Some("owner-token"));
    assert_eq!(status_with(&server, "owner-token").await, 200);
    assert_eq!(status_with(&server, "alice-token").await, 200);
    assert_eq!(status_with(&server, "daemon-token").await, 403);
    assert_eq!(status_with(&server, "nobody-token").await, 401);
    stop(server);

    let mut command = serve_command(BIN, &data);
    command.args(["--token", "alice:alice-token:delegated:Tasks.Read"]);
    let server = Serve::launch(command, None);
    assert!(
        server.token_line.is_some(),
        "the generated token is printed"
    );
    let token = server.token.clone();
    assert_eq!(status_with(&server, &token).await, 200);
    assert_eq!(status_with(&server, "alice-token").await, 403);
    stop(server);

    for bad in [
        "alice:s3cret-token:root:X",
        "alice:s3cret-token",
        "two-plain-tokens",
    ] {
        let mut command = serve_command(BIN, &data);
        command
            .args(["--token", "first-plain", "--token", bad])
            .stderr(Stdio::piped());
        let output = command.output().expect("run serve");
        assert!(!output.status.success(), "{bad} was accepted");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(stderr.contains("--token"), "{stderr}");
        assert!(!stderr.contains("s3cret"), "the token was echoed: {stderr}");
    }
}
