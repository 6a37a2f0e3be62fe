//! An uploaded drive session becomes its item, in one transaction: a new file, the existing
//! file with new content (`replace`), a free name (`rename`), or `409 nameAlreadyExists`
//! (`fail`, the default), within the drive's quota.

use super::drives::drive_by_id;
use super::item::DriveItemRecord;
use super::tree::Tree;
use super::{NAME_ALREADY_EXISTS, over_quota};
use crate::errors::ApiError;
use crate::records::{SessionRecord, SessionTarget};
use crate::request_log::SESSION_TARGET;
use crate::state::{AppState, Known};
use crate::store::Table;
use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use graph_upload_models::ConflictBehavior;
use std::sync::Arc;

/// Commits an uploaded session (the caller holds its lock): `201` with the new driveItem,
/// `200` with a replaced one. A refused commit (conflict, quota, folder gone) leaves the
/// session and its bytes as they are, until it expires or is deleted: `POST {uploadUrl}`
/// may try again.
pub async fn commit(
    state: &Arc<AppState>,
    session_id: &str,
    known: &mut Known,
    session: SessionRecord,
) -> Result<Response, ApiError> {
    let SessionTarget::Drive {
        drive_id,
        parent_id,
        conflict,
        description,
        ..
    } = session.target.clone()
    else {
        return Err(ApiError::internal("not a drive session"));
    };
    let drive = drive_by_id(&drive_id)?;
    let now = state.now().as_secs() as i64;
    let quota = state.config.drive_quota;
    let stored = session.clone();
    let (item, status, replaced_blob) = state
        .db(move |store| {
            store.write(|tx| {
                let tree = Tree::load_tx(tx, drive)?;
                let parent = tree.item(&parent_id).map_err(|_| {
                    ApiError::not_found("the folder of this upload no longer exists")
                })?;
                let parent_path = tree.path_of(parent);
                let existing = tree.child_named(&parent_id, &stored.name).cloned();
                let fresh = |name: String| DriveItemRecord {
                    id: uuid::Uuid::new_v4().to_string(),
                    drive_id: drive.id.to_owned(),
                    parent_id: Some(parent_id.clone()),
                    mime_type: Some(super::mime_of(&name)),
                    name,
                    description: description.clone(),
                    blob: Some(stored.blob.clone()),
                    size: stored.size,
                    created: now,
                    modified: now,
                    version: 1,
                };
                let (item, status, replaced) = match existing {
                    None => (fresh(stored.name.clone()), StatusCode::CREATED, None),
                    Some(_) if conflict == ConflictBehavior::Rename => (
                        fresh(tree.free_name(&parent_id, &stored.name)),
                        StatusCode::CREATED,
                        None,
                    ),
                    Some(old) if conflict == ConflictBehavior::Replace && !old.is_folder() => {
                        let replaced = old.clone();
                        let item = DriveItemRecord {
                            blob: Some(stored.blob.clone()),
                            size: stored.size,
                            mime_type: Some(super::mime_of(&old.name)),
                            description: description.clone().or(old.description),
                            modified: now,
                            version: old.version + 1,
                            ..old
                        };
                        (item, StatusCode::OK, Some(replaced))
                    }
                    Some(old) => {
                        return Err(ApiError::new(
                            StatusCode::CONFLICT,
                            NAME_ALREADY_EXISTS,
                            format!(
                                "{:?} already exists in {parent_path:?} ({}); upload with conflictBehavior replace or rename, or delete the session",
                                old.name,
                                if old.is_folder() { "a folder" } else { "a file" }
                            ),
                        ));
                    }
                };
                let freed = replaced.as_ref().map_or(0, |old| old.size);
                let free = quota.saturating_sub(tree.used().saturating_sub(freed));
                if stored.size > free {
                    return Err(over_quota(stored.size, free));
                }
                tx.put(Table::DriveItems, &item.id, &item)?;
                tx.delete(Table::Sessions, &stored.id)?;
                let view = item.to_graph(Some(parent_path), 0);
                Ok((view, status, replaced.and_then(|old| old.blob)))
            })
        })
        .await?;
    state.sessions.forget(session_id, known);
    if let Some(blob) = replaced_blob
        && let Err(error) = state.blobs.remove(&blob)
    {
        tracing::warn!(%error, "removing the replaced file's bytes failed");
    }
    tracing::info!(
        target: SESSION_TARGET,
        session = %session_id,
        kind = "drive",
        size = session.size,
        item = %format_args!("/drives/{drive_id}/items/{}", item.id),
        "session completed"
    );
    Ok((status, Json(item)).into_response())
}
