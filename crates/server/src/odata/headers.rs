//! Graph's JSON answers carry OData's media-type parameters and, where Graph gives one,
//! `@odata.context`: added here, around the Graph routes, to every successful JSON answer
//! (errors keep their own body and `Content-Type`).

use super::context;
use axum::body::Body;
use axum::extract::{OriginalUri, Request};
use axum::http::{HeaderValue, header};
use axum::middleware::Next;
use axum::response::Response;

/// The `Content-Type` of Graph's JSON answers.
pub(crate) const ODATA_JSON: &str = "application/json;odata.metadata=minimal;odata.streaming=true;IEEE754Compatible=false;charset=utf-8";

/// Sets Graph's JSON `Content-Type` and puts `@odata.context` first in a JSON object answer
/// that has none (a collection's page already has its own).
pub(crate) async fn annotate(request: Request, next: Next) -> Response {
    let method = request.method().as_str().to_owned();
    let path = request.extensions().get::<OriginalUri>().map_or_else(
        || request.uri().path().to_owned(),
        |uri| uri.path().to_owned(),
    );
    let response = next.run(request).await;
    // A file's own bytes (`/content`, `$value`) are not Graph's JSON, whatever their type;
    // the To Do upload URL keeps its own replies, as the other upload URLs do.
    let last = path.rsplit('/').next().unwrap_or("");
    if matches!(last, "content" | "$value" | "%24value") || path.contains("/attachmentSessions/") {
        return response;
    }
    let is_json = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"));
    if !response.status().is_success() || !is_json {
        return response;
    }
    let status = response.status().as_u16();
    let (mut parts, body) = response.into_parts();
    parts
        .headers
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(ODATA_JSON));
    let bytes = match axum::body::to_bytes(body, usize::MAX).await {
        Ok(bytes) => bytes,
        Err(error) => {
            tracing::error!(%error, "cannot read a JSON answer to annotate it");
            return Response::from_parts(parts, Body::empty());
        }
    };
    let body = match context::entity(&method, &path, status) {
        Some(context) if bytes.starts_with(b"{") && !bytes.starts_with(b"{\"@odata.context\"") => {
            with_context(&bytes, &context)
        }
        _ => bytes,
    };
    parts.headers.remove(header::CONTENT_LENGTH);
    Response::from_parts(parts, Body::from(body))
}

/// `{"@odata.context":"...",` followed by the object's members.
fn with_context(object: &[u8], context: &str) -> bytes::Bytes {
    let rest = &object[1..];
    let empty = rest.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'}');
    let head = serde_json::json!({ "@odata.context": context }).to_string();
    let mut out = Vec::with_capacity(object.len() + head.len() + 1);
    out.extend_from_slice(&head.as_bytes()[..head.len() - 1]);
    if !empty {
        out.push(b',');
    }
    out.extend_from_slice(rest);
    bytes::Bytes::from(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn context_goes_first() {
        let out = with_context(br#"{"id":"a"}"#, "ctx");
        assert_eq!(&out[..], br#"{"@odata.context":"ctx","id":"a"}"#);
        let out = with_context(b"{ }", "ctx");
        let value: serde_json::Value = serde_json::from_slice(&out).unwrap();
        assert_eq!(value, serde_json::json!({"@odata.context": "ctx"}));
    }
}
