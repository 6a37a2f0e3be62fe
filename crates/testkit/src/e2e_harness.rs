//! The harness of `uploader_end_to_end.rs`: the real emulator on `127.0.0.1:0` with its data
//! directory in a temporary directory, real files next to it, plain-HTTP helpers (reqwest) for
//! what the test does by hand (creating sessions, raw fragments, status, the job), downloads of
//! `$value` through the transport under test, and a progress-event collector.
//!
//! Every test owns its [`Graph`] and ends with [`Graph::shutdown`]; a panicking test drops the
//! runtime, which ends the server task, and the temporary directory with it.

use crate::reply::Reply;
use crate::rng::Rng;
use crate::urls::is_todo;
use graph_upload::models::UploadSession;
use graph_upload::transport::{
    HyperTransport, Request, ReqwestTransport, Transport, TransportConfig, header,
};
use graph_upload::{ProgressEvent, UploadSource, Uploader, UploaderBuilder};
use graph_upload_server::fixtures::{LIST_ID, SHARE_ID, TASK_ID};
use graph_upload_server::{RunningServer, ServerConfig, spawn};
use std::collections::BTreeSet;
use std::io::Write as _;
use std::ops::Range;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tempfile::TempDir;

/// The bearer token of every test server.
pub const TOKEN: &str = "end-to-end-test-token";

/// 320 KiB, Graph's fragment quantum.
pub const QUANTUM: u64 = 327_680;

/// One mebibyte.
pub const MIB: u64 = 1024 * 1024;

/// Files are written (and compared) in blocks of this size.
const BLOCK: u64 = MIB;

/// Builds the transport under test.
pub type MakeTransport = fn() -> Arc<dyn Transport>;

fn transport_config() -> TransportConfig {
    TransportConfig::default()
        .connect_timeout(Duration::from_secs(2))
        .request_timeout(Some(Duration::from_secs(30)))
}

/// The reqwest backend.
pub fn reqwest_backend() -> Arc<dyn Transport> {
    Arc::new(ReqwestTransport::new(transport_config()).expect("build the reqwest backend"))
}

/// The hyper backend.
pub fn hyper_backend() -> Arc<dyn Transport> {
    Arc::new(HyperTransport::new(transport_config()).expect("build the hyper backend"))
}

fn http_client() -> reqwest::Client {
    reqwest::Client::builder()
        .no_proxy()
        .timeout(Duration::from_secs(60))
        .build()
        .expect("reqwest client")
}

/// The emulator, its data directory and a directory of test files, all in one temporary
/// directory.
pub struct Graph {
    root: TempDir,
    /// `{root}/data`, the server's data directory.
    pub data_dir: PathBuf,
    config: ServerConfig,
    server: Option<RunningServer>,
    /// `http://127.0.0.1:PORT` of the current server.
    pub base: String,
    client: reqwest::Client,
}

impl Graph {
    /// A server with Graph's defaults on `127.0.0.1:0`.
    pub async fn start() -> Self {
        Self::start_with(|_| {}).await
    }

    /// A server whose configuration `adjust` changes first (fault rules, shaping, limits).
    pub async fn start_with(adjust: impl FnOnce(&mut ServerConfig)) -> Self {
        let root = tempfile::tempdir().expect("temporary directory");
        let data_dir = root.path().join("data");
        std::fs::create_dir_all(root.path().join("files")).expect("files directory");
        let mut config = ServerConfig::new(&data_dir, TOKEN);
        adjust(&mut config);
        let server = spawn(config.clone(), "127.0.0.1:0")
            .await
            .expect("the emulator starts");
        Graph {
            root,
            data_dir,
            base: server.base_url(),
            config,
            server: Some(server),
            client: http_client(),
        }
    }

    /// Stops the server (requests in flight finish first); the data directory stays.
    pub async fn stop(&mut self) {
        if let Some(server) = self.server.take() {
            server.shutdown().await.expect("clean shutdown");
        }
    }

    /// Stops the server if it runs, then starts a new one on the same data directory (it
    /// listens on a new port: [`base`](Self::base) changes).
    pub async fn restart(&mut self) {
        self.stop().await;
        self.client = http_client();
        let server = spawn(self.config.clone(), "127.0.0.1:0")
            .await
            .expect("the emulator restarts on the same data directory");
        self.base = server.base_url();
        self.server = Some(server);
    }

