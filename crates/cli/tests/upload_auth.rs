//! `graph-upload upload --auth MODE`, each mode end to end and offline: the real binary
//! uploads a To Do attachment to the real emulator (`graph-upload serve`) with a token from a
//! fake Azure source that hands out the emulator's token, and the fake checks what it was
//! asked: the Graph scope (or resource), the app's id and secret, the identity header.
//!
//! - `azure-cli`: a fake `az` first on the child's `PATH`;
//! - `client-secret`: a fake Microsoft Entra token endpoint over https on loopback
//!   (`AZURE_AUTHORITY_HOST`), its test CA trusted through `SSL_CERT_FILE`;
//! - `managed-identity`: a fake App Service identity endpoint (`IDENTITY_ENDPOINT`,
//!   `IDENTITY_HEADER`).
//!
//! A 1 MiB file in 320 KiB fragments makes several requests that carry the token, and each
//! source is asked once: the token is cached. Failures are one line, without the secret.

#![cfg(unix)]

use graph_upload_server::fixtures::{LIST_ID, TASK_ID, USER_ID};
use graph_upload_testkit::fake_entra::fake_az::FakeAz;
use graph_upload_testkit::fake_entra::{FakeEntra, FakeManagedIdentity};
use graph_upload_testkit::rng::Rng;
use graph_upload_testkit::serve_process::{MIB, Serve};
use std::path::Path;
use std::process::{Output, Stdio};
use tokio::process::Command;

/// The binary under test.
const BIN: &str = env!("CARGO_BIN_EXE_graph-upload");

/// The emulator's token, which every fake source hands out.
const TOKEN: &str = "auth-test-token-0123456789";

const GRAPH_SCOPE: &str = "https://graph.microsoft.com/.default";
const TENANT: &str = "7b795fb9-09d3-42f4-a494-38864f99ba3c";
const CLIENT_ID: &str = "4d3c2b1a-0000-4000-8000-000000000001";
const CLIENT_SECRET: &str = "client-secret~Value.0123456789";

/// Variables of the test's own environment that would change what the child does.
const INHERITED: &[&str] = &[
    "GRAPH_UPLOAD_TOKEN",
    "GRAPH_UPLOAD_LOG",
    "AZURE_TENANT_ID",
    "AZURE_CLIENT_ID",
    "AZURE_CLIENT_SECRET",
    "AZURE_AUTHORITY_HOST",
    "AZURE_FEDERATED_TOKEN_FILE",
    "IDENTITY_ENDPOINT",
    "IDENTITY_HEADER",
    "IDENTITY_SERVER_THUMBPRINT",
    "IMDS_ENDPOINT",
    "MSI_ENDPOINT",
    "MSI_SECRET",
    "SSL_CERT_FILE",
    "SSL_CERT_DIR",
    "HTTP_PROXY",
    "HTTPS_PROXY",
    "ALL_PROXY",
    "http_proxy",
    "https_proxy",
    "all_proxy",
];

/// `graph-upload upload todo --auth MODE ...` on the fixture task, in 320 KiB fragments,
/// with a clean environment plus `env`.
async fn upload_todo(
    serve: &Serve,
    file: &Path,
    mode: &str,
    extra: &[&str],
    env: &[(&str, &std::ffi::OsStr)],
) -> Output {
    let mut command = Command::new(BIN);
    command
        .args(["upload", "todo", "--auth", mode, "--base-url", &serve.base])
        .args([
            "--list",
            LIST_ID,
            "--task",
            TASK_ID,
            "--fragment-size",
            "320KiB",
        ])
        .args(["--quiet"])
        .args(extra)
        .arg(file)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for variable in INHERITED {
        command.env_remove(variable);
    }
    for (name, value) in env {
        command.env(name, value);
    }
    tokio::time::timeout(std::time::Duration::from_secs(60), command.output())
        .await
        .expect("graph-upload upload finished within 60 s")
        .expect("run graph-upload upload")
}

/// A 1 MiB file of random bytes in `dir`.
fn test_file(dir: &Path, seed: u64) -> (std::path::PathBuf, Vec<u8>) {
    let bytes = Rng::new(seed).bytes(MIB as usize);
    let path = dir.join("attachment.bin");
    std::fs::write(&path, &bytes).expect("write the test file");
    (path, bytes)
}

