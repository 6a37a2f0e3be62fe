//! Creating upload sessions, and their upload URLs: `PUT`, `GET`, `DELETE`.

use super::print::{capabilities_of, job_of, parent_of};
use super::todo::{task_of, user_of};
use super::{Params, api_prefix, param, parse_json};
use crate::blobs::Blobs;
use crate::errors::ApiError;
use crate::records::{JobRecord, SessionRecord, SessionTarget};
use crate::request_log::SESSION_TARGET;
use crate::state::AppState;
use crate::store::Table;
use crate::upload::{self, load_session};
use axum::Json;
use axum::body::Body;
use axum::extract::{OriginalUri, Path, Query, State};
use axum::http::{HeaderMap, header};
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use graph_upload_models::{
    AttachmentType, AttachmentUploadSessionRequest, PrintUploadSessionRequest, UploadSession,
};
use std::collections::HashMap;
use std::sync::Arc;

const OXPS: &str = "application/oxps";
const PDF: &str = "application/pdf";

/// `POST .../documents/{id}/createUploadSession`.
pub(crate) async fn create_print_session(
    State(state): State<Arc<AppState>>,
    OriginalUri(uri): OriginalUri,
    Path(params): Path<Params>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    let request: PrintUploadSessionRequest = parse_json(&headers, &body)?;
    let properties = request.properties;
    if properties.document_name.trim().is_empty() {
        return Err(ApiError::bad_request(
            "properties.documentName must not be empty",
        ));
    }
    if properties.size > state.config.print_max_size {
        return Err(ApiError::bad_request(format!(
            "properties.size {} is over this printer's limit of {} bytes",
            properties.size, state.config.print_max_size
        )));
    }
    let (kind, parent) = parent_of(&uri, &params)?;
    let job_id = param(&params, "job")?.to_owned();
    let document_id = param(&params, "document")?.to_owned();
    let content_type = properties.content_type.clone();
    let conversion_requested = state
        .db(move |store| {
            let job = job_of(store, kind, &parent, &job_id)?;
            if job.document.id != document_id {
                return Err(ApiError::not_found(format!(
                    "no document {document_id:?} in job {job_id:?}"
                )));
            }
            document_open(&job)?;
            let capabilities = capabilities_of(store, kind, &parent)?;
            accepts(&capabilities.content_types, &content_type)
        })
        .await?;
    let target = SessionTarget::Print {
        job_id: param(&params, "job")?.to_owned(),
        parent_kind: kind,
        parent_id: param(&params, "parent")?.to_owned(),
        conversion_requested,
    };
    let session = open_session(
        &state,
        target,
        properties.document_name,
        Some(properties.content_type),
        properties.size,
    )
    .await?;
    log_created(&session, Some(param(&params, "document")?));
    let upload_url = format!(
        "{}/uploadSessions/{}?tempauthtoken={}",
        state.public_url,
        session.id,
        state.signer.sign(&session.id, session.url_expiry)
    );
    Ok(session_response(&uri, &session, upload_url, false))
}

/// Whether a job's document can still take an upload session: not yet uploaded, and the job
/// not finished (canceled).
fn document_open(job: &JobRecord) -> Result<(), ApiError> {
    if job.document.uploaded.is_some() {
        return Err(
            ApiError::bad_request("this document has already been uploaded")
                .inner(graph_upload_models::error_codes::NOT_ALLOWED),
        );
    }
    super::cancel::refuse_if_finished(job, "take an upload session")
}

/// Whether a printer accepts `content_type`, and whether that takes OXPS-to-PDF conversion.
fn accepts(supported: &[String], content_type: &str) -> Result<bool, ApiError> {
    let supports = |wanted: &str| supported.iter().any(|t| t.eq_ignore_ascii_case(wanted));
    if supports(content_type) {
        return Ok(false);
    }
    if content_type.eq_ignore_ascii_case(OXPS) && supports(PDF) {
        return Ok(true);
    }
    Err(ApiError::bad_request(format!(
        "contentType {content_type:?} is not supported by this printer; it accepts {}",
        supported.join(", ")
    ))
    .inner(graph_upload_models::error_codes::NOT_SUPPORTED))
}

