//! A tiny HTTP/1.1 server on loopback, for the misbehaviours wiremock cannot act out: never
//! answering, hanging up in the middle of a request or response body, oversized or chunked
//! responses. It also records each request exactly as it arrived on the wire (request line,
//! header lines, body bytes), to double-check what wiremock reports.
//!
//! One request per connection: every answer carries `Connection: close`. Every read has a
//! deadline, and the accept loop and connection tasks belong to the test's runtime, so nothing
//! outlives the test.

use std::net::SocketAddr;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;

/// The longest the server waits for the next bytes from a client before giving up on it.
const READ_IDLE: Duration = Duration::from_secs(10);

/// The largest request head the server accepts.
const MAX_HEAD: usize = 64 * 1024;

/// How the response body is framed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Framing {
    /// `Content-Length: N`, then the body.
    ContentLength,
    /// `Transfer-Encoding: chunked`, the body in 64 KiB chunks, so a client only learns the
    /// size by reading.
    Chunked,
}

/// What the server does with each connection.
#[derive(Debug, Clone)]
pub enum Behaviour {
    /// Reads the whole request, then answers. A request whose body ends early (the client
    /// gave up) gets no answer.
    Respond {
        /// The status code.
        status: u16,
        /// Extra headers, in order.
        headers: Vec<(String, String)>,
        /// The body.
        body: Vec<u8>,
        /// How the body is framed.
        framing: Framing,
    },
    /// Reads everything the client sends and never answers.
    NeverAnswer,
    /// Reads the whole request, then closes the connection without a byte of answer.
    CloseWithoutAnswer,
    /// Reads the head and at least `after` bytes of the body, then hangs up; with `reset`, by
    /// a TCP reset (`SO_LINGER` 0) rather than a plain close.
    CloseMidRequestBody {
        /// Body bytes to read first.
        after: usize,
        /// Hang up with a reset instead of a close.
        reset: bool,
    },
    /// Reads the whole request, sends a `200` head declaring `declared` bytes and only `sent`
    /// of them; then closes the connection, or with `stall`, keeps it open and silent.
    ShortResponse {
        /// The `Content-Length` of the answer.
        declared: usize,
        /// How many body bytes are sent.
        sent: usize,
        /// Keep the connection open and silent instead of closing it.
        stall: bool,
    },
}

impl Behaviour {
    /// Answers `status` with `body` (no extra headers).
    pub fn respond(status: u16, body: Vec<u8>, framing: Framing) -> Self {
        Behaviour::Respond {
            status,
            headers: Vec::new(),
            body,
            framing,
        }
    }
}

/// One request as the server read it.
#[derive(Debug, Clone, Default)]
pub struct Captured {
    /// The request line (`PUT /path?query HTTP/1.1`), empty when the head never completed.
    pub request_line: String,
    /// Header lines as `(lowercased name, value)`, in the order they arrived.
    pub headers: Vec<(String, String)>,
    /// The body bytes read (for a body the server gave up on, what it read so far).
    pub body: Vec<u8>,
    /// Whether the head was complete and the body reached its declared `Content-Length`.
    pub complete: bool,
}

impl Captured {
    /// The body length the head declares, read the way a lenient server does: repeated
    /// `Content-Length` lines are accepted when they agree (tests check there is one).
    fn framing_length(&self) -> Option<usize> {
        let values = self.header_values("content-length");
        let first: usize = values.first()?.trim().parse().ok()?;
        values
            .iter()
            .all(|value| value.trim().parse() == Ok(first))
            .then_some(first)
    }

