//! Process-level tests of `graph-upload serve` under abuse and with faults: 2,000 idle
//! connections that each sent half a request head neither starve a normal request nor cost
//! the server more than 64 MiB of memory (measured as the process's `VmRSS`); `--faults` files
//! are checked at start.
//!
//! Every test runs the real binary on `127.0.0.1:0` with a temporary data directory; a
//! [`Serve`] kills its process when dropped, so a failing test leaves nothing running.

#![cfg(target_os = "linux")]

use graph_upload_server::fixtures::SHARE_ID;
use graph_upload_testkit::serve_process::{Serve, serve_command};
use std::io::Write;
use std::net::TcpStream;
use std::process::Stdio;
use std::time::{Duration, Instant};

/// The binary under test.
const BIN: &str = env!("CARGO_BIN_EXE_graph-upload");

const TOKEN: &str = "limits-token";
const IDLE_CONNECTIONS: usize = 2000;

/// The resident memory of process `pid`, in KiB.
fn rss_kib(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).expect("/proc status");
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmRSS:"))
        .and_then(|rest| rest.trim().trim_end_matches("kB").trim().parse().ok())
        .expect("a VmRSS line")
}

/// Lets this test hold its sockets: raises the soft open-file limit when it is low.
fn allow_open_files(wanted: u64) {
    use rustix::process::{Resource, getrlimit, setrlimit};
    let mut limit = getrlimit(Resource::Nofile);
    if limit.current.is_some_and(|current| current < wanted) {
        limit.current = Some(limit.maximum.map_or(wanted, |maximum| wanted.min(maximum)));
        setrlimit(Resource::Nofile, limit).expect("raise the open-file limit");
    }
}

/// `GET /_emulator/stats` of the server.
async fn stats(serve: &Serve) -> serde_json::Value {
    let (status, body) = serve.get("/_emulator/stats").await;
    assert_eq!(status, 200, "{}", String::from_utf8_lossy(&body));
    serde_json::from_slice(&body).expect("stats JSON")
}