/// `POST .../tasks/{id}/attachments/createUploadSession`.
pub(crate) async fn create_todo_session(
    State(state): State<Arc<AppState>>,
    OriginalUri(uri): OriginalUri,
    Path(params): Path<Params>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    let request: AttachmentUploadSessionRequest = parse_json(&headers, &body)?;
    let info = request.attachment_info;
    if info.attachment_type != AttachmentType::File {
        return Err(ApiError::bad_request(format!(
            "attachmentInfo.attachmentType {:?} is not supported; To Do upload sessions take `file`",
            info.attachment_type.as_str()
        )));
    }
    if info.name.trim().is_empty() {
        return Err(ApiError::bad_request(
            "attachmentInfo.name must not be empty",
        ));
    }
    if info.size > state.config.todo_max_size {
        return Err(ApiError::bad_request(format!(
            "attachmentInfo.size {} is over To Do's limit of {} bytes",
            info.size, state.config.todo_max_size
        ))
        .inner(graph_upload_models::error_codes::QUOTA_LIMIT_REACHED));
    }
    let user_id = user_of(&params)?;
    let task = {
        let params = params.clone();
        state.db(move |store| task_of(store, &params)).await?
    };
    let prefix = api_prefix(&uri);
    let target = SessionTarget::Todo {
        user_id: user_id.clone(),
        list_id: task.list_id.clone(),
        task_id: task.task.id.clone(),
        api_prefix: prefix.to_owned(),
    };
    let session = open_session(&state, target, info.name, info.content_type, info.size).await?;
    log_created(&session, None);
    let upload_url = format!(
        "{}{prefix}/users/{user_id}/todo/lists/{}/tasks/{}/attachmentSessions/{}",
        state.public_url, task.list_id, task.task.id, session.id
    );
    Ok(session_response(&uri, &session, upload_url, true))
}

/// Creates the session's empty blob, then its record; a failure leaves neither behind.
pub(crate) async fn open_session(
    state: &AppState,
    target: SessionTarget,
    name: String,
    content_type: Option<String>,
    size: u64,
) -> Result<SessionRecord, ApiError> {
    let now = state.now();
    let expires = now + state.config.session_ttl;
    let session = SessionRecord {
        id: uuid::Uuid::new_v4().to_string(),
        target,
        name,
        content_type,
        size,
        received: Vec::new(),
        expires_ms: expires.as_millis() as u64,
        url_expiry: expires.as_secs(),
        blob: Blobs::new_id(),
    };
    let blobs = state.blobs.clone();
    let blob = session.blob.clone();
    tokio::task::spawn_blocking(move || blobs.create(&blob, size))
        .await
        .map_err(|error| ApiError::internal(error.to_string()))??;
    let stored = session.clone();
    let result = state
        .db(move |store| {
            store.write(|tx| {
                // Checked again in the transaction that records the session: a job canceled
                // since the first check gets no session.
                if let SessionTarget::Print { job_id, .. } = &stored.target {
                    let job: JobRecord = tx
                        .get(Table::Jobs, job_id)?
                        .ok_or_else(|| ApiError::not_found("the print job no longer exists"))?;
                    document_open(&job)?;
                }
                tx.put(Table::Sessions, &stored.id, &stored)?;
                Ok::<_, ApiError>(())
            })
        })
        .await;
    if let Err(error) = result {
        let _ = state.blobs.remove(&session.blob);
        return Err(error);
    }
    Ok(session)
}

/// The session event of a new session (print sessions name their job's document).
pub(crate) fn log_created(session: &SessionRecord, document: Option<&str>) {
    tracing::info!(
        target: SESSION_TARGET,
        session = %session.id,
        kind = %session.kind(),
        owner = %session.owner_path(document),
        size = session.size,
        expires = %session.expiration(),
        "session created"
    );
}

pub(crate) fn session_response(
    uri: &axum::http::Uri,
    session: &SessionRecord,
    upload_url: String,
    open_range: bool,
) -> Response {
    let first = if open_range || session.size == 0 {
        "0-".to_string()
    } else {
        format!("0-{}", session.size - 1)
    };
    let version = match api_prefix(uri) {
        "/beta" => "beta",
        _ => "v1.0",
    };
    Json(UploadSession {
        odata_context: Some(format!(
            "https://graph.microsoft.com/{version}/$metadata#microsoft.graph.uploadSession"
        )),
        upload_url: upload_url.into(),
        expiration_date_time: session.expiration(),
        next_expected_ranges: vec![first],
    })
    .into_response()
}

/// The print upload URL is pre-authenticated: a valid `tempauthtoken` and no bearer token.
pub(super) async fn authorize_print_url(
    state: &AppState,
    session_id: &str,
    query: &HashMap<String, String>,
    headers: &HeaderMap,
) -> Result<(), ApiError> {
    if headers.contains_key(header::AUTHORIZATION) {
        return Err(ApiError::unauthorized(
            "the upload URL is pre-authenticated: do not send an Authorization header to it",
        ));
    }
    let token = query.get("tempauthtoken").ok_or_else(|| {
        ApiError::unauthorized(
            "the upload URL has no tempauthtoken: use uploadUrl exactly as given",
        )
    })?;
    if state.signer.verify(session_id, token).is_none() {
        return Err(ApiError::unauthorized(
            "the upload URL's tempauthtoken is not valid: use uploadUrl exactly as given",
        ));
    }
    Ok(())
}

