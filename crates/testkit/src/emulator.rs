//! A small harness around the Graph emulator server for the `emulator_*` integration tests:
//! it starts the real server on `127.0.0.1:0` with a data directory inside a temporary
//! directory, talks to it with plain HTTP (reqwest, or a raw TCP stream for requests reqwest
//! refuses to send), and checks Graph's error bodies.
//!
//! Every test owns its server and must end with [`Emulator::stop`]; a panicking test drops the
//! runtime, which ends the server task, and the temporary directory with it.

use crate::reply::Reply;
use crate::rng::Rng;
use crate::urls::is_todo;
use graph_upload_models::{GraphErrorBody, UploadSession, UploadSessionStatus};
use graph_upload_server::fixtures::{LIST_ID, SHARE_ID, TASK_ID};
use graph_upload_server::{ManualClock, RunningServer, ServerConfig, spawn};
use http::HeaderMap;
use reqwest::{Client, Method, RequestBuilder};
use std::collections::BTreeMap;
use std::hash::{DefaultHasher, Hasher};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;
use tempfile::TempDir;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// The bearer token every test server accepts.
pub const TOKEN: &str = "emulator-test-token";

/// Where a [`ManualClock`] starts: 2027-01-15, well inside what Graph's dates can show.
pub const CLOCK_START: Duration = Duration::from_secs(1_800_000_000);

/// 320 KiB, Graph's fragment quantum.
pub const QUANTUM: usize = 327_680;

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

impl Emulator {
    /// A server with Graph's defaults.
    pub async fn start() -> Self {
        Self::start_with(|_| {}).await
    }

    /// A server whose configuration `adjust` changes first (limits, TTL, sweep interval...).
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
        let client = Client::builder()
            .no_proxy()
            .timeout(Duration::from_secs(60))
            .build()
            .expect("reqwest client");
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

    /// Shuts the server down and starts a new one on the same data directory (a new port).
    pub async fn restart(&mut self) {
        if let Some(server) = self.server.take() {
            server.shutdown().await.expect("clean shutdown");
        }
        // A fresh client: nothing pooled towards the old port.
        self.client = Client::builder()
            .no_proxy()
            .timeout(Duration::from_secs(60))
            .build()
            .expect("reqwest client");
        let server = spawn(self.config.clone(), "127.0.0.1:0")
            .await
            .expect("the emulator restarts on the same data directory");
        self.base = server.base_url();
        self.server = Some(server);
    }

    /// Shuts the server down (every test ends with this).
    pub async fn stop(mut self) {
        if let Some(server) = self.server.take() {
            server.shutdown().await.expect("clean shutdown");
        }
    }

