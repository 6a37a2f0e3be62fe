//! A small harness around the Graph emulator server: it starts the real server on
//! `127.0.0.1:0` with a data directory inside a temporary directory, talks to it over HTTP
//! (reqwest, trusting the emulator's certificate when it serves https; or a raw TCP stream for
//! requests reqwest refuses to send), and checks Graph's error bodies. The server's own tests use it as it is; the uploader's end-to-end tests add
//! test files and uploaders pointed at it (`e2e_harness`, behind the `uploader` feature).
//!
//! Every test owns its server and must end with [`Emulator::stop`]; a panicking test drops the
//! runtime, which ends the server task, and the temporary directory with it.
//!
//! The methods are grouped by what they reach: the server's lifecycle and plain requests here,
//! then print (`print.rs`), To Do (`todo.rs`), the upload session's byte protocol
//! (`sessions.rs`) and the data directory (`disk.rs`).

mod disk;
mod drive;
mod graph_error;
mod mail;
mod print;
mod raw_http;
mod sessions;
mod todo;

pub use crate::TOKEN;
pub use crate::rng::test_data;
pub use disk::Snapshot;
pub use graph_error::assert_graph_error;
pub use mail::{event_path, message_path};
pub use print::{PrintTarget, printer, share};
pub use raw_http::{parse_response, raw_exchange, raw_request};
pub use todo::todo_task_path;

use crate::reply::Reply;
use graph_upload_ranges::GRAPH_QUANTUM;
use graph_upload_server::{CERT_FILE, ManualClock, RunningServer, ServerConfig, TlsConfig, spawn};
use reqwest::{Client, Method, RequestBuilder};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;
use tempfile::TempDir;

/// Where a [`ManualClock`] starts: 2027-01-15, well inside what Graph's dates can show.
pub const CLOCK_START: Duration = Duration::from_secs(1_800_000_000);

/// 320 KiB, Graph's fragment quantum, as a length.
pub const QUANTUM: usize = GRAPH_QUANTUM as usize;

/// One running emulator and everything needed to talk to it.
pub struct Emulator {
    /// Holds the data directory and a sentinel file next to it; deleted on drop.
    root: TempDir,
    /// `{root}/data`, the server's data directory.
    pub data_dir: PathBuf,
    config: ServerConfig,
    server: Option<RunningServer>,
    /// `http://127.0.0.1:PORT` of the current server.
    pub base: String,
    /// A plain HTTP client (no proxy, generous timeout).
    pub client: Client,
}

/// An HTTP client: no proxy, a timeout no test should reach, and for an emulator serving
/// https, its certificate (`trust`, PEM) as an extra root.
fn http_client(trust: Option<&[u8]>) -> Client {
    // No automatic redirects: reqwest keeps `Authorization` on a same-host redirect, and a
    // print document's `$value` must be followed without it (`Emulator::print_value`).
    let mut builder = Client::builder()
        .no_proxy()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(60));
    if let Some(pem) = trust {
        builder = builder.tls_certs_merge(
            reqwest::Certificate::from_pem_bundle(pem).expect("the emulator's certificate"),
        );
    }
    builder.build().expect("reqwest client")
}

/// The PEM certificate an emulator with `config` serves, if it serves https.
fn served_certificate(config: &ServerConfig) -> Option<Vec<u8>> {
    match config.tls.as_ref()? {
        TlsConfig::Pem {
            certificate_chain, ..
        } => Some(certificate_chain.clone()),
        _ => Some(
            std::fs::read(config.data_dir.join(CERT_FILE))
                .expect("the self-signed certificate in the data directory"),
        ),
    }
}

impl Emulator {
    /// A server with Graph's defaults.
    pub async fn start() -> Self {
        Self::start_with(|_| {}).await
    }

    /// A server whose configuration `adjust` changes first (limits, TTL, sweep interval, fault
    /// rules, shaping...).
    pub async fn start_with(adjust: impl FnOnce(&mut ServerConfig)) -> Self {
        let root = tempfile::tempdir().expect("temporary directory");
        let data_dir = root.path().join("data");
        std::fs::write(root.path().join("sentinel.txt"), b"outside the data dir")
            .expect("sentinel file");
        let mut config = ServerConfig::new(&data_dir, TOKEN);
        adjust(&mut config);
        let server = spawn(config.clone(), "127.0.0.1:0")
            .await
            .expect("the emulator starts");
        let client = http_client(served_certificate(&config).as_deref());
        Emulator {
            root,
            data_dir,
            base: server.base_url(),
            config,
            server: Some(server),
            client,
        }
    }