/// The upload succeeded and the attachment on the server holds `bytes`.
async fn assert_uploaded(serve: &Serve, output: &Output, bytes: &[u8]) {
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "upload failed: {stderr}");
    let json: serde_json::Value =
        serde_json::from_slice(&output.stdout).expect("the upload prints JSON");
    let location = json["location"].as_str().expect("location");
    assert_eq!(serve.attachment_value(location).await, bytes);
    assert_eq!(
        json["size"].as_u64(),
        Some(bytes.len() as u64),
        "the attachment's JSON was read with the same token: {json}"
    );
}

/// The one `graph-upload: ...` line of a failed run.
fn failure_line(output: &Output) -> String {
    assert!(!output.status.success(), "the command succeeded");
    let stderr = String::from_utf8_lossy(&output.stderr);
    let lines: Vec<&str> = stderr
        .lines()
        .filter(|line| line.starts_with("graph-upload: "))
        .collect();
    assert_eq!(lines.len(), 1, "{stderr}");
    lines[0].trim_start_matches("graph-upload: ").to_owned()
}

fn no_secret_in(output: &Output, secret: &str) {
    for stream in [&output.stdout, &output.stderr] {
        let text = String::from_utf8_lossy(stream);
        assert!(!text.contains(secret), "the secret was printed: {text}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn azure_cli_mode_uploads_with_the_token_of_az_asked_once_for_graph() {
    let dir = tempfile::tempdir().expect("temp dir");
    let serve = Serve::start(BIN, &dir.path().join("data"), TOKEN);
    let (file, bytes) = test_file(dir.path(), 1);
    let az = FakeAz::granting(TOKEN);
    let path = az.path_first();

    let output = upload_todo(&serve, &file, "azure-cli", &[], &[("PATH", &path)]).await;
    assert_uploaded(&serve, &output, &bytes).await;
    no_secret_in(&output, TOKEN);
    // Create, four fragments and the attachment's GET carry the token: az ran once.
    assert_eq!(
        az.calls(),
        [format!(
            "account get-access-token -o json --scope {GRAPH_SCOPE}"
        )]
    );

    // The tenant flag (or AZURE_TENANT_ID) is passed on to az.
    let tenant = std::ffi::OsString::from(TENANT);
    let output = upload_todo(
        &serve,
        &file,
        "azure-cli",
        &[],
        &[("PATH", &path), ("AZURE_TENANT_ID", &tenant)],
    )
    .await;
    assert_uploaded(&serve, &output, &bytes).await;
    assert_eq!(
        az.calls()[1],
        format!("account get-access-token -o json --scope {GRAPH_SCOPE} --tenant {TENANT}")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn azure_cli_mode_without_az_login_fails_in_one_line_before_anything_is_created() {
    let dir = tempfile::tempdir().expect("temp dir");
    let serve = Serve::start(BIN, &dir.path().join("data"), TOKEN);
    let (file, _) = test_file(dir.path(), 2);
    let az = FakeAz::not_logged_in();
    let output = upload_todo(
        &serve,
        &file,
        "azure-cli",
        &[],
        &[("PATH", &az.path_first())],
    )
    .await;
    let line = failure_line(&output);
    assert!(
        line.starts_with(
            "could not get a token: the Azure CLI gave no token: AzureCliCredential \
             authentication failed. ERROR: Please run 'az login' to setup account."
        ),
        "{line}"
    );
    assert_eq!(az.calls().len(), 1);
    let (status, body) = serve
        .get(&format!(
            "/v1.0/me/todo/lists/{LIST_ID}/tasks/{TASK_ID}/attachments"
        ))
        .await;
    assert_eq!(status, 200);
    let json: serde_json::Value = serde_json::from_slice(&body).expect("JSON");
    assert_eq!(json["value"], serde_json::json!([]), "nothing was created");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn client_secret_mode_exchanges_the_apps_secret_at_entra_once_and_uploads() {
    let dir = tempfile::tempdir().expect("temp dir");
    let serve = Serve::start(BIN, &dir.path().join("data"), TOKEN);
    let (file, bytes) = test_file(dir.path(), 3);
    let entra = FakeEntra::start(TOKEN, CLIENT_ID, CLIENT_SECRET).await;
    let authority = std::ffi::OsString::from(entra.authority_host());
    let ca = entra.ca().pem_path().as_os_str().to_owned();
    let (tenant, client, secret) = (
        std::ffi::OsString::from(TENANT),
        std::ffi::OsString::from(CLIENT_ID),
        std::ffi::OsString::from(CLIENT_SECRET),
    );
    let env = [
        ("AZURE_AUTHORITY_HOST", authority.as_os_str()),
        ("SSL_CERT_FILE", ca.as_os_str()),
        ("AZURE_TENANT_ID", tenant.as_os_str()),
        ("AZURE_CLIENT_ID", client.as_os_str()),
        ("AZURE_CLIENT_SECRET", secret.as_os_str()),
    ];
    let output = upload_todo(&serve, &file, "client-secret", &["--user", USER_ID], &env).await;
    assert_uploaded(&serve, &output, &bytes).await;
    no_secret_in(&output, CLIENT_SECRET);
    no_secret_in(&output, TOKEN);
    let requests = entra.requests();
    assert_eq!(requests.len(), 1, "Entra asked once: {requests:?}");
    let request = &requests[0];
    assert_eq!(request.method, "POST");
    assert_eq!(request.path, format!("/{TENANT}/oauth2/v2.0/token"));
    assert_eq!(request.form("grant_type"), Some("client_credentials"));
    assert_eq!(request.form("client_id"), Some(CLIENT_ID));
    assert_eq!(request.form("client_secret"), Some(CLIENT_SECRET));
    assert_eq!(request.form("scope"), Some(GRAPH_SCOPE));

    // A wrong secret: Entra's reason in one line, never the secret.
    let wrong = std::ffi::OsString::from("wrong-secret-9876543210");
    let mut env_wrong = env;
    env_wrong[4] = ("AZURE_CLIENT_SECRET", wrong.as_os_str());
    let output = upload_todo(
        &serve,
        &file,
        "client-secret",
        &["--user", USER_ID],
        &env_wrong,
    )
    .await;
    let line = failure_line(&output);
    assert!(
        line.starts_with("could not get a token: Microsoft Entra (client secret) gave no token:")
            && line.contains("AADSTS7000215: Invalid client secret provided."),
        "{line}"
    );
    no_secret_in(&output, "wrong-secret-9876543210");
    assert_eq!(entra.requests().len(), 2);

    // A missing setting is named before anything is asked.
    let output = upload_todo(&serve, &file, "client-secret", &[], &env[..4]).await;
    assert_eq!(
        failure_line(&output),
        "--auth client-secret needs the app registration's tenant, client id and secret; \
         set AZURE_CLIENT_SECRET (or --client-secret)"
    );
    assert_eq!(entra.requests().len(), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn managed_identity_mode_asks_the_identity_endpoint_for_graph_and_uploads() {
    let dir = tempfile::tempdir().expect("temp dir");
    let serve = Serve::start(BIN, &dir.path().join("data"), TOKEN);
    let (file, bytes) = test_file(dir.path(), 4);
    const HEADER: &str = "identity-header-secret-0123";
    let identity = FakeManagedIdentity::start(TOKEN, HEADER).await;
    let endpoint = std::ffi::OsString::from(identity.endpoint());
    let header = std::ffi::OsString::from(HEADER);
    let env = [
        ("IDENTITY_ENDPOINT", endpoint.as_os_str()),
        ("IDENTITY_HEADER", header.as_os_str()),
    ];
    let output = upload_todo(
        &serve,
        &file,
        "managed-identity",
        &["--user", USER_ID],
        &env,
    )
    .await;
    assert_uploaded(&serve, &output, &bytes).await;
    no_secret_in(&output, HEADER);
    let requests = identity.requests();
    assert_eq!(requests.len(), 1, "the endpoint asked once: {requests:?}");
    let request = &requests[0];
    assert_eq!(request.method, "GET");
    assert_eq!(
        request.query("resource"),
        Some("https://graph.microsoft.com")
    );
    assert_eq!(request.query("api-version"), Some("2019-08-01"));
    assert_eq!(request.header("x-identity-header"), Some(HEADER));
    assert_eq!(request.query("client_id"), None, "system-assigned");

    // AZURE_CLIENT_ID picks a user-assigned identity.
    let client = std::ffi::OsString::from(CLIENT_ID);
    let env = [env[0], env[1], ("AZURE_CLIENT_ID", client.as_os_str())];
    let output = upload_todo(
        &serve,
        &file,
        "managed-identity",
        &["--user", USER_ID],
        &env,
    )
    .await;
    assert_uploaded(&serve, &output, &bytes).await;
    assert_eq!(identity.requests()[1].query("client_id"), Some(CLIENT_ID));
}
