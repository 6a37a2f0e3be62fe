//! Test doubles for the uploader protocol tests (`uploader_protocol.rs`):
//!
//! - [`FakeSession`]: a `wiremock` responder that acts as one Graph upload session. It keeps
//!   the received byte ranges, answers every `PUT` from its `Content-Range` (print's `202`
//!   with closed or open camelCase ranges, or To Do's `200` with PascalCase start-only
//!   ranges), answers `GET` with the status and `DELETE` with `204`, finishes with print's
//!   `201` printDocument or To Do's `201` + `Location`, and then forgets the session (`404`).
//!   Single requests can be scripted by their ordinal (a `503` for the second `PUT`, a `416`
//!   after storing the bytes, a reply held back past the client's timeout, bytes the server
//!   "loses" again...).
//! - [`Scripted`]: a responder that plays a fixed list of replies, the last one forever.
//! - [`DropProxy`]: a loopback HTTP/1.1 proxy in front of a mock server that hangs up on
//!   chosen `PUT`s without answering (before or after forwarding them), which `wiremock`
//!   cannot do: the client sees a dropped connection that "may have been sent".
//! - Helpers to read back the `PUT`s a mock server received and compare them with the file.

use graph_upload_ranges::{ContentRange, RangeSet};
use std::collections::{HashMap, VecDeque};
use std::net::SocketAddr;
use std::ops::Range;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use wiremock::{Request, Respond, ResponseTemplate};

/// The token every test uploader uses.
pub const TOKEN: &str = "test-token-123";

/// An expiry far in the future, in Graph's format.
pub const EXPIRY: &str = "2030-01-01T00:00:00.0000000Z";

/// `len` deterministic bytes that differ at every offset of a fragment (so a shifted or swapped
/// fragment never compares equal).
pub fn pattern(len: usize, seed: u8) -> Vec<u8> {
    (0..len)
        .map(|i| {
            let x = (i as u64)
                .wrapping_mul(0x9E37_79B9_7F4A_7C15)
                .rotate_left(17)
                ^ u64::from(seed);
            (x ^ (x >> 29) ^ (i as u64 >> 8)) as u8
        })
        .collect()
}

/// Graph's error body.
pub fn graph_error(code: &str, inner: &str) -> serde_json::Value {
    serde_json::json!({
        "error": {
            "code": code,
            "message": format!("test server: {code}/{inner}"),
            "innerError": {"code": inner, "request-id": "00000000-0000-0000-0000-000000000000",
                           "date": "2026-01-01T00:00:00"}
        }
    })
}

/// A reply with Graph's error body.
pub fn error_reply(status: u16, code: &str, inner: &str) -> ResponseTemplate {
    ResponseTemplate::new(status).set_body_json(graph_error(code, inner))
}

/// How the session writes `nextExpectedRanges`, and which status and case it uses for an
/// accepted fragment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RangeStyle {
    /// Print: `202`, camelCase, `"s-e"` with an inclusive end.
    Closed,
    /// Print as Graph has been seen: `202`, camelCase, `"s-e"` where the last range ends one
    /// past the last byte (`"100-1000"` for a 1000-byte file).
    ClosedPastEnd,
    /// `202`, camelCase, `"s-"` for the range that runs to the end.
    Open,
    /// To Do: `200`, PascalCase, `"s"` (start of the next fragment) for the range that runs to
    /// the end.
    StartOnlyPascal,
}

impl RangeStyle {
    fn pascal(self) -> bool {
        self == RangeStyle::StartOnlyPascal
    }
}

/// How the session answers the fragment that completes it.
#[derive(Debug, Clone)]
pub enum Completion {
    /// Print: `201` with this printDocument as the body.
    PrintDocument(serde_json::Value),
    /// To Do: `201`, empty body, `Location: {url}`.
    Location(String),
}

