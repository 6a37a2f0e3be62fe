//! Running the real `graph-upload serve` binary in tests: start it on `127.0.0.1:0`, read its
//! start-up lines, kill it (`SIGKILL`, `SIGTERM`, `SIGINT`), and talk to it over HTTP, either
//! with reqwest or with a raw TCP stream whose body can be sent in pieces.
//!
//! A [`Serve`] kills its process when dropped, so a failing test never leaves a server behind.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::mpsc::{self, Receiver};
use std::time::{Duration, Instant};

use crate::rng::Rng;
use crate::urls::rebase;
use graph_upload_server::fixtures::{LIST_ID, SHARE_ID, TASK_ID};

/// How long the binary may take to print its first line (a debug build on a busy machine).
pub const STARTUP: Duration = Duration::from_secs(30);

/// One mebibyte.
pub const MIB: u64 = 1024 * 1024;

/// `BIN serve --listen 127.0.0.1:0 --data-dir DIR`, with the token and log variables of the
/// test's own environment removed, stdin closed and stdout piped. `bin` is the binary under
/// test: only the CLI's own tests know it (`env!("CARGO_BIN_EXE_graph-upload")`).
pub fn serve_command(bin: &str, data_dir: &Path) -> Command {
    serve_command_on(bin, data_dir, "127.0.0.1:0")
}

/// [`serve_command`] with another `--listen` value.
pub fn serve_command_on(bin: &str, data_dir: &Path, listen: &str) -> Command {
    let mut command = Command::new(bin);
    command
        .arg("serve")
        .arg("--listen")
        .arg(listen)
        .arg("--data-dir")
        .arg(data_dir)
        .env_remove("GRAPH_UPLOAD_TOKEN")
        .env_remove("GRAPH_UPLOAD_LOG")
        .stdin(Stdio::null())
        .stdout(Stdio::piped());
    command
}

/// A running `graph-upload serve`, killed on drop.
pub struct Serve {
    child: Child,
    /// `http://127.0.0.1:PORT`, from the first stdout line.
    pub base: String,
    /// The address of that line.
    pub addr: SocketAddr,
    /// The token API calls must present (given, or read from the second line).
    pub token: String,
    /// The first stdout line, verbatim.
    pub first_line: String,
    /// The second stdout line when the token was generated.
    pub token_line: Option<String>,
    /// A client for this server (no proxy, generous timeout).
    pub http: reqwest::Client,
    lines: Receiver<String>,
    log: tempfile::NamedTempFile,
}

impl Serve {
    /// Starts the server `bin` on `data_dir` with `--token token`.
    pub fn start(bin: &str, data_dir: &Path, token: &str) -> Serve {
        let mut command = serve_command(bin, data_dir);
        command.arg("--token").arg(token);
        Serve::launch(command, Some(token))
    }

