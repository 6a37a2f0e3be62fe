//! What a mock server received, read back: every request, the `PUT`s with their headers and
//! bodies, and short transcripts for assertions and failure messages.

use graph_upload_ranges::ContentRange;
use std::ops::Range;
use wiremock::Request;

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

    /// The `Content-Range`, parsed (panics on one that does not parse).
    pub(super) fn parsed(&self) -> ContentRange {
        self.content_range
            .parse()
            .unwrap_or_else(|e| panic!("unparsable Content-Range {:?}: {e}", self.content_range))
    }
}

/// A request header as text.
pub(super) fn header(request: &Request, name: &str) -> Option<String> {
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
    crate::fragments::content_range(&span, total)
}