    /// Stops the server; every test ends with this.
    pub async fn shutdown(mut self) {
        self.stop().await;
    }

    /// `{base}/v1.0`.
    pub fn api_base(&self) -> String {
        format!("{}/v1.0", self.base)
    }

    /// `{base}/v1.0{path}`.
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.api_base())
    }

    /// An uploader for this server's `/v1.0` with the test token.
    pub fn uploader(&self, transport: Arc<dyn Transport>) -> Uploader {
        self.uploader_builder(transport).build().expect("uploader")
    }

    /// [`uploader`](Self::uploader), left open for more settings.
    pub fn uploader_builder(&self, transport: Arc<dyn Transport>) -> UploaderBuilder {
        Uploader::builder(self.api_base())
            .token(TOKEN)
            .transport(transport)
    }

    /// A file of `len` deterministic pseudo-random bytes under `{root}/files`.
    pub fn file(&self, name: &str, len: u64, seed: u64) -> TestFile {
        TestFile::create(self.root.path().join("files").join(name), len, seed)
    }

    // ---- plain HTTP ----------------------------------------------------------------------

    async fn send(&self, request: reqwest::RequestBuilder) -> Reply {
        Reply::read(request.send().await.expect("request sent")).await
    }

    /// `GET {base}/v1.0{path}` with the token.
    pub async fn get(&self, path: &str) -> Reply {
        self.send(self.client.get(self.url(path)).bearer_auth(TOKEN))
            .await
    }

    /// `GET {base}/v1.0{path}` with the token, expecting `200` and JSON.
    pub async fn get_json(&self, path: &str) -> serde_json::Value {
        let reply = self.get(path).await;
        assert_eq!(reply.status, 200, "GET {path}: {}", reply.text());
        reply.value()
    }

    /// `POST {base}/v1.0{path}` with the token and a JSON body.
    pub async fn post_json(&self, path: &str, body: &serde_json::Value) -> Reply {
        self.send(
            self.client
                .post(self.url(path))
                .bearer_auth(TOKEN)
                .header("content-type", "application/json")
                .body(serde_json::to_vec(body).expect("json")),
        )
        .await
    }

    /// Creates a job on the fixture share: `(job id, document id)`.
    pub async fn create_print_job(&self) -> (String, String) {
        let reply = self
            .post_json(
                &format!("/print/shares/{SHARE_ID}/jobs"),
                &serde_json::json!({}),
            )
            .await;
        assert_eq!(reply.status, 201, "create the job: {}", reply.text());
        let job = reply.value();
        (
            job["id"].as_str().expect("job id").to_owned(),
            job["documents"][0]["id"]
                .as_str()
                .expect("document id")
                .to_owned(),
        )
    }

    /// Creates a job on the fixture share and a PDF upload session of `size` bytes for its
    /// document: `(job id, document id, session)`.
    pub async fn create_print_session(&self, size: u64) -> (String, String, UploadSession) {
        let (job, document) = self.create_print_job().await;
        let reply = self
            .post_json(
                &format!(
                    "/print/shares/{SHARE_ID}/jobs/{job}/documents/{document}/createUploadSession"
                ),
                &serde_json::json!({"properties": {
                    "documentName": "resumed.pdf", "contentType": "application/pdf", "size": size}}),
            )
            .await;
        assert_eq!(reply.status, 200, "createUploadSession: {}", reply.text());
        (job, document, reply.upload_session())
    }

    /// Creates a To Do attachment session of `size` bytes on the fixture task.
    pub async fn create_todo_session(&self, name: &str, size: u64) -> UploadSession {
        let reply = self
            .post_json(
                &format!(
                    "/me/todo/lists/{LIST_ID}/tasks/{TASK_ID}/attachments/createUploadSession"
                ),
                &serde_json::json!({"attachmentInfo": {
                    "attachmentType": "file", "name": name, "size": size}}),
            )
            .await;
        assert_eq!(reply.status, 200, "createUploadSession: {}", reply.text());
        reply.upload_session()
    }

    /// `GET {uploadUrl}` (with the token for To Do only).
    pub async fn session_status(&self, upload_url: &str) -> Reply {
        let mut request = self.client.get(upload_url);
        if is_todo(upload_url) {
            request = request.bearer_auth(TOKEN);
        }
        self.send(request).await
    }

    /// `nextExpectedRanges` of `GET {uploadUrl}`, expecting `200`.
    pub async fn next_expected_ranges(&self, upload_url: &str) -> Vec<String> {
        let reply = self.session_status(upload_url).await;
        assert_eq!(reply.status, 200, "GET {upload_url}: {}", reply.text());
        reply
            .session_status()
            .next_expected_ranges
            .unwrap_or_else(|| panic!("no nextExpectedRanges in {}", reply.text()))
    }

    /// One fragment by hand: `bytes` at `start` of a `total`-byte file, to the print upload
    /// URL as given (no token) or to a To Do `{uploadUrl}/content` (with the token).
    pub async fn put_fragment(
        &self,
        upload_url: &str,
        start: u64,
        bytes: &[u8],
        total: u64,
    ) -> Reply {
        let range = format!("bytes {start}-{}/{total}", start + bytes.len() as u64 - 1);
        let request = if is_todo(upload_url) {
            self.client
                .put(format!("{upload_url}/content"))
                .bearer_auth(TOKEN)
                .header("content-type", "application/octet-stream")
        } else {
            self.client.put(upload_url)
        };
        self.send(request.header("content-range", range).body(bytes.to_vec()))
            .await
    }

    /// The job as `GET /print/shares/{share}/jobs/{job}` shows it.
    pub async fn print_job(&self, job: &str) -> serde_json::Value {
        self.get_json(&format!("/print/shares/{SHARE_ID}/jobs/{job}"))
            .await
    }

    /// `{base}/v1.0/print/shares/{share}/jobs/{job}/documents/{document}/$value`.
    pub fn print_value_url(&self, job: &str, document: &str) -> String {
        self.url(&format!(
            "/print/shares/{SHARE_ID}/jobs/{job}/documents/{document}/$value"
        ))
    }

    /// The fixture task's attachments.
    pub async fn todo_attachments(&self) -> Vec<serde_json::Value> {
        let list = self
            .get_json(&format!(
                "/me/todo/lists/{LIST_ID}/tasks/{TASK_ID}/attachments"
            ))
            .await;
        list["value"].as_array().expect("value array").clone()
    }

    // ---- the disk ------------------------------------------------------------------------

    /// Names of the files in `{data_dir}/blobs` (one per open session, document or
    /// attachment).
    pub fn blob_names(&self) -> BTreeSet<String> {
        std::fs::read_dir(self.data_dir.join("blobs"))
            .expect("blobs directory")
            .map(|entry| entry.expect("directory entry"))
            .filter(|entry| entry.file_type().expect("file type").is_file())
            .map(|entry| entry.file_name().to_string_lossy().into_owned())
            .collect()
    }
}