/// Polls the stats until `open` connections are open (the stats call's own included).
async fn wait_for_open(serve: &Serve, wanted: impl Fn(u64) -> bool, what: &str) -> u64 {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let open = stats(serve).await["connections"]["open"]
            .as_u64()
            .unwrap_or(0);
        if wanted(open) {
            return open;
        }
        assert!(Instant::now() < deadline, "{what}: {open} connections open");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_thousand_half_sent_heads_neither_starve_a_request_nor_take_64_mib() {
    allow_open_files(IDLE_CONNECTIONS as u64 + 512);
    let data = tempfile::tempdir().expect("temp dir");
    let mut command = serve_command(BIN, data.path());
    command.arg("--token").arg(TOKEN).args([
        "--max-connections",
        "4096",
        "--header-read-timeout",
        "60",
    ]);
    let serve = Serve::launch(command, Some(TOKEN));
    // Warm up: the first requests allocate what every later one reuses.
    for _ in 0..5 {
        assert_eq!(serve.get("/v1.0/print/shares").await.0, 200);
    }
    stats(&serve).await;
    let before = rss_kib(serve.pid());

    let address = serve.addr;
    let idle = tokio::task::spawn_blocking(move || {
        (0..IDLE_CONNECTIONS)
            .map(|_| {
                let mut stream = TcpStream::connect(address).expect("connect");
                stream
                    .write_all(b"GET /v1.0/print/shares HTTP/1.1\r\nHost: loc")
                    .expect("half a head");
                stream
            })
            .collect::<Vec<_>>()
    })
    .await
    .expect("open the idle connections");
    wait_for_open(
        &serve,
        |open| open > IDLE_CONNECTIONS as u64,
        "all idle connections accepted",
    )
    .await;

    let started = Instant::now();
    let (status, _) = serve.get("/v1.0/print/shares").await;
    let took = started.elapsed();
    assert_eq!(status, 200);
    assert!(
        took < Duration::from_secs(1),
        "a normal request took {took:?} beside {IDLE_CONNECTIONS} idle connections"
    );
    let during = rss_kib(serve.pid());
    let grown = during.saturating_sub(before);
    eprintln!(
        "RSS: {before} KiB before, {during} KiB with {IDLE_CONNECTIONS} idle connections \
         ({} bytes per connection)",
        grown * 1024 / IDLE_CONNECTIONS as u64
    );
    assert!(
        grown < 64 * 1024,
        "{IDLE_CONNECTIONS} idle connections took {grown} KiB"
    );

    // The test's own client keeps one or two pooled connections of its own: count from what
    // is open now, so that exactly the idle ones must go.
    let open_with_idle = stats(&serve).await["connections"]["open"]
        .as_u64()
        .unwrap_or(0);
    drop(idle);
    let own = open_with_idle.saturating_sub(IDLE_CONNECTIONS as u64);
    wait_for_open(&serve, |open| open <= own, "all idle connections closed").await;
    eprintln!("RSS: {} KiB after they closed", rss_kib(serve.pid()));
    // Still serving.
    assert_eq!(serve.get("/v1.0/print/shares").await.0, 200);
}

/// Runs `serve --faults FILE` and returns its exit status, stdout and stderr.
fn serve_with_faults_file(contents: Option<&str>) -> (bool, String, String, String) {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("faults.json");
    if let Some(contents) = contents {
        std::fs::write(&path, contents).expect("write the rules");
    }
    let output = serve_command(BIN, &dir.path().join("data"))
        .arg("--token")
        .arg(TOKEN)
        .arg("--faults")
        .arg(&path)
        .stderr(Stdio::piped())
        .output()
        .expect("run serve");
    (
        output.status.success(),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
        path.display().to_string(),
    )
}

#[test]
fn a_bad_faults_file_fails_at_start_with_one_line_naming_the_file_and_the_problem() {
    let cases = [
        (
            Some(r#"[{"route": "put", "every": 0, "status": 503}]"#),
            "rule 0: `every` must be at least 1",
        ),
        (
            Some(r#"[{"route": "put", "probability": 0.5}]"#),
            "rule 0: no effect",
        ),
        (Some("{"), "not a JSON array"),
        (None, "cannot read it"),
    ];
    for (contents, problem) in cases {
        let (success, stdout, stderr, path) = serve_with_faults_file(contents);
        assert!(!success, "{contents:?} was accepted");
        assert_eq!(stdout, "", "nothing is announced: {stdout}");
        let lines: Vec<&str> = stderr.lines().collect();
        assert_eq!(lines.len(), 1, "{stderr}");
        assert!(
            lines[0].starts_with(&format!("graph-upload: --faults {path}: ")),
            "{stderr}"
        );
        assert!(
            lines[0].contains(problem),
            "{stderr} does not say {problem}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_faults_file_is_in_force_from_the_start() {
    let data = tempfile::tempdir().expect("temp dir");
    let path = data.path().join("faults.json");
    let rules = serde_json::json!([
        {"route": "create", "every": 1, "status": 503, "retryAfter": 3},
        {"route": "put", "probability": 0.25, "action": "reset"},
    ]);
    std::fs::write(&path, rules.to_string()).expect("write the rules");
    let mut command = serve_command(BIN, &data.path().join("data"));
    command
        .arg("--token")
        .arg(TOKEN)
        .arg("--faults")
        .arg(&path)
        .args([
            "--fault-seed",
            "9",
            "--latency",
            "1",
            "--bandwidth",
            "10MiB",
        ]);
    let serve = Serve::launch(command, Some(TOKEN));
    let (status, body) = serve.get("/_emulator/faults").await;
    assert_eq!(status, 200);
    assert_eq!(
        serde_json::from_slice::<serde_json::Value>(&body).expect("JSON"),
        rules
    );
    let (status, body) = serve
        .post_json(
            &format!("/v1.0/print/shares/{}/jobs", SHARE_ID),
            &serde_json::json!({}),
        )
        .await;
    assert_eq!(status, 503, "{body}");
    assert_eq!(body["error"]["code"], "serviceNotAvailable");
    assert_eq!(stats(&serve).await["faults"]["rules"][0]["fired"], 1);
}
