//! The response a [`Transport`](crate::Transport) returns: any status, headers, and the body
//! read in full up to a cap.

use crate::error::{ErrorKind, TransportError};
use bytes::{Bytes, BytesMut};
use http::{HeaderMap, StatusCode};
use http_body::Body as HttpBody;
use http_body_util::BodyExt;

/// A complete HTTP response. Non-2xx statuses are responses, not errors: the caller reads
/// Graph's error body from them.
#[derive(Debug, Clone)]
pub struct Response {
    status: StatusCode,
    headers: HeaderMap,
    body: Bytes,
}

impl Response {
    /// A response from its parts (for layers and test doubles).
    pub fn new(status: StatusCode, headers: HeaderMap, body: Bytes) -> Self {
        Response {
            status,
            headers,
            body,
        }
    }

    /// The status code.
    pub fn status(&self) -> StatusCode {
        self.status
    }

    /// The headers.
    pub fn headers(&self) -> &HeaderMap {
        &self.headers
    }

    /// A header's value as text, when present and valid text.
    pub fn header_str(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// The body.
    pub fn body(&self) -> &Bytes {
        &self.body
    }

    /// Takes the body.
    pub fn into_body(self) -> Bytes {
        self.body
    }

    /// Parses the body as JSON.
    pub fn json<T: serde::de::DeserializeOwned>(&self) -> Result<T, serde_json::Error> {
        serde_json::from_slice(&self.body)
    }
}

/// Reads a body in full, failing as soon as it grows past `limit` bytes, so that a hostile or
/// broken server cannot make the client buffer without bound.
pub(crate) async fn read_capped<B>(
    mut body: B,
    limit: usize,
    map_error: impl Fn(B::Error) -> TransportError,
) -> Result<Bytes, TransportError>
where
    B: HttpBody<Data = Bytes> + Unpin,
{
    if let Some(declared) = body.size_hint().exact()
        && declared > limit as u64
    {
        return Err(too_large(limit, Some(declared)));
    }
    let mut buffer = BytesMut::new();
    while let Some(frame) = body.frame().await {
        let frame = frame.map_err(&map_error)?;
        if let Ok(data) = frame.into_data() {
            if buffer.len() + data.len() > limit {
                return Err(too_large(limit, None));
            }
            if buffer.is_empty() && body.is_end_stream() {
                // A single-frame body needs no copy.
                return Ok(data);
            }
            buffer.extend_from_slice(&data);
        }
    }
    Ok(buffer.freeze())
}

fn too_large(limit: usize, declared: Option<u64>) -> TransportError {
    let size = declared.map_or_else(|| "more".to_string(), |n| n.to_string());
    TransportError::new(
        ErrorKind::ResponseTooLarge,
        true,
        format!(
            "the response body has {size} bytes, over the limit of {limit} (raise it with \
             TransportConfig::max_response_bytes or Request::max_response_bytes)"
        ),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use http_body_util::Full;
    use std::convert::Infallible;

    fn never(_: Infallible) -> TransportError {
        unreachable!()
    }

    #[tokio::test]
    async fn body_within_the_cap_is_returned_whole() {
        let body = Full::new(Bytes::from_static(b"hello"));
        assert_eq!(read_capped(body, 5, never).await.unwrap(), "hello");
    }

    #[tokio::test]
    async fn body_over_the_cap_is_refused() {
        let body = Full::new(Bytes::from(vec![0u8; 11]));
        let error = read_capped(body, 10, never).await.unwrap_err();
        assert_eq!(error.kind(), ErrorKind::ResponseTooLarge);
    }
}