/// Whether a session belongs to the kind of URL it was reached through.
fn of_kind(session: &SessionRecord, todo: bool) -> Result<(), ApiError> {
    let matches = if todo {
        session.is_todo()
    } else {
        // The print URL form also serves drive sessions (both pre-authenticated).
        matches!(
            session.target,
            SessionTarget::Print { .. } | SessionTarget::Drive { .. }
        )
    };
    if !matches {
        return Err(ApiError::not_found("no upload session at this URL"));
    }
    Ok(())
}

/// A live session reached through a URL of its kind.
async fn session_of_kind(
    state: &AppState,
    session_id: &str,
    todo: bool,
) -> Result<SessionRecord, ApiError> {
    let session = load_session(state, session_id).await?;
    of_kind(&session, todo)?;
    Ok(session)
}

/// `PUT {uploadUrl}` of a print session.
pub(crate) async fn put_print(
    State(state): State<Arc<AppState>>,
    Path(session_id): Path<String>,
    Query(query): Query<HashMap<String, String>>,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, ApiError> {
    authorize_print_url(&state, &session_id, &query, &headers).await?;
    let accept = |session: &SessionRecord| of_kind(session, false);
    upload::put_fragment(state, &session_id, accept, &headers, body).await
}

/// `GET {uploadUrl}` of a print session.
pub(crate) async fn get_print(
    State(state): State<Arc<AppState>>,
    Path(session_id): Path<String>,
    Query(query): Query<HashMap<String, String>>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    authorize_print_url(&state, &session_id, &query, &headers).await?;
    let session = session_of_kind(&state, &session_id, false).await?;
    Ok(Json(session.status()).into_response())
}

/// `DELETE {uploadUrl}` of a print session.
pub(crate) async fn delete_print(
    State(state): State<Arc<AppState>>,
    Path(session_id): Path<String>,
    Query(query): Query<HashMap<String, String>>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    authorize_print_url(&state, &session_id, &query, &headers).await?;
    session_of_kind(&state, &session_id, false).await?;
    upload::delete_session(state, &session_id).await
}

/// Whether a To Do session is the one a URL names: its user, list and task must match.
fn todo_url_matches(session: &SessionRecord, params: &Params) -> Result<(), ApiError> {
    let user = user_of(params)?;
    match &session.target {
        SessionTarget::Todo {
            user_id,
            list_id,
            task_id,
            ..
        } if *user_id == user
            && params.get("list") == Some(list_id)
            && params.get("task") == Some(task_id) =>
        {
            Ok(())
        }
        _ => Err(ApiError::not_found("no upload session at this URL")),
    }
}

/// The To Do session a URL names.
async fn todo_session(state: &AppState, params: &Params) -> Result<SessionRecord, ApiError> {
    let session_id = param(params, "session")?;
    let session = load_session(state, session_id).await?;
    todo_url_matches(&session, params)?;
    Ok(session)
}

/// `PUT {uploadUrl}/content` (To Do's guide) or `PUT {uploadUrl}` (Graph SDKs).
pub(crate) async fn put_todo(
    State(state): State<Arc<AppState>>,
    Path(params): Path<Params>,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, ApiError> {
    let session_id = param(&params, "session")?.to_owned();
    let accept = |session: &SessionRecord| todo_url_matches(session, &params);
    upload::put_fragment(state, &session_id, accept, &headers, body).await
}

/// `GET {uploadUrl}` of a To Do session.
pub(crate) async fn get_todo(
    State(state): State<Arc<AppState>>,
    Path(params): Path<Params>,
) -> Result<Response, ApiError> {
    let session = todo_session(&state, &params).await?;
    Ok(Json(session.status()).into_response())
}

/// `DELETE {uploadUrl}` of a To Do session.
pub(crate) async fn delete_todo(
    State(state): State<Arc<AppState>>,
    Path(params): Path<Params>,
) -> Result<Response, ApiError> {
    let session = todo_session(&state, &params).await?;
    upload::delete_session(state, &session.id).await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn types(list: &[&str]) -> Vec<String> {
        list.iter().map(|t| t.to_string()).collect()
    }

    #[test]
    fn oxps_is_converted_only_for_pdf_printers_without_oxps() {
        assert_eq!(accepts(&types(&[PDF]), OXPS), Ok(true));
        assert_eq!(accepts(&types(&[OXPS]), OXPS), Ok(false));
        assert_eq!(accepts(&types(&[PDF, OXPS]), OXPS), Ok(false));
        assert!(accepts(&types(&["image/png"]), OXPS).is_err());
        assert!(accepts(&types(&[OXPS]), PDF).is_err());
        assert_eq!(accepts(&types(&[PDF]), "APPLICATION/PDF"), Ok(false));
    }
}
