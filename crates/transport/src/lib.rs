#![doc = include_str!("../README.md")]
#![deny(missing_docs)]
#![forbid(unsafe_code)]
#![cfg_attr(not(test), deny(clippy::unwrap_used, clippy::expect_used))]

mod body;
mod config;
mod error;
mod http2;
#[cfg(feature = "hyper")]
mod hyper_backend;
mod request;
#[cfg(feature = "reqwest")]
mod reqwest_backend;
mod response;
#[cfg(any(feature = "reqwest", feature = "hyper"))]
mod roots;
mod timeout;
#[cfg(any(feature = "reqwest", feature = "hyper"))]
mod tls;
mod transport;

pub use body::{Body, FILE_READ_BLOCK, FileSlice};
pub use config::TransportConfig;
pub use error::{ErrorKind, TransportError};
pub use http::{HeaderMap, HeaderName, HeaderValue, Method, StatusCode, header};
pub use http2::Http2;
#[cfg(feature = "hyper")]
pub use hyper_backend::HyperTransport;
pub use request::Request;
#[cfg(feature = "reqwest")]
pub use reqwest_backend::ReqwestTransport;
pub use response::Response;
#[cfg(any(feature = "reqwest", feature = "hyper"))]
pub use tls::root_stores_read;
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
