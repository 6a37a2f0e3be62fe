//! What follows a stored fragment: the session's record is updated and the client told what
//! is still missing, or, once every byte is there, the session becomes its print document or
//! To Do or Outlook attachment in one transaction.

use super::current;
use crate::errors::ApiError;
use crate::records::{
    AttachmentRecord, JobRecord, MailAttachmentRecord, MailItem, SessionRecord, SessionTarget,
    TaskRecord,
};
use crate::request_log::SESSION_TARGET;
use crate::state::{AppState, Known};
use crate::store::Table;
use axum::body::Body;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use graph_upload_models::{
    PascalCase, PrintDocument, PrintJobProcessingState, UploadSessionStatus, error_codes,
};
use std::ops::Range;
use std::sync::Arc;

/// Records `span` as received (its bytes are already durable), then either answers with what
/// is still missing or completes the upload, in one transaction. The caller holds the
/// session's lock, whose `known` record it updates.
pub(super) async fn record_and_answer(
    state: &Arc<AppState>,
    session_id: &str,
    known: &mut Known,
    span: Option<Range<u64>>,
) -> Result<Response, ApiError> {
    let mut session = current(state, session_id, known).await?;
    if session.is_drive() {
        return crate::drive::record_and_answer(state, session_id, known, session, span).await;
    }
    let mut received = session.received_set();
    if let Some(span) = &span {
        received.insert(span.clone());
    }
    let size = session.size;
    let log_accepted = |received: u64| {
        if let Some(span) = &span {
            tracing::info!(
                target: SESSION_TARGET,
                session = %session_id,
                range = %format_args!("{}-{}", span.start, span.end - 1),
                received,
                size,
                "fragment accepted"
            );
        }
    };
    if received.total_len() < session.size {
        session.set_received(&received);
        // Outlook's expiry is fixed at creation; the others move with each fragment.
        if !session.is_outlook() {
            session.renew(state.now(), state.config.session_ttl);
        }
        let stored = session.clone();
        state
            .db(move |store| Ok(store.put_grouped(Table::Sessions, &stored.id, &stored)?))
            .await?;
        log_accepted(received.total_len());
        let response = progress_response(state, &session);
        *known = Known::Live(Box::new(session));
        return Ok(response);
    }
    let kind = session.kind();
    let (response, item) = complete(state, session).await?;
    log_accepted(size);
    tracing::info!(
        target: SESSION_TARGET,
        session = %session_id,
        kind = %kind,
        size,
        item = %item,
        "session completed"
    );
    state.sessions.forget(session_id, known);
    Ok(response)
}

/// Turns a whole session into its document or attachment, deleting the session, atomically;
/// returns the answer and the Graph path of what it became (without the API version).
async fn complete(
    state: &Arc<AppState>,
    session: SessionRecord,
) -> Result<(Response, String), ApiError> {
    let now = state.now().as_secs() as i64;
    match session.target.clone() {
        SessionTarget::Print {
            job_id,
            conversion_requested,
            ..
        } => {
            let owner = session.clone();
            let document =
                complete_print(state, session, job_id, conversion_requested, now).await?;
            let item = owner.owner_path(Some(&document.id));
            Ok((
                (StatusCode::CREATED, axum::Json(document)).into_response(),
                item,
            ))
        }
        SessionTarget::Todo {
            user_id,
            list_id,
            task_id,
            api_prefix,
        } => {
            let attachment = AttachmentRecord {
                id: crate::ids::exchange_id(),
                list_id: list_id.clone(),
                task_id: task_id.clone(),
                name: session.name.clone(),
                content_type: session.content_type.clone(),
                size: session.size,
                blob: session.blob.clone(),
                modified: now,
            };
            let item = format!("{}/attachments/{}", session.owner_path(None), attachment.id);
            let location = format!(
                "{}{api_prefix}/users/{user_id}/todo/lists/{list_id}/tasks/{task_id}/attachments/{}",
                state.public_url, attachment.id
            );
            complete_todo(state, session, attachment).await?;
            Ok((created_at(&location), item))
        }
        SessionTarget::Outlook {
            item,
            api_prefix,
            is_inline,
            content_id,
        } => {
            let attachment = MailAttachmentRecord {
                id: crate::ids::exchange_id(),
                item: item.clone(),
                name: session.name.clone(),
                content_type: session.content_type.clone(),
                size: session.size,
                is_inline,
                content_id,
                blob: session.blob.clone(),
                modified: now,
            };
            let path = format!("{}/attachments/{}", item.path(), attachment.id);
            let location = format!("{}{api_prefix}{path}", state.public_url);
            complete_outlook(state, session, attachment).await?;
            Ok((created_at(&location), path))
        }
        SessionTarget::Drive { .. } => Err(ApiError::internal(
            "drive sessions are completed by crate::drive::record_and_answer",
        )),
    }
}