    /// Where the server listens.
    pub fn address(&self) -> SocketAddr {
        self.server.as_ref().expect("server running").address()
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

    // ---- print -----------------------------------------------------------------------------

    /// Creates a print job on `parent` (`/print/shares/{id}` or `/print/printers/{id}`) with
    /// body `{}`, expecting `201`.
    pub async fn create_print_job(&self, parent: &str) -> PrintTarget {
        let reply = self
            .post_json(&format!("{parent}/jobs"), &serde_json::json!({}))
            .await;
        assert_eq!(reply.status, 201, "create job: {}", reply.text());
        PrintTarget::from_job(parent, &reply.value())
    }

    /// `POST .../createUploadSession` with `body`, whatever the answer.
    pub async fn create_print_session_raw(
        &self,
        target: &PrintTarget,
        body: &serde_json::Value,
    ) -> Reply {
        self.post_json(&target.create_session_path(), body).await
    }

    /// Creates a print upload session, expecting `200` and an `uploadSession`.
    pub async fn create_print_session(
        &self,
        target: &PrintTarget,
        name: &str,
        content_type: &str,
        size: u64,
    ) -> UploadSession {
        let reply = self
            .create_print_session_raw(
                target,
                &serde_json::json!({"properties": {
                    "documentName": name, "contentType": content_type, "size": size}}),
            )
            .await;
        assert_eq!(reply.status, 200, "createUploadSession: {}", reply.text());
        reply.upload_session()
    }

    /// A job on the fixture share and a PDF upload session of `size` bytes for its document.
    pub async fn new_print_upload(&self, size: u64) -> (PrintTarget, UploadSession) {
        let target = self.create_print_job(&share(SHARE_ID)).await;
        let session = self
            .create_print_session(&target, "report.pdf", "application/pdf", size)
            .await;
        (target, session)
    }

    /// The document's bytes (`$value`), expecting `200`.
    pub async fn print_value(&self, target: &PrintTarget) -> Vec<u8> {
        let reply = self
            .get(&format!("{}/$value", target.document_path()))
            .await;
        assert_eq!(reply.status, 200, "$value: {}", reply.text());
        reply.body
    }

    // ---- To Do -----------------------------------------------------------------------------

    /// `POST .../attachments/createUploadSession` on the fixture task with `body`.
    pub async fn create_todo_session_raw(&self, body: &serde_json::Value) -> Reply {
        self.post_json(
            &format!("{}/attachments/createUploadSession", todo_task_path()),
            body,
        )
        .await
    }

    /// Creates a To Do attachment session on the fixture task, expecting `200`.
    pub async fn create_todo_session(&self, name: &str, size: u64) -> UploadSession {
        let reply = self
            .create_todo_session_raw(&serde_json::json!({"attachmentInfo": {
                "attachmentType": "file", "name": name, "size": size,
                "contentType": "application/octet-stream"}}))
            .await;
        assert_eq!(reply.status, 200, "createUploadSession: {}", reply.text());
        reply.upload_session()
    }

    /// The attachment's bytes, expecting `200`.
    pub async fn todo_value(&self, attachment_id: &str) -> Vec<u8> {
        let reply = self
            .get(&format!(
                "{}/attachments/{attachment_id}/$value",
                todo_task_path()
            ))
            .await;
        assert_eq!(reply.status, 200, "$value: {}", reply.text());
        reply.body
    }

    /// The fixture task's attachments.
    pub async fn todo_attachments(&self) -> Vec<serde_json::Value> {
        let list = self
            .get_json(&format!("{}/attachments", todo_task_path()))
            .await;
        list["value"].as_array().expect("value array").clone()
    }

    // ---- the byte protocol -----------------------------------------------------------------

    /// The PUT for `bytes` at `start` of a `total`-byte file: to the print `uploadUrl` as given
    /// without credentials, or to a To Do `{uploadUrl}/content` with the bearer and
    /// `Content-Type: application/octet-stream`.
    pub fn fragment_request(
        &self,
        url: &str,
        start: u64,
        bytes: &[u8],
        total: u64,
    ) -> RequestBuilder {
        if bytes.is_empty() {
            // reqwest (hyper) sends no Content-Length for an empty body; say it explicitly, as
            // the project's transports do.
            return self
                .put_request(url, &format!("bytes */{total}"), Vec::new())
                .header("content-length", "0");
        }
        let range = format!("bytes {start}-{}/{total}", start + bytes.len() as u64 - 1);
        self.put_request(url, &range, bytes.to_vec())
    }

    /// A PUT of `body` with `Content-Range: {range}` to the session's PUT target.
    pub fn put_request(&self, url: &str, range: &str, body: Vec<u8>) -> RequestBuilder {
        self.put_target(url)
            .header("content-range", range)
            .body(body)
    }

    /// A PUT to the session's PUT target with its credentials, nothing else set.
    pub fn put_target(&self, url: &str) -> RequestBuilder {
        if is_todo(url) {
            self.client
                .put(format!("{url}/content"))
                .bearer_auth(TOKEN)
                .header("content-type", "application/octet-stream")
        } else {
            self.client.put(url)
        }
    }

    /// Sends one fragment (see [`fragment_request`](Self::fragment_request)).
    pub async fn put_fragment(&self, url: &str, start: u64, bytes: &[u8], total: u64) -> Reply {
        self.send(self.fragment_request(url, start, bytes, total))
            .await
    }

    /// The one empty PUT of a 0-byte file: `Content-Range: bytes */0`.
    pub async fn put_empty(&self, url: &str) -> Reply {
        self.put_fragment(url, 0, &[], 0).await
    }

    /// `GET {uploadUrl}` (with the bearer for To Do only).
    pub async fn get_status(&self, url: &str) -> Reply {
        self.send(self.with_session_auth(self.client.get(url), url))
            .await
    }

    /// `GET {uploadUrl}`, expecting `200`; the body as JSON.
    pub async fn status_value(&self, url: &str) -> serde_json::Value {
        let reply = self.get_status(url).await;
        assert_eq!(reply.status, 200, "GET uploadUrl: {}", reply.text());
        reply.value()
    }

    /// `GET {uploadUrl}`, expecting `200`.
    pub async fn status(&self, url: &str) -> UploadSessionStatus {
        let reply = self.get_status(url).await;
        assert_eq!(reply.status, 200, "GET uploadUrl: {}", reply.text());
        reply.session_status()
    }

    /// `nextExpectedRanges` of `GET {uploadUrl}`.
    pub async fn missing(&self, url: &str) -> Vec<String> {
        self.status(url)
            .await
            .next_expected_ranges
            .expect("nextExpectedRanges")
    }

    /// `DELETE {uploadUrl}` (with the bearer for To Do only).
    pub async fn delete_session(&self, url: &str) -> Reply {
        self.send(self.with_session_auth(self.client.delete(url), url))
            .await
    }

    fn with_session_auth(&self, request: RequestBuilder, url: &str) -> RequestBuilder {
        if is_todo(url) {
            request.bearer_auth(TOKEN)
        } else {
            request
        }
    }

    /// Uploads `data[from..]` in order in fragments of `fragment` bytes; returns the last reply
    /// (every earlier one must be a progress reply).
    pub async fn upload_from(&self, url: &str, data: &[u8], from: usize, fragment: usize) -> Reply {
        let total = data.len() as u64;
        if data.is_empty() {
            return self.put_empty(url).await;
        }
        let mut offset = from;
        loop {
            let end = (offset + fragment).min(data.len());
            let reply = self
                .put_fragment(url, offset as u64, &data[offset..end], total)
                .await;
            if end == data.len() {
                return reply;
            }
            assert!(
                reply.status == 200 || reply.status == 202,
                "fragment {offset}..{end}: {} {}",
                reply.status,
                reply.text()
            );
            offset = end;
        }
    }

    /// Uploads all of `data` in order; returns the final reply.
    pub async fn upload_all(&self, url: &str, data: &[u8], fragment: usize) -> Reply {
        self.upload_from(url, data, 0, fragment).await
    }

    // ---- the disk --------------------------------------------------------------------------

    /// `{data_dir}/blobs`.
    pub fn blobs_dir(&self) -> PathBuf {
        self.data_dir.join("blobs")
    }

    /// How many files `{data_dir}/blobs` holds (one per session, document or attachment).
    pub fn blob_count(&self) -> usize {
        std::fs::read_dir(self.blobs_dir())
            .expect("blobs dir")
            .filter(|entry| {
                entry
                    .as_ref()
                    .map(|e| e.file_type().map(|t| t.is_file()).unwrap_or(false))
                    .unwrap_or(false)
            })
            .count()
    }

    /// What a rejected request must not change: every file under the temporary root except
    /// the database (its name, size and a hash of its bytes; the database by name only), and
    /// the stored resources as the API lists them.
    pub async fn snapshot(&self) -> Snapshot {
        use graph_upload_server::fixtures::{OXPS_PRINTER_ID, PHOTO_PRINTER_ID, PRINTER_ID};
        let mut files = BTreeMap::new();
        walk(self.root.path(), self.root.path(), &mut files);
        let mut api = BTreeMap::new();
        for path in [
            printer(PRINTER_ID) + "/jobs",
            printer(OXPS_PRINTER_ID) + "/jobs",
            printer(PHOTO_PRINTER_ID) + "/jobs",
            share(SHARE_ID) + "/jobs",
            "/print/printers".to_string(),
            "/print/shares".to_string(),
            "/me/todo/lists".to_string(),
            format!("/me/todo/lists/{LIST_ID}/tasks"),
            format!("{}/attachments", todo_task_path()),
        ] {
            let value = self.get_json(&path).await;
            api.insert(path, value);
        }
        Snapshot { files, api }
    }

    /// Waits (at most 10 s) until the emulator has read at least `bytes` bytes of fragment
    /// PUT bodies in all (`bytesReceived.put` of `GET /_emulator/stats`). A fragment whose body
    /// the emulator has begun to read has its range reserved already.
    pub async fn wait_for_put_bytes(&self, bytes: u64) {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
        loop {
            let reply = self
                .send(
                    self.bare(Method::GET, "/_emulator/stats")
                        .bearer_auth(TOKEN),
                )
                .await;
            assert_eq!(reply.status, 200, "{}", reply.text());
            let read = reply.value()["bytesReceived"]["put"].as_u64().unwrap_or(0);
            if read >= bytes {
                return;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "the emulator read {read} of {bytes} fragment bytes"
            );
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    }
}

/// Files under the root: relative path -> (size, hash of the bytes); the database by name.
fn walk(root: &Path, dir: &Path, out: &mut BTreeMap<String, (u64, u64)>) {
    for entry in std::fs::read_dir(dir).expect("read dir") {
        let entry = entry.expect("dir entry");
        let path = entry.path();
        let name = path
            .strip_prefix(root)
            .expect("under root")
            .to_string_lossy()
            .into_owned();
        if entry.file_type().expect("file type").is_dir() {
            out.insert(format!("{name}/"), (0, 0));
            walk(root, &path, out);
        } else if name.ends_with(".redb") {
            out.insert(name, (0, 0));
        } else {
            let bytes = std::fs::read(&path).expect("read file");
            let mut hasher = DefaultHasher::new();
            hasher.write(&bytes);
            out.insert(name, (bytes.len() as u64, hasher.finish()));
        }
    }
}

/// See [`Emulator::snapshot`].
#[derive(Debug, Clone, PartialEq)]
pub struct Snapshot {
    /// Relative path -> (size, hash).
    pub files: BTreeMap<String, (u64, u64)>,
    /// API path -> its JSON.
    pub api: BTreeMap<String, serde_json::Value>,
}

/// A print job's document, by the paths that reach it.
#[derive(Debug, Clone)]
pub struct PrintTarget {
    /// `/print/shares/{id}` or `/print/printers/{id}`.
    pub parent: String,
    /// Job id.
    pub job: String,
    /// Its one document's id.
    pub document: String,
}

impl PrintTarget {
    /// From a `201` printJob body.
    pub fn from_job(parent: &str, job: &serde_json::Value) -> Self {
        PrintTarget {
            parent: parent.to_string(),
            job: job["id"].as_str().expect("job id").to_string(),
            document: job["documents"][0]["id"]
                .as_str()
                .expect("document id")
                .to_string(),
        }
    }

    /// `{parent}/jobs/{job}`.
    pub fn job_path(&self) -> String {
        format!("{}/jobs/{}", self.parent, self.job)
    }

    /// `{parent}/jobs/{job}/documents/{document}`.
    pub fn document_path(&self) -> String {
        format!("{}/documents/{}", self.job_path(), self.document)
    }

    /// `.../createUploadSession`.
    pub fn create_session_path(&self) -> String {
        format!("{}/createUploadSession", self.document_path())
    }
}

/// `/print/printers/{id}`.
pub fn printer(id: &str) -> String {
    format!("/print/printers/{id}")
}

/// `/print/shares/{id}`.
pub fn share(id: &str) -> String {
    format!("/print/shares/{id}")
}

/// `/me/todo/lists/{LIST_ID}/tasks/{TASK_ID}`.
pub fn todo_task_path() -> String {
    format!("/me/todo/lists/{LIST_ID}/tasks/{TASK_ID}")
}

/// The id at the end of a URL path (`.../attachments/{id}`, `.../uploadSessions/{id}?...`).
pub fn last_segment(url: &str) -> String {
    let path = url.split('?').next().unwrap_or(url);
    path.rsplit('/').next().unwrap_or("").to_string()
}

/// Deterministic pseudo-random bytes (splitmix64): different seeds give different files.
pub fn test_data(len: usize, seed: u64) -> Vec<u8> {
    Rng::new(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ 0xD1B5_4A32_D192_ED03).bytes(len)
}

/// Standard base64 with padding.
pub fn base64(bytes: &[u8]) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

/// Checks a Graph error answer: `status`, `Content-Type: application/json`, a
/// [`GraphErrorBody`] with `code`, a non-empty message, an `innerError` with `request-id` (the
/// same as the `request-id` header) and `date`, and `innerError.code == inner_code` when given.
#[track_caller]
pub fn assert_graph_error(
    reply: &Reply,
    status: u16,
    code: &str,
    inner_code: Option<&str>,
) -> GraphErrorBody {
    assert_eq!(
        reply.status,
        status,
        "status (expected {status} {code}); body: {}",
        reply.text()
    );
    let content_type = reply.header("content-type").unwrap_or("");
    assert!(
        content_type.starts_with("application/json"),
        "Content-Type {content_type:?} (body {})",
        reply.text()
    );
    let body = reply.graph_error();
    assert_eq!(body.error.code, code, "error.code in {}", reply.text());
    assert!(
        !body.error.message.trim().is_empty(),
        "empty message: {}",
        reply.text()
    );
    let inner = body
        .error
        .inner_error
        .as_ref()
        .unwrap_or_else(|| panic!("no innerError: {}", reply.text()));
    let request_id = inner.request_id.as_deref().unwrap_or("");
    assert!(!request_id.is_empty(), "no request-id: {}", reply.text());
    if let Some(header) = reply.header("request-id") {
        assert_eq!(header, request_id, "request-id header vs body");
    }
    let date = inner.date.as_deref().unwrap_or("");
    assert!(
        date.len() >= 19 && date.as_bytes()[10] == b'T',
        "innerError.date {date:?}"
    );
    if let Some(inner_code) = inner_code {
        assert_eq!(
            inner.code.as_deref(),
            Some(inner_code),
            "innerError.code in {}",
            reply.text()
        );
    }
    body
}

/// Sends `request` (complete HTTP/1.1 bytes, which should say `Connection: close`) on a new
/// connection to `address`, optionally half-closes, and reads the answer to the end.
pub async fn raw_exchange(address: SocketAddr, request: &[u8], half_close: bool) -> Reply {
    let exchange = async {
        let mut stream = TcpStream::connect(address).await.expect("connect");
        stream.write_all(request).await.expect("write request");
        if half_close {
            stream.shutdown().await.expect("half-close");
        }
        let mut bytes = Vec::new();
        // A reset after the answer is complete is fine: keep what arrived.
        let _ = stream.read_to_end(&mut bytes).await;
        bytes
    };
    let bytes = tokio::time::timeout(Duration::from_secs(20), exchange)
        .await
        .expect("raw exchange timed out");
    parse_response(&bytes)
}

/// Builds an HTTP/1.1 request with `Host` and `Connection: close` plus `headers`.
pub fn raw_request(
    address: SocketAddr,
    method: &str,
    target: &str,
    headers: &[(&str, String)],
    body: &[u8],
) -> Vec<u8> {
    let mut out = format!("{method} {target} HTTP/1.1\r\nHost: {address}\r\nConnection: close\r\n");
    for (name, value) in headers {
        out.push_str(&format!("{name}: {value}\r\n"));
    }
    out.push_str("\r\n");
    let mut out = out.into_bytes();
    out.extend_from_slice(body);
    out
}

/// Parses one HTTP/1.1 response (Content-Length, chunked or until EOF).
pub fn parse_response(bytes: &[u8]) -> Reply {
    let head_end = bytes
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .unwrap_or_else(|| panic!("no response head in {:?}", String::from_utf8_lossy(bytes)));
    let head = std::str::from_utf8(&bytes[..head_end]).expect("ASCII head");
    let mut lines = head.split("\r\n");
    let status_line = lines.next().expect("status line");
    let status: u16 = status_line
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("bad status line {status_line:?}"));
    let mut headers = HeaderMap::new();
    for line in lines {
        let (name, value) = line.split_once(':').expect("header line");
        headers.append(
            http::HeaderName::from_bytes(name.trim().as_bytes()).expect("header name"),
            http::HeaderValue::from_str(value.trim()).expect("header value"),
        );
    }
    let rest = &bytes[head_end + 4..];
    let chunked = headers
        .get("transfer-encoding")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.eq_ignore_ascii_case("chunked"));
    let body = if chunked {
        decode_chunked(rest)
    } else if let Some(length) = headers
        .get("content-length")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok())
    {
        rest[..length.min(rest.len())].to_vec()
    } else {
        rest.to_vec()
    };
    Reply {
        status,
        headers,
        body,
    }
}

fn decode_chunked(mut rest: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    loop {
        let Some(line_end) = rest.windows(2).position(|w| w == b"\r\n") else {
            return out;
        };
        let size_text = std::str::from_utf8(&rest[..line_end]).unwrap_or("0");
        let size = usize::from_str_radix(size_text.split(';').next().unwrap_or("0").trim(), 16)
            .unwrap_or(0);
        rest = &rest[line_end + 2..];
        if size == 0 || rest.len() < size {
            return out;
        }
        out.extend_from_slice(&rest[..size]);
        rest = &rest[(size + 2).min(rest.len())..];
    }
}
