//! What `graph-upload serve` lets a user watch: its request log and session events on stderr
//! (`--log-format json|text`, `--log-level` / `GRAPH_UPLOAD_LOG`), never a secret and no
//! colour codes when stderr is not a terminal (the client's stderr neither), and
//! `GET /_emulator/sessions` during an upload.

#![cfg(unix)]
use graph_upload_server::fixtures::{LIST_ID, SHARE_ID, TASK_ID};
use graph_upload_testkit::serve_process::{Serve, serve_command};
use serde_json::{Value, json};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

/// The binary under test.
const BIN: &str = env!("CARGO_BIN_EXE_graph-upload");

const TOKEN: &str = "log-test-token-5f1c2a9e";

const KIB: usize = 1024;

/// Waits for log lines: a request is logged as it is answered.
const LOG_WAIT: Duration = Duration::from_secs(10);

fn start(data_dir: &Path, extra: &[&str]) -> Serve {
    let mut command = serve_command(BIN, data_dir);
    command.args(["--token", TOKEN]).args(extra);
    Serve::launch(command, Some(TOKEN))
}

fn write_file(path: &Path, size: usize) {
    let bytes: Vec<u8> = (0..size).map(|i| (i * 7 % 251) as u8).collect();
    std::fs::write(path, bytes).unwrap();
}

/// Runs `graph-upload upload ARGS` against `serve` with stderr piped (not a terminal);
/// returns stdout, after checking that it succeeded and that stderr has no ESC byte.
fn upload(serve: &Serve, args: &[&str]) -> String {
    let output = Command::new(BIN)
        .arg("upload")
        .args(args)
        .args(["--base-url", &serve.base, "--token", TOKEN])
        .env_remove("GRAPH_UPLOAD_LOG")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "upload {args:?}: {stderr}");
    assert!(
        !output.stderr.contains(&0x1b),
        "the client wrote colour codes to a stderr that is not a terminal: {stderr:?}"
    );
    String::from_utf8(output.stdout).unwrap()
}

/// Every stderr line, parsed as JSON (each must be one object).
fn json_lines(stderr: &str) -> Vec<Value> {
    stderr
        .lines()
        .map(|line| {
            serde_json::from_str::<Value>(line)
                .unwrap_or_else(|error| panic!("not a JSON log line ({error}): {line:?}"))
        })
        .collect()
}

