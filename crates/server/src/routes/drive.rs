//! OneDrive and SharePoint drives: the drive, its items by id and by path, their children and
//! content, new folders, upload sessions into a folder, and the commit of a deferred one.

use super::sessions::{authorize_print_url, log_created, open_session, session_response};
use super::{Params, parse_json};
use crate::drive::address::{self, Action, Address};
use crate::drive::drives::{Drive, Owner};
use crate::drive::tree::Tree;
use crate::drive::{self as drive_mod, over_quota};
use crate::errors::ApiError;
use crate::records::SessionTarget;
use crate::state::AppState;
use axum::Json;
use axum::extract::{OriginalUri, Path, Query, State};
use axum::http::{HeaderMap, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use graph_upload_models::{
    ConflictBehavior, DriveItem, DriveItemUploadSessionRequest, error_codes,
};
use serde_json::json;
use std::collections::HashMap;
use std::sync::Arc;

/// The owner a route's parameters name (`/me` when none).
fn owner_of(params: &Params) -> Owner {
    if let Some(user) = params.get("user") {
        Owner::User(user.clone())
    } else if let Some(drive) = params.get("drive") {
        Owner::Drive(drive.clone())
    } else if let Some(group) = params.get("group") {
        Owner::Group(group.clone())
    } else if let Some(site) = params.get("site") {
        Owner::Site(site.clone())
    } else {
        Owner::Me
    }
}

/// `GET /me/drive` (and the other owners): the drive with its quota.
pub(crate) async fn get_drive(
    State(state): State<Arc<AppState>>,
    Path(params): Path<Params>,
) -> Result<Response, ApiError> {
    let drive = owner_of(&params).drive()?;
    let used = state
        .db(move |store| Ok(Tree::load(store, drive)?.used()))
        .await?;
    let total = state.config.drive_quota;
    Ok(Json(json!({
        "id": drive.id,
        "driveType": drive.drive_type,
        "name": drive.name,
        "quota": {
            "total": total,
            "used": used,
            "remaining": total.saturating_sub(used),
            "deleted": 0,
            "state": "normal",
        },
    }))
    .into_response())
}

/// Every call below a drive: `root...` and `items/{id}...`, by method.
pub(crate) async fn drive_call(
    State(state): State<Arc<AppState>>,
    OriginalUri(uri): OriginalUri,
    method: Method,
    Path(params): Path<Params>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    let drive = owner_of(&params).drive()?;
    let rest = params.get("rest").map(String::as_str).unwrap_or("");
    let address = address::parse(rest)?.ok_or_else(|| {
        ApiError::not_found(format!("no drive resource at {rest:?} in the emulator"))
    })?;
    match (method, address.action) {
        (Method::GET, Action::Item) => get_item(&state, drive, address).await,
        (Method::GET, Action::Children) => get_children(&state, &uri, drive, address).await,
        (Method::GET, Action::Content) => get_content(&state, drive, address).await,
        (Method::POST, Action::Children) => {
            let request: drive_mod::NewFolder = parse_json(&headers, &body)?;
            drive_mod::create_folder(&state, drive, address, request).await
        }
        (Method::POST, Action::CreateUploadSession) => {
            create_session(&state, &uri, drive, address, &headers, &body).await
        }
        _ => Err(ApiError::new(
            StatusCode::METHOD_NOT_ALLOWED,
            error_codes::NOT_ALLOWED,
            "this method is not allowed on this resource",
        )),
    }
}

/// Reads the drive and runs `read` on the item an address names.
async fn with_item<R: Send + 'static>(
    state: &AppState,
    drive: Drive,
    address: Address,
    read: impl FnOnce(&Tree, &drive_mod::DriveItemRecord) -> Result<R, ApiError> + Send + 'static,
) -> Result<R, ApiError> {
    state
        .db(move |store| {
            let tree = Tree::load(store, drive)?;
            let item = tree.resolve(&address)?;
            read(&tree, item)
        })
        .await
}

async fn get_item(state: &AppState, drive: Drive, address: Address) -> Result<Response, ApiError> {
    let item = with_item(state, drive, address, |tree, item| Ok(tree.view(item))).await?;
    Ok(Json(item).into_response())
}

async fn get_children(
    state: &AppState,
    uri: &axum::http::Uri,
    drive: Drive,
    address: Address,
) -> Result<Response, ApiError> {
    let query = crate::odata::query(uri, &crate::odata::DRIVE_ITEMS)?;
    let children = with_item(state, drive, address, |tree, item| {
        if !item.is_folder() {
            return Err(ApiError::bad_request(format!(
                "{:?} is a file: it has no children",
                item.name
            )));
        }
        Ok(tree
            .children(&item.id)
            .into_iter()
            .map(|child| tree.view(child))
            .collect::<Vec<DriveItem>>())
    })
    .await?;
    crate::odata::respond(
        uri,
        &state.public_url,
        &crate::odata::DRIVE_ITEMS,
        &query,
        children,
    )
}

