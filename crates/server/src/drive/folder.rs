//! `POST .../children` with a `folder` facet: a new folder (Graph's "create a new folder"), so
//! that a client uploading a directory tree can make the folders its files go into.
//!
//! Graph's conflict behaviours apply: `fail` (the default here, as for uploads) answers `409
//! nameAlreadyExists`, `rename` picks a free name, `replace` of a folder by a folder keeps the
//! existing one (its content stays) and answers it with `200`.

use super::NAME_ALREADY_EXISTS;
use super::address::{Address, check_name};
use super::drives::Drive;
use super::item::DriveItemRecord;
use super::tree::Tree;
use crate::errors::ApiError;
use crate::state::AppState;
use crate::store::Table;
use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use graph_upload_models::ConflictBehavior;
use serde::Deserialize;

/// The body Graph takes for a new folder; a body without `folder` would create a file, which
/// the emulator does not do this way (upload sessions do).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewFolder {
    name: String,
    folder: Option<serde_json::Value>,
    #[serde(rename = "@microsoft.graph.conflictBehavior", default)]
    conflict_behavior: Option<ConflictBehavior>,
}

/// Creates the folder `request` names in the folder `address` names: `201` with the new
/// driveItem, `200` with the existing folder for `replace`.
pub async fn create_folder(
    state: &AppState,
    drive: Drive,
    address: Address,
    request: NewFolder,
) -> Result<Response, ApiError> {
    if request.folder.is_none() {
        return Err(ApiError::bad_request(
            "POST .../children creates folders here: give \"folder\": {} (files are uploaded with createUploadSession)",
        ));
    }
    let name = check_name(&request.name)?.to_owned();
    let conflict = request.conflict_behavior.unwrap_or(ConflictBehavior::Fail);
    let now = state.now().as_secs() as i64;
    let (view, status) = state
        .db(move |store| {
            store.write(|tx| {
                let tree = Tree::load_tx(tx, drive)?;
                let parent = tree.resolve(&address)?;
                if !parent.is_folder() {
                    return Err(ApiError::bad_request(format!(
                        "{:?} is a file: folders go into folders",
                        parent.name
                    )));
                }
                let parent_path = tree.path_of(parent);
                let fresh = |name: String| DriveItemRecord {
                    id: uuid::Uuid::new_v4().to_string(),
                    drive_id: drive.id.to_owned(),
                    parent_id: Some(parent.id.clone()),
                    name,
                    description: None,
                    blob: None,
                    size: 0,
                    mime_type: None,
                    created: now,
                    modified: now,
                    version: 1,
                };
                let (item, status) = match tree.child_named(&parent.id, &name) {
                    None => (fresh(name), StatusCode::CREATED),
                    Some(_) if conflict == ConflictBehavior::Rename => (
                        fresh(tree.free_name(&parent.id, &name)),
                        StatusCode::CREATED,
                    ),
                    Some(old) if conflict == ConflictBehavior::Replace && old.is_folder() => {
                        let children = tree.children(&old.id).len();
                        return Ok((old.to_graph(Some(parent_path), children), StatusCode::OK));
                    }
                    Some(old) => {
                        return Err(ApiError::new(
                            StatusCode::CONFLICT,
                            NAME_ALREADY_EXISTS,
                            format!(
                                "{:?} already exists in {parent_path:?} ({})",
                                old.name,
                                if old.is_folder() {
                                    "a folder"
                                } else {
                                    "a file"
                                }
                            ),
                        ));
                    }
                };
                tx.put(Table::DriveItems, &item.id, &item)?;
                Ok((item.to_graph(Some(parent_path), 0), status))
            })
        })
        .await?;
    Ok((status, Json(view)).into_response())
}