fn is_request(line: &Value) -> bool {
    line["message"] == "request" && line["target"] == "graph_upload_server::request"
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_json_request_log_has_every_field_and_never_a_secret() {
    let dir = tempfile::tempdir().unwrap();
    let serve = start(
        &dir.path().join("data"),
        &["--log-format", "json", "--print-max-fragment", "327680"],
    );
    let file = dir.path().join("report.pdf");
    write_file(&file, 700 * KIB);
    let file = file.to_str().unwrap();
    let printed = upload(
        &serve,
        &[
            "print",
            "--share",
            SHARE_ID,
            "--fragment-size",
            "320KiB",
            "--quiet",
            file,
        ],
    );
    assert!(printed.contains("\"size\": 716800"), "{printed}");
    upload(
        &serve,
        &[
            // With its progress lines, which must be plain too.
            "todo",
            "--list",
            LIST_ID,
            "--task",
            TASK_ID,
            "--force-session",
            file,
        ],
    );

    // A 401, a 413 over the fragment limit, an injected fault, a deleted session.
    let unauthorized = serve
        .http
        .get(serve.url("/v1.0/print/shares"))
        .bearer_auth("not-the-token")
        .send()
        .await
        .unwrap();
    assert_eq!(unauthorized.status(), 401);
    let session = serve.create_print_upload(1000 * KIB as u64).await;
    let too_large = serve
        .http
        .put(&session.upload_url)
        .header(
            "content-range",
            format!("bytes 0-{}/{}", 640 * KIB - 1, 1000 * KIB),
        )
        // Refused before its body is read, the connection is not reused.
        .header("connection", "close")
        .body(vec![1u8; 640 * KIB])
        .send()
        .await
        .unwrap();
    assert_eq!(too_large.status(), 413);
    let faults = serve
        .api(reqwest::Method::PUT, "/_emulator/faults")
        .body(r#"[{"route": "status", "every": 1, "status": 503}]"#)
        .send()
        .await
        .unwrap();
    assert_eq!(faults.status(), 200);
    let faulted = serve.http.get(&session.upload_url).send().await.unwrap();
    assert_eq!(faulted.status(), 503);
    let deleted = serve.http.delete(&session.upload_url).send().await.unwrap();
    assert_eq!(deleted.status(), 204);

    let stderr = serve.wait_for_stderr_line(LOG_WAIT, |line| {
        line.contains("\"method\":\"DELETE\"") && line.contains("\"status\":204")
    });
    assert!(
        !stderr.contains("tempauthtoken"),
        "an upload URL's query: {stderr}"
    );
    assert!(!stderr.contains(TOKEN), "the bearer token: {stderr}");
    assert!(
        !stderr.contains("not-the-token"),
        "a presented token: {stderr}"
    );
    assert!(
        !stderr.as_bytes().contains(&0x1b),
        "colour codes: {stderr:?}"
    );
    let lines = json_lines(&stderr);
    let requests: Vec<&Value> = lines.iter().filter(|line| is_request(line)).collect();
    for line in &requests {
        assert_eq!(line["level"], "INFO", "{line}");
        assert!(line["timestamp"].is_string(), "{line}");
        assert!(line["method"].is_string(), "{line}");
        let path = line["path"].as_str().expect("a path");
        assert!(path.starts_with('/'), "{line}");
        // Ids may hold `=` (Graph's base64 ids); a query shows as `?...` at most.
        assert!(
            path.split_once('?').is_none_or(|(_, query)| query == "...")
                && !path.contains("tempauthtoken"),
            "no query values: {line}"
        );
        assert!(line["status"].is_u64(), "{line}");
        assert!(line["bytes_in"].is_u64(), "{line}");
        assert!(
            line["duration_ms"].as_f64().is_some_and(|ms| ms >= 0.0),
            "{line}"
        );
        assert_eq!(
            line["request_id"].as_str().map(str::len),
            Some(36),
            "{line}"
        );
    }
    let find = |what: &str, test: &dyn Fn(&Value) -> bool| -> Value {
        (*requests
            .iter()
            .find(|line| test(line))
            .unwrap_or_else(|| panic!("no request line for {what} in:\n{stderr}")))
        .clone()
    };
    let fragment = find("a whole-quantum print fragment", &|l| {
        l["method"] == "PUT"
            && l["status"] == 202
            && l["bytes_in"] == 320 * KIB
            && l["path"].as_str().unwrap().starts_with("/uploadSessions/")
    });
    assert!(
        fragment["path"].as_str().unwrap().ends_with("?..."),
        "{fragment}"
    );
    find("the 401", &|l| l["status"] == 401);
    find("the 413", &|l| l["status"] == 413 && l["method"] == "PUT");
    find("the injected 503", &|l| {
        l["status"] == 503 && l["method"] == "GET"
    });
    find("a To Do fragment", &|l| {
        l["method"] == "PUT" && l["path"].as_str().unwrap().contains("/attachmentSessions/")
    });

    // Session events, in the span of the request that caused them.
    let events = |message: &str| -> Vec<&Value> {
        lines
            .iter()
            .filter(|line| line["message"] == message)
            .collect()
    };
    let created = events("session created");
    assert_eq!(
        created.len(),
        3,
        "two uploads and the session made by hand: {stderr}"
    );
    let print_created = created.iter().find(|e| e["kind"] == "print").unwrap();
    assert!(
        print_created["owner"]
            .as_str()
            .unwrap()
            .starts_with(&format!("/print/shares/{SHARE_ID}/jobs/")),
        "{print_created}"
    );
    assert_eq!(print_created["size"], 700 * KIB);
    assert_eq!(print_created["target"], "graph_upload_server::session");
    let accepted = events("fragment accepted");
    let first = accepted
        .iter()
        .find(|e| e["range"] == "0-327679" && e["size"] == 700 * KIB)
        .unwrap_or_else(|| panic!("no first print fragment: {stderr}"));
    // Fragments travel in parallel: this one may have been recorded after others.
    let received = first["received"].as_u64().unwrap();
    assert!(
        (320 * KIB as u64..=700 * KIB as u64).contains(&received),
        "{first}"
    );
    let request_id = first["span"]["request_id"].as_str().unwrap();
    assert!(
        requests
            .iter()
            .any(|r| r["request_id"] == request_id && r["method"] == "PUT"),
        "the event's span names its PUT's request id {request_id}"
    );
    assert_eq!(events("session completed").len(), 2, "{stderr}");
    assert_eq!(events("session deleted").len(), 1, "{stderr}");
    let fault = events("injecting a fault");
    assert_eq!(fault.len(), 1, "{stderr}");
    assert_eq!(fault[0]["rule"], 0);
    assert_eq!(fault[0]["level"], "WARN");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_that_vanishes_mid_fragment_is_logged_with_the_bytes_that_arrived() {
    use tokio::io::AsyncWriteExt;
    let dir = tempfile::tempdir().unwrap();
    let serve = start(&dir.path().join("data"), &["--log-format", "json"]);
    let size = 640 * KIB;
    let session = serve.create_print_upload(size as u64).await;
    let path = &session.upload_url[serve.base.len()..];
    let mut stream = tokio::net::TcpStream::connect(serve.addr).await.unwrap();
    let head = format!(
        "PUT {path} HTTP/1.1\r\nHost: {}\r\nContent-Range: bytes 0-{}/{size}\r\nContent-Length: {size}\r\n\r\n",
        serve.addr,
        size - 1
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    stream.write_all(&vec![3u8; 100 * KIB]).await.unwrap();
    // Once the emulator has read those bytes, the client goes.
    let deadline = std::time::Instant::now() + LOG_WAIT;
    loop {
        let (_, body) = serve.get("/_emulator/stats").await;
        let stats: Value = serde_json::from_slice(&body).unwrap();
        if stats["bytesReceived"]["put"].as_u64() >= Some(100 * KIB as u64) {
            break;
        }
        assert!(std::time::Instant::now() < deadline, "{stats:#}");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    drop(stream);
    // The emulator finds the body cut short: Graph's 400, logged with what did arrive.
    let stderr = serve.wait_for_stderr_line(LOG_WAIT, |line| {
        line.contains("\"method\":\"PUT\"") && line.contains("\"status\":400")
    });
    let cut = json_lines(&stderr)
        .into_iter()
        .find(|line| is_request(line) && line["method"] == "PUT")
        .unwrap();
    assert_eq!(cut["bytes_in"], 100 * KIB, "{cut}");
    assert!(cut["path"].as_str().unwrap().ends_with("?..."), "{cut}");
    assert!(!stderr.contains("tempauthtoken"), "{stderr}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_text_log_is_plain_and_its_level_is_chosen_by_flag_or_variable() {
    let dir = tempfile::tempdir().unwrap();
    let serve = start(&dir.path().join("data"), &[]);
    let (status, _) = serve.get("/v1.0/print/shares").await;
    assert_eq!(status, 200);
    let stderr = serve.wait_for_stderr_line(LOG_WAIT, |line| {
        line.contains(" INFO graph_upload_server::request: request method=GET path=/v1.0/print/shares status=200 bytes_in=0 duration_ms=")
    });
    assert!(
        !stderr.as_bytes().contains(&0x1b),
        "colour codes: {stderr:?}"
    );
    assert!(stderr.contains("request_id="), "{stderr}");
    drop(serve);

    // `GRAPH_UPLOAD_LOG=warn`, or `--log-level warn`, hides the request log.
    for how in ["variable", "flag"] {
        let mut command = serve_command(BIN, &dir.path().join(format!("data-{how}")));
        command.args(["--token", TOKEN]);
        match how {
            "variable" => command.env("GRAPH_UPLOAD_LOG", "warn"),
            _ => command.args(["--log-level", "warn"]),
        };
        let serve = Serve::launch(command, Some(TOKEN));
        let (status, _) = serve.get("/v1.0/print/shares").await;
        assert_eq!(status, 200);
        // A warning still shows: a fault rule that fires.
        let faults = serve
            .api(reqwest::Method::PUT, "/_emulator/faults")
            .body(r#"[{"route": "create", "every": 1, "status": 503}]"#)
            .send()
            .await
            .unwrap();
        assert_eq!(faults.status(), 200);
        let (status, _) = serve
            .post_json(&format!("/v1.0/print/shares/{SHARE_ID}/jobs"), &json!({}))
            .await;
        assert_eq!(status, 503);
        let stderr =
            serve.wait_for_stderr_line(LOG_WAIT, |line| line.contains("injecting a fault"));
        assert!(
            !stderr.contains("graph_upload_server::request: request"),
            "{how}: the request log shows at warn: {stderr}"
        );
    }

    // A filter that does not parse is a usage error naming the flag.
    let output = Command::new(BIN)
        .args(["serve", "--log-level", "info,[[["])
        .output()
        .unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("--log-level") && stderr.contains("not a log filter"),
        "{stderr}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_sessions_route_shows_a_half_done_upload_with_its_received_range() {
    let dir = tempfile::tempdir().unwrap();
    let serve = start(&dir.path().join("data"), &[]);
    let size = 1000 * KIB;
    let session = serve.create_print_upload(size as u64).await;
    let fragment = serve
        .http
        .put(&session.upload_url)
        .header("content-range", format!("bytes 0-327679/{size}"))
        .body(vec![7u8; 320 * KIB])
        .send()
        .await
        .unwrap();
    assert_eq!(fragment.status(), 202);

    let unauthorized = serve
        .http
        .get(serve.url("/_emulator/sessions"))
        .send()
        .await
        .unwrap();
    assert_eq!(unauthorized.status(), 401);
    let (status, body) = serve.get("/_emulator/sessions").await;
    assert_eq!(status, 200);
    let listed: Value = serde_json::from_slice(&body).unwrap();
    let sessions = listed["value"].as_array().unwrap();
    assert_eq!(sessions.len(), 1, "{listed:#}");
    let open = &sessions[0];
    assert_eq!(open["kind"], "print");
    assert_eq!(
        open["ownerPath"],
        format!(
            "/print/shares/{SHARE_ID}/jobs/{}/documents/{}",
            session.job_id, session.document_id
        )
    );
    assert_eq!(open["size"], size);
    assert_eq!(open["receivedRanges"], json!(["0-327679"]));
    assert_eq!(open["bytesReceived"], 320 * KIB);
    assert_eq!(
        open["nextExpectedRanges"],
        json!([format!("327680-{}", size - 1)])
    );
    assert!(
        open["expirationDateTime"].as_str().unwrap().ends_with('Z'),
        "{open}"
    );
    assert!(
        !listed.to_string().contains("tempauthtoken"),
        "no upload URL credential in the list"
    );
}
