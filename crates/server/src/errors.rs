//! Every failure answers with Graph's error JSON and the status Graph would use.

use axum::Json;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use graph_upload_models::{GraphErrorBody, InnerError, error_codes};
use std::fmt;
use std::time::Duration;

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

/// A placeholder that carries the error to the router's outer layer, which renders it
/// (`graph_error_body`) with the server's clock: the error itself does not know the time.
impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut response = self.status.into_response();
        response.extensions_mut().insert(self);
        response
    }
}

impl ApiError {
    /// Graph's answer for this error at `now` (since the epoch, from the server's clock) to
    /// the request `request_id`: its JSON with the request id and the date, `request-id` and,
    /// for `429`/`503`, `Retry-After`.
    pub(crate) fn render(&self, now: Duration, request_id: &str) -> Response {
        let date = graph_error_date(now);
        let mut response = (self.status, Json(self.body(request_id, &date))).into_response();
        let headers = response.headers_mut();
        if let Ok(value) = HeaderValue::from_str(request_id) {
            headers.insert("request-id", value);
        }
        if let Some(seconds) = self.retry_after {
            headers.insert(header::RETRY_AFTER, HeaderValue::from(seconds));
        }
        response
    }
}

/// Graph writes the error date in UTC, to the second, without an offset.
fn graph_error_date(now: Duration) -> String {
    let seconds = i64::try_from(now.as_secs()).unwrap_or(i64::MAX);
    graph_upload_models::GraphDateTime::from_unix_seconds(seconds)
        .map(|t| t.to_string().chars().take(19).collect())
        .unwrap_or_default()
}

/// Makes every error answer Graph's error JSON, dated `now`, for the request `request_id`:
/// an [`ApiError`] a handler or middleware returned is rendered, and an error of the
/// framework itself (a bad path encoding, a body over the limit: plain text) is rewritten as
/// one.
pub(crate) async fn graph_error_body(
    mut response: Response,
    now: Duration,
    request_id: &str,
) -> Response {
    if let Some(error) = response.extensions_mut().remove::<ApiError>() {
        return error.render(now, request_id);
    }
    let status = response.status();
    let is_json = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"));
    if !(status.is_client_error() || status.is_server_error()) || is_json {
        return response;
    }
    let text = match axum::body::to_bytes(response.into_body(), 64 * 1024).await {
        Ok(bytes) => String::from_utf8_lossy(&bytes).trim().to_owned(),
        Err(_) => String::new(),
    };
    let code = match status.as_u16() {
        401 => error_codes::INVALID_AUTHENTICATION_TOKEN,
        404 => error_codes::ITEM_NOT_FOUND,
        405 => error_codes::NOT_ALLOWED,
        500..=599 => error_codes::GENERAL_EXCEPTION,
        _ => error_codes::INVALID_REQUEST,
    };
    let message = if text.is_empty() {
        status.canonical_reason().unwrap_or("error").to_owned()
    } else {
        text
    };
    ApiError::new(status, code, message).render(now, request_id)
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
    fn error_dates_are_utc_seconds_without_an_offset() {
        let date = graph_error_date(Duration::from_millis(1_000_000_000_999));
        assert_eq!(date, "2001-09-09T01:46:40");
    }

    #[tokio::test]
    async fn error_bodies_are_dated_by_the_configured_clock() {
        use crate::clock::ManualClock;
        use crate::test_app::TestApp;
        use axum::http::Method;
        let clock = std::sync::Arc::new(ManualClock::new(Duration::from_secs(1_000_000_000)));
        let app = TestApp::with(|config| {
            config.clock = clock.clone();
            config.faults =
                crate::FaultRule::parse_list(br#"[{"route": "start", "every": 1, "status": 503}]"#)
                    .unwrap();
        })
        .await;
        let dated = |answer: &crate::test_app::Answer, status: u16, date: &str| {
            assert_eq!(answer.status, status, "{answer:?}");
            let inner = &answer.json()["error"]["innerError"];
            assert_eq!(inner["date"], date, "{answer:?}");
            assert_eq!(
                inner["request-id"].as_str(),
                answer.headers["request-id"].to_str().ok(),
                "the body's request id is the header's"
            );
        };
        // An error a handler returns.
        let answer = app
            .api(Method::GET, "/v1.0/print/printers/nope", None)
            .await;
        dated(&answer, 404, "2001-09-09T01:46:40");
        clock.advance(Duration::from_secs(3600 + 61));
        // An error of the bearer check, in front of the handlers.
        let answer = app
            .send(
                axum::http::Request::get("/v1.0/print/printers")
                    .body(axum::body::Body::empty())
                    .unwrap(),
            )
            .await;
        dated(&answer, 401, "2001-09-09T02:47:41");
        // An error of the framework (a path that is not UTF-8), rewritten as Graph's.
        let answer = app
            .api(Method::GET, "/v1.0/me/todo/lists/%FF%FE/tasks", None)
            .await;
        dated(&answer, 400, "2001-09-09T02:47:41");
        // An injected fault, answered by the fault layer outside the routes.
        let (job, _) = app
            .print_job(&format!("/v1.0/print/shares/{}", crate::fixtures::SHARE_ID))
            .await;
        clock.advance(Duration::from_secs(1));
        let answer = app.api(Method::POST, &format!("{job}/start"), None).await;
        dated(&answer, 503, "2001-09-09T02:47:42");
    }
}
