//! One small async HTTP trait for graph-upload, with interchangeable backends.
//!
//! The uploader talks to an `Arc<dyn Transport>`: one method, [`Transport::send`], from a
//! [`Request`] to a complete [`Response`]. Backends live behind cargo features:
//!
//! | feature | type | stack |
//! |---|---|---|
//! | `reqwest` (default) | [`ReqwestTransport`] | reqwest 0.13, rustls, platform roots |
//! | `hyper` | [`HyperTransport`] | hyper 1 + hyper-util pooled client, hyper-rustls, webpki roots |
//!
//! With `default-features = false, features = ["hyper"]` reqwest is not in the dependency
//! tree. Both backends pass the same conformance suite (`tests/conformance/` in
//! the workspace).
//!
//! Errors carry an [`ErrorKind`] and [`TransportError::may_have_been_sent`]: when a request
//! may have reached the server, an upload client asks for the session's status before it
//! resends a fragment. Non-2xx statuses are responses, not errors.
//!
//! Bodies ([`Body`]) are cheap to clone and replay: bytes are reference-counted, and a
//! [`FileSlice`] rereads its range of a file by offset, so a retry never copies a fragment twice.
//!
//! ```no_run
//! # #[cfg(feature = "reqwest")]
//! # async fn demo() -> Result<(), graph_upload_transport::TransportError> {
//! use graph_upload_transport::{ReqwestTransport, Request, Transport, TransportConfig};
//! use std::sync::Arc;
//!
//! let transport: Arc<dyn Transport> = Arc::new(ReqwestTransport::new(TransportConfig::default())?);
//! let response = transport
//!     .send(Request::put("http://127.0.0.1:8080/upload/1")?.body(vec![0u8; 1024]))
//!     .await?;
//! println!("{}", response.status());
//! # Ok(()) }
//! ```

#![deny(missing_docs)]
#![forbid(unsafe_code)]
#![cfg_attr(not(test), deny(clippy::unwrap_used, clippy::expect_used))]

mod body;
mod config;
mod error;
#[cfg(feature = "hyper")]
mod hyper_backend;
mod request;
#[cfg(feature = "reqwest")]
mod reqwest_backend;
mod response;
mod timeout;
mod transport;

pub use body::{Body, FILE_READ_BLOCK, FileSlice};
pub use config::TransportConfig;
pub use error::{ErrorKind, TransportError};
pub use http::{HeaderMap, HeaderName, HeaderValue, Method, StatusCode, header};
#[cfg(feature = "hyper")]
pub use hyper_backend::HyperTransport;
pub use request::Request;
#[cfg(feature = "reqwest")]
pub use reqwest_backend::ReqwestTransport;
pub use response::Response;
pub use transport::Transport;

/// The README's examples, compiled as doctests so that they cannot rot.
#[cfg(all(doctest, feature = "reqwest", feature = "hyper"))]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;

/// The `Content-Length` to send: always for methods that carry a body, otherwise only when
/// there is one (a `GET` with `Content-Length: 0` upsets some servers).
#[cfg_attr(not(any(feature = "reqwest", feature = "hyper")), allow(dead_code))]
fn content_length(method: &Method, body: &Body) -> Option<u64> {
    let carries_body = matches!(*method, Method::PUT | Method::POST | Method::PATCH);
    (carries_body || !body.is_empty()).then(|| body.len())
}
