//! The seam between the uploader and an HTTP stack.

use crate::error::TransportError;
use crate::request::Request;
use crate::response::Response;
use async_trait::async_trait;
use std::sync::Arc;

/// Sends one request and returns its complete response: an asynchronous function from a
/// [`Request`] to a [`Response`].
///
/// Implementations return every HTTP status as a `Response` (a `404` is not an error here) and
/// fail only when no complete response was read, with a [`TransportError`] whose kind and
/// "may have been sent" flag do not depend on the backend. They must not add `Authorization`
/// or follow redirects. Retries, authentication and fault injection are layers that wrap an
/// `Arc<dyn Transport>`, not features of a backend.
#[async_trait]
pub trait Transport: Send + Sync + std::fmt::Debug {
    /// Sends `request` and reads the response body in full (up to the size cap).
    async fn send(&self, request: Request) -> Result<Response, TransportError>;
}

#[async_trait]
impl<T: Transport + ?Sized> Transport for Arc<T> {
    async fn send(&self, request: Request) -> Result<Response, TransportError> {
        (**self).send(request).await
    }
}

#[async_trait]
impl<T: Transport + ?Sized> Transport for Box<T> {
    async fn send(&self, request: Request) -> Result<Response, TransportError> {
        (**self).send(request).await
    }
}
