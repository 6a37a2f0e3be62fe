//! The bearer token: sent in `Authorization`, never printed (`Debug` shows `<redacted>`).

use crate::error::UploadError;
use graph_upload_transport::{HeaderValue, Request, header};
use std::fmt;
use std::sync::Arc;

/// A bearer token, cheap to clone into every request.
#[derive(Clone)]
pub(crate) struct BearerToken(Arc<str>);

impl BearerToken {
    pub(crate) fn new(token: String) -> Self {
        BearerToken(token.into())
    }

    /// `request` with `Authorization: Bearer {token}`, marked sensitive for the HTTP stack.
    pub(crate) fn authorize(&self, request: Request) -> Result<Request, UploadError> {
        let mut value = HeaderValue::from_str(&format!("Bearer {}", self.0)).map_err(|_| {
            UploadError::BadInput {
                message: "the token cannot be sent in a header (it holds control characters)"
                    .into(),
                graph: None,
            }
        })?;
        value.set_sensitive(true);
        Ok(request.header(header::AUTHORIZATION, value))
    }
}

impl fmt::Debug for BearerToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("BearerToken(<redacted>)")
    }
}
