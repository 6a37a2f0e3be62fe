//! A loopback proxy that hangs up on chosen `PUT`s: the dropped connections that "may have
//! been sent".

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// What a [`DropProxy`] does with a chosen PUT.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DropMode {
    /// Reads the whole request, then hangs up without forwarding or answering (the server
    /// never saw it).
    BeforeForwarding,
    /// Forwards the request, reads the server's answer, then hangs up on the client without
    /// a byte of it (the server stored the fragment; the client cannot know).
    AfterForwarding,
}

/// A loopback HTTP/1.1 proxy (one request per connection) in front of `upstream`.
pub struct DropProxy {
    addr: SocketAddr,
    log: Arc<Mutex<Vec<String>>>,
}

impl DropProxy {
    /// Starts a proxy to `upstream` that applies `drops` to the PUTs by ordinal (1-based).
    pub async fn start(upstream: SocketAddr, drops: HashMap<usize, DropMode>) -> DropProxy {
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind loopback");
        let addr = listener.local_addr().expect("local address");
        let log = Arc::new(Mutex::new(Vec::new()));
        let puts = Arc::new(AtomicUsize::new(0));
        let drops = Arc::new(drops);
        let task_log = Arc::clone(&log);
        tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let log = Arc::clone(&task_log);
                let puts = Arc::clone(&puts);
                let drops = Arc::clone(&drops);
                tokio::spawn(async move {
                    proxy_one(stream, upstream, &puts, &drops, &log).await;
                });
            }
        });
        DropProxy { addr, log }
    }

    /// `http://127.0.0.1:port{path_and_query}`.
    pub fn url(&self, path_and_query: &str) -> String {
        format!("http://{}{}", self.addr, path_and_query)
    }

    /// One line per request the proxy read: `PUT /path ... [dropped before]`.
    pub fn log(&self) -> Vec<String> {
        self.log.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }
}

const PROXY_IDLE: Duration = Duration::from_secs(10);

async fn proxy_one(
    mut client: TcpStream,
    upstream: SocketAddr,
    puts: &AtomicUsize,
    drops: &HashMap<usize, DropMode>,
    log: &Mutex<Vec<String>>,
) {
    let Some((head, body)) = read_message(&mut client, true).await else {
        return;
    };
    let head_text = String::from_utf8_lossy(&head).into_owned();
    let request_line = head_text.lines().next().unwrap_or_default().to_string();
    let drop = if request_line.starts_with("PUT ") {
        let ordinal = puts.fetch_add(1, Ordering::SeqCst) + 1;
        drops.get(&ordinal).copied()
    } else {
        None
    };
    log.lock()
        .unwrap_or_else(|p| p.into_inner())
        .push(match drop {
            None => request_line.clone(),
            Some(mode) => format!("{request_line} [dropped {mode:?}]"),
        });
    if drop == Some(DropMode::BeforeForwarding) {
        let _ = client.shutdown().await;
        return;
    }
    let Some(answer) = forward(upstream, &head_text, &body).await else {
        return;
    };
    if drop == Some(DropMode::AfterForwarding) {
        let _ = client.shutdown().await;
        return;
    }
    let _ = client.write_all(&answer).await;
    let _ = client.flush().await;
    let _ = client.shutdown().await;
}

/// Sends the request to `upstream` with `Connection: close` and returns the whole answer,
/// itself marked `Connection: close`.
async fn forward(upstream: SocketAddr, head: &str, body: &[u8]) -> Option<Vec<u8>> {
    let mut server = TcpStream::connect(upstream).await.ok()?;
    server
        .write_all(closing_head(head)?.as_bytes())
        .await
        .ok()?;
    server.write_all(body).await.ok()?;
    server.flush().await.ok()?;
    let (head, body) = read_message(&mut server, false).await?;
    let mut answer = closing_head(&String::from_utf8_lossy(&head))?.into_bytes();
    answer.extend_from_slice(&body);
    Some(answer)
}

/// A message head (start line and header lines) with its `Connection` header replaced by
/// `Connection: close`, ending in the blank line: one message per connection each way.
fn closing_head(head: &str) -> Option<String> {
    let mut lines = head.split("\r\n").filter(|line| !line.is_empty());
    let mut out = format!("{}\r\n", lines.next()?);
    for line in lines {
        if !line.to_ascii_lowercase().starts_with("connection:") {
            out.push_str(line);
            out.push_str("\r\n");
        }
    }
    out.push_str("Connection: close\r\n\r\n");
    Some(out)
}

/// Reads one HTTP/1.1 message framed by `Content-Length` (requests: absent means none;
/// responses: absent means until the server closes). Returns the head (without the blank
/// line) and the body.
async fn read_message(stream: &mut TcpStream, request: bool) -> Option<(Vec<u8>, Vec<u8>)> {
    let mut buffer = Vec::new();
    let head_end = loop {
        if let Some(end) = buffer.windows(4).position(|w| w == b"\r\n\r\n") {
            break end;
        }
        if !read_more(stream, &mut buffer).await {
            return None;
        }
    };
    let head = buffer[..head_end].to_vec();
    let mut body = buffer[head_end + 4..].to_vec();
    let head_text = String::from_utf8_lossy(&head).to_ascii_lowercase();
    let length = head_text
        .lines()
        .find_map(|l| l.strip_prefix("content-length:"))
        .and_then(|v| v.trim().parse::<usize>().ok());
    assert!(
        !head_text.contains("transfer-encoding"),
        "the proxy does not decode chunked messages: {head_text}"
    );
    match length {
        Some(length) => {
            while body.len() < length {
                if !read_more(stream, &mut body).await {
                    return None;
                }
            }
        }
        None if request => {}
        None => while read_more(stream, &mut body).await {},
    }
    Some((head, body))
}

/// Appends what `stream` sends next to `buffer`; `false` once it is closed, fails or stays
/// silent for [`PROXY_IDLE`].
async fn read_more(stream: &mut TcpStream, buffer: &mut Vec<u8>) -> bool {
    let mut chunk = vec![0u8; 64 * 1024];
    match tokio::time::timeout(PROXY_IDLE, stream.read(&mut chunk)).await {
        Ok(Ok(n)) if n > 0 => {
            buffer.extend_from_slice(&chunk[..n]);
            true
        }
        _ => false,
    }
}