/// `201 Created`, no body, `Location:` what was created (To Do and Outlook).
fn created_at(location: &str) -> Response {
    let mut response = (StatusCode::CREATED, Body::empty()).into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_LENGTH, HeaderValue::from(0));
    if let Ok(value) = HeaderValue::from_str(location) {
        headers.insert(header::LOCATION, value);
    }
    response
}

/// The message or event gets the new attachment, the session goes.
async fn complete_outlook(
    state: &Arc<AppState>,
    session: SessionRecord,
    attachment: MailAttachmentRecord,
) -> Result<(), ApiError> {
    state
        .db(move |store| {
            store.write(|tx| {
                tx.put(Table::MailAttachments, &attachment.id, &attachment)?;
                tx.delete(Table::Sessions, &session.id)?;
                Ok::<_, ApiError>(())
            })
        })
        .await
}

/// The job's document gets the session's bytes; returns the printDocument (answered `201`).
async fn complete_print(
    state: &Arc<AppState>,
    session: SessionRecord,
    job_id: String,
    conversion_requested: bool,
    now: i64,
) -> Result<PrintDocument, ApiError> {
    state
        .db(move |store| {
            store.write(|tx| {
                let mut job: JobRecord = tx
                    .get(Table::Jobs, &job_id)?
                    .ok_or_else(|| ApiError::not_found("the print job no longer exists"))?;
                if job.state == PrintJobProcessingState::Canceled {
                    return Err(ApiError::not_found(
                        "the print job was canceled: its upload session no longer exists",
                    ));
                }
                if job.document.uploaded.is_some() {
                    return Err(ApiError::new(
                        StatusCode::CONFLICT,
                        error_codes::NOT_ALLOWED,
                        "the document was already uploaded through another session",
                    ));
                }
                job.document.name = session.name.clone();
                job.document.content_type = session.content_type.clone().unwrap_or_default();
                job.document.size = session.size;
                job.document.uploaded = Some(now);
                job.document.blob = Some(session.blob.clone());
                job.document.conversion_requested = conversion_requested;
                job.details.retain(|detail| detail != "uploadPending");
                tx.put(Table::Jobs, &job.id, &job)?;
                tx.delete(Table::Sessions, &session.id)?;
                Ok(job.document.upload_reply())
            })
        })
        .await
}

/// The task gets the new attachment (and `hasAttachments`), the session goes.
async fn complete_todo(
    state: &Arc<AppState>,
    session: SessionRecord,
    attachment: AttachmentRecord,
) -> Result<(), ApiError> {
    state
        .db(move |store| {
            store.write(|tx| {
                let task_id = attachment.task_id.clone();
                let mut task: TaskRecord = tx
                    .get(Table::Tasks, &task_id)?
                    .ok_or_else(|| ApiError::not_found("the task no longer exists"))?;
                task.task.has_attachments = Some(true);
                tx.put(Table::Tasks, &task_id, &task)?;
                tx.put(Table::Attachments, &attachment.id, &attachment)?;
                tx.delete(Table::Sessions, &session.id)?;
                Ok::<_, ApiError>(())
            })
        })
        .await
}

/// `202` (print, camelCase, every missing range), `200` (To Do, PascalCase, the start of the
/// next fragment) or `200` (Outlook, mixed case, the start of the next fragment).
fn progress_response(state: &AppState, session: &SessionRecord) -> Response {
    if let SessionTarget::Outlook { item, .. } = &session.target {
        return (
            StatusCode::OK,
            axum::Json(outlook_status(state, item, session)),
        )
            .into_response();
    }
    if session.is_todo() {
        let status = UploadSessionStatus {
            expiration_date_time: Some(session.expiration()),
            next_expected_ranges: Some(vec![session.first_missing().to_string()]),
        };
        (StatusCode::OK, axum::Json(PascalCase(&status))).into_response()
    } else {
        (StatusCode::ACCEPTED, axum::Json(session.status())).into_response()
    }
}

/// Outlook's session status, in its mixed case: `@odata.context`, `ExpirationDateTime`,
/// `nextExpectedRanges` with one value, the start of the next fragment (fragment replies and
/// `GET {uploadUrl}` alike).
pub fn outlook_status(
    state: &AppState,
    item: &MailItem,
    session: &SessionRecord,
) -> serde_json::Value {
    serde_json::json!({
        "@odata.context": format!(
            "{}/api/v2.0/$metadata#Users('{}')/{}('{}')/AttachmentSessions/$entity",
            state.public_url,
            item.user_id,
            item.kind.outlook_segment(),
            item.id
        ),
        "ExpirationDateTime": session.expiration(),
        "nextExpectedRanges": [session.first_missing().to_string()],
    })
}
