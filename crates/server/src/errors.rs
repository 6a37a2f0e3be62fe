//! Every failure answers with Graph's error JSON and the status Graph would use.

use axum::Json;
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use graph_upload_models::{GraphErrorBody, InnerError, error_codes};
use std::fmt;

/// An error the API answers with: a status, Graph's code, an optional finer code, a message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError {
    /// HTTP status.
    pub status: StatusCode,
    /// Graph's `error.code`.
    pub code: &'static str,
    /// Graph's `error.innerError.code`, when there is a finer reason.
    pub inner_code: Option<&'static str>,
    /// What went wrong and, where possible, what to do.
    pub message: String,
    /// Seconds to wait, for `429`/`503`.
    pub retry_after: Option<u64>,
}

impl ApiError {
    /// An error with a status, a code and a message.
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        ApiError {
            status,
            code,
            inner_code: None,
            message: message.into(),
            retry_after: None,
        }
    }

    /// Adds the finer code Graph puts in `innerError.code`.
    pub fn inner(mut self, code: &'static str) -> Self {
        self.inner_code = Some(code);
        self
    }

    /// `400 invalidRequest`.
    pub fn bad_request(message: impl Into<String>) -> Self {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            error_codes::INVALID_REQUEST,
            message,
        )
    }

    /// `400 invalidRequest` / `fragmentLengthMismatch`.
    pub fn length_mismatch(message: impl Into<String>) -> Self {
        ApiError::bad_request(message).inner(error_codes::FRAGMENT_LENGTH_MISMATCH)
    }

    /// `404 itemNotFound`.
    pub fn not_found(message: impl Into<String>) -> Self {
        ApiError::new(StatusCode::NOT_FOUND, error_codes::ITEM_NOT_FOUND, message)
    }

    /// `401 InvalidAuthenticationToken`.
    pub fn unauthorized(message: impl Into<String>) -> Self {
        ApiError::new(
            StatusCode::UNAUTHORIZED,
            error_codes::INVALID_AUTHENTICATION_TOKEN,
            message,
        )
    }

    /// `416 invalidRange` with a finer code (`fragmentOverlap`, `fragmentOutOfOrder`).
    pub fn range(inner: &'static str, message: impl Into<String>) -> Self {
        ApiError::new(
            StatusCode::RANGE_NOT_SATISFIABLE,
            error_codes::INVALID_RANGE,
            message,
        )
        .inner(inner)
    }

    /// `413 maxFragmentLengthExceeded`.
    pub fn too_large(message: impl Into<String>) -> Self {
        ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            error_codes::MAX_FRAGMENT_LENGTH_EXCEEDED,
            message,
        )
    }

    /// `500 generalException`, for failures of the emulator itself (disk, database).
    pub fn internal(message: impl Into<String>) -> Self {
        ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            error_codes::GENERAL_EXCEPTION,
            message,
        )
    }

    /// The body Graph sends, with a fresh request id and the time.
    pub fn body(&self, request_id: &str, date: &str) -> GraphErrorBody {
        GraphErrorBody::new(self.code, self.message.clone()).with_inner(InnerError {
            code: self.inner_code.map(str::to_owned),
            request_id: Some(request_id.to_owned()),
            client_request_id: None,
            date: Some(date.to_owned()),
        })
    }
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} {}: {}",
            self.status.as_u16(),
            self.code,
            self.message
        )
    }
}

impl std::error::Error for ApiError {}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let request_id = uuid::Uuid::new_v4().to_string();
        // Graph writes the error date in UTC without an offset or fraction.
        let date = time_now_graph_error_date();
        let mut response = (self.status, Json(self.body(&request_id, &date))).into_response();
        let headers = response.headers_mut();
        if let Ok(value) = HeaderValue::from_str(&request_id) {
            headers.insert("request-id", value);
        }
        if let Some(seconds) = self.retry_after {
            headers.insert(http::header::RETRY_AFTER, HeaderValue::from(seconds));
        }
        response
    }
}

fn time_now_graph_error_date() -> String {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0);
    graph_upload_models::GraphDateTime::from_unix_seconds(now)
        .map(|t| t.to_string().chars().take(19).collect())
        .unwrap_or_default()
}

/// Turns storage failures into `500 generalException` with the cause in the message.
impl From<crate::store::StoreError> for ApiError {
    fn from(error: crate::store::StoreError) -> Self {
        tracing::error!(%error, "storage failure");
        ApiError::internal(format!("the emulator's storage failed: {error}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn body_carries_inner_code_request_id_and_date() {
        let error = ApiError::range(error_codes::FRAGMENT_OVERLAP, "bytes 0-9 already received");
        let body = error.body("rid", "2026-01-01T00:00:00");
        let json = serde_json::to_value(&body).unwrap();
        assert_eq!(
            json,
            serde_json::json!({"error": {"code": "invalidRange", "message": "bytes 0-9 already received",
                "innerError": {"code": "fragmentOverlap", "request-id": "rid", "date": "2026-01-01T00:00:00"}}})
        );
    }

    #[test]
    fn error_date_has_graph_shape() {
        let date = time_now_graph_error_date();
        assert_eq!(date.len(), 19, "{date}");
        assert_eq!(&date[10..11], "T");
    }
}