    /// A server on a [`ManualClock`] started at [`CLOCK_START`], with `adjust` applied after.
    pub async fn start_with_clock(
        adjust: impl FnOnce(&mut ServerConfig),
    ) -> (Self, Arc<ManualClock>) {
        let clock = Arc::new(ManualClock::new(CLOCK_START));
        let shared = Arc::clone(&clock);
        let emulator = Self::start_with(move |config| {
            config.clock = shared;
            // Long enough that the sweeper never races a test, unless `adjust` says otherwise.
            config.sweep_interval = Duration::from_secs(3600);
            adjust(config);
        })
        .await;
        (emulator, clock)
    }

    /// Stops the server (requests in flight finish first); the data directory stays, for
    /// [`restart`](Self::restart).
    pub async fn stop_server(&mut self) {
        if let Some(server) = self.server.take() {
            server.shutdown().await.expect("clean shutdown");
        }
    }

    /// Stops the server if it runs, then starts a new one on the same data directory (it
    /// listens on a new port: [`base`](Self::base) changes).
    pub async fn restart(&mut self) {
        self.stop_server().await;
        let server = spawn(self.config.clone(), "127.0.0.1:0")
            .await
            .expect("the emulator restarts on the same data directory");
        // A fresh client: nothing pooled towards the old port (and, with TLS, the certificate
        // served now).
        self.client = http_client(served_certificate(&self.config).as_deref());
        self.base = server.base_url();
        self.server = Some(server);
    }

    /// Shuts the server down (every test ends with this).
    pub async fn stop(mut self) {
        self.stop_server().await;
    }

    /// Where the server listens.
    pub fn address(&self) -> SocketAddr {
        self.server.as_ref().expect("server running").address()
    }

    /// The PEM certificate of an emulator serving https (`None` for plain http): what its
    /// clients must trust.
    pub fn certificate(&self) -> Option<Vec<u8>> {
        served_certificate(&self.config)
    }

    /// The temporary directory holding the data directory.
    pub fn root(&self) -> &Path {
        self.root.path()
    }

    /// `{base}/v1.0{path}`.
    pub fn url(&self, path: &str) -> String {
        format!("{}/v1.0{path}", self.base)
    }

    /// A Graph API call under `/v1.0` with the bearer token.
    pub fn api(&self, method: Method, path: &str) -> RequestBuilder {
        self.client
            .request(method, self.url(path))
            .bearer_auth(TOKEN)
    }

    /// A request to `{base}{path}` exactly (any prefix or none), without credentials.
    pub fn bare(&self, method: Method, path: &str) -> RequestBuilder {
        self.client.request(method, format!("{}{path}", self.base))
    }

    /// Sends and reads the whole answer.
    pub async fn send(&self, request: RequestBuilder) -> Reply {
        Reply::read(request.send().await.expect("request sent")).await
    }

    /// `POST {path}` with a JSON body and the bearer token.
    pub async fn post_json(&self, path: &str, body: &serde_json::Value) -> Reply {
        self.send(
            self.api(Method::POST, path)
                .header("content-type", "application/json")
                .body(serde_json::to_vec(body).expect("json")),
        )
        .await
    }

    /// `GET {path}` with the bearer token.
    pub async fn get(&self, path: &str) -> Reply {
        self.send(self.api(Method::GET, path)).await
    }

    /// `GET {path}`, expecting `200` and JSON.
    pub async fn get_json(&self, path: &str) -> serde_json::Value {
        let reply = self.get(path).await;
        assert_eq!(reply.status, 200, "GET {path}: {}", reply.text());
        reply.value()
    }

    /// `GET /_emulator/stats` with the bearer token, expecting `200`: the counters as JSON.
    pub async fn stats(&self) -> serde_json::Value {
        self.emulator_json("/_emulator/stats").await
    }

    /// `GET /_emulator/sessions` with the bearer token, expecting `200`: the open sessions
    /// (its `value` array).
    pub async fn open_sessions(&self) -> Vec<serde_json::Value> {
        let list = self.emulator_json("/_emulator/sessions").await;
        list["value"].as_array().expect("a value array").clone()
    }

    /// `GET {path}` of the emulator's own routes with the bearer token, expecting `200`.
    pub async fn emulator_json(&self, path: &str) -> serde_json::Value {
        let reply = self
            .send(self.bare(Method::GET, path).bearer_auth(TOKEN))
            .await;
        assert_eq!(reply.status, 200, "GET {path}: {}", reply.text());
        reply.value()
    }
}

/// The id at the end of a URL path (`.../attachments/{id}`, `.../uploadSessions/{id}?...`).
pub fn last_segment(url: &str) -> String {
    let path = url.split('?').next().unwrap_or(url);
    path.rsplit('/').next().unwrap_or("").to_string()
}

/// Standard base64 with padding.
pub fn base64(bytes: &[u8]) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.encode(bytes)
}
