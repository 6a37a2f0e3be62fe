//! `POST .../jobs/{id}/cancel` (`docs/protocol.md` section 5, printjob-cancel.md): the job
//! becomes `canceled` and its open upload sessions are deleted with their bytes, in one
//! transaction. `POST /print/printers/{id}/jobs/{id}/abort` (printjob-abort.md) does the
//! same with the state `aborted`.

use super::print::{job_not_found, now_ms, parent_of, printer_of_parent};
use super::{Params, param, parse_json};
use crate::errors::ApiError;
use crate::records::{JobRecord, ParentKind, SessionRecord, SessionTarget};
use crate::request_log::SESSION_TARGET;
use crate::state::AppState;
use crate::store::{Store, Table, Tx};
use axum::extract::{OriginalUri, Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
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
    finish_job(state, uri, params, PrintJobProcessingState::Canceled).await
}

/// `POST /print/printers/{id}/jobs/{jobId}/abort`: `204`, the job `aborted`. The optional
/// body is `{"reason": String}` (printjob-abort.md); anything else answers `400`.
pub(crate) async fn abort_job(
    State(state): State<Arc<AppState>>,
    OriginalUri(uri): OriginalUri,
    Path(params): Path<Params>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    if !body.iter().all(u8::is_ascii_whitespace) {
        let value: serde_json::Value = parse_json(&headers, &body)?;
        let object = value
            .as_object()
            .ok_or_else(|| ApiError::bad_request("the abort body must be an object"))?;
        for (name, member) in object {
            match name.as_str() {
                "reason" if member.is_string() || member.is_null() => {}
                "reason" => {
                    return Err(ApiError::bad_request(
                        "invalid value for property 'reason': a String is expected",
                    ));
                }
                _ => {
                    return Err(ApiError::bad_request(format!(
                        "property '{name}' does not exist in the abort action's parameters"
                    )));
                }
            }
        }
    }
    finish_job(state, uri, params, PrintJobProcessingState::Aborted).await
}

/// Ends a job in `end` (`canceled` or `aborted`), deleting its open sessions.
async fn finish_job(
    state: Arc<AppState>,
    uri: axum::http::Uri,
    params: Params,
    end: PrintJobProcessingState,
) -> Result<Response, ApiError> {
    let (kind, parent) = parent_of(&uri, &params)?;
    let job_id = param(&params, "job")?.to_owned();
    let printer = {
        let parent = parent.clone();
        state
            .db(move |store| printer_of_parent(store, kind, &parent))
            .await?
    };
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
        let target = Target {
            kind,
            parent: parent.clone(),
            printer: printer.clone(),
            job: job_id.clone(),
            end,
            now_ms: now_ms(&state),
        };
        let locked = ids.clone();
        let outcome = state
            .db(move |store| cancel_in_store(store, &target, &locked))
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
                    state = ?end,
                    "print job ended"
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

/// The job to end and how.
struct Target {
    kind: ParentKind,
    parent: String,
    /// The printer behind the parent.
    printer: String,
    job: String,
    end: PrintJobProcessingState,
    now_ms: u64,
}

/// In one transaction: checks the job, marks it canceled (or aborted) and deletes its
/// sessions, provided their locks are among `locked`.
fn cancel_in_store(
    store: &Store,
    target: &Target,
    locked: &BTreeSet<String>,
) -> Result<Outcome, ApiError> {
    let job_id = target.job.as_str();
    store.write(|tx: &mut Tx<'_>| {
        let mut job: JobRecord = tx
            .get::<JobRecord>(Table::Jobs, job_id)?
            .filter(|job| job.printer_id == target.printer)
            .ok_or_else(|| job_not_found(target.kind, &target.parent, job_id))?
            .settled(target.now_ms);
        let action = if target.end == PrintJobProcessingState::Aborted {
            "be aborted"
        } else {
            "be canceled"
        };
        refuse_if_finished(&job, action)?;
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
        job.state = target.end;
        job.details.clear();
        job.processing_until_ms = None;
        tx.put(Table::Jobs, &job.id, &job)?;
        Ok(Outcome::Canceled(deleted))
    })
}