/// A scripted deviation for one request (by its ordinal among the `PUT`s or the `GET`s).
#[derive(Debug, Clone)]
pub enum Step {
    /// Answer this, without looking at (or storing) the fragment.
    Reply(ResponseTemplate),
    /// Store the fragment as usual, then answer this instead of the normal reply.
    StoreThenReply(ResponseTemplate),
    /// Store the fragment, then send the normal reply only after `Duration`.
    StoreThenDelay(Duration),
    /// Store the fragment, then lose `Range` again (the server wants it once more), then
    /// answer normally (the reply lists the lost range).
    StoreThenForget(Range<u64>),
}

/// What the session should look like.
#[derive(Debug, Clone)]
pub struct SessionSpec {
    /// Declared file size.
    pub size: u64,
    /// Reply style.
    pub style: RangeStyle,
    /// Final reply.
    pub completion: Completion,
    /// Path of the upload URL (GET / DELETE).
    pub session_path: String,
    /// Path the PUTs must go to (print: the session path; To Do: `{session}/content`).
    pub put_path: String,
    /// `Some(token)`: every request must carry `Authorization: Bearer {token}` (To Do).
    /// `None`: a request carrying `Authorization` is refused with `401`, as the emulator
    /// does for the pre-authenticated print URL.
    pub bearer: Option<String>,
    /// Bytes the server already holds when the session starts.
    pub preloaded: Vec<Range<u64>>,
}

impl SessionSpec {
    /// A print session at `/upload/1`.
    pub fn print(size: u64) -> Self {
        SessionSpec {
            size,
            style: RangeStyle::Closed,
            completion: Completion::PrintDocument(print_document(size)),
            session_path: "/upload/1".into(),
            put_path: "/upload/1".into(),
            bearer: None,
            preloaded: Vec::new(),
        }
    }

    /// A To Do session at `/attachmentSessions/abc` (PUTs to `.../content`).
    pub fn todo(size: u64, location: &str) -> Self {
        SessionSpec {
            size,
            style: RangeStyle::StartOnlyPascal,
            completion: Completion::Location(location.into()),
            session_path: "/attachmentSessions/abc".into(),
            put_path: "/attachmentSessions/abc/content".into(),
            bearer: Some(TOKEN.into()),
            preloaded: Vec::new(),
        }
    }

    /// The same with another reply style.
    pub fn style(mut self, style: RangeStyle) -> Self {
        self.style = style;
        self
    }

    /// The same with bytes already on the server.
    pub fn preloaded(mut self, span: Range<u64>) -> Self {
        self.preloaded.push(span);
        self
    }
}

/// The printDocument the fake print session answers with.
pub fn print_document(size: u64) -> serde_json::Value {
    serde_json::json!({
        "id": "doc-1",
        "documentName": "report.pdf",
        "contentType": "application/pdf",
        "size": size,
        "uploadedDateTime": "2026-01-01T00:00:00.0000000Z",
    })
}

#[derive(Debug)]
struct SessionState {
    spec: SessionSpec,
    received: RangeSet,
    completed: bool,
    deleted: bool,
    puts: usize,
    gets: usize,
    deletes: usize,
    on_put: HashMap<usize, Step>,
    on_get: HashMap<usize, Step>,
}

/// One fake upload session (cheap to clone: the clones share the state).
#[derive(Debug, Clone)]
pub struct FakeSession {
    state: Arc<Mutex<SessionState>>,
}

impl FakeSession {
    /// A session as `spec` describes.
    pub fn new(spec: SessionSpec) -> Self {
        let mut received = RangeSet::new();
        for span in &spec.preloaded {
            received.insert(span.clone());
        }
        FakeSession {
            state: Arc::new(Mutex::new(SessionState {
                spec,
                received,
                completed: false,
                deleted: false,
                puts: 0,
                gets: 0,
                deletes: 0,
                on_put: HashMap::new(),
                on_get: HashMap::new(),
            })),
        }
    }

    /// Scripts the `ordinal`-th PUT (1-based).
    pub fn on_put(self, ordinal: usize, step: Step) -> Self {
        self.lock().on_put.insert(ordinal, step);
        self
    }

    /// Scripts the `ordinal`-th GET (1-based).
    pub fn on_get(self, ordinal: usize, step: Step) -> Self {
        self.lock().on_get.insert(ordinal, step);
        self
    }

