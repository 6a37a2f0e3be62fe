//! Why an upload failed, by the stage it failed in (smithy-rs' shape): nothing was sent, the
//! service refused, the connection failed, the session is gone, the journal, the source file,
//! or a cancellation. Each variant keeps the error that caused it as its `source()`.

use crate::credential::CredentialError;
use crate::journal::JournalError;
use crate::profile::LimitError;
use graph_upload_models::{GraphErrorBody, redact};
use graph_upload_transport::{ErrorKind, Response, TransportError};
use std::fmt;

/// Why an upload failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum UploadError {
    /// The input cannot be uploaded as given; found before anything was sent.
    #[error(transparent)]
    Invalid(#[from] InvalidInput),
    /// The token provider could not give a token; the request was not sent.
    #[error("could not get a token: {0}")]
    Credential(#[source] CredentialError),
    /// The service refused a request, and retrying could not help or did not.
    #[error(transparent)]
    Refused(#[from] ServiceError),
    /// Nothing usable answers at the base URL (refused, unknown host, TLS or protocol
    /// mismatch) before any session existed: waiting would not help, so the upload failed at
    /// once.
    #[error("{}", unreachable_message(.url, .source))]
    Unreachable {
        /// The base URL (without any query string).
        url: String,
        /// What the transport saw.
        source: TransportError,
    },
    /// The connection failed and retries could not get past it.
    #[error("the connection failed and retries did not help: {source}")]
    Connection {
        /// What the transport saw last.
        source: TransportError,
        /// Whether the last request may have reached the service before it failed.
        may_have_been_sent: bool,
    },
    /// The upload session is gone (expired, deleted or unknown): start a new upload.
    #[error(
        "the upload session no longer exists (expired, deleted or unknown); start a new upload"
    )]
    SessionGone,
    /// The journal cannot be used; found before anything was sent, and nothing was touched.
    #[error(transparent)]
    Journal(#[from] JournalError),
    /// Reading the file being uploaded failed.
    #[error("reading the file failed: {0}")]
    Source(#[source] std::io::Error),
    /// The service broke the protocol: a reply that cannot be understood.
    #[error("unexpected reply from the service: {message}")]
    Protocol {
        /// What was expected.
        message: String,
        /// The parse error, when there was one.
        #[source]
        source: Option<serde_json::Error>,
    },
    /// The upload was cancelled; what it created was removed unless a journal keeps it.
    #[error("the upload was cancelled")]
    Cancelled,
}

/// Input that cannot be uploaded as given; nothing was sent.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum InvalidInput {
    /// A fragment or file size the endpoint cannot take.
    #[error(transparent)]
    Limit(#[from] LimitError),
    /// The printer or share does not take this media type.
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
    /// A URL that cannot be requested (the base URL, or an id that makes it invalid).
    #[error("{url:?} is not a usable URL: {source}")]
    Url {
        /// The URL without its query string.
        url: String,
        /// Why.
        source: TransportError,
    },
    /// A request that cannot be built (a header or a body that cannot be encoded).
    #[error("the request cannot be built: {0}")]
    Request(#[source] TransportError),
    /// The default HTTP client cannot be built (TLS roots, proxy settings).
    #[error("the HTTP client cannot be built: {0}")]
    Client(#[source] TransportError),
    /// A token that cannot travel in a header (control characters).
    #[error("the token cannot be sent in a header (it holds control characters)")]
    Token,
    /// An option that needs something the upload lacks.
    #[error("{0}")]
    Unsupported(&'static str),
}

/// A refusal by the service: its status, Graph's error body and the request id to quote to
/// Microsoft support.
#[derive(Debug)]
pub struct ServiceError {
    status: u16,
    graph: Option<Box<GraphErrorBody>>,
    request_id: Option<String>,
    url: String,
}

impl ServiceError {
    /// Reads a refusal from `response` to a request to `url` (printed without its query).
    pub(crate) fn new(url: &str, response: &Response) -> Self {
        let graph = graph_error(response).map(Box::new);
        let request_id = response
            .header_str("request-id")
            .map(str::to_owned)
            .or_else(|| {
                graph
                    .as_ref()
                    .and_then(|g| g.error.inner_error.as_ref()?.request_id.clone())
            });
        ServiceError {
            status: response.status().as_u16(),
            graph,
            request_id,
            url: redact(url),
        }
    }

    /// The HTTP status.
    pub fn status(&self) -> u16 {
        self.status
    }

    /// Graph's error code (`itemNotFound`, `invalidRange`...), when the body had one.
    pub fn code(&self) -> Option<&str> {
        self.graph.as_ref().map(|g| g.error.code.as_str())
    }

    /// Graph's whole error body, when there was one.
    pub fn graph_error(&self) -> Option<&GraphErrorBody> {
        self.graph.as_deref()
    }

    /// The `request-id` the service gave the failed request.
    pub fn request_id(&self) -> Option<&str> {
        self.request_id.as_deref()
    }

    /// The refused URL, without its query string.
    pub fn url(&self) -> &str {
        &self.url
    }
}

impl fmt::Display for ServiceError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let body = self
            .graph
            .as_ref()
            .map_or_else(|| "no error body".to_string(), ToString::to_string);
        let status = self.status;
        match status {
            400 => write!(f, "the service refused the request (HTTP 400): {body}")?,
            401 | 403 => write!(
                f,
                "not authorized (HTTP {status}): {body}; check the token and its permissions"
            )?,
            404 => write!(
                f,
                "{} was not found: check the ids in its path ({body})",
                self.url
            )?,
            413 => write!(
                f,
                "too large: a fragment is over the service's per-request limit; lower the fragment size"
            )?,
            _ => write!(f, "the service answered HTTP {status}: {body}")?,
        }
        // Graph's body names its request id; a reply without one may still carry the header.
        if let (None, Some(id)) = (&self.graph, &self.request_id) {
            write!(f, " [request-id {id}]")?;
        }
        Ok(())
    }
}

impl std::error::Error for ServiceError {}

/// Graph's error body of an error response, when it carries one (the transport knows HTTP,
/// not Graph).
pub(crate) fn graph_error(response: &Response) -> Option<GraphErrorBody> {
    if response.status().is_success() {
        return None;
    }
    response.json().ok()
}

fn unreachable_message(url: &str, error: &TransportError) -> String {
    match error.kind() {
        ErrorKind::Tls => {
            format!(
                "the TLS handshake with {url} failed ({error}); is it http or https? if it serves a private certificate, trust it (TransportConfig::add_root_certificate; --ca-cert in the CLI)"
            )
        }
        _ => format!(
            "nothing answers at {url} ({error}); is the emulator running? is it http or https?"
        ),
    }
}

impl UploadError {
    /// Whether starting the whole upload again (new session) could help.
    pub fn is_session_gone(&self) -> bool {
        matches!(self, UploadError::SessionGone)
    }

    /// The service's refusal, when the service refused.
    pub fn service_error(&self) -> Option<&ServiceError> {
        match self {
            UploadError::Refused(error) => Some(error),
            _ => None,
        }
    }

    /// Graph's error body, when the service sent one.
    pub fn graph_error(&self) -> Option<&GraphErrorBody> {
        self.service_error()?.graph_error()
    }

    /// A reply that cannot be understood.
    pub(crate) fn protocol(message: impl Into<String>) -> Self {
        UploadError::Protocol {
            message: message.into(),
            source: None,
        }
    }

    /// A reply body that does not parse as `what`.
    pub(crate) fn unparsable(what: &str, source: serde_json::Error) -> Self {
        UploadError::Protocol {
            message: format!("{what}: {source}"),
            source: Some(source),
        }
    }

    /// A URL that cannot be requested.
    pub(crate) fn bad_url(url: &str, source: TransportError) -> Self {
        InvalidInput::Url {
            url: redact(url),
            source,
        }
        .into()
    }
}

impl From<TransportError> for InvalidInput {
    fn from(error: TransportError) -> Self {
        InvalidInput::Request(error)
    }
}

impl From<LimitError> for UploadError {
    fn from(error: LimitError) -> Self {
        InvalidInput::Limit(error).into()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use bytes::Bytes;
    use graph_upload_transport::{HeaderMap, HeaderValue, StatusCode};

    #[test]
    fn graph_error_is_read_only_from_error_statuses() {
        let body = Bytes::from_static(br#"{"error": {"code": "itemNotFound", "message": "gone"}}"#);
        let not_found = Response::new(StatusCode::NOT_FOUND, HeaderMap::new(), body.clone());
        assert_eq!(graph_error(&not_found).unwrap().error.code, "itemNotFound");
        let ok = Response::new(StatusCode::OK, HeaderMap::new(), body);
        assert!(graph_error(&ok).is_none());
    }

    #[test]
    fn a_refusal_keeps_status_code_and_request_id_and_hides_the_query() {
        let mut headers = HeaderMap::new();
        headers.insert("request-id", HeaderValue::from_static("req-7"));
        let body = Bytes::from_static(
            br#"{"error": {"code": "accessDenied", "message": "no", "innerError": {"request-id": "req-7"}}}"#,
        );
        let response = Response::new(StatusCode::FORBIDDEN, headers, body);
        let error = ServiceError::new("http://h/v1.0/x?tempauthtoken=SECRET", &response);
        assert_eq!(error.status(), 403);
        assert_eq!(error.code(), Some("accessDenied"));
        assert_eq!(error.request_id(), Some("req-7"));
        let shown = UploadError::from(error).to_string();
        assert!(
            shown.contains("check the token") && shown.contains("req-7"),
            "{shown}"
        );
        assert!(!shown.contains("SECRET"), "{shown}");
    }

    #[test]
    fn a_404_names_the_url_and_points_at_its_ids_whatever_the_flow() {
        let body =
            Bytes::from_static(br#"{"error": {"code": "itemNotFound", "message": "no message"}}"#);
        let response = Response::new(StatusCode::NOT_FOUND, HeaderMap::new(), body);
        let url = "http://h/v1.0/me/messages/m-1/attachments/createUploadSession";
        let shown = UploadError::from(ServiceError::new(url, &response)).to_string();
        assert!(
            shown.starts_with(&format!("{url} was not found: check the ids in its path")),
            "{shown}"
        );
        assert!(shown.contains("itemNotFound"), "{shown}");
    }

    #[test]
    fn a_protocol_error_keeps_the_parse_error_as_its_source() {
        let parse = serde_json::from_str::<u32>("x").unwrap_err();
        let error = UploadError::unparsable("the status is not JSON", parse);
        assert!(std::error::Error::source(&error).is_some());
    }
}
