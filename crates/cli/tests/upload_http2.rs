//! `upload --http-version`: with HTTP/2 a parallel print upload travels as streams of one
//! connection, h2c on plain http (`2-prior-knowledge`) and negotiated by ALPN over
//! `serve --tls` (`2`), on both transports; HTTP/1.1 opens a connection per fragment in flight.

#![cfg(unix)]
use graph_upload_server::CERT_FILE;
use graph_upload_server::fixtures::SHARE_ID;
use graph_upload_testkit::serve_process::{Serve, serve_command};
use std::path::Path;
use std::process::{Command, Stdio};

/// The binary under test.
const BIN: &str = env!("CARGO_BIN_EXE_graph-upload");

const TOKEN: &str = "h2-test-token-5b1c";

async fn connections_accepted(serve: &Serve) -> u64 {
    let (status, body) = serve.get("/_emulator/stats").await;
    assert_eq!(status, 200);
    let stats: serde_json::Value = serde_json::from_slice(&body).unwrap();
    stats["connections"]["accepted"].as_u64().unwrap()
}

/// Uploads `file` with `extra` flags; the new connections it opened.
async fn print_upload(serve: &Serve, file: &Path, extra: &[&str]) -> u64 {
    let before = connections_accepted(serve).await;
    let output = Command::new(BIN)
        .args(["upload", "print", "--share", SHARE_ID, "--no-start"])
        .args(["--fragment-size", "640KiB", "--parallel", "4"])
        .args(["--base-url", &serve.base, "--token", TOKEN, "--quiet"])
        .args(extra)
        .arg(file)
        .env_remove("GRAPH_UPLOAD_LOG")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{extra:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let printed: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(printed["size"], 4 * 1024 * 1024, "{extra:?}: {printed}");
    // The stats request itself opens none: the test's client keeps its connection.
    connections_accepted(serve).await - before
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn http2_carries_a_parallel_upload_on_one_connection_over_http_and_https() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("report.pdf");
    std::fs::write(&file, vec![42u8; 4 * 1024 * 1024]).unwrap();

    let serve = Serve::start(BIN, &dir.path().join("plain"), TOKEN);
    for transport in ["reqwest", "hyper"] {
        let h2 = [
            "--transport",
            transport,
            "--http-version",
            "2-prior-knowledge",
        ];
        assert_eq!(print_upload(&serve, &file, &h2).await, 1, "{transport}");
        let h1 = ["--transport", transport, "--http-version", "1.1"];
        assert!(print_upload(&serve, &file, &h1).await > 1, "{transport}");
        // `2` negotiates, and there is no negotiation on http://: HTTP/1.1.
        let prefer = ["--transport", transport, "--http-version", "2"];
        assert!(
            print_upload(&serve, &file, &prefer).await > 1,
            "{transport}"
        );
    }
    drop(serve);

    let data_dir = dir.path().join("tls");
    let mut command = serve_command(BIN, &data_dir);
    command.args(["--token", TOKEN, "--tls"]);
    let mut serve = Serve::launch(command, Some(TOKEN));
    serve.trust(&std::fs::read(data_dir.join(CERT_FILE)).unwrap());
    let ca = data_dir.join(CERT_FILE);
    let ca = ca.to_str().unwrap();
    for transport in ["reqwest", "hyper"] {
        let h2 = [
            "--transport",
            transport,
            "--http-version",
            "2",
            "--ca-cert",
            ca,
        ];
        assert_eq!(print_upload(&serve, &file, &h2).await, 1, "{transport}");
    }
}