    /// Every value of a header, by case-insensitive name.
    pub fn header_values(&self, name: &str) -> Vec<&str> {
        self.headers
            .iter()
            .filter(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
            .collect()
    }

    /// The declared body length, when there is exactly one parseable `Content-Length`.
    pub fn content_length(&self) -> Option<usize> {
        match self.header_values("content-length")[..] {
            [value] => value.trim().parse().ok(),
            _ => None,
        }
    }
}

/// A running server. Dropping it leaves its tasks to end with the test's runtime.
pub struct RawServer {
    addr: SocketAddr,
    requests: mpsc::UnboundedReceiver<Captured>,
}

impl RawServer {
    /// Binds 127.0.0.1 on a free port and serves every connection with `behaviour`.
    pub async fn start(behaviour: Behaviour) -> RawServer {
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind a loopback port");
        let addr = listener.local_addr().expect("local address");
        let (sender, requests) = mpsc::unbounded_channel();
        tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let behaviour = behaviour.clone();
                let sender = sender.clone();
                tokio::spawn(async move {
                    serve(stream, behaviour, sender).await;
                });
            }
        });
        RawServer { addr, requests }
    }

    /// `http://127.0.0.1:port{path_and_query}`.
    pub fn url(&self, path_and_query: &str) -> String {
        format!("http://{}{}", self.addr, path_and_query)
    }

    /// The `Host` header a client should send.
    pub fn authority(&self) -> String {
        self.addr.to_string()
    }

    /// The next request the server finished with (read whole, or given up on), waiting at
    /// most `wait`.
    pub async fn next_request(&mut self, wait: Duration) -> Option<Captured> {
        tokio::time::timeout(wait, self.requests.recv())
            .await
            .ok()
            .flatten()
    }
}

async fn serve(
    mut stream: TcpStream,
    behaviour: Behaviour,
    sender: mpsc::UnboundedSender<Captured>,
) {
    let mut buffer = Vec::new();
    let Some(head_end) = read_head(&mut stream, &mut buffer).await else {
        let _ = sender.send(Captured::default());
        return;
    };
    let mut captured = parse_head(&buffer[..head_end]);
    captured.body = buffer[head_end + 4..].to_vec();
    let declared = if captured.header_values("transfer-encoding").is_empty() {
        captured.framing_length().unwrap_or(0)
    } else {
        // Chunked request bodies are not decoded: the conformance suite forbids them, and a
        // test that gets one fails on the head.
        usize::MAX
    };

    match behaviour {
        Behaviour::CloseMidRequestBody { after, reset } => {
            let want = after.min(declared);
            read_body(&mut stream, &mut captured.body, want).await;
            captured.complete = captured.body.len() >= declared;
            let _ = sender.send(captured);
            if reset {
                let _ = stream.set_zero_linger();
            }
            drop(stream);
        }
        Behaviour::NeverAnswer => {
            read_request_body(&mut stream, captured, declared, &sender).await;
            drain_until_closed(&mut stream).await;
        }
        Behaviour::CloseWithoutAnswer => {
            read_request_body(&mut stream, captured, declared, &sender).await;
            let _ = stream.shutdown().await;
        }
        Behaviour::ShortResponse {
            declared: response_length,
            sent,
            stall,
        } => {
            if !read_request_body(&mut stream, captured, declared, &sender).await {
                return;
            }
            let head = format!(
                "HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\n\
                 Content-Length: {response_length}\r\nConnection: close\r\n\r\n"
            );
            let body = vec![b'x'; sent];
            if stream.write_all(head.as_bytes()).await.is_err()
                || stream.write_all(&body).await.is_err()
                || stream.flush().await.is_err()
            {
                return;
            }
            if stall {
                drain_until_closed(&mut stream).await;
            } else {
                let _ = stream.shutdown().await;
            }
        }
        Behaviour::Respond {
            status,
            headers,
            body,
            framing,
        } => {
            if !read_request_body(&mut stream, captured, declared, &sender).await {
                return;
            }
            // Errors mean the client stopped reading (for example at its size cap): fine.
            let _ = respond(&mut stream, status, &headers, &body, framing).await;
        }
    }
}

