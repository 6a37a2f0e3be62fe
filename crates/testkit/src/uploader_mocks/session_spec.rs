//! What a fake session looks like: its size, reply style, completion, paths, credentials,
//! and the requests scripted to deviate.

use super::{EXPIRY, TOKEN};
use graph_upload_ranges::RangeSet;
use std::ops::Range;
use std::time::Duration;
use wiremock::ResponseTemplate;

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

    /// The status of an accepted fragment that does not complete the session.
    pub(super) fn progress_status(self) -> u16 {
        if self.pascal() { 200 } else { 202 }
    }

    /// The missing ranges of `received` (of a `size`-byte file) in this style.
    pub(super) fn ranges(self, received: &RangeSet, size: u64) -> Vec<String> {
        received
            .missing(size)
            .as_slice()
            .iter()
            .map(|span| {
                let to_end = span.end == size;
                match self {
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

    /// A status body (a fragment's reply or a `GET`) listing what `received` lacks, in this
    /// style's case.
    pub(super) fn status_body(self, received: &RangeSet, size: u64) -> serde_json::Value {
        let ranges = self.ranges(received, size);
        if self.pascal() {
            serde_json::json!({"ExpirationDateTime": EXPIRY, "NextExpectedRanges": ranges})
        } else {
            serde_json::json!({"expirationDateTime": EXPIRY, "nextExpectedRanges": ranges})
        }
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
