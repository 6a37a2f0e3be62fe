//! The emulator's own routes (not Graph's), under `/_emulator`, all behind the bearer token:
//! the fault rules in force (`GET`, `PUT` to replace, `DELETE` to clear) and the statistics.

use crate::errors::ApiError;
use crate::faults::FaultRule;
use crate::state::AppState;
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
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
