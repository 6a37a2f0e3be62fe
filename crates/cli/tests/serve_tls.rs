//! `graph-upload serve --tls` and `upload --ca-cert`: both transports upload over https when
//! told to trust the emulator's self-signed certificate, fail with a TLS error that names the
//! problem when not, and the certificate survives a restart on the same data directory.

#![cfg(unix)]
use graph_upload_server::fixtures::{LIST_ID, SHARE_ID, TASK_ID};
use graph_upload_server::{CERT_FILE, KEY_FILE};
use graph_upload_testkit::serve_process::{Serve, serve_command};
use std::path::Path;
use std::process::{Command, Output, Stdio};

/// The binary under test.
const BIN: &str = env!("CARGO_BIN_EXE_graph-upload");

const TOKEN: &str = "tls-test-token-7d3e";

fn start_tls(data_dir: &Path) -> Serve {
    let mut command = serve_command(BIN, data_dir);
    command.args(["--token", TOKEN, "--tls"]);
    let mut serve = Serve::launch(command, Some(TOKEN));
    assert!(
        serve
            .first_line
            .starts_with("listening on https://127.0.0.1:"),
        "{}",
        serve.first_line
    );
    serve.trust(&std::fs::read(data_dir.join(CERT_FILE)).unwrap());
    serve
}

fn upload(base: &str, args: &[&str]) -> Output {
    Command::new(BIN)
        .arg("upload")
        .args(args)
        .args(["--base-url", base, "--token", TOKEN, "--quiet"])
        .env_remove("GRAPH_UPLOAD_LOG")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .output()
        .unwrap()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn both_transports_upload_over_https_with_the_kept_certificate_and_fail_without_it() {
    let dir = tempfile::tempdir().unwrap();
    let data_dir = dir.path().join("data");
    let file = dir.path().join("report.pdf");
    std::fs::write(&file, vec![42u8; 400 * 1024]).unwrap();
    let file = file.to_str().unwrap();
    let cert = data_dir.join(CERT_FILE);
    let ca = cert.to_str().unwrap();

    let serve = start_tls(&data_dir);
    let pem = std::fs::read(&cert).unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(data_dir.join(KEY_FILE))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600, "the key is private: {mode:o}");
    }
    for transport in ["reqwest", "hyper"] {
        let print = [
            "print",
            "--transport",
            transport,
            "--share",
            SHARE_ID,
            "--ca-cert",
            ca,
            file,
        ];
        let output = upload(&serve.base, &print);
        assert!(
            output.status.success(),
            "{transport}: {}",
            text(&output.stderr)
        );
        let document: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
        assert_eq!(document["size"], 400 * 1024, "{transport}");

        let todo = [
            "todo",
            "--transport",
            transport,
            "--list",
            LIST_ID,
            "--task",
            TASK_ID,
            "--ca-cert",
            ca,
            file,
        ];
        let output = upload(&serve.base, &todo);
        assert!(
            output.status.success(),
            "{transport}: {}",
            text(&output.stderr)
        );

        // Without the certificate: one line, a TLS failure that says why.
        let untrusted = ["print", "--transport", transport, "--share", SHARE_ID, file];
        let output = upload(&serve.base, &untrusted);
        assert!(
            !output.status.success(),
            "{transport}: trusted without --ca-cert"
        );
        let stderr = text(&output.stderr);
        assert_eq!(stderr.lines().count(), 1, "{transport}: one line: {stderr}");
        assert!(
            stderr.contains("TLS handshake")
                && stderr.contains("UnknownIssuer")
                && stderr.contains("is it http or https?")
                && stderr.contains("--ca-cert"),
            "{transport}: {stderr}"
        );
    }
    // The emulator saw the refused handshakes, and says so in its stats and its log.
    let (status, body) = serve.get("/_emulator/stats").await;
    assert_eq!(status, 200);
    let stats: serde_json::Value = serde_json::from_slice(&body).unwrap();
    assert!(
        stats["connections"]["tlsHandshakeFailures"].as_u64() >= Some(2),
        "{stats:#}"
    );
    assert!(
        serve.stderr().contains("TLS handshake failed"),
        "{}",
        serve.stderr()
    );
    drop(serve);

    // A restart on the same data directory serves the same certificate.
    let serve = start_tls(&data_dir);
    assert_eq!(
        std::fs::read(&cert).unwrap(),
        pem,
        "the certificate was replaced"
    );
    let print = ["print", "--share", SHARE_ID, "--ca-cert", ca, file];
    let output = upload(&serve.base, &print);
    assert!(output.status.success(), "{}", text(&output.stderr));
}

#[test]
fn bad_certificate_files_are_named_in_one_line() {
    let dir = tempfile::tempdir().unwrap();
    let not_pem = dir.path().join("not-a-cert.pem");
    std::fs::write(&not_pem, "hello").unwrap();
    let not_pem = not_pem.to_str().unwrap();

    // The client's --ca-cert.
    let output = upload(
        "https://127.0.0.1:9",
        &["print", "--share", SHARE_ID, "--ca-cert", not_pem, not_pem],
    );
    assert!(!output.status.success());
    let stderr = text(&output.stderr);
    assert!(
        stderr.contains("--ca-cert")
            && stderr.contains("not-a-cert.pem")
            && stderr.contains("no PEM certificate"),
        "{stderr}"
    );

    // The server's --tls-cert/--tls-key, checked before it listens.
    let output = Command::new(BIN)
        .args(["serve", "--listen", "127.0.0.1:0", "--token", TOKEN])
        .arg("--data-dir")
        .arg(dir.path().join("data"))
        .args(["--tls-cert", not_pem, "--tls-key", not_pem])
        .env_remove("GRAPH_UPLOAD_LOG")
        .output()
        .unwrap();
    assert!(!output.status.success());
    assert!(
        output.stdout.is_empty(),
        "nothing announced: {}",
        text(&output.stdout)
    );
    let stderr = text(&output.stderr);
    assert!(
        stderr.contains("--tls-cert") && stderr.contains("not-a-cert.pem"),
        "{stderr}"
    );
    // One without the other is a usage error.
    let output = Command::new(BIN)
        .args(["serve", "--tls-cert", not_pem])
        .output()
        .unwrap();
    assert!(!output.status.success());
    assert!(
        text(&output.stderr).contains("--tls-key"),
        "{}",
        text(&output.stderr)
    );
}
