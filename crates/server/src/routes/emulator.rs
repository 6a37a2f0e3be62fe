//! The emulator's own routes (not Graph's), under `/_emulator`, all behind the bearer token:
//! the fault rules in force (`GET`, `PUT` to replace, `DELETE` to clear), the statistics,
//! the open upload sessions and the last requests. (What was stored is in `stored.rs`; the
//! dashboard page that shows all of them, in `dashboard/`.)

use crate::errors::ApiError;
use crate::faults::FaultRule;
use crate::records::{JobRecord, SessionRecord, SessionTarget};
use crate::state::AppState;
use crate::store::Table;
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use serde_json::{Value, json};
use std::sync::Arc;

/// `GET /_emulator/faults`: the rules in force, as written.
pub(crate) async fn get_faults(State(state): State<Arc<AppState>>) -> Json<Vec<FaultRule>> {
    Json(state.faults.rules())
}

/// `PUT /_emulator/faults`: replaces the rules (counters start again); answers the rules now
/// in force. A bad rule refuses the whole set and keeps the old one.
pub(crate) async fn put_faults(
    State(state): State<Arc<AppState>>,
    body: Bytes,
) -> Result<Json<Vec<FaultRule>>, ApiError> {
    let rules = FaultRule::parse_list(&body)
        .map_err(|error| ApiError::bad_request(format!("fault rules refused: {error}")))?;
    tracing::info!(rules = rules.len(), "fault rules replaced");
    state.faults.replace(rules);
    Ok(Json(state.faults.rules()))
}

/// `DELETE /_emulator/faults`: no more faults.
pub(crate) async fn delete_faults(State(state): State<Arc<AppState>>) -> Response {
    state.faults.replace(Vec::new());
    tracing::info!("fault rules cleared");
    StatusCode::NO_CONTENT.into_response()
}

/// `GET /_emulator/stats`: requests by route and status, body bytes received, faults
/// injected (in all, and per rule in force), connections.
pub(crate) async fn get_stats(State(state): State<Arc<AppState>>) -> Json<serde_json::Value> {
    Json(state.stats.snapshot(&state.faults))
}

/// `GET /_emulator/requests`: the last requests answered, newest first, as `{"value":
/// [...]}` (the emulator's own routes left out; see `recent_requests.rs`).
pub(crate) async fn get_requests(State(state): State<Arc<AppState>>) -> Json<Value> {
    Json(json!({ "value": state.recent.snapshot() }))
}

/// The longest `GET /_emulator/changes` waits: what changes without a request (a session
/// expiring, a print job completing, the time left) is seen at least this often.
const CHANGES_WAIT: std::time::Duration = std::time::Duration::from_secs(1);

/// The query of `GET /_emulator/changes`.
#[derive(Debug, serde::Deserialize)]
pub(crate) struct ChangesQuery {
    after: Option<String>,
}

/// `GET /_emulator/changes?after=N`: `{"version": M}` as soon as the app's requests have
/// moved the version past `N` (one step as each starts, one as it is answered), or after a
/// second if nothing happened. A dashboard waits on it instead of polling blindly, so an
/// accepted fragment shows at once. An `N` above the version (the emulator restarted)
/// answers at once.
pub(crate) async fn get_changes(
    State(state): State<Arc<AppState>>,
    axum::extract::Query(query): axum::extract::Query<ChangesQuery>,
) -> Result<Json<Value>, ApiError> {
    let after = match query.after.as_deref() {
        None => None,
        Some(text) => Some(
            text.parse::<u64>()
                .map_err(|_| ApiError::bad_request("after must be a version number (0 or more)"))?,
        ),
    };
    let mut changes = state.changes.subscribe();
    let now = *changes.borrow_and_update();
    if let Some(after) = after.filter(|&after| after == now) {
        // A timeout is the answer "nothing yet"; a closed channel cannot happen while the
        // state lives.
        let _ =
            tokio::time::timeout(CHANGES_WAIT, changes.wait_for(|&version| version > after)).await;
    }
    let version = *state.changes.borrow();
    Ok(Json(json!({ "version": version })))
}

/// `GET /_emulator/sessions`: every open (unexpired) upload session, in id order, as
/// `{"value": [...]}`: its id, kind, owner path, name, declared size, received ranges and
/// bytes, the ranges being streamed right now, what Graph would answer as
/// `nextExpectedRanges`, and its expiry.
pub(crate) async fn get_sessions(
    State(state): State<Arc<AppState>>,
) -> Result<Json<Value>, ApiError> {
    let now = state.now();
    let sessions = state
        .db(move |store| {
            let mut open = Vec::new();
            for session in store.list::<SessionRecord>(Table::Sessions)? {
                if session.expired(now) {
                    continue;
                }
                let document = match &session.target {
                    SessionTarget::Print { job_id, .. } => store
                        .get::<JobRecord>(Table::Jobs, job_id)?
                        .map(|job| job.document.id),
                    SessionTarget::Todo { .. }
                    | SessionTarget::Drive { .. }
                    | SessionTarget::Outlook { .. } => None,
                };
                open.push((session, document));
            }
            Ok(open)
        })
        .await?;
    let value: Vec<Value> = sessions
        .iter()
        .map(|(session, document)| session_view(&state, session, document.as_deref()))
        .collect();
    Ok(Json(json!({ "value": value })))
}

/// One session as `GET /_emulator/sessions` shows it.
fn session_view(state: &AppState, session: &SessionRecord, document: Option<&str>) -> Value {
    let ranges = |set: &graph_upload_ranges::RangeSet| -> Vec<String> {
        set.expected_ranges()
            .map(|range| range.to_string())
            .collect()
    };
    let in_flight = state.sessions.reserved(&session.id).unwrap_or_default();
    json!({
        "id": session.id,
        "kind": session.kind(),
        "ownerPath": session.owner_path(document),
        "name": session.name,
        "contentType": session.content_type,
        "size": session.size,
        "receivedRanges": ranges(&session.received_set()),
        "bytesReceived": session.bytes_received(),
        "inFlightRanges": ranges(&in_flight),
        "nextExpectedRanges": session.next_expected_ranges(),
        "expirationDateTime": session.expiration().to_string(),
    })
}
