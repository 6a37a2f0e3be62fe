//! The request log: one `tracing` event per request (method, path without its query, status,
//! body bytes received, duration, request id), emitted by the outermost layer of the router,
//! which also gives each request its id: the `request-id` header, the id in Graph's error
//! body and the `request_id` of the `request` span that the handlers' events (a session
//! created, a fragment accepted) are recorded in are one and the same.
//!
//! Secrets never reach it: the query string is replaced by `?...` (a print upload URL's
//! `tempauthtoken` is its credential) and no header is logged.

use crate::fault_layer::{AbortConnection, FaultFired};
use crate::recent_requests::RecentRequest;
use crate::route_kind::RouteKind;
use crate::state::AppState;
use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderValue, Uri};
use axum::middleware::Next;
use axum::response::Response;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;
use tracing::Instrument;

/// The target of the request lines (`GRAPH_UPLOAD_LOG=graph_upload_server::request=off`
/// silences them).
pub const REQUEST_TARGET: &str = "graph_upload_server::request";

/// The target of session events (created, fragment accepted, completed, deleted, expired).
pub const SESSION_TARGET: &str = "graph_upload_server::session";

/// Paths longer than this are cut in the log (a request head may be 64 KiB).
const MAX_LOGGED_PATH: usize = 256;

/// The id of the request being handled, in its extensions: every layer that answers for it
/// uses this one.
#[derive(Debug, Clone)]
pub struct RequestId(pub Arc<str>);

impl RequestId {
    /// The id given to `request` by the log layer, or a fresh one (a router driven without
    /// the layer, which does not happen outside tests).
    pub fn of(request: &Request) -> Arc<str> {
        request
            .extensions()
            .get::<RequestId>()
            .map_or_else(fresh_id, |id| Arc::clone(&id.0))
    }
}

fn fresh_id() -> Arc<str> {
    Arc::from(uuid::Uuid::new_v4().to_string())
}

/// The layer itself (`axum::middleware::from_fn_with_state`). It also keeps the request in
/// the ring the dashboard shows, unless it is one of the emulator's own, which are logged at
/// `debug` only: an open dashboard reads them several times a second. The app's requests
/// also move the version `GET /_emulator/changes` waits on, as they start and as they end.
pub async fn log(State(state): State<Arc<AppState>>, request: Request, next: Next) -> Response {
    let started = Instant::now();
    let id = fresh_id();
    let method = request.method().clone();
    let own = RouteKind::of(&method, request.uri().path()) == RouteKind::Emulator;
    let path = loggable_path(request.uri());
    if !own {
        state.changes.send_modify(|version| *version += 1);
    }
    let received = Arc::new(AtomicU64::new(0));
    let counter = Arc::clone(&received);
    let mut request = request.map(|body| counted(body, counter));
    request.extensions_mut().insert(RequestId(Arc::clone(&id)));
    let span = tracing::info_span!(target: REQUEST_TARGET, "request", request_id = %id);
    let mut response = next.run(request).instrument(span).await;
    if !response.headers().contains_key("request-id")
        && let Ok(value) = HeaderValue::from_str(&id)
    {
        response.headers_mut().insert("request-id", value);
    }
    let bytes_in = received.load(Ordering::Relaxed);
    let duration_ms = (started.elapsed().as_micros() as f64) / 1000.0;
    let closed = response.extensions().get::<AbortConnection>().copied();
    if own {
        tracing::debug!(
            target: REQUEST_TARGET,
            method = %method,
            path = %path,
            status = response.status().as_u16(),
            duration_ms,
            request_id = %id,
            "request"
        );
        return response;
    }
    state.changes.send_modify(|version| *version += 1);
    state.recent.push(RecentRequest {
        seq: 0,
        request_id: id.to_string(),
        time_ms: u64::try_from(state.now().as_millis()).unwrap_or(u64::MAX),
        method: method.to_string(),
        path: path.clone(),
        status: closed.is_none().then(|| response.status().as_u16()),
        closed: closed.map(AbortConnection::as_str),
        fault_rule: response
            .extensions()
            .get::<FaultFired>()
            .map(|fired| fired.0),
        bytes_in,
        duration_ms,
    });
    match closed {
        Some(how) => tracing::warn!(
            target: REQUEST_TARGET,
            method = %method,
            path = %path,
            closed = how.as_str(),
            bytes_in,
            duration_ms,
            request_id = %id,
            "request closed without an answer by a fault rule"
        ),
        None => tracing::info!(
            target: REQUEST_TARGET,
            method = %method,
            path = %path,
            status = response.status().as_u16(),
            bytes_in,
            duration_ms,
            request_id = %id,
            "request"
        ),
    }
    response
}

/// The path, its query replaced by `?...`, cut at [`MAX_LOGGED_PATH`] bytes.
pub fn loggable_path(uri: &Uri) -> String {
    let path = uri.path();
    let mut shown = match path.char_indices().nth(MAX_LOGGED_PATH) {
        Some((cut, _)) => format!("{}...", &path[..cut]),
        None => path.to_owned(),
    };
    if uri.query().is_some() {
        shown.push_str("?...");
    }
    shown
}

/// A request body that counts the bytes read from it.
fn counted(body: Body, received: Arc<AtomicU64>) -> Body {
    use http_body_util::BodyExt;
    Body::new(body.map_frame(move |frame| {
        if let Some(data) = frame.data_ref() {
            received.fetch_add(data.len() as u64, Ordering::Relaxed);
        }
        frame
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_query_of_a_path_is_never_logged() {
        let uri: Uri = "/uploadSessions/abc?tempauthtoken=SECRET&x=1"
            .parse()
            .unwrap();
        assert_eq!(loggable_path(&uri), "/uploadSessions/abc?...");
        let uri: Uri = "/v1.0/print/shares".parse().unwrap();
        assert_eq!(loggable_path(&uri), "/v1.0/print/shares");
        let long = format!("/{}", "a".repeat(1000));
        let shown = loggable_path(&long.parse().unwrap());
        assert_eq!(shown.len(), MAX_LOGGED_PATH + 3, "{shown}");
        assert!(shown.ends_with("..."));
    }
}