/// `GET .../content`: the file's bytes (`200`; Graph answers `302` to a download URL).
async fn get_content(
    state: &AppState,
    drive: Drive,
    address: Address,
) -> Result<Response, ApiError> {
    let item = with_item(state, drive, address, |_, item| Ok(item.clone())).await?;
    let Some(blob) = item.blob.as_deref() else {
        return Err(ApiError::bad_request(format!(
            "{:?} is a folder: it has no content",
            item.name
        )));
    };
    let content_type = item
        .mime_type
        .as_deref()
        .unwrap_or("application/octet-stream");
    super::todo::stream_blob(state, blob, content_type, item.size).await
}

/// `POST .../{parent}:/{name}:/createUploadSession`: a session for a new file in an existing
/// folder. The body is optional; `item.fileSize` lets the quota refuse it at once.
async fn create_session(
    state: &AppState,
    uri: &axum::http::Uri,
    drive: Drive,
    mut address: Address,
    headers: &HeaderMap,
    body: &Bytes,
) -> Result<Response, ApiError> {
    let request: DriveItemUploadSessionRequest = if body.iter().all(u8::is_ascii_whitespace) {
        DriveItemUploadSessionRequest::default()
    } else {
        parse_json(headers, body)?
    };
    let name = address.path.pop().ok_or_else(|| {
        ApiError::bad_request(
            "createUploadSession needs the file name in the path: .../items/{parentId}:/{fileName}:/createUploadSession or .../root:/{path}:/createUploadSession",
        )
    })?;
    let item = request.item.unwrap_or_default();
    if let Some(given) = item.name.as_deref()
        && given != name
    {
        return Err(ApiError::bad_request(format!(
            "item.name {given:?} differs from the name in the path {name:?}"
        )));
    }
    let conflict = item.conflict_behavior.unwrap_or(ConflictBehavior::Fail);
    let file_size = item.file_size;
    let quota = state.config.drive_quota;
    let wanted = name.clone();
    let parent_id = state
        .db(move |store| {
            let tree = Tree::load(store, drive)?;
            let parent = tree.resolve(&address)?;
            if !parent.is_folder() {
                return Err(ApiError::bad_request(format!(
                    "{:?} is a file: files go into folders",
                    parent.name
                )));
            }
            if let Some(size) = file_size {
                // A file this upload would replace frees its bytes.
                let freed = match tree.child_named(&parent.id, &wanted) {
                    Some(old) if conflict == ConflictBehavior::Replace => old.size,
                    _ => 0,
                };
                let free = quota.saturating_sub(tree.used().saturating_sub(freed));
                if size > free {
                    return Err(over_quota(size, free));
                }
            }
            Ok(parent.id.clone())
        })
        .await?;
    let target = SessionTarget::Drive {
        drive_id: drive.id.to_owned(),
        parent_id,
        conflict,
        defer_commit: request.defer_commit.unwrap_or(false),
        description: item.description,
        size_known: file_size.is_some(),
        uploaded: false,
    };
    let content_type = Some(drive_mod::mime_of(&name));
    let session = open_session(state, target, name, content_type, file_size.unwrap_or(0)).await?;
    log_created(&session, None);
    let upload_url = format!(
        "{}/uploadSessions/{}?tempauthtoken={}",
        state.public_url,
        session.id,
        state.signer.sign(&session.id, session.url_expiry)
    );
    Ok(session_response(uri, &session, upload_url, true))
}

/// `POST {uploadUrl}` with an empty body: commits a drive session whose bytes are all there
/// (`deferCommit`, or a commit refused earlier by a name conflict).
pub(crate) async fn commit_session(
    State(state): State<Arc<AppState>>,
    Path(session_id): Path<String>,
    Query(query): Query<HashMap<String, String>>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    authorize_print_url(&state, &session_id, &query, &headers).await?;
    let lock = state.sessions.get(&session_id);
    let mut known = lock.record.lock().await;
    let session = crate::upload::current(&state, &session_id, &mut known).await?;
    if !session.is_drive() {
        return Err(ApiError::new(
            StatusCode::METHOD_NOT_ALLOWED,
            error_codes::NOT_ALLOWED,
            "only drive upload sessions are committed with POST",
        ));
    }
    if !body.is_empty() {
        return Err(ApiError::bad_request(
            "the commit of an upload session takes an empty body",
        ));
    }
    if !session.uploaded() {
        return Err(ApiError::bad_request(format!(
            "the upload is not complete: bytes {} are still missing",
            session.next_expected_ranges().join(", ")
        )));
    }
    drive_mod::commit(&state, &session_id, &mut known, session).await
}
