//! Microsoft To Do: lists, tasks and their file attachments.

use super::{Params, param, parse_json};
use crate::errors::ApiError;
use crate::fixtures::USER_ID;
use crate::odata;
use crate::records::{AttachmentRecord, ListRecord, SessionRecord, TaskRecord};
use crate::state::AppState;
use crate::store::{Store, Table};
use axum::Json;
use axum::body::Body;
use axum::extract::{OriginalUri, Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use base64::Engine as _;
use bytes::Bytes;
use graph_upload_models::{AttachmentSession, TaskFileAttachment, TodoTaskList};
use std::sync::Arc;

/// The user a path names: `/me`, or `/users/{id}` with the emulator's one user.
pub(crate) fn user_of(params: &Params) -> Result<String, ApiError> {
    match params.get("user") {
        None => Ok(USER_ID.to_owned()),
        Some(user) if user == USER_ID => Ok(user.clone()),
        Some(user) => Err(ApiError::not_found(format!(
            "no user {user:?} in the emulator"
        ))),
    }
}

/// The task a path names, checked against its list, or `404`.
pub(crate) fn task_of(store: &Store, params: &Params) -> Result<TaskRecord, ApiError> {
    user_of(params)?;
    let list_id = param(params, "list")?;
    let task_id = param(params, "task")?;
    list_of(store, list_id)?;
    store
        .get::<TaskRecord>(Table::Tasks, task_id)?
        .filter(|task| task.list_id == list_id)
        .ok_or_else(|| ApiError::not_found(format!("no task {task_id:?} in list {list_id:?}")))
}

pub(crate) fn list_of(store: &Store, list_id: &str) -> Result<ListRecord, ApiError> {
    store
        .get::<ListRecord>(Table::Lists, list_id)?
        .ok_or_else(|| ApiError::not_found(format!("no To Do list {list_id:?}")))
}

fn attachment_of(store: &Store, params: &Params) -> Result<AttachmentRecord, ApiError> {
    let task = task_of(store, params)?;
    let id = param(params, "attachment")?;
    store
        .get::<AttachmentRecord>(Table::Attachments, id)?
        .filter(|attachment| attachment.task_id == task.task.id)
        .ok_or_else(|| ApiError::not_found(format!("no attachment {id:?} on this task")))
}

pub(crate) async fn list_lists(
    State(state): State<Arc<AppState>>,
    OriginalUri(uri): OriginalUri,
    Path(params): Path<Params>,
) -> Result<Response, ApiError> {
    user_of(&params)?;
    let query = odata::query(&uri, &odata::LISTS)?;
    let lists: Vec<TodoTaskList> = state.db(|store| Ok(store.list(Table::Lists)?)).await?;
    odata::respond(&uri, &state.public_url, &odata::LISTS, &query, lists)
}

pub(crate) async fn get_list(
    State(state): State<Arc<AppState>>,
    Path(params): Path<Params>,
) -> Result<Response, ApiError> {
    user_of(&params)?;
    let list = state
        .db(move |store| list_of(store, param(&params, "list")?))
        .await?;
    Ok(Json(list).into_response())
}

pub(crate) async fn list_tasks(
    State(state): State<Arc<AppState>>,
    OriginalUri(uri): OriginalUri,
    Path(params): Path<Params>,
) -> Result<Response, ApiError> {
    user_of(&params)?;
    let query = odata::query(&uri, &odata::TASKS)?;
    let expand = query.expands("attachments");
    let tasks = state
        .db(move |store| {
            let list_id = param(&params, "list")?;
            list_of(store, list_id)?;
            let tasks: Vec<TaskRecord> = store.list(Table::Tasks)?;
            let tasks: Vec<TaskRecord> = tasks
                .into_iter()
                .filter(|task| task.list_id == list_id)
                .collect();
            let all: Vec<AttachmentRecord> = if expand {
                store.list(Table::Attachments)?
            } else {
                Vec::new()
            };
            let mut values = odata::to_values(tasks.iter().map(|t| &t.task).collect())?;
            if expand {
                for (value, task) in values.iter_mut().zip(&tasks) {
                    let attachments: Vec<TaskFileAttachment> = all
                        .iter()
                        .filter(|a| a.task_id == task.task.id)
                        .map(AttachmentRecord::to_graph)
                        .collect();
                    if let Some(object) = value.as_object_mut() {
                        object.insert(
                            "attachments".into(),
                            serde_json::Value::Array(odata::to_values(attachments)?),
                        );
                    }
                }
            }
            Ok(values)
        })
        .await?;
    odata::respond(&uri, &state.public_url, &odata::TASKS, &query, tasks)
}

pub(crate) async fn get_task(
    State(state): State<Arc<AppState>>,
    Path(params): Path<Params>,
) -> Result<Response, ApiError> {
    let task = state.db(move |store| task_of(store, &params)).await?;
    Ok(Json(task.task).into_response())
}

pub(crate) async fn list_attachments(
    State(state): State<Arc<AppState>>,
    OriginalUri(uri): OriginalUri,
    Path(params): Path<Params>,
) -> Result<Response, ApiError> {
    let query = odata::query(&uri, &odata::TASK_ATTACHMENTS)?;
    let attachments = state
        .db(move |store| {
            let task = task_of(store, &params)?;
            let all: Vec<AttachmentRecord> = store.list(Table::Attachments)?;
            Ok(all
                .into_iter()
                .filter(|a| a.task_id == task.task.id)
                .map(|a| a.to_graph())
                .collect::<Vec<TaskFileAttachment>>())
        })
        .await?;
    odata::respond(
        &uri,
        &state.public_url,
        &odata::TASK_ATTACHMENTS,
        &query,
        attachments,
    )
}

/// The one-shot attachment of a small file: `contentBytes` in base64, below 3 MB.
pub(crate) async fn create_attachment(
    State(state): State<Arc<AppState>>,
    Path(params): Path<Params>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    let requested: TaskFileAttachment = parse_json(&headers, &body)?;
    if let Some(kind) = requested.odata_type.as_deref()
        && kind != graph_upload_models::TASK_FILE_ATTACHMENT_ODATA_TYPE
    {
        return Err(ApiError::bad_request(format!(
            "@odata.type {kind:?} is not supported; use #microsoft.graph.taskFileAttachment"
        )));
    }
    let bytes = one_shot_bytes(
        &requested.name,
        requested.content_bytes.as_deref(),
        graph_upload_models::TODO_INLINE_ATTACHMENT_LIMIT,
    )?;
    let task = {
        let params = params.clone();
        state.db(move |store| task_of(store, &params)).await?
    };
    let blob = crate::blobs::Blobs::new_id();
    let record = AttachmentRecord {
        id: crate::ids::exchange_id(),
        list_id: task.list_id.clone(),
        task_id: task.task.id.clone(),
        name: requested.name,
        content_type: requested.content_type,
        size: bytes.len() as u64,
        blob: blob.clone(),
        modified: state.now().as_secs() as i64,
    };
    store_bytes(&state, blob, bytes).await?;
    let stored = record.clone();
    let result = state
        .db(move |store| {
            store.write(|tx| {
                let mut task: TaskRecord = tx
                    .get(Table::Tasks, &stored.task_id)?
                    .ok_or_else(|| ApiError::not_found("the task no longer exists"))?;
                task.task.has_attachments = Some(true);
                tx.put(Table::Tasks, &stored.task_id, &task)?;
                tx.put(Table::Attachments, &stored.id, &stored)?;
                Ok::<_, ApiError>(())
            })
        })
        .await;
    if let Err(error) = result {
        let _ = state.blobs.remove(&record.blob);
        return Err(error);
    }
    Ok((StatusCode::CREATED, Json(record.to_graph())).into_response())
}

/// `GET .../attachments/{id}`: the attachment with its bytes in `contentBytes`, as
/// taskfileattachment-get shows it (at most 25 MB, To Do's limit).
pub(crate) async fn get_attachment(
    State(state): State<Arc<AppState>>,
    Path(params): Path<Params>,
) -> Result<Response, ApiError> {
    let attachment = state.db(move |store| attachment_of(store, &params)).await?;
    let mut graph = attachment.to_graph();
    graph.content_bytes = Some(stored_base64(&state, &attachment.blob).await?);
    Ok(Json(graph).into_response())
}

/// `DELETE .../attachments/{id}`: `204`; the task's `hasAttachments` stays true to what is
/// left.
pub(crate) async fn delete_attachment(
    State(state): State<Arc<AppState>>,
    Path(params): Path<Params>,
) -> Result<Response, ApiError> {
    let blob = state
        .db(move |store| {
            let attachment = attachment_of(store, &params)?;
            let others = store
                .list::<AttachmentRecord>(Table::Attachments)?
                .into_iter()
                .any(|a| a.task_id == attachment.task_id && a.id != attachment.id);
            store.write(|tx| {
                tx.delete(Table::Attachments, &attachment.id)?;
                if let Some(mut task) = tx.get::<TaskRecord>(Table::Tasks, &attachment.task_id)? {
                    task.task.has_attachments = Some(others);
                    tx.put(Table::Tasks, &attachment.task_id, &task)?;
                }
                Ok::<_, ApiError>(())
            })?;
            Ok(attachment.blob)
        })
        .await?;
    state.blobs.remove(&blob)?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// `GET .../tasks/{id}/attachmentSessions`: the task's open (unexpired) upload sessions
/// (todotask-list-attachmentsessions).
pub(crate) async fn list_attachment_sessions(
    State(state): State<Arc<AppState>>,
    OriginalUri(uri): OriginalUri,
    Path(params): Path<Params>,
) -> Result<Response, ApiError> {
    let query = odata::query(&uri, &odata::ATTACHMENT_SESSIONS)?;
    let now = state.now();
    let sessions = state
        .db(move |store| {
            let task = task_of(store, &params)?;
            let sessions: Vec<SessionRecord> = store.list(Table::Sessions)?;
            Ok(sessions
                .into_iter()
                .filter(|session| {
                    super::todo_tasks::of_task(session, &task) && !session.expired(now)
                })
                .map(|session| AttachmentSession {
                    expiration_date_time: Some(session.expiration()),
                    next_expected_ranges: session.next_expected_ranges(),
                    id: session.id,
                })
                .collect::<Vec<_>>())
        })
        .await?;
    odata::respond(
        &uri,
        &state.public_url,
        &odata::ATTACHMENT_SESSIONS,
        &query,
        sessions,
    )
}

/// Writes a one-shot attachment's bytes to a new blob, on disk before its record is (To Do and
/// Outlook alike).
pub(crate) async fn store_bytes(
    state: &AppState,
    blob: String,
    bytes: Vec<u8>,
) -> Result<(), ApiError> {
    let blobs = state.blobs.clone();
    tokio::task::spawn_blocking(move || -> std::io::Result<()> {
        blobs.create(&blob, bytes.len() as u64)?;
        let file = blobs.open_for_write(&blob)?;
        crate::blobs::write_all_at(&file, &bytes, 0)?;
        file.sync_data()
    })
    .await
    .map_err(|error| ApiError::internal(error.to_string()))??;
    Ok(())
}

/// A stored attachment's bytes in base64, as `contentBytes` (To Do and Outlook alike; their
/// attachments are below 3 MB or, through a session, at most 150 MB).
pub(crate) async fn stored_base64(state: &AppState, blob: &str) -> Result<String, ApiError> {
    let blobs = state.blobs.clone();
    let blob = blob.to_owned();
    let bytes = tokio::task::spawn_blocking(move || -> std::io::Result<Vec<u8>> {
        let mut bytes = Vec::new();
        std::io::Read::read_to_end(&mut blobs.open_for_read(&blob)?, &mut bytes)?;
        Ok(bytes)
    })
    .await
    .map_err(|error| ApiError::internal(error.to_string()))??;
    Ok(base64::engine::general_purpose::STANDARD.encode(bytes))
}

/// Deletes the record that `find` names (its id and blob) from `table`, then its bytes: `204`.
/// The record goes first, so that no reader finds a record whose bytes are gone.
pub(crate) async fn delete_stored(
    state: &AppState,
    table: Table,
    find: impl FnOnce(&Store) -> Result<(String, String), ApiError> + Send + 'static,
) -> Result<Response, ApiError> {
    let blob = state
        .db(move |store| {
            let (id, blob) = find(store)?;
            store.write(|tx| {
                tx.delete(table, &id)?;
                Ok::<_, ApiError>(())
            })?;
            Ok(blob)
        })
        .await?;
    state.blobs.remove(&blob)?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

pub(crate) async fn attachment_value(
    State(state): State<Arc<AppState>>,
    Path(params): Path<Params>,
) -> Result<Response, ApiError> {
    let attachment = state.db(move |store| attachment_of(store, &params)).await?;
    let content_type = attachment
        .content_type
        .as_deref()
        .unwrap_or("application/octet-stream");
    stream_blob(&state, &attachment.blob, content_type, attachment.size).await
}

/// The bytes of a one-shot attachment `POST` (To Do and Outlook alike): a non-empty name, and
/// base64 `contentBytes` below `limit` ("below 3 MB": a file of exactly the limit takes an
/// upload session).
pub(crate) fn one_shot_bytes(
    name: &str,
    content_bytes: Option<&str>,
    limit: u64,
) -> Result<Vec<u8>, ApiError> {
    if name.trim().is_empty() {
        return Err(ApiError::bad_request(
            "an attachment needs a non-empty name",
        ));
    }
    let encoded = content_bytes.ok_or_else(|| {
        ApiError::bad_request("contentBytes is missing: give the file's bytes in base64")
    })?;
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(encoded)
        .map_err(|error| {
            ApiError::bad_request(format!("contentBytes is not valid base64: {error}"))
        })?;
    if bytes.len() as u64 >= limit {
        return Err(ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            graph_upload_models::error_codes::MAX_FRAGMENT_LENGTH_EXCEEDED,
            format!(
                "{} bytes is over the {limit}-byte limit of one-shot attachments; use createUploadSession",
                bytes.len()
            ),
        ));
    }
    Ok(bytes)
}

/// Streams a stored file (`$value`) without loading it into memory.
pub(crate) async fn stream_blob(
    state: &AppState,
    blob: &str,
    content_type: &str,
    size: u64,
) -> Result<Response, ApiError> {
    stream_blob_range(state, blob, content_type, size, None).await
}

/// Streams a stored file of `size` bytes: whole (`200`), or bytes `first..=last` of it
/// (`206` with `Content-Range`), without loading it into memory.
pub(crate) async fn stream_blob_range(
    state: &AppState,
    blob: &str,
    content_type: &str,
    size: u64,
    range: Option<(u64, u64)>,
) -> Result<Response, ApiError> {
    use tokio::io::{AsyncReadExt, AsyncSeekExt};
    let mut file = tokio::fs::File::from_std(state.blobs.open_for_read(blob)?);
    let (status, length) = match range {
        None => (StatusCode::OK, size),
        Some((first, last)) => {
            file.seek(std::io::SeekFrom::Start(first)).await?;
            (StatusCode::PARTIAL_CONTENT, last - first + 1)
        }
    };
    let body = Body::from_stream(tokio_util::io::ReaderStream::with_capacity(
        file.take(length),
        256 * 1024,
    ));
    let mut response = (status, body).into_response();
    let headers = response.headers_mut();
    let content_type = if content_type.is_empty() {
        "application/octet-stream"
    } else {
        content_type
    };
    if let Ok(value) = HeaderValue::from_str(content_type) {
        headers.insert(header::CONTENT_TYPE, value);
    }
    headers.insert(header::CONTENT_LENGTH, HeaderValue::from(length));
    if let Some((first, last)) = range
        && let Ok(value) = HeaderValue::from_str(&format!("bytes {first}-{last}/{size}"))
    {
        headers.insert(header::CONTENT_RANGE, value);
    }
    Ok(response)
}
