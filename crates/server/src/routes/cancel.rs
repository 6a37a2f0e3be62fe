//! `POST .../jobs/{id}/cancel` (`docs/protocol.md` section 5): the job becomes `canceled`
//! and its open upload sessions are deleted with their bytes, in one transaction.

use super::print::{job_not_found, parent_of};
use super::{Params, param};
use crate::errors::ApiError;
use crate::records::{JobRecord, ParentKind, SessionRecord, SessionTarget};
use crate::request_log::SESSION_TARGET;
use crate::state::AppState;
use crate::store::{Store, Table, Tx};
use axum::extract::{OriginalUri, Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use graph_upload_models::{PrintJobProcessingState, error_codes};
use std::collections::BTreeSet;
use std::sync::Arc;

/// Why a job can no longer change: it has finished (`completed`, `canceled`, `aborted`).
///
/// Graph documents no error for cancelling a finished job; the emulator answers what Graph
/// answers for an operation the resource's state does not allow: `409 Conflict`,
/// `notAllowed`, naming the state.
pub(crate) fn refuse_if_finished(job: &JobRecord, action: &str) -> Result<(), ApiError> {
    let state = match job.state {
        PrintJobProcessingState::Completed => "completed",
        PrintJobProcessingState::Canceled => "canceled",
        PrintJobProcessingState::Aborted => "aborted",
        _ => return Ok(()),
    };
    Err(ApiError::new(
        StatusCode::CONFLICT,
        error_codes::NOT_ALLOWED,
        format!(
            "the print job {:?} is already {state}: a finished job cannot {action}",
            job.id
        ),
    ))
}

/// What the cancelling transaction found.
enum Outcome {
    /// Done: the sessions it deleted and their blobs, to remove from the disk now.
    Canceled(Vec<(String, String)>),
    /// The job has sessions whose locks are not held yet: take them and try again.
    MoreSessions(Vec<String>),
}

/// `POST /print/{printers|shares}/{id}/jobs/{jobId}/cancel`: `204`, the job `canceled`.
pub(crate) async fn cancel_job(
    State(state): State<Arc<AppState>>,
    OriginalUri(uri): OriginalUri,
    Path(params): Path<Params>,
) -> Result<Response, ApiError> {
    let (kind, parent) = parent_of(&uri, &params)?;
    let job_id = param(&params, "job")?.to_owned();
    // The locks of the job's sessions are taken first (in id order), so that no fragment is
    // being recorded while its session goes; a session created meanwhile makes the
    // transaction stop and ask for its lock too. Once the job is canceled no session can be
    // created for it, so this ends.
    let mut ids: BTreeSet<String> = {
        let job_id = job_id.clone();
        state
            .db(move |store| Ok(session_ids(&store.list(Table::Sessions)?, &job_id)))
            .await?
    };
    loop {
        let locks: Vec<_> = ids
            .iter()
            .map(|id| (id.clone(), state.sessions.get(id)))
            .collect();
        let mut guards = Vec::with_capacity(locks.len());
        for (_, lock) in &locks {
            guards.push(lock.record.lock().await);
        }
        let (parent, job, locked) = (parent.clone(), job_id.clone(), ids.clone());
        let outcome = state
            .db(move |store| cancel_in_store(store, kind, &parent, &job, &locked))
            .await?;
        match outcome {
            Outcome::MoreSessions(more) => ids.extend(more),
            Outcome::Canceled(deleted) => {
                for ((id, _), guard) in locks.iter().zip(&mut guards) {
                    state.sessions.forget(id, guard);
                }
                drop(guards);
                for (session, blob) in &deleted {
                    state.blobs.remove(blob)?;
                    tracing::info!(
                        target: SESSION_TARGET,
                        session = %session,
                        job = %job_id,
                        "session deleted with its cancelled job"
                    );
                }
                tracing::info!(
                    target: SESSION_TARGET,
                    job = %job_id,
                    sessions = deleted.len(),
                    "print job cancelled"
                );
                return Ok(StatusCode::NO_CONTENT.into_response());
            }
        }
    }
}

/// Ids of the upload sessions of a print job.
fn session_ids(sessions: &[SessionRecord], job: &str) -> BTreeSet<String> {
    sessions
        .iter()
        .filter(|session| {
            matches!(&session.target, SessionTarget::Print { job_id, .. } if job_id == job)
        })
        .map(|session| session.id.clone())
        .collect()
}

/// In one transaction: checks the job, marks it canceled and deletes its sessions, provided
/// their locks are among `locked`.
fn cancel_in_store(
    store: &Store,
    kind: ParentKind,
    parent: &str,
    job_id: &str,
    locked: &BTreeSet<String>,
) -> Result<Outcome, ApiError> {
    store.write(|tx: &mut Tx<'_>| {
        let mut job: JobRecord = tx
            .get::<JobRecord>(Table::Jobs, job_id)?
            .filter(|job| job.parent_kind == kind && job.parent_id == parent)
            .ok_or_else(|| job_not_found(kind, parent, job_id))?;
        refuse_if_finished(&job, "be canceled")?;
        let sessions: Vec<SessionRecord> = tx.list(Table::Sessions)?;
        let ids = session_ids(&sessions, job_id);
        let more: Vec<String> = ids.difference(locked).cloned().collect();
        if !more.is_empty() {
            return Ok(Outcome::MoreSessions(more));
        }
        let mut deleted = Vec::new();
        for session in sessions.iter().filter(|s| ids.contains(&s.id)) {
            tx.delete(Table::Sessions, &session.id)?;
            deleted.push((session.id.clone(), session.blob.clone()));
        }
        job.state = PrintJobProcessingState::Canceled;
        job.details.clear();
        tx.put(Table::Jobs, &job.id, &job)?;
        Ok(Outcome::Canceled(deleted))
    })
}
