//! Helpers on Graph's error body, for servers that write it and clients that report it.

use crate::{GraphError, GraphErrorBody, InnerError};
use std::fmt;

impl GraphErrorBody {
    /// An error body with a code and a message, and no inner error.
    pub fn new(code: impl Into<String>, message: impl Into<String>) -> Self {
        GraphErrorBody {
            error: GraphError {
                code: code.into(),
                message: message.into(),
                inner_error: None,
            },
        }
    }

    /// Adds (or replaces) the inner error, as Graph sends with every error.
    pub fn with_inner(mut self, inner: InnerError) -> Self {
        self.error.inner_error = Some(inner);
        self
    }

    /// The finer code when there is one (`fragmentOverlap`), else the main code (`invalidRange`).
    pub fn most_specific_code(&self) -> &str {
        self.error
            .inner_error
            .as_ref()
            .and_then(|inner| inner.code.as_deref())
            .unwrap_or(&self.error.code)
    }
}

impl fmt::Display for GraphErrorBody {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.error.code, self.error.message)?;
        if let Some(inner) = &self.error.inner_error {
            if let Some(code) = &inner.code {
                write!(f, " ({code})")?;
            }
            if let Some(id) = &inner.request_id {
                write!(f, " [request-id {id}]")?;
            }
        }
        Ok(())
    }
}

impl std::error::Error for GraphErrorBody {}
