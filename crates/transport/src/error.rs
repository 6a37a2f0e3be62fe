//! One error type for every backend: callers branch on [`ErrorKind`], never on reqwest or hyper.

use std::error::Error as StdError;
use std::fmt;

/// What went wrong, independent of the HTTP stack.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorKind {
    /// The request could not be built (bad URL or header); nothing was sent.
    InvalidRequest,
    /// No connection could be made (refused, DNS, unreachable, connect timeout).
    Connect,
    /// The request or the response did not complete within the configured time.
    Timeout,
    /// The connection failed while the request or response was in flight.
    Io,
    /// The request body could not be produced (for example the file shrank), or the response
    /// body ended early.
    Body,
    /// The TLS handshake or session failed.
    Tls,
    /// The response body is larger than the configured cap.
    ResponseTooLarge,
    /// Anything else.
    Other,
}

impl ErrorKind {
    /// A short lowercase name, used in messages.
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorKind::InvalidRequest => "invalid request",
            ErrorKind::Connect => "connect",
            ErrorKind::Timeout => "timeout",
            ErrorKind::Io => "i/o",
            ErrorKind::Body => "body",
            ErrorKind::Tls => "tls",
            ErrorKind::ResponseTooLarge => "response too large",
            ErrorKind::Other => "other",
        }
    }
}

impl fmt::Display for ErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A request failed before a complete response was read.
///
/// [`may_have_been_sent`](Self::may_have_been_sent) says whether the server may have received
/// (part of) the request. When it is `false` the request can simply be sent again; when it is
/// `true`, an upload client should ask the server what it has (`GET {uploadUrl}`) before
/// resending a fragment.
#[derive(Debug)]
pub struct TransportError {
    kind: ErrorKind,
    may_have_been_sent: bool,
    message: String,
    source: Option<Box<dyn StdError + Send + Sync>>,
}

impl TransportError {
    /// A new error; backends and layers (retry, fault injection) build these.
    pub fn new(kind: ErrorKind, may_have_been_sent: bool, message: impl Into<String>) -> Self {
        TransportError {
            kind,
            may_have_been_sent,
            message: message.into(),
            source: None,
        }
    }

    /// Attaches the underlying cause (kept as a trait object: no backend type leaks).
    pub fn with_source(mut self, source: impl Into<Box<dyn StdError + Send + Sync>>) -> Self {
        self.source = Some(source.into());
        self
    }

    /// What went wrong.
    pub fn kind(&self) -> ErrorKind {
        self.kind
    }

    /// Whether the server may have received some or all of the request.
    pub fn may_have_been_sent(&self) -> bool {
        self.may_have_been_sent
    }

    /// The message, without the kind or the cause.
    pub fn message(&self) -> &str {
        &self.message
    }
}

impl fmt::Display for TransportError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} error: {}", self.kind, self.message)?;
        if self.may_have_been_sent {
            f.write_str(" (the request may have reached the server)")?;
        }
        Ok(())
    }
}

impl StdError for TransportError {
    fn source(&self) -> Option<&(dyn StdError + 'static)> {
        self.source
            .as_deref()
            .map(|source| source as &(dyn StdError + 'static))
    }
}

/// Walks an error's `source()` chain.
pub(crate) fn chain<'a>(
    error: &'a (dyn StdError + 'static),
) -> impl Iterator<Item = &'a (dyn StdError + 'static)> {
    std::iter::successors(Some(error), |e: &&'a (dyn StdError + 'static)| {
        (*e).source()
    })
}

/// Whether a rustls error sits in the chain.
#[cfg(any(feature = "reqwest", feature = "hyper"))]
pub(crate) fn is_tls(error: &(dyn StdError + 'static)) -> bool {
    chain(error).any(|e| {
        // An `io::Error` names its wrapped error's source, not the wrapped error, in
        // `source()`, and connectors nest them: look inside each layer too.
        let mut current = e;
        loop {
            if current.downcast_ref::<rustls::Error>().is_some() {
                return true;
            }
            match current
                .downcast_ref::<std::io::Error>()
                .and_then(std::io::Error::get_ref)
            {
                Some(inner) => current = inner,
                None => return false,
            }
        }
    })
}

/// Whether the request body itself failed (for example its file shrank): the same kind on
/// every backend, whatever wrapper the HTTP stack puts around it.
#[cfg(any(feature = "reqwest", feature = "hyper"))]
pub(crate) fn is_request_body_failure(error: &(dyn StdError + 'static)) -> bool {
    chain(error).any(|e| e.downcast_ref::<crate::body::BodyReadError>().is_some())
}

/// The whole chain as one line, for messages.
pub(crate) fn describe(error: &(dyn StdError + 'static)) -> String {
    let mut out = String::new();
    for (i, e) in chain(error).enumerate() {
        let text = e.to_string();
        if out.contains(&text) {
            continue;
        }
        if i > 0 {
            out.push_str(": ");
        }
        out.push_str(&text);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn message_says_kind_and_whether_it_may_have_been_sent() {
        let error = TransportError::new(ErrorKind::Io, true, "connection reset");
        assert_eq!(
            error.to_string(),
            "i/o error: connection reset (the request may have reached the server)"
        );
        let error = TransportError::new(ErrorKind::Connect, false, "refused");
        assert_eq!(error.to_string(), "connect error: refused");
        assert!(!error.may_have_been_sent());
    }

    #[test]
    fn source_is_kept_as_a_trait_object() {
        let io = std::io::Error::new(std::io::ErrorKind::ConnectionReset, "reset by peer");
        let error = TransportError::new(ErrorKind::Io, true, "send failed").with_source(io);
        let source = StdError::source(&error).map(ToString::to_string);
        assert_eq!(source.as_deref(), Some("reset by peer"));
        assert_eq!(chain(&error).count(), 2);
        assert_eq!(
            describe(&error),
            "i/o error: send failed (the request may have reached the server): reset by peer"
        );
    }
}
