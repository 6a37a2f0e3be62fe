//! To Do tasks as Graph's todoTask resource: create (todotasklist-post-tasks), update
//! (todotask-update) and delete (todotask-delete), with the documented properties. A property
//! Graph does not document, or one of the wrong type, is a `400`, not silently dropped.

use super::todo::{list_of, task_of, user_of};
use super::{Params, param, parse_json};
use crate::errors::ApiError;
use crate::records::{AttachmentRecord, SessionRecord, SessionTarget, TaskRecord, timestamp};
use crate::state::AppState;
use crate::store::Table;
use axum::Json;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use base64::Engine as _;
use bytes::Bytes;
use graph_upload_models::{BodyType, Importance, ItemBody, TaskStatus, TodoTask};
use serde_json::{Map, Value};
use std::sync::Arc;

/// The properties a client may set (todotask-update's request body table).
const WRITABLE: &[&str] = &[
    "title",
    "status",
    "importance",
    "isReminderOn",
    "body",
    "categories",
    "completedDateTime",
    "dueDateTime",
    "reminderDateTime",
    "startDateTime",
    "recurrence",
    "linkedResources",
];

/// Documented properties the service sets itself: accepted in a body, and ignored.
const READ_ONLY: &[&str] = &[
    "id",
    "createdDateTime",
    "lastModifiedDateTime",
    "bodyLastModifiedDateTime",
    "hasAttachments",
    "@odata.etag",
    "@odata.context",
];

const ODATA_TYPE: &str = "#microsoft.graph.todoTask";

/// The writable properties of a request body, after refusing what todoTask does not have.
fn writable_properties(headers: &HeaderMap, body: &Bytes) -> Result<Map<String, Value>, ApiError> {
    let Value::Object(properties) = parse_json::<Value>(headers, body)? else {
        return Err(ApiError::bad_request(
            "the request body must be a JSON object (a todoTask)",
        ));
    };
    let mut writable = Map::new();
    for (name, value) in properties {
        if name == "@odata.type" {
            if value.as_str() != Some(ODATA_TYPE) && value.as_str() != Some(&ODATA_TYPE[1..]) {
                return Err(ApiError::bad_request(format!(
                    "@odata.type {value} is not {ODATA_TYPE}"
                )));
            }
        } else if WRITABLE.contains(&name.as_str()) {
            writable.insert(name, value);
        } else if !READ_ONLY.contains(&name.as_str()) {
            return Err(ApiError::bad_request(format!(
                "Invalid request: the property '{name}' does not exist on type 'microsoft.graph.todoTask'"
            )));
        }
    }
    Ok(writable)
}

/// `task` with `changes` applied, each property checked against its documented type.
fn apply(task: &TodoTask, changes: Map<String, Value>) -> Result<TodoTask, ApiError> {
    let mut merged = match serde_json::to_value(task) {
        Ok(Value::Object(map)) => map,
        _ => return Err(ApiError::internal("a task did not serialize to an object")),
    };
    for (name, value) in changes {
        merged.insert(name, value);
    }
    let mut changed: TodoTask = serde_json::from_value(Value::Object(merged)).map_err(|error| {
        ApiError::bad_request(format!("the request body is not a valid todoTask: {error}"))
    })?;
    if changed.title.trim().is_empty() {
        return Err(ApiError::bad_request("a task needs a non-empty title"));
    }
    // Graph's defaults for what is absent (or set to null).
    changed.status.get_or_insert(TaskStatus::NotStarted);
    changed.importance.get_or_insert(Importance::Normal);
    changed.is_reminder_on.get_or_insert(false);
    changed.categories.get_or_insert_with(Vec::new);
    changed.body.get_or_insert_with(|| ItemBody {
        content: String::new(),
        content_type: Some(BodyType::Text),
    });
    Ok(changed)
}

/// A fresh weak etag in Graph's form (`W/"<base64 of 22 bytes>"`): every write changes it.
fn new_etag() -> String {
    let mut bytes = [0u8; 22];
    bytes[..16].copy_from_slice(uuid::Uuid::new_v4().as_bytes());
    bytes[16..].copy_from_slice(&uuid::Uuid::new_v4().as_bytes()[..6]);
    format!(
        "W/\"{}\"",
        base64::engine::general_purpose::STANDARD.encode(bytes)
    )
}