    /// Spawns `command` (see [`serve_command`]) and reads the start-up lines: the address,
    /// then, when `token` is `None`, the generated token.
    pub fn launch(mut command: Command, token: Option<&str>) -> Serve {
        let log = tempfile::NamedTempFile::new().expect("a temp file for the server's stderr");
        let stderr = log.reopen().expect("reopen the stderr log");
        command.stderr(Stdio::from(stderr));
        let mut child = command.spawn().expect("spawn graph-upload serve");
        let stdout = child.stdout.take().expect("piped stdout");
        let (sender, lines) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if sender.send(line).is_err() {
                    break;
                }
            }
        });
        let mut serve = Serve {
            child,
            base: String::new(),
            addr: SocketAddr::from(([127, 0, 0, 1], 0)),
            token: token.unwrap_or_default().to_owned(),
            first_line: String::new(),
            token_line: None,
            http: client(),
            lines,
            log,
        };
        let first = serve.next_line(STARTUP).unwrap_or_else(|| {
            panic!(
                "graph-upload serve printed no first line within {STARTUP:?}; stderr:\n{}",
                serve.stderr()
            )
        });
        let addr = parse_listening_line(&first).unwrap_or_else(|| {
            panic!(
                "the first stdout line is not `listening on http://HOST:PORT`: {first:?}; stderr:\n{}",
                serve.stderr()
            )
        });
        serve.base = format!("http://{addr}");
        serve.addr = addr;
        serve.first_line = first;
        if token.is_none() {
            let line = serve.next_line(STARTUP).unwrap_or_else(|| {
                panic!(
                    "no `token: ...` line after the address; stderr:\n{}",
                    serve.stderr()
                )
            });
            let generated = line
                .strip_prefix("token: ")
                .unwrap_or_else(|| panic!("the second stdout line is not `token: ...`: {line:?}"));
            assert!(
                !generated.trim().is_empty() && generated.trim() == generated,
                "the generated token is empty or padded: {line:?}"
            );
            serve.token = generated.to_owned();
            serve.token_line = Some(line);
        }
        serve
    }

    /// The next stdout line, or `None` when there is none within `timeout` (or stdout closed).
    pub fn next_line(&self, timeout: Duration) -> Option<String> {
        self.lines.recv_timeout(timeout).ok()
    }

    /// Whether stdout stays silent (no new line) for `period`.
    pub fn stdout_silent_for(&self, period: Duration) -> Result<(), String> {
        match self.lines.recv_timeout(period) {
            Ok(line) => Err(line),
            Err(_) => Ok(()),
        }
    }

    /// Everything the server wrote to stderr so far.
    pub fn stderr(&self) -> String {
        std::fs::read_to_string(self.log.path()).unwrap_or_default()
    }

    /// The process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// `SIGKILL`, then reap the process.
    pub fn kill9(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// Sends a signal (`TERM`, `INT`) with kill(1).
    pub fn signal(&self, name: &str) {
        let status = Command::new("kill")
            .arg(format!("-{name}"))
            .arg(self.pid().to_string())
            .status()
            .expect("run kill(1)");
        assert!(status.success(), "kill -{name} {} failed", self.pid());
    }

    /// Waits up to `timeout` for the process to exit by itself.
    pub fn wait_exit(&mut self, timeout: Duration) -> Option<ExitStatus> {
        let deadline = Instant::now() + timeout;
        loop {
            if let Ok(Some(status)) = self.child.try_wait() {
                return Some(status);
            }
            if Instant::now() >= deadline {
                return None;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Waits up to `timeout` until a new connection is refused: the server stopped
    /// accepting, which it does when it starts to shut down. Returns whether it did.
    pub fn wait_until_refusing(&self, timeout: Duration) -> bool {
        let deadline = Instant::now() + timeout;
        loop {
            match TcpStream::connect_timeout(&self.addr, Duration::from_secs(1)) {
                Err(error) if error.kind() == std::io::ErrorKind::ConnectionRefused => {
                    return true;
                }
                _ => {}
            }
            if Instant::now() >= deadline {
                return false;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// `{base}{path}`.
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// An authenticated API request.
    pub fn api(&self, method: reqwest::Method, path: &str) -> reqwest::RequestBuilder {
        self.http
            .request(method, self.url(path))
            .bearer_auth(&self.token)
    }

    /// `GET path` with the bearer token: status and body.
    pub async fn get(&self, path: &str) -> (u16, Vec<u8>) {
        let response = self
            .api(reqwest::Method::GET, path)
            .send()
            .await
            .unwrap_or_else(|e| panic!("GET {path}: {e}; stderr:\n{}", self.stderr()));
        let status = response.status().as_u16();
        (status, response.bytes().await.expect("body").to_vec())
    }

    /// `POST path` with a JSON body and the bearer token: status, body as JSON, `Location`.
    pub async fn post_json(
        &self,
        path: &str,
        body: &serde_json::Value,
    ) -> (u16, serde_json::Value) {
        let response = self
            .api(reqwest::Method::POST, path)
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .body(body.to_string())
            .send()
            .await
            .unwrap_or_else(|e| panic!("POST {path}: {e}; stderr:\n{}", self.stderr()));
        let status = response.status().as_u16();
        let bytes = response.bytes().await.expect("body");
        let json = serde_json::from_slice(&bytes).unwrap_or(serde_json::Value::Null);
        (status, json)
    }

    /// Creates a print job on the share and an upload session for its document.
    pub async fn create_print_upload(&self, size: u64) -> PrintUpload {
        let (status, job) = self
            .post_json(
                &format!("/v1.0/print/shares/{SHARE_ID}/jobs"),
                &serde_json::json!({}),
            )
            .await;
        assert_eq!(status, 201, "create job: {job}");
        let job_id = job["id"].as_str().expect("job id").to_owned();
        let document_id = job["documents"][0]["id"]
            .as_str()
            .expect("document id")
            .to_owned();
        let (status, session) = self
            .post_json(
                &format!(
                    "/v1.0/print/shares/{SHARE_ID}/jobs/{job_id}/documents/{document_id}/createUploadSession"
                ),
                &serde_json::json!({"properties": {
                    "documentName": "a.pdf", "contentType": "application/pdf", "size": size
                }}),
            )
            .await;
        assert_eq!(status, 200, "createUploadSession: {session}");
        let upload_url = session["uploadUrl"].as_str().expect("uploadUrl").to_owned();
        assert!(
            upload_url.starts_with(&self.base),
            "{upload_url} is not on {}",
            self.base
        );
        PrintUpload {
            job_id,
            document_id,
            upload_url,
        }
    }

    /// Creates a To Do attachment upload session on the fixture task.
    pub async fn create_todo_upload(&self, name: &str, size: u64) -> TodoUpload {
        let (status, session) = self
            .post_json(
                &format!(
                    "/v1.0/me/todo/lists/{LIST_ID}/tasks/{TASK_ID}/attachments/createUploadSession"
                ),
                &serde_json::json!({"attachmentInfo": {
                    "attachmentType": "file", "name": name, "size": size
                }}),
            )
            .await;
        assert!(
            (200..300).contains(&status),
            "To Do createUploadSession: {status} {session}"
        );
        let upload_url = session["uploadUrl"].as_str().expect("uploadUrl").to_owned();
        TodoUpload { upload_url }
    }

    /// The bytes of a print document (`$value`).
    pub async fn print_value(&self, upload: &PrintUpload) -> Vec<u8> {
        let (status, bytes) = self
            .get(&format!(
                "/v1.0/print/shares/{SHARE_ID}/jobs/{}/documents/{}/$value",
                upload.job_id, upload.document_id
            ))
            .await;
        assert_eq!(status, 200, "$value: {}", String::from_utf8_lossy(&bytes));
        bytes
    }

    /// The bytes behind a To Do attachment URL (`{location}/$value`, rebased on this server).
    pub async fn attachment_value(&self, location: &str) -> Vec<u8> {
        let url = format!("{}/$value", rebase(location, &self.base));
        let response = self
            .http
            .get(&url)
            .bearer_auth(&self.token)
            .send()
            .await
            .unwrap_or_else(|e| panic!("GET {url}: {e}"));
        let status = response.status().as_u16();
        let bytes = response.bytes().await.expect("body").to_vec();
        assert_eq!(
            status,
            200,
            "GET {url}: {}",
            String::from_utf8_lossy(&bytes)
        );
        bytes
    }

    /// The `Location` of the To Do attachment called `name` on the fixture task, if any.
    pub async fn find_attachment(&self, name: &str) -> Option<String> {
        let path = format!("/v1.0/me/todo/lists/{LIST_ID}/tasks/{TASK_ID}/attachments");
        let (status, body) = self.get(&path).await;
        assert_eq!(status, 200, "list attachments");
        let json: serde_json::Value = serde_json::from_slice(&body).expect("attachments JSON");
        json["value"]
            .as_array()
            .expect("value array")
            .iter()
            .find(|a| a["name"] == name)
            .map(|a| format!("{}{path}/{}", self.base, a["id"].as_str().expect("id")))
    }
}

impl Drop for Serve {
    fn drop(&mut self) {
        if matches!(self.child.try_wait(), Ok(None)) {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// The address of an exact `listening on http://HOST:PORT` line, with a real port.
pub fn parse_listening_line(line: &str) -> Option<SocketAddr> {
    let rest = line.strip_prefix("listening on http://")?;
    let addr: SocketAddr = rest.parse().ok()?;
    (addr.port() != 0 && addr.to_string() == rest).then_some(addr)
}

/// A client that never goes through a proxy.
pub fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .no_proxy()
        .connect_timeout(Duration::from_secs(10))
        .timeout(Duration::from_secs(60))
        .build()
        .expect("reqwest client")
}

/// The path and query of a URL.
pub fn path_and_query(url: &str) -> String {
    let rest = url
        .strip_prefix("http://")
        .unwrap_or_else(|| panic!("{url} is not http://"));
    rest.find('/').map_or("/", |at| &rest[at..]).to_owned()
}

/// A print document's upload session.
#[derive(Debug, Clone)]
pub struct PrintUpload {
    /// The print job's id.
    pub job_id: String,
    /// The document's id.
    pub document_id: String,
    /// The session's pre-authenticated upload URL.
    pub upload_url: String,
}

/// A To Do attachment's upload session.
#[derive(Debug, Clone)]
pub struct TodoUpload {
    /// The session's upload URL (To Do's needs the bearer token).
    pub upload_url: String,
}

/// What a fragment PUT got back.
#[derive(Debug)]
pub struct PutReply {
    /// The status code.
    pub status: u16,
    /// The body as JSON (`Null` when it is not JSON).
    pub body: serde_json::Value,
    /// The `Location` header, if any.
    pub location: Option<String>,
}

fn content_range(span: &Range<u64>, total: u64) -> String {
    format!("bytes {}-{}/{total}", span.start, span.end - 1)
}

/// `PUT {uploadUrl}` of a print fragment (no `Authorization`: the URL is pre-authenticated).
pub async fn put_print(
    http: &reqwest::Client,
    upload_url: &str,
    total: u64,
    span: Range<u64>,
    bytes: Vec<u8>,
) -> Result<PutReply, reqwest::Error> {
    let response = http
        .put(upload_url)
        .header(reqwest::header::CONTENT_RANGE, content_range(&span, total))
        .body(bytes)
        .send()
        .await?;
    reply(response).await
}

/// `PUT {uploadUrl}/content` of a To Do fragment, with the bearer token.
pub async fn put_todo(
    http: &reqwest::Client,
    upload_url: &str,
    token: &str,
    total: u64,
    span: Range<u64>,
    bytes: Vec<u8>,
) -> Result<PutReply, reqwest::Error> {
    let response = http
        .put(format!("{upload_url}/content"))
        .bearer_auth(token)
        .header(reqwest::header::CONTENT_TYPE, "application/octet-stream")
        .header(reqwest::header::CONTENT_RANGE, content_range(&span, total))
        .body(bytes)
        .send()
        .await?;
    reply(response).await
}

async fn reply(response: reqwest::Response) -> Result<PutReply, reqwest::Error> {
    let status = response.status().as_u16();
    let location = response
        .headers()
        .get(reqwest::header::LOCATION)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let bytes = response.bytes().await?;
    let body = serde_json::from_slice(&bytes).unwrap_or(serde_json::Value::Null);
    Ok(PutReply {
        status,
        body,
        location,
    })
}

/// `GET {uploadUrl}` (with the bearer token for To Do, without for print): status and the
/// missing byte spans it reports.
pub async fn session_status(
    http: &reqwest::Client,
    upload_url: &str,
    bearer: Option<&str>,
    size: u64,
) -> (u16, Vec<Range<u64>>, serde_json::Value) {
    let mut request = http.get(upload_url);
    if let Some(token) = bearer {
        request = request.bearer_auth(token);
    }
    let response = request
        .send()
        .await
        .unwrap_or_else(|e| panic!("GET {upload_url}: {e}"));
    let status = response.status().as_u16();
    let bytes = response.bytes().await.expect("status body");
    let body: serde_json::Value = serde_json::from_slice(&bytes).unwrap_or(serde_json::Value::Null);
    let missing = if status == 200 {
        let list = body["nextExpectedRanges"]
            .as_array()
            .unwrap_or_else(|| panic!("no nextExpectedRanges in {body}"));
        let texts: Vec<String> = list
            .iter()
            .map(|v| v.as_str().expect("range string").to_owned())
            .collect();
        parse_ranges(&texts, size)
    } else {
        Vec::new()
    };
    (status, missing, body)
}

/// Parses `nextExpectedRanges` (`"s-e"`, `"s-"`, `"s"`) into half-open spans, clamped to
/// `size`, sorted and merged.
pub fn parse_ranges(texts: &[String], size: u64) -> Vec<Range<u64>> {
    let spans = texts.iter().map(|text| {
        let (start, end) = match text.split_once('-') {
            Some((start, "")) => (start, None),
            Some((start, end)) => (start, Some(end)),
            None => (text.as_str(), None),
        };
        let start: u64 = start
            .parse()
            .unwrap_or_else(|_| panic!("bad range {text:?}"));
        let end = end.map_or(size, |end| {
            end.parse::<u64>()
                .unwrap_or_else(|_| panic!("bad range {text:?}"))
                .saturating_add(1)
                .min(size)
        });
        assert!(start < end, "empty range {text:?} for size {size}");
        start..end
    });
    merge(spans.collect())
}

/// Sorts and merges spans that overlap or touch.
pub fn merge(mut spans: Vec<Range<u64>>) -> Vec<Range<u64>> {
    spans.retain(|s| s.start < s.end);
    spans.sort_by_key(|s| s.start);
    let mut merged: Vec<Range<u64>> = Vec::new();
    for span in spans {
        match merged.last_mut() {
            Some(last) if span.start <= last.end => last.end = last.end.max(span.end),
            _ => merged.push(span),
        }
    }
    merged
}

/// What of `0..size` the spans do not cover.
pub fn complement(spans: &[Range<u64>], size: u64) -> Vec<Range<u64>> {
    let mut missing = Vec::new();
    let mut at = 0;
    for span in merge(spans.to_vec()) {
        if span.start > at {
            missing.push(at..span.start);
        }
        at = at.max(span.end);
    }
    if at < size {
        missing.push(at..size);
    }
    missing
}

/// Whether two sets of spans share a byte.
pub fn intersects(a: &[Range<u64>], b: &[Range<u64>]) -> bool {
    a.iter()
        .any(|x| b.iter().any(|y| x.start < y.end && y.start < x.end))
}

/// `span` cut into pieces of at most `piece` bytes.
pub fn pieces(span: Range<u64>, piece: u64) -> Vec<Range<u64>> {
    let mut out = Vec::new();
    let mut at = span.start;
    while at < span.end {
        let end = (at + piece).min(span.end);
        out.push(at..end);
        at = end;
    }
    out
}

/// `len` pseudo-random bytes: a misplaced fragment cannot go unnoticed.
pub fn pattern(len: u64, seed: u64) -> Vec<u8> {
    Rng::new(seed).bytes(len as usize)
}

/// Asserts two byte strings are equal without printing megabytes.
pub fn assert_same_bytes(actual: &[u8], expected: &[u8], what: &str) {
    assert_eq!(actual.len(), expected.len(), "{what}: lengths differ");
    if let Some(at) = actual.iter().zip(expected).position(|(a, b)| a != b) {
        panic!("{what}: first difference at byte {at}");
    }
}

/// A PUT over a raw TCP stream, so that its body can be sent in pieces (and abandoned).
pub struct RawPut {
    stream: TcpStream,
}

impl RawPut {
    /// Connects to `addr` and sends the request line, `headers`, `Content-Length` and
    /// `Connection: close`, but no body yet.
    pub fn begin(
        addr: SocketAddr,
        path_and_query: &str,
        content_length: u64,
        headers: &[(&str, String)],
    ) -> std::io::Result<RawPut> {
        let mut stream = TcpStream::connect_timeout(&addr, Duration::from_secs(10))?;
        stream.set_read_timeout(Some(Duration::from_secs(30)))?;
        stream.set_write_timeout(Some(Duration::from_secs(30)))?;
        let mut head = format!(
            "PUT {path_and_query} HTTP/1.1\r\nHost: {addr}\r\nContent-Length: {content_length}\r\nConnection: close\r\n"
        );
        for (name, value) in headers {
            head.push_str(&format!("{name}: {value}\r\n"));
        }
        head.push_str("\r\n");
        stream.write_all(head.as_bytes())?;
        Ok(RawPut { stream })
    }

    /// A print fragment PUT to `upload_url` (any host: only its path and query are used).
    pub fn print_fragment(
        addr: SocketAddr,
        upload_url: &str,
        total: u64,
        span: &Range<u64>,
    ) -> std::io::Result<RawPut> {
        RawPut::begin(
            addr,
            &path_and_query(upload_url),
            span.end - span.start,
            &[("Content-Range", content_range(span, total))],
        )
    }

    /// A To Do fragment PUT to `{upload_url}/content`.
    pub fn todo_fragment(
        addr: SocketAddr,
        upload_url: &str,
        token: &str,
        total: u64,
        span: &Range<u64>,
    ) -> std::io::Result<RawPut> {
        RawPut::begin(
            addr,
            &format!("{}/content", path_and_query(upload_url)),
            span.end - span.start,
            &[
                ("Content-Range", content_range(span, total)),
                ("Authorization", format!("Bearer {token}")),
                ("Content-Type", "application/octet-stream".to_owned()),
            ],
        )
    }

    /// Sends more of the body.
    pub fn send(&mut self, bytes: &[u8]) -> std::io::Result<()> {
        self.stream.write_all(bytes)?;
        self.stream.flush()
    }

    /// Reads the response's status code, or `None` when the connection ended without one.
    pub fn status(mut self) -> Option<u16> {
        let mut received = Vec::new();
        let mut buffer = [0u8; 4096];
        loop {
            if let Some(end) = received.iter().position(|&b| b == b'\n') {
                let line = String::from_utf8_lossy(&received[..end]).into_owned();
                let mut parts = line.split_whitespace();
                return match (parts.next(), parts.next()) {
                    (Some(version), Some(code)) if version.starts_with("HTTP/1.") => {
                        code.parse().ok()
                    }
                    _ => None,
                };
            }
            match self.stream.read(&mut buffer) {
                Ok(0) | Err(_) => return None,
                Ok(n) => received.extend_from_slice(&buffer[..n]),
            }
        }
    }
}

/// Best effort: waits until some blob in `data_dir/blobs` holds `expected` at `offset`, which
/// shows that the server is streaming a fragment to disk. Returns whether it was seen.
#[cfg(unix)]
pub fn wait_for_bytes_on_disk(
    data_dir: &Path,
    offset: u64,
    expected: &[u8],
    timeout: Duration,
) -> bool {
    use std::os::unix::fs::FileExt;
    let deadline = Instant::now() + timeout;
    let dir: PathBuf = data_dir.join("blobs");
    loop {
        if let Ok(entries) = std::fs::read_dir(&dir) {
            for entry in entries.flatten() {
                if let Ok(file) = std::fs::File::open(entry.path()) {
                    let mut found = vec![0u8; expected.len()];
                    if file.read_exact_at(&mut found, offset).is_ok() && found == expected {
                        return true;
                    }
                }
            }
        }
        if Instant::now() >= deadline {
            return false;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}
