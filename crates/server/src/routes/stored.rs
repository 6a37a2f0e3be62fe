//! `GET /_emulator/items`: what was stored, newest first, for the dashboard: print jobs with
//! their document and state, To Do and Outlook attachments, drive files, each with its size
//! and a pre-authenticated download URL (see `downloads.rs`) that a browser can follow as a
//! plain link.

use super::downloads::Download;
use crate::drive::tree::Tree;
use crate::errors::ApiError;
use crate::fixtures::USER_ID;
use crate::records::{AttachmentRecord, JobRecord, MailAttachmentRecord, timestamp};
use crate::state::AppState;
use crate::store::Table;
use axum::Json;
use axum::extract::{Query, State};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use std::sync::Arc;

/// Items answered when the query gives no `top`.
const DEFAULT_TOP: usize = 200;
/// The most items one answer holds.
const MAX_TOP: usize = 1000;

/// The query: `top`, how many of the newest items to answer.
#[derive(Debug, Deserialize)]
pub(crate) struct ItemsQuery {
    top: Option<String>,
}

/// One stored file (or a print job still waiting for its document).
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct StoredItem {
    /// `print`, `todo`, `drive` or `outlook`, as `/_emulator/sessions` names the kinds.
    kind: &'static str,
    /// The job's id for print; the attachment's or drive item's id otherwise.
    id: String,
    /// The Graph path of the item, without the API version.
    owner_path: String,
    /// File name (empty for a print job whose document has not arrived).
    name: String,
    content_type: Option<String>,
    /// Size in bytes; `None` for a print document not uploaded yet.
    size: Option<u64>,
    /// A print job's `processingState` and its details.
    #[serde(skip_serializing_if = "Option::is_none")]
    state: Option<Value>,
    /// A print job's document id.
    #[serde(skip_serializing_if = "Option::is_none")]
    document_id: Option<String>,
    /// When it was stored (or the job created), in seconds since the epoch; it orders the list.
    #[serde(skip)]
    seconds: i64,
    /// The same as a Graph timestamp (written for the items answered only).
    modified: Option<String>,
    /// What its download URL gives, once it has bytes.
    #[serde(skip)]
    download: Option<Download>,
    /// Where its bytes can be fetched without a bearer token, for `download_url_ttl` (signed
    /// for the items answered only).
    download_url: Option<String>,
}

/// `GET /_emulator/items?top=N`: `{"value": [...], "count": total}`, the newest `N` (200
/// unless given, at most 1000).
pub(crate) async fn get_items(
    State(state): State<Arc<AppState>>,
    Query(query): Query<ItemsQuery>,
) -> Result<Json<Value>, ApiError> {
    let top = match query.top.as_deref() {
        None => DEFAULT_TOP,
        Some(text) => text
            .parse::<usize>()
            .ok()
            .filter(|top| (1..=MAX_TOP).contains(top))
            .ok_or_else(|| {
                ApiError::bad_request(format!("top must be a number from 1 to {MAX_TOP}"))
            })?,
    };
    let (jobs, todo, drives, outlook) = state
        .db(|store| {
            Ok((
                store.list::<JobRecord>(Table::Jobs)?,
                store.list::<AttachmentRecord>(Table::Attachments)?,
                Tree::every(store)?,
                store.list::<MailAttachmentRecord>(Table::MailAttachments)?,
            ))
        })
        .await?;
    let mut items = Vec::new();
    // As a read of the job would show it: a started job past its processing time completed.
    let now_ms = super::print::now_ms(&state);
    items.extend(jobs.into_iter().map(|job| print_item(&job.settled(now_ms))));
    items.extend(todo.into_iter().map(|file| {
        // The emulator's one user owns every list, as `/_emulator/sessions` writes it.
        let owner_path = format!(
            "/users/{USER_ID}/todo/lists/{}/tasks/{}/attachments/{}",
            file.list_id, file.task_id, file.id
        );
        let download = Download::Todo(file.id.clone());
        let (name, content_type) = (file.name, file.content_type);
        StoredItem::file(
            download,
            owner_path,
            name,
            content_type,
            file.size,
            file.modified,
        )
    }));
    for tree in &drives {
        items.extend(tree.files().map(|item| {
            // `/drive/root:/a/b.txt` as `/drives/{id}/root:/a/b.txt`.
            let path = tree.path_of(item);
            let below_root = path.strip_prefix("/drive").unwrap_or(&path);
            let owner_path = format!("/drives/{}{below_root}", item.drive_id);
            let download = Download::Drive(item.id.clone());
            let (name, content_type) = (item.name.clone(), item.mime_type.clone());
            StoredItem::file(
                download,
                owner_path,
                name,
                content_type,
                item.size,
                item.modified,
            )
        }));
    }
    items.extend(outlook.into_iter().map(|file| {
        let owner_path = format!("{}/attachments/{}", file.item.path(), file.id);
        let download = Download::Outlook(file.id.clone());
        let (name, content_type) = (file.name, file.content_type);
        StoredItem::file(
            download,
            owner_path,
            name,
            content_type,
            file.size,
            file.modified,
        )
    }));
    let count = items.len();
    // Newest first; the id breaks ties so that the order holds from one poll to the next.
    items.sort_by(|a, b| b.seconds.cmp(&a.seconds).then_with(|| a.id.cmp(&b.id)));
    items.truncate(top);
    for item in &mut items {
        item.modified = timestamp(item.seconds).map(|time| time.to_string());
        item.download_url = item.download.as_ref().map(|download| download.url(&state));
    }
    Ok(Json(json!({ "value": items, "count": count })))
}

impl StoredItem {
    /// A To Do or Outlook attachment or a drive file: what `download` gives.
    fn file(
        download: Download,
        owner_path: String,
        name: String,
        content_type: Option<String>,
        size: u64,
        seconds: i64,
    ) -> Self {
        let (kind, id) = match &download {
            Download::Todo(id) => ("todo", id.clone()),
            Download::Drive(id) => ("drive", id.clone()),
            Download::Outlook(id) => ("outlook", id.clone()),
            Download::Print { job, .. } => ("print", job.clone()),
        };
        StoredItem {
            kind,
            id,
            owner_path,
            name,
            content_type,
            size: Some(size),
            state: None,
            document_id: None,
            seconds,
            modified: None,
            download: Some(download),
            download_url: None,
        }
    }
}

/// A print job and its document.
fn print_item(job: &JobRecord) -> StoredItem {
    let document = &job.document;
    let printer = if job.printer_id.is_empty() {
        format!("/print/{}/{}", job.parent_kind.segment(), job.parent_id)
    } else {
        format!("/print/printers/{}", job.printer_id)
    };
    StoredItem {
        kind: "print",
        id: job.id.clone(),
        owner_path: format!("{printer}/jobs/{}", job.id),
        name: document.name.clone(),
        content_type: (!document.content_type.is_empty()).then(|| document.content_type.clone()),
        size: document.blob.as_ref().map(|_| document.size),
        state: Some(json!({ "processingState": job.state, "details": job.details })),
        document_id: Some(document.id.clone()),
        seconds: document.uploaded.unwrap_or(job.created),
        modified: None,
        download: document.blob.as_ref().map(|_| Download::Print {
            job: job.id.clone(),
            document: document.id.clone(),
        }),
        download_url: None,
    }
}