/// `GET url` with the token through `transport`, expecting `200`; the whole body.
pub async fn download(transport: &Arc<dyn Transport>, url: &str) -> Vec<u8> {
    let request = Request::get(url)
        .expect("a valid URL")
        .header_str(header::AUTHORIZATION, &format!("Bearer {TOKEN}"))
        .expect("a valid header")
        .max_response_bytes(128 * MIB as usize);
    let response = transport.send(request).await.expect("GET $value");
    assert_eq!(
        response.status().as_u16(),
        200,
        "GET {url}: {}",
        String::from_utf8_lossy(response.body())
    );
    response.into_body().to_vec()
}

/// A file of deterministic pseudo-random bytes, written in 1 MiB blocks; any block can be
/// computed again, so the file is never held in memory to be compared.
#[derive(Debug, Clone)]
pub struct TestFile {
    /// Where it is.
    pub path: PathBuf,
    /// Its size.
    pub len: u64,
    seed: u64,
}

impl TestFile {
    fn create(path: PathBuf, len: u64, seed: u64) -> Self {
        let file = TestFile { path, len, seed };
        let mut out = std::io::BufWriter::new(
            std::fs::File::create(&file.path).expect("create the test file"),
        );
        for index in 0..len.div_ceil(BLOCK) {
            out.write_all(&file.block(index))
                .expect("write the test file");
        }
        out.into_inner()
            .expect("flush the test file")
            .sync_all()
            .expect("sync the test file");
        file
    }