/// Reads the rest of the request body (`declared` bytes in all), hands the request to the
/// test, and tells whether it arrived whole.
async fn read_request_body(
    stream: &mut TcpStream,
    mut captured: Captured,
    declared: usize,
    sender: &mpsc::UnboundedSender<Captured>,
) -> bool {
    read_body(stream, &mut captured.body, declared).await;
    captured.complete = captured.body.len() == declared;
    let complete = captured.complete;
    let _ = sender.send(captured);
    complete
}

/// Reads (and discards) whatever the client sends until it hangs up or goes quiet for
/// [`READ_IDLE`].
async fn drain_until_closed(stream: &mut TcpStream) {
    let mut sink = [0u8; 16 * 1024];
    while let Ok(Ok(n)) = tokio::time::timeout(READ_IDLE, stream.read(&mut sink)).await {
        if n == 0 {
            break;
        }
    }
}

/// Reads until the blank line that ends the head; returns the offset of `\r\n\r\n`.
async fn read_head(stream: &mut TcpStream, buffer: &mut Vec<u8>) -> Option<usize> {
    let mut chunk = [0u8; 16 * 1024];
    loop {
        if let Some(end) = find(buffer, b"\r\n\r\n") {
            return Some(end);
        }
        if buffer.len() > MAX_HEAD {
            return None;
        }
        match tokio::time::timeout(READ_IDLE, stream.read(&mut chunk)).await {
            Ok(Ok(n)) if n > 0 => buffer.extend_from_slice(&chunk[..n]),
            _ => return None,
        }
    }
}

/// Reads body bytes into `body` until it holds `want` bytes, the client hangs up, or it goes
/// quiet for [`READ_IDLE`]. Bytes past `want` (there should be none) are kept too.
async fn read_body(stream: &mut TcpStream, body: &mut Vec<u8>, want: usize) {
    let mut chunk = vec![0u8; 64 * 1024];
    while body.len() < want {
        match tokio::time::timeout(READ_IDLE, stream.read(&mut chunk)).await {
            Ok(Ok(n)) if n > 0 => body.extend_from_slice(&chunk[..n]),
            _ => return,
        }
    }
}

fn parse_head(head: &[u8]) -> Captured {
    let text = String::from_utf8_lossy(head);
    let mut lines = text.split("\r\n");
    let request_line = lines.next().unwrap_or_default().to_string();
    let headers = lines
        .filter(|line| !line.is_empty())
        .map(|line| match line.split_once(':') {
            Some((name, value)) => (name.trim().to_ascii_lowercase(), value.trim().to_string()),
            None => (line.to_ascii_lowercase(), String::new()),
        })
        .collect();
    Captured {
        request_line,
        headers,
        body: Vec::new(),
        complete: false,
    }
}

async fn respond(
    stream: &mut TcpStream,
    status: u16,
    headers: &[(String, String)],
    body: &[u8],
    framing: Framing,
) -> std::io::Result<()> {
    let mut head = format!("HTTP/1.1 {status} {}\r\n", reason(status));
    for (name, value) in headers {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    match framing {
        Framing::ContentLength => head.push_str(&format!("Content-Length: {}\r\n", body.len())),
        Framing::Chunked => head.push_str("Transfer-Encoding: chunked\r\n"),
    }
    head.push_str("Connection: close\r\n\r\n");
    stream.write_all(head.as_bytes()).await?;
    match framing {
        Framing::ContentLength => stream.write_all(body).await?,
        Framing::Chunked => {
            for chunk in body.chunks(64 * 1024) {
                stream
                    .write_all(format!("{:x}\r\n", chunk.len()).as_bytes())
                    .await?;
                stream.write_all(chunk).await?;
                stream.write_all(b"\r\n").await?;
            }
            stream.write_all(b"0\r\n\r\n").await?;
        }
    }
    stream.flush().await?;
    stream.shutdown().await
}

fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        201 => "Created",
        202 => "Accepted",
        400 => "Bad Request",
        404 => "Not Found",
        500 => "Internal Server Error",
        _ => "Status",
    }
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack
        .windows(needle.len())
        .position(|window| window == needle)
}