/// Marks `task` as written at `now` (seconds): times and etag.
fn stamp(task: &mut TodoTask, now: i64, body_changed: bool) {
    task.last_modified_date_time = timestamp(now);
    if body_changed || task.body_last_modified_date_time.is_none() {
        task.body_last_modified_date_time = timestamp(now);
    }
    task.odata_etag = Some(new_etag());
}

/// `POST .../lists/{list}/tasks`: `201` with the task as stored.
pub(crate) async fn create_task(
    State(state): State<Arc<AppState>>,
    Path(params): Path<Params>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    user_of(&params)?;
    let changes = writable_properties(&headers, &body)?;
    if !changes.contains_key("title") {
        return Err(ApiError::bad_request("a task needs a non-empty title"));
    }
    let now = state.now().as_secs() as i64;
    let mut task = apply(&TodoTask::default(), changes)?;
    task.id = crate::ids::exchange_id();
    task.created_date_time = timestamp(now);
    task.has_attachments = Some(false);
    stamp(&mut task, now, true);
    let record = TaskRecord {
        list_id: param(&params, "list")?.to_owned(),
        task: task.clone(),
    };
    state
        .db(move |store| {
            list_of(store, &record.list_id)?;
            store.write(|tx| {
                tx.put(Table::Tasks, &record.task.id, &record)?;
                Ok::<_, ApiError>(())
            })
        })
        .await?;
    Ok((StatusCode::CREATED, Json(task)).into_response())
}

/// `PATCH .../tasks/{task}`: `200` with the updated task.
pub(crate) async fn update_task(
    State(state): State<Arc<AppState>>,
    Path(params): Path<Params>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    let changes = writable_properties(&headers, &body)?;
    let now = state.now().as_secs() as i64;
    let task = state
        .db(move |store| {
            let found = task_of(store, &params)?;
            store.write(|tx| {
                // Read again inside the write, so that two updates cannot lose one another.
                let mut record: TaskRecord = tx
                    .get(Table::Tasks, &found.task.id)?
                    .ok_or_else(|| ApiError::not_found("the task no longer exists"))?;
                let body_changed = changes.contains_key("body");
                let mut task = apply(&record.task, changes)?;
                stamp(&mut task, now, body_changed);
                record.task = task.clone();
                tx.put(Table::Tasks, &record.task.id, &record)?;
                Ok::<_, ApiError>(task)
            })
        })
        .await?;
    Ok(Json(task).into_response())
}

/// `DELETE .../tasks/{task}`: `204`; its attachments and their bytes go with it, and its open
/// upload sessions are deleted.
pub(crate) async fn delete_task(
    State(state): State<Arc<AppState>>,
    Path(params): Path<Params>,
) -> Result<Response, ApiError> {
    let (task, sessions) = state
        .db(move |store| {
            let task = task_of(store, &params)?;
            let sessions: Vec<SessionRecord> = store.list(Table::Sessions)?;
            let sessions: Vec<String> = sessions
                .into_iter()
                .filter(|session| of_task(session, &task))
                .map(|session| session.id)
                .collect();
            Ok((task, sessions))
        })
        .await?;
    for session in sessions {
        // A session that completed or expired meanwhile is gone already.
        let _ = crate::upload::delete_session(Arc::clone(&state), &session).await;
    }
    let blobs = state
        .db(move |store| {
            let attachments: Vec<AttachmentRecord> = store.list(Table::Attachments)?;
            store.write(|tx| {
                let mut blobs = Vec::new();
                for attachment in attachments
                    .into_iter()
                    .filter(|a| a.task_id == task.task.id)
                {
                    tx.delete(Table::Attachments, &attachment.id)?;
                    blobs.push(attachment.blob);
                }
                if !tx.delete(Table::Tasks, &task.task.id)? {
                    return Err(ApiError::not_found("the task no longer exists"));
                }
                Ok::<_, ApiError>(blobs)
            })
        })
        .await?;
    // Records first, bytes after: no reader finds a record whose bytes are gone.
    for blob in blobs {
        state.blobs.remove(&blob)?;
    }
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// Whether `session` uploads an attachment of `task`.
pub(crate) fn of_task(session: &SessionRecord, task: &TaskRecord) -> bool {
    matches!(
        &session.target,
        SessionTarget::Todo { list_id, task_id, .. }
            if *list_id == task.list_id && *task_id == task.task.id
    )
}
