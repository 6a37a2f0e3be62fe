//! Running the real `graph-upload serve` binary in tests: start it on `127.0.0.1:0`, read its
//! start-up lines, kill it (`SIGKILL`, `SIGTERM`, `SIGINT`), and talk to it over HTTP with
//! reqwest (fragments by hand, and raw TCP, are in [`crate::fragments`]).
//!
//! A [`Serve`] kills its process when dropped, so a failing test never leaves a server behind.

use std::io::{BufRead, BufReader};
use std::net::{SocketAddr, TcpStream};
use std::path::Path;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::mpsc::{self, Receiver};
use std::time::{Duration, Instant};

use crate::urls::rebase;
use graph_upload_server::fixtures::{LIST_ID, SHARE_ID, TASK_ID};

/// How long the binary may take to print its first line (a debug build on a busy machine).
pub const STARTUP: Duration = Duration::from_secs(30);

pub use crate::MIB;

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
    /// `http://127.0.0.1:PORT` (`https://` with `--tls`), from the first stdout line.
    pub base: String,
    /// The address of that line.
    pub addr: SocketAddr,
    /// The token API calls must present (given, or read from the second line).
    pub token: String,
    /// The first stdout line, verbatim.
    pub first_line: String,
    /// The second stdout line when the token was generated.
    pub token_line: Option<String>,
    /// The dashboard's URL, from the third stdout line (with `#token=...` when generated).
    pub dashboard: String,
    /// The three start-up lines, verbatim.
    pub startup_lines: Vec<String>,
    /// A client for this server (no proxy, generous timeout; see [`Serve::trust`] for
    /// https).
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

    /// Spawns `command` (see [`serve_command`]) and reads the three start-up lines: the
    /// address, the token line (the generated token when `token` is `None`), the dashboard.
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
            dashboard: String::new(),
            startup_lines: Vec::new(),
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
        let (scheme, addr) = parse_listening_url(&first).unwrap_or_else(|| {
            panic!(
                "the first stdout line is not `listening on http(s)://HOST:PORT`: {first:?}; stderr:\n{}",
                serve.stderr()
            )
        });
        serve.base = format!("{scheme}://{addr}");
        serve.addr = addr;
        serve.first_line = first;
        let line = serve.next_line(STARTUP).unwrap_or_else(|| {
            panic!(
                "no `token: ...` line after the address; stderr:\n{}",
                serve.stderr()
            )
        });
        let dashboard = serve.next_line(STARTUP).unwrap_or_else(|| {
            panic!(
                "no third line (`dashboard: URL`); stderr:\n{}",
                serve.stderr()
            )
        });
        serve.dashboard = dashboard
            .strip_prefix("dashboard: ")
            .unwrap_or_else(|| {
                panic!("the third stdout line is not `dashboard: URL`: {dashboard:?}")
            })
            .to_owned();
        serve.startup_lines = vec![serve.first_line.clone(), line.clone(), dashboard.clone()];
        if token.is_none() {
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

    /// Makes [`http`](Self::http) trust `pem` (the certificate of `serve --tls`).
    pub fn trust(&mut self, pem: &[u8]) {
        self.http = client_with(Some(pem));
    }

    /// Waits up to `timeout` until stderr holds a line that `wanted` accepts (log lines are
    /// written as requests are answered); returns all of stderr then.
    pub fn wait_for_stderr_line(&self, timeout: Duration, wanted: impl Fn(&str) -> bool) -> String {
        let deadline = Instant::now() + timeout;
        loop {
            let stderr = self.stderr();
            if stderr.lines().any(&wanted) {
                return stderr;
            }
            assert!(
                Instant::now() < deadline,
                "no such line on stderr within {timeout:?}:\n{stderr}"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
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

    /// The bytes of a print document: `$value` answers `302`, and its `Location` is
    /// fetched without the bearer token.
    pub async fn print_value(&self, upload: &PrintUpload) -> Vec<u8> {
        self.print_document_value(&upload.job_id, &upload.document_id)
            .await
    }

    /// The bytes of document `document_id` of job `job_id` on the fixture share, through
    /// the `302` of `$value` and its download URL (fetched without the bearer token).
    pub async fn print_document_value(&self, job_id: &str, document_id: &str) -> Vec<u8> {
        let path =
            format!("/v1.0/print/shares/{SHARE_ID}/jobs/{job_id}/documents/{document_id}/$value");
        let response = self
            .api(reqwest::Method::GET, &path)
            .send()
            .await
            .unwrap_or_else(|e| panic!("GET {path}: {e}; stderr:\n{}", self.stderr()));
        assert_eq!(response.status().as_u16(), 302, "$value of {path}");
        let location = response
            .headers()
            .get(reqwest::header::LOCATION)
            .and_then(|value| value.to_str().ok())
            .expect("a Location on the 302 of $value")
            .to_owned();
        let response = self
            .http
            .get(&location)
            .send()
            .await
            .unwrap_or_else(|e| panic!("GET the download URL: {e}"));
        let status = response.status().as_u16();
        let bytes = response.bytes().await.expect("body").to_vec();
        assert_eq!(
            status,
            200,
            "download URL: {}",
            String::from_utf8_lossy(&bytes)
        );
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
    match parse_listening_url(line)? {
        ("http", addr) => Some(addr),
        _ => None,
    }
}

/// The scheme and address of an exact `listening on http://HOST:PORT` or
/// `listening on https://HOST:PORT` line, with a real port.
pub fn parse_listening_url(line: &str) -> Option<(&'static str, SocketAddr)> {
    let rest = line.strip_prefix("listening on ")?;
    let (scheme, rest) = if let Some(rest) = rest.strip_prefix("https://") {
        ("https", rest)
    } else {
        ("http", rest.strip_prefix("http://")?)
    };
    let addr: SocketAddr = rest.parse().ok()?;
    (addr.port() != 0 && addr.to_string() == rest).then_some((scheme, addr))
}

/// A client that never goes through a proxy.
pub fn client() -> reqwest::Client {
    client_with(None)
}

/// [`client`], also trusting the certificate `pem`.
fn client_with(trust: Option<&[u8]>) -> reqwest::Client {
    // No automatic redirects: a same-host redirect would keep `Authorization`.
    let mut builder = reqwest::Client::builder()
        .no_proxy()
        .redirect(reqwest::redirect::Policy::none())
        .connect_timeout(Duration::from_secs(10))
        .timeout(Duration::from_secs(60));
    if let Some(pem) = trust {
        builder = builder.tls_certs_merge(
            reqwest::Certificate::from_pem_bundle(pem).expect("a PEM certificate"),
        );
    }
    builder.build().expect("reqwest client")
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
