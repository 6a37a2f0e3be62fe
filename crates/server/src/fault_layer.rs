//! The layer around the whole router that injects the faults of the rules in force, adds the
//! configured latency, and counts requests and body bytes (OpenDAL's chaos layer is the model:
//! the handlers know nothing of it).
//!
//! A fault that closes the connection cannot be expressed as a response; the layer answers a
//! placeholder carrying [`AbortConnection`], which the connection loop turns into a closed
//! connection without an answer. Outside that loop (a router driven in-process) the
//! placeholder is a plain `500` with `Connection: close`.

use crate::errors::ApiError;
use crate::faults::{FaultEffect, Fired};
use crate::request_log::RequestId;
use crate::route_kind::RouteKind;
use crate::state::AppState;
use crate::stats::Stats;
use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use http_body_util::BodyExt;
use std::sync::Arc;

/// Graph's code for `429` (not among the generated upload codes).
const TOO_MANY_REQUESTS: &str = "tooManyRequests";

/// At most this much of a faulted request's body is read and thrown away before answering.
const MAX_DRAIN: u64 = 64 * 1024 * 1024;

/// Tells the connection loop to close the connection instead of answering.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AbortConnection {
    /// Close with a TCP reset, the request body unread.
    Reset,
    /// Close after the request was handled, without an answer.
    Close,
}

impl AbortConnection {
    /// The fault's name in the rules (`action`), as logs show it.
    pub fn as_str(self) -> &'static str {
        match self {
            AbortConnection::Reset => "reset",
            AbortConnection::Close => "reset-after-body",
        }
    }
}

/// Put on a response a fault rule answered (or closed), so that the request log can say which.
#[derive(Debug, Clone, Copy)]
pub struct FaultFired(pub usize);

/// The layer itself (`axum::middleware::from_fn_with_state`).
pub async fn inject(State(state): State<Arc<AppState>>, request: Request, next: Next) -> Response {
    let kind = RouteKind::of(request.method(), request.uri().path());
    let client_request_id = request.headers().get("client-request-id").cloned();
    let request_id = RequestId::of(&request);
    let request = request.map(|body| counted(body, kind, &state.stats));
    let fired = state.faults.decide(kind);
    if let Some(Fired { rule, effect }) = fired {
        state.stats.fault_injected();
        // The path only: a print upload URL's query string is its credential.
        tracing::warn!(
            route = kind.as_str(),
            rule,
            effect = %effect,
            method = %request.method(),
            path = request.uri().path(),
            "injecting a fault"
        );
    }
    let fired_rule = fired.as_ref().map(|fired| fired.rule);
    let mut response = match fired.map(|fired| (fired.rule, fired.effect)) {
        None => next.run(request).await,
        Some((
            rule,
            FaultEffect::Status {
                status,
                retry_after,
            },
        )) => {
            drain(request.into_body()).await;
            let mut response =
                fault_status(rule, status, retry_after).render(state.now(), &request_id);
            if let Some(value) = client_request_id {
                response.headers_mut().insert("client-request-id", value);
            }
            response
        }
        Some((rule, FaultEffect::Reset)) => {
            drop(request);
            state.stats.record(kind, "reset");
            return abort(AbortConnection::Reset, rule);
        }
        Some((rule, FaultEffect::ResetAfterBody)) => {
            let handled = next.run(request).await;
            // The work is done (a fragment stored); the answer is thrown away unsent.
            drop(handled);
            state.stats.record(kind, "reset");
            return abort(AbortConnection::Close, rule);
        }
        Some((_, FaultEffect::Delay(delay))) => {
            let response = next.run(request).await;
            tokio::time::sleep(delay).await;
            response
        }
    };
    if let Some(rule) = fired_rule {
        response.extensions_mut().insert(FaultFired(rule));
    }
    state.stats.record(kind, response.status().as_str());
    if !state.config.latency.is_zero() {
        tokio::time::sleep(state.config.latency).await;
    }
    response
}

/// The error an injected status answers (Graph's error JSON, rendered here with the server's
/// clock, as this layer is outside the one that renders the handlers' errors), with
/// `Retry-After` when the rule gives one.
fn fault_status(rule: usize, status: u16, retry_after: Option<u64>) -> ApiError {
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::SERVICE_UNAVAILABLE);
    let code = match status.as_u16() {
        429 => TOO_MANY_REQUESTS,
        503 => graph_upload_models::error_codes::SERVICE_NOT_AVAILABLE,
        500..=599 => graph_upload_models::error_codes::GENERAL_EXCEPTION,
        _ => graph_upload_models::error_codes::INVALID_REQUEST,
    };
    let mut error = ApiError::new(
        status,
        code,
        format!("injected by the emulator's fault rule {rule}; try again later"),
    );
    error.retry_after = retry_after;
    error
}

/// The placeholder the connection loop recognises.
fn abort(how: AbortConnection, rule: usize) -> Response {
    let mut response = (
        StatusCode::INTERNAL_SERVER_ERROR,
        [(header::CONNECTION, "close")],
        "the emulator's fault rule closes this connection without an answer",
    )
        .into_response();
    response.extensions_mut().insert(how);
    response.extensions_mut().insert(FaultFired(rule));
    response
}

/// Reads and discards a body (bounded), so that an injected status reaches the client as an
/// answer rather than as a reset of a connection with unread bytes.
async fn drain(mut body: Body) {
    let mut read = 0u64;
    while read <= MAX_DRAIN {
        match body.frame().await {
            Some(Ok(frame)) => {
                read += frame.data_ref().map_or(0, |data| data.len() as u64);
            }
            Some(Err(_)) | None => return,
        }
    }
}

/// A request body that counts its bytes into the statistics as they are read.
fn counted(body: Body, kind: RouteKind, stats: &Arc<Stats>) -> Body {
    let stats = Arc::clone(stats);
    Body::new(body.map_frame(move |frame| {
        if let Some(data) = frame.data_ref() {
            stats.received(kind, data.len() as u64);
        }
        frame
    }))
}
