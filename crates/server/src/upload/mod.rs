//! The upload-session byte protocol (`docs/protocol.md` section 2): accept a fragment, store
//! it durably, answer with what is still missing, and turn a complete upload into its
//! document or attachment in one transaction.
//!
//! [`fragment`] checks a fragment's headers, [`put`] streams its bytes to disk under a
//! reservation, [`complete`] records them and answers (or completes the session). This file
//! finds the session a request names, under its lock.

mod complete;
mod fragment;
mod put;

pub use complete::outlook_status;
pub use put::put_fragment;

use crate::errors::ApiError;
use crate::records::SessionRecord;
use crate::state::{AppState, Known};
use crate::store::Table;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use std::sync::Arc;

/// Loads a live session: unknown, completed, deleted and expired sessions are all `404`.
pub async fn load_session(state: &AppState, id: &str) -> Result<SessionRecord, ApiError> {
    let key = id.to_owned();
    let session: Option<SessionRecord> = state
        .db(move |store| Ok(store.get(Table::Sessions, &key)?))
        .await?;
    live(state, session)
}

/// The session if it exists and has not expired, else the `404` Graph answers.
fn live(state: &AppState, session: Option<SessionRecord>) -> Result<SessionRecord, ApiError> {
    match session {
        Some(session) if !session.expired(state.now()) => Ok(session),
        Some(_) => Err(ApiError::not_found(
            "the upload session has expired; create a new one",
        )),
        None => Err(session_not_found()),
    }
}

pub(crate) fn session_not_found() -> ApiError {
    ApiError::not_found("the upload session does not exist, or was completed, deleted or expired")
}

/// Reads the session's record from the database, under its lock, and leaves it there for
/// the lock's next holders. An id with no record is marked gone and its lock forgotten, so
/// that requests to ids that do not exist leave nothing behind.
async fn read_locked(
    state: &AppState,
    session_id: &str,
    known: &mut Known,
) -> Result<SessionRecord, ApiError> {
    if matches!(known, Known::Gone) {
        return Err(session_not_found());
    }
    let key = session_id.to_owned();
    let stored: Option<SessionRecord> = state
        .db(move |store| Ok(store.get(Table::Sessions, &key)?))
        .await?;
    match &stored {
        Some(session) => *known = Known::Live(Box::new(session.clone())),
        None => state.sessions.forget(session_id, known),
    }
    live(state, stored)
}

/// The record as the lock's holders left it (read from the database only if none did).
pub(crate) async fn current(
    state: &AppState,
    session_id: &str,
    known: &mut Known,
) -> Result<SessionRecord, ApiError> {
    match known {
        Known::Live(session) => live(state, Some(SessionRecord::clone(session))),
        Known::Gone => Err(session_not_found()),
        Known::Unread => read_locked(state, session_id, known).await,
    }
}

/// `DELETE {uploadUrl}`: forgets the session and its bytes.
pub async fn delete_session(state: Arc<AppState>, session_id: &str) -> Result<Response, ApiError> {
    let lock = state.sessions.get(session_id);
    let mut known = lock.record.lock().await;
    let session = current(&state, session_id, &mut known).await?;
    let id = session.id.clone();
    state
        .db(move |store| {
            store.write(|tx| {
                tx.delete(Table::Sessions, &id)?;
                Ok::<_, ApiError>(())
            })
        })
        .await?;
    state.sessions.forget(session_id, &mut known);
    state.blobs.remove(&session.blob)?;
    tracing::info!(
        target: crate::request_log::SESSION_TARGET,
        session = %session.id,
        kind = %session.kind(),
        received = session.bytes_received(),
        size = session.size,
        "session deleted"
    );
    Ok(StatusCode::NO_CONTENT.into_response())
}
