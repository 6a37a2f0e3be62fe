//! Graph's error answers, checked field by field.

use crate::reply::Reply;
use graph_upload_models::GraphErrorBody;

/// Checks a Graph error answer: `status`, `Content-Type: application/json`, a
/// [`GraphErrorBody`] with `code`, a non-empty message, an `innerError` with `request-id` (the
/// same as the `request-id` header) and `date`, and `innerError.code == inner_code` when given.
#[track_caller]
pub fn assert_graph_error(
    reply: &Reply,
    status: u16,
    code: &str,
    inner_code: Option<&str>,
) -> GraphErrorBody {
    assert_eq!(
        reply.status,
        status,
        "status (expected {status} {code}); body: {}",
        reply.text()
    );
    let content_type = reply.header("content-type").unwrap_or("");
    assert!(
        content_type.starts_with("application/json"),
        "Content-Type {content_type:?} (body {})",
        reply.text()
    );
    let body = reply.graph_error();
    assert_eq!(body.error.code, code, "error.code in {}", reply.text());
    assert!(
        !body.error.message.trim().is_empty(),
        "empty message: {}",
        reply.text()
    );
    let inner = body
        .error
        .inner_error
        .as_ref()
        .unwrap_or_else(|| panic!("no innerError: {}", reply.text()));
    let request_id = inner.request_id.as_deref().unwrap_or("");
    assert!(!request_id.is_empty(), "no request-id: {}", reply.text());
    if let Some(header) = reply.header("request-id") {
        assert_eq!(header, request_id, "request-id header vs body");
    }
    let date = inner.date.as_deref().unwrap_or("");
    assert!(
        date.len() >= 19 && date.as_bytes()[10] == b'T',
        "innerError.date {date:?}"
    );
    if let Some(inner_code) = inner_code {
        assert_eq!(
            inner.code.as_deref(),
            Some(inner_code),
            "innerError.code in {}",
            reply.text()
        );
    }
    body
}
