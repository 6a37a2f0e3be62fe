//! Fragments by hand against a running emulator (usually the real binary): PUTs with reqwest,
//! PUTs over a raw TCP stream whose body can be sent in pieces (and abandoned), the session's
//! status as spans, and the bytes that must arrive.

use crate::rng::Rng;
use crate::spans::parse_ranges;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// The path and query of a URL.
pub fn path_and_query(url: &str) -> String {
    let rest = url
        .strip_prefix("http://")
        .unwrap_or_else(|| panic!("{url} is not http://"));
    rest.find('/').map_or("/", |at| &rest[at..]).to_owned()
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

/// `bytes {first}-{last}/{total}` for the half-open `span` (not empty).
pub fn content_range(span: &Range<u64>, total: u64) -> String {
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
    send_fragment(http.put(upload_url), total, span, bytes).await
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
    let request = http
        .put(format!("{upload_url}/content"))
        .bearer_auth(token)
        .header(reqwest::header::CONTENT_TYPE, "application/octet-stream");
    send_fragment(request, total, span, bytes).await
}

/// Sends `bytes` as the fragment `span` of a `total`-byte file through `request` (a `PUT`
/// with whatever credentials its kind of session wants).
async fn send_fragment(
    request: reqwest::RequestBuilder,
    total: u64,
    span: Range<u64>,
    bytes: Vec<u8>,
) -> Result<PutReply, reqwest::Error> {
    let response = request
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