    /// Mounts the session on `server` (every request whose path starts with the session
    /// path).
    pub async fn mount(&self, server: &wiremock::MockServer) {
        let prefix = self.lock().spec.session_path.clone();
        wiremock::Mock::given(wiremock::matchers::path_regex(format!(
            "^{}(/.*)?$",
            regex_escape(&prefix)
        )))
        .respond_with(self.clone())
        .mount(server)
        .await;
    }

    /// The `nextExpectedRanges` of the session as it is now, in its style.
    pub fn expected_ranges(&self) -> Vec<String> {
        let state = self.lock();
        ranges_text(&state.received, state.spec.size, state.spec.style)
    }

    /// Whether the last byte arrived.
    pub fn completed(&self) -> bool {
        self.lock().completed
    }

    /// Whether a DELETE arrived.
    pub fn deleted(&self) -> bool {
        self.lock().deleted
    }

    /// What the server holds.
    pub fn received(&self) -> RangeSet {
        self.lock().received.clone()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, SessionState> {
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

fn regex_escape(text: &str) -> String {
    text.chars()
        .flat_map(|c| {
            let special = ".+*?()|[]{}^$\\".contains(c);
            special
                .then_some('\\')
                .into_iter()
                .chain(std::iter::once(c))
        })
        .collect()
}

/// The missing ranges of `received` in `style`.
fn ranges_text(received: &RangeSet, size: u64, style: RangeStyle) -> Vec<String> {
    let missing = received.missing(size);
    missing
        .as_slice()
        .iter()
        .map(|span| {
            let to_end = span.end == size;
            match style {
                RangeStyle::Closed => format!("{}-{}", span.start, span.end - 1),
                RangeStyle::ClosedPastEnd if to_end => format!("{}-{}", span.start, size),
                RangeStyle::ClosedPastEnd => format!("{}-{}", span.start, span.end - 1),
                RangeStyle::Open if to_end => format!("{}-", span.start),
                RangeStyle::Open => format!("{}-{}", span.start, span.end - 1),
                RangeStyle::StartOnlyPascal if to_end => format!("{}", span.start),
                RangeStyle::StartOnlyPascal => format!("{}-{}", span.start, span.end - 1),
            }
        })
        .collect()
}

/// The status body (`202`/`200` of a fragment, or `GET`) in the session's style.
fn status_body(ranges: Vec<String>, pascal: bool) -> serde_json::Value {
    if pascal {
        serde_json::json!({"ExpirationDateTime": EXPIRY, "NextExpectedRanges": ranges})
    } else {
        serde_json::json!({"expirationDateTime": EXPIRY, "nextExpectedRanges": ranges})
    }
}

impl Respond for FakeSession {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        let mut state = self.lock();
        let path = request.url.path().to_string();
        let authorization = request
            .headers
            .get("authorization")
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        match &state.spec.bearer {
            Some(token) if authorization.as_deref() != Some(&format!("Bearer {token}")) => {
                return error_reply(401, "InvalidAuthenticationToken", "missingToken");
            }
            None if authorization.is_some() => {
                // The emulator's answer to a client leaking its token to the print URL.
                return error_reply(401, "unauthenticated", "tokenSentToUploadUrl");
            }
            _ => {}
        }
        if state.completed || state.deleted {
            return error_reply(404, "itemNotFound", "sessionGone");
        }
        match request.method.as_str() {
            "PUT" if path == state.spec.put_path => {
                state.puts += 1;
                let ordinal = state.puts;
                match state.on_put.remove(&ordinal) {
                    None => put(&mut state, request),
                    Some(Step::Reply(template)) => template,
                    Some(Step::StoreThenReply(template)) => {
                        let _ = put(&mut state, request);
                        template
                    }
                    Some(Step::StoreThenDelay(delay)) => put(&mut state, request).set_delay(delay),
                    Some(Step::StoreThenForget(span)) => {
                        let _ = put(&mut state, request);
                        state.received.subtract(span);
                        if state.completed {
                            state.completed = false;
                        }
                        progress_reply(&state)
                    }
                }
            }
            "GET" if path == state.spec.session_path => {
                state.gets += 1;
                let ordinal = state.gets;
                match state.on_get.remove(&ordinal) {
                    Some(Step::Reply(template)) => template,
                    Some(other) => panic!("GET steps can only be replies: {other:?}"),
                    None => ResponseTemplate::new(200).set_body_json(status_body(
                        ranges_text(&state.received, state.spec.size, state.spec.style),
                        state.spec.style.pascal(),
                    )),
                }
            }
            "DELETE" if path == state.spec.session_path => {
                state.deletes += 1;
                state.deleted = true;
                ResponseTemplate::new(204)
            }
            _ => error_reply(400, "invalidRequest", "wrongMethodOrPath"),
        }
    }
}

/// The normal handling of a fragment, as the emulator does it.
fn put(state: &mut SessionState, request: &Request) -> ResponseTemplate {
    let size = state.spec.size;
    let Some(header) = request
        .headers
        .get("content-range")
        .and_then(|v| v.to_str().ok())
    else {
        return error_reply(400, "invalidRequest", "missingContentRange");
    };
    let Ok(range) = header.parse::<ContentRange>() else {
        return error_reply(400, "invalidRequest", "badContentRange");
    };
    if range.total() != Some(size) || range.len() != request.body.len() as u64 {
        return error_reply(400, "invalidRequest", "fragmentLengthMismatch");
    }
    match range.span() {
        None if size == 0 => {
            state.completed = true;
            return completion(state);
        }
        None => return error_reply(400, "invalidRequest", "emptyFragment"),
        Some(span) => {
            if state.received.overlaps(&span) {
                return error_reply(416, "invalidRange", "fragmentOverlap");
            }
            if state.spec.style == RangeStyle::StartOnlyPascal {
                let next = state
                    .received
                    .missing(size)
                    .as_slice()
                    .first()
                    .map(|s| s.start);
                if next != Some(span.start) {
                    return error_reply(416, "invalidRange", "fragmentOutOfOrder");
                }
            }
            state.received.insert(span);
        }
    }
    if state.received.missing(size).is_empty() {
        state.completed = true;
        completion(state)
    } else {
        progress_reply(state)
    }
}

fn progress_reply(state: &SessionState) -> ResponseTemplate {
    let status = if state.spec.style.pascal() { 200 } else { 202 };
    ResponseTemplate::new(status).set_body_json(status_body(
        ranges_text(&state.received, state.spec.size, state.spec.style),
        state.spec.style.pascal(),
    ))
}

fn completion(state: &SessionState) -> ResponseTemplate {
    match &state.spec.completion {
        Completion::PrintDocument(document) => {
            ResponseTemplate::new(201).set_body_json(document.clone())
        }
        Completion::Location(location) => {
            ResponseTemplate::new(201).insert_header("Location", location.as_str())
        }
    }
}

/// Plays `replies` in order, then repeats the last one.
#[derive(Debug)]
pub struct Scripted {
    replies: Mutex<VecDeque<ResponseTemplate>>,
}

impl Scripted {
    /// A responder for `replies` (at least one).
    pub fn new(replies: impl IntoIterator<Item = ResponseTemplate>) -> Self {
        let replies: VecDeque<_> = replies.into_iter().collect();
        assert!(!replies.is_empty(), "a script needs at least one reply");
        Scripted {
            replies: Mutex::new(replies),
        }
    }
}

impl Respond for Scripted {
    fn respond(&self, _request: &Request) -> ResponseTemplate {
        let mut replies = self.replies.lock().unwrap_or_else(|p| p.into_inner());
        if replies.len() > 1 {
            replies
                .pop_front()
                .unwrap_or_else(|| ResponseTemplate::new(500))
        } else {
            replies
                .front()
                .cloned()
                .unwrap_or_else(|| ResponseTemplate::new(500))
        }
    }
}

/// One PUT as the mock server received it.
#[derive(Debug, Clone)]
pub struct SeenPut {
    /// URL path.
    pub path: String,
    /// URL query, if any.
    pub query: Option<String>,
    /// `Content-Range` as sent.
    pub content_range: String,
    /// `Content-Length` as sent.
    pub content_length: Option<String>,
    /// `Content-Type` as sent.
    pub content_type: Option<String>,
    /// `Authorization` as sent.
    pub authorization: Option<String>,
    /// Body bytes.
    pub body: Vec<u8>,
}

impl SeenPut {
    /// The half-open span of the `Content-Range` (`None` for `bytes */total`).
    pub fn span(&self) -> Option<Range<u64>> {
        self.parsed().span()
    }

    fn parsed(&self) -> ContentRange {
        self.content_range
            .parse()
            .unwrap_or_else(|e| panic!("unparsable Content-Range {:?}: {e}", self.content_range))
    }
}

fn header(request: &Request, name: &str) -> Option<String> {
    request
        .headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
}

/// Every request the server received, in arrival order, except the print flow's read of the
/// printer's capabilities (`GET /print/{printers|shares}/{id}`, made before the job is created;
/// `all_requests` keeps it, and the content-type tests check it).
pub async fn requests(server: &wiremock::MockServer) -> Vec<Request> {
    all_requests(server)
        .await
        .into_iter()
        .filter(|r| !is_capability_read(r))
        .collect()
}

/// Every request the server received, in arrival order.
pub async fn all_requests(server: &wiremock::MockServer) -> Vec<Request> {
    server
        .received_requests()
        .await
        .expect("request recording is on")
}

/// `GET /v1.0/print/printers/{id}` or `GET /v1.0/print/shares/{id}`.
pub fn is_capability_read(request: &Request) -> bool {
    let segments: Vec<&str> = request
        .url
        .path()
        .trim_start_matches('/')
        .split('/')
        .collect();
    request.method.as_str() == "GET"
        && matches!(segments.as_slice(), [_, "print", "printers" | "shares", _])
}

/// A short description of each request (`PUT /upload/1 bytes 0-9/10`, `GET /upload/1`...).
pub fn transcript(requests: &[Request]) -> Vec<String> {
    requests
        .iter()
        .map(|r| match header(r, "content-range") {
            Some(range) => format!("{} {} {range}", r.method, r.url.path()),
            None => format!("{} {}", r.method, r.url.path()),
        })
        .collect()
}

/// The PUTs among `requests`.
pub fn puts(requests: &[Request]) -> Vec<SeenPut> {
    requests
        .iter()
        .filter(|r| r.method.as_str() == "PUT")
        .map(|r| SeenPut {
            path: r.url.path().to_string(),
            query: r.url.query().map(str::to_owned),
            content_range: header(r, "content-range").unwrap_or_default(),
            content_length: header(r, "content-length"),
            content_type: header(r, "content-type"),
            authorization: header(r, "authorization"),
            body: r.body.clone(),
        })
        .collect()
}

/// The requests with `method` (and, when given, `path`).
pub fn count(requests: &[Request], method: &str, path: Option<&str>) -> usize {
    requests
        .iter()
        .filter(|r| r.method.as_str() == method && path.is_none_or(|p| r.url.path() == p))
        .count()
}

/// The `Content-Range` headers of `puts`, in order.
pub fn content_ranges(puts: &[SeenPut]) -> Vec<String> {
    puts.iter().map(|p| p.content_range.clone()).collect()
}

/// `bytes {start}-{end - 1}/{total}`.
pub fn cr(span: Range<u64>, total: u64) -> String {
    format!("bytes {}-{}/{total}", span.start, span.end - 1)
}

/// Every PUT carries exactly the bytes its `Content-Range` names, with a matching
/// `Content-Length`, and no range reaches past the end of `data`.
pub fn assert_bodies_match(puts: &[SeenPut], data: &[u8]) {
    for (i, put) in puts.iter().enumerate() {
        let range = put.parsed();
        assert_eq!(
            range.total(),
            Some(data.len() as u64),
            "PUT #{i} {:?}: total",
            put.content_range
        );
        assert_eq!(
            put.content_length.as_deref(),
            Some(put.body.len().to_string().as_str()),
            "PUT #{i} {:?}: Content-Length",
            put.content_range
        );
        match range.span() {
            None => assert!(put.body.is_empty(), "PUT #{i}: bytes */N with a body"),
            Some(span) => {
                assert!(span.end <= data.len() as u64, "PUT #{i} past the end");
                let expected = &data[span.start as usize..span.end as usize];
                assert!(
                    put.body == expected,
                    "PUT #{i} {:?}: body ({} bytes) differs from the file's bytes",
                    put.content_range,
                    put.body.len()
                );
            }
        }
    }
}

/// The PUTs together hold every byte of `data` (reassembled, they are the file).
pub fn assert_reassembles(puts: &[SeenPut], data: &[u8]) {
    let mut file = vec![None::<u8>; data.len()];
    for put in puts {
        if let Some(span) = put.span() {
            for (offset, byte) in (span.start as usize..span.end as usize).zip(&put.body) {
                file[offset] = Some(*byte);
            }
        }
    }
    let missing = file.iter().filter(|b| b.is_none()).count();
    assert_eq!(missing, 0, "{missing} bytes of the file were never sent");
    let rebuilt: Vec<u8> = file.into_iter().map(|b| b.unwrap_or_default()).collect();
    assert!(rebuilt == data, "the reassembled PUTs differ from the file");
}

/// No byte was sent by two PUTs.
pub fn assert_no_byte_twice(puts: &[SeenPut]) {
    let mut seen = RangeSet::new();
    for put in puts {
        if let Some(span) = put.span() {
            assert!(
                !seen.overlaps(&span),
                "{:?} sends bytes already sent; all: {:?}",
                put.content_range,
                content_ranges(puts)
            );
            seen.insert(span);
        }
    }
}

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
    let mut lines = head.split("\r\n").filter(|l| !l.is_empty());
    let mut out = String::new();
    out.push_str(lines.next()?);
    out.push_str("\r\n");
    for line in lines {
        if !line.to_ascii_lowercase().starts_with("connection:") {
            out.push_str(line);
            out.push_str("\r\n");
        }
    }
    out.push_str("Connection: close\r\n\r\n");
    let mut server = TcpStream::connect(upstream).await.ok()?;
    server.write_all(out.as_bytes()).await.ok()?;
    server.write_all(body).await.ok()?;
    server.flush().await.ok()?;
    let (head, body) = read_message(&mut server, false).await?;
    let head = String::from_utf8_lossy(&head).into_owned();
    let mut answer = String::new();
    let mut lines = head.split("\r\n").filter(|l| !l.is_empty());
    answer.push_str(lines.next()?);
    answer.push_str("\r\n");
    for line in lines {
        if !line.to_ascii_lowercase().starts_with("connection:") {
            answer.push_str(line);
            answer.push_str("\r\n");
        }
    }
    answer.push_str("Connection: close\r\n\r\n");
    let mut bytes = answer.into_bytes();
    bytes.extend_from_slice(&body);
    Some(bytes)
}

/// Reads one HTTP/1.1 message framed by `Content-Length` (requests: absent means none;
/// responses: absent means until the server closes). Returns the head (without the blank
/// line) and the body.
async fn read_message(stream: &mut TcpStream, request: bool) -> Option<(Vec<u8>, Vec<u8>)> {
    let mut buffer = Vec::new();
    let mut fragment = vec![0u8; 64 * 1024];
    let head_end = loop {
        if let Some(end) = buffer.windows(4).position(|w| w == b"\r\n\r\n") {
            break end;
        }
        match tokio::time::timeout(PROXY_IDLE, stream.read(&mut fragment)).await {
            Ok(Ok(n)) if n > 0 => buffer.extend_from_slice(&fragment[..n]),
            _ => return None,
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
                match tokio::time::timeout(PROXY_IDLE, stream.read(&mut fragment)).await {
                    Ok(Ok(n)) if n > 0 => body.extend_from_slice(&fragment[..n]),
                    _ => return None,
                }
            }
        }
        None if request => {}
        None => loop {
            match tokio::time::timeout(PROXY_IDLE, stream.read(&mut fragment)).await {
                Ok(Ok(n)) if n > 0 => body.extend_from_slice(&fragment[..n]),
                _ => break,
            }
        },
    }
    Some((head, body))
}
