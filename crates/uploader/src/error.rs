//! One error type for every way an upload can fail, with messages that say what to do.

use crate::journal::JournalError;
use crate::profile::LimitError;
use graph_upload_models::GraphErrorBody;
use graph_upload_transport::{ErrorKind, TransportError};

/// Why an upload failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum UploadError {
    /// The caller's input cannot be uploaded (bad size, unreadable file, bad URL); nothing was
    /// sent, or the server refused the request as malformed (`400`).
    #[error("bad input: {message}")]
    BadInput {
        /// What is wrong.
        message: String,
        /// Graph's error body, when the server refused the request.
        graph: Option<Box<GraphErrorBody>>,
    },
    /// The token is missing, wrong or lacks permission (`401`/`403`): get a new token.
    #[error("not authorized (HTTP {status}): {}; check the token and its permissions", graph_message(.graph))]
    Auth {
        /// `401` or `403`.
        status: u16,
        /// Graph's error body.
        graph: Option<Box<GraphErrorBody>>,
    },
    /// The upload session is gone (expired, deleted or unknown: `404`): create a new session
    /// and upload again.
    #[error(
        "the upload session no longer exists (expired, deleted or unknown); start a new upload"
    )]
    SessionGone,
    /// The file or a fragment is over the service's limit (`413`, or a size the endpoint
    /// refuses before anything is sent).
    #[error("too large: {message}")]
    TooLarge {
        /// Which limit.
        message: String,
        /// Graph's error body, when the server refused it.
        graph: Option<Box<GraphErrorBody>>,
    },
    /// The service answered with an error that retries could not get past.
    #[error("the service answered HTTP {status}: {}", graph_message(.graph))]
    Server {
        /// The last status.
        status: u16,
        /// Graph's error body, when there was one.
        graph: Option<Box<GraphErrorBody>>,
    },
    /// A chunk or file size the endpoint cannot take; found before anything was sent.
    #[error("{0}")]
    Limit(#[from] LimitError),
    /// The journal cannot be used; found before anything was sent, and nothing was touched.
    #[error("{0}")]
    Journal(#[from] JournalError),
    /// The printer or share does not take this media type; found before the job was created.
    #[error(
        "the printer does not accept {content_type:?} (it accepts {}); pass a supported content type",
        supported.join(", ")
    )]
    UnsupportedContentType {
        /// What was asked for.
        content_type: String,
        /// The printer's `capabilities.contentTypes`.
        supported: Vec<String>,
    },
    /// Nothing usable answers at the base URL (refused, unknown host, TLS or protocol mismatch)
    /// before any session existed: waiting would not help, so the upload failed at once.
    #[error("{}", unreachable_message(.url, .error))]
    Unreachable {
        /// The base URL (without any query string).
        url: String,
        /// What the transport saw.
        error: TransportError,
    },
    /// The network failed and retries could not get past it.
    #[error("transport failure after retries: {0}")]
    Transport(#[from] TransportError),
    /// The server broke the protocol (a reply that cannot be understood).
    #[error("unexpected reply from the service: {0}")]
    Protocol(String),
    /// The upload was cancelled; its session was deleted.
    #[error("the upload was cancelled")]
    Cancelled,
    /// Reading the file failed.
    #[error("reading the file failed: {0}")]
    Io(#[from] std::io::Error),
}

/// Graph's error body of an error response, when it carries one (the transport knows HTTP,
/// not Graph).
pub(crate) fn graph_error(response: &graph_upload_transport::Response) -> Option<GraphErrorBody> {
    if response.status().is_success() {
        return None;
    }
    response.json().ok()
}

fn unreachable_message(url: &str, error: &TransportError) -> String {
    match error.kind() {
        ErrorKind::Tls => {
            format!("the TLS handshake with {url} failed ({error}); is it http or https?")
        }
        _ => format!(
            "nothing answers at {url} ({error}); is the emulator running? is it http or https?"
        ),
    }
}

fn graph_message(graph: &Option<Box<GraphErrorBody>>) -> String {
    graph
        .as_ref()
        .map_or_else(|| "no error body".to_string(), ToString::to_string)
}

impl UploadError {
    /// Whether starting the whole upload again (new session) could help.
    pub fn is_session_gone(&self) -> bool {
        matches!(self, UploadError::SessionGone)
    }

    /// Graph's error body, when the service sent one.
    pub fn graph_error(&self) -> Option<&GraphErrorBody> {
        match self {
            UploadError::BadInput { graph, .. }
            | UploadError::Auth { graph, .. }
            | UploadError::TooLarge { graph, .. }
            | UploadError::Server { graph, .. } => graph.as_deref(),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::graph_error;
    use bytes::Bytes;
    use graph_upload_transport::{HeaderMap, Response, StatusCode};

    #[test]
    fn graph_error_is_read_only_from_error_statuses() {
        let body = Bytes::from_static(br#"{"error": {"code": "itemNotFound", "message": "gone"}}"#);
        let not_found = Response::new(StatusCode::NOT_FOUND, HeaderMap::new(), body.clone());
        assert_eq!(graph_error(&not_found).unwrap().error.code, "itemNotFound");
        let ok = Response::new(StatusCode::OK, HeaderMap::new(), body);
        assert!(graph_error(&ok).is_none());
    }
}