    /// Block `index` (the last one may be shorter): splitmix64 from the seed and the index.
    fn block(&self, index: u64) -> Vec<u8> {
        let start = index * BLOCK;
        let len = BLOCK.min(self.len - start) as usize;
        Rng::new(
            (self.seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ index)
                .wrapping_mul(0xD1B5_4A32_D192_ED03),
        )
        .bytes(len)
    }

    /// The file, to upload.
    pub fn source(&self) -> UploadSource {
        UploadSource::from_path(&self.path).expect("open the test file")
    }

    /// The bytes of `span`, read from the file.
    pub fn read(&self, span: Range<u64>) -> Vec<u8> {
        let all = std::fs::read(&self.path).expect("read the test file");
        all[span.start as usize..span.end as usize].to_vec()
    }

    /// Asserts that `actual` is the file, byte for byte (without printing megabytes).
    pub fn assert_same(&self, actual: &[u8], what: &str) {
        assert_eq!(
            actual.len() as u64,
            self.len,
            "{what}: {} bytes, the file has {}",
            actual.len(),
            self.len
        );
        for index in 0..self.len.div_ceil(BLOCK) {
            let start = index * BLOCK;
            let expected = self.block(index);
            let got = &actual[start as usize..start as usize + expected.len()];
            if got != expected.as_slice() {
                let at = got
                    .iter()
                    .zip(&expected)
                    .position(|(a, b)| a != b)
                    .unwrap_or(0) as u64;
                panic!(
                    "{what}: first differing byte at offset {} (of {})",
                    start + at,
                    self.len
                );
            }
        }
    }
}

/// Collects progress events.
#[derive(Debug, Clone, Default)]
pub struct Events(Arc<Mutex<Vec<ProgressEvent>>>);

impl Events {
    /// The callback to hand to the uploader.
    pub fn callback(&self) -> impl Fn(ProgressEvent) + Send + Sync + 'static {
        let events = Arc::clone(&self.0);
        move |event| events.lock().expect("events lock").push(event)
    }

    /// A callback that records, then calls `also` with the event.
    pub fn callback_and(
        &self,
        also: impl Fn(&ProgressEvent) + Send + Sync + 'static,
    ) -> impl Fn(ProgressEvent) + Send + Sync + 'static {
        let events = Arc::clone(&self.0);
        move |event| {
            also(&event);
            events.lock().expect("events lock").push(event);
        }
    }

    /// Every event so far.
    pub fn all(&self) -> Vec<ProgressEvent> {
        self.0.lock().expect("events lock").clone()
    }

    /// `(upload_url, total, acknowledged)` of the `SessionReady` event.
    pub fn session_ready(&self) -> (String, u64, u64) {
        self.all()
            .into_iter()
            .find_map(|event| match event {
                ProgressEvent::SessionReady {
                    upload_url,
                    total,
                    acknowledged,
                } => Some((upload_url.as_str().to_owned(), total, acknowledged)),
                _ => None,
            })
            .unwrap_or_else(|| panic!("no SessionReady event in {:?}", self.all()))
    }

    /// The spans of the `FragmentStarted` events, in order.
    pub fn started(&self) -> Vec<Range<u64>> {
        self.all()
            .into_iter()
            .filter_map(|event| match event {
                ProgressEvent::FragmentStarted(span) => Some(span),
                _ => None,
            })
            .collect()
    }

    /// The largest `acknowledged` of the `FragmentAcknowledged` events (0 if none).
    pub fn acknowledged(&self) -> u64 {
        self.all()
            .into_iter()
            .filter_map(|event| match event {
                ProgressEvent::FragmentAcknowledged { acknowledged, .. } => Some(acknowledged),
                _ => None,
            })
            .max()
            .unwrap_or(0)
    }

    /// How many `Completed` events there were, and their totals.
    pub fn completed(&self) -> Vec<u64> {
        self.all()
            .into_iter()
            .filter_map(|event| match event {
                ProgressEvent::Completed { total } => Some(total),
                _ => None,
            })
            .collect()
    }
}
