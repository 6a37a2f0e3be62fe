//! Outlook: the fixture message and event, and their file attachments (listed, read, read as
//! bytes, deleted, attached in one POST below 3 MB).

use super::todo::{stream_blob, user_of};
use super::{Params, param, parse_json};
use crate::errors::ApiError;
use crate::fixtures::{EVENT_ID, MESSAGE_ID};
use crate::records::{MailAttachmentRecord, MailItem, MailItemKind};
use crate::state::AppState;
use crate::store::{Store, Table};
use axum::Json;
use axum::extract::{OriginalUri, Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use graph_upload_models::FileAttachment;
use serde_json::json;
use std::sync::Arc;

/// The message or event a path names (`{message}` or `{event}`), or `404`.
pub(crate) fn mail_item_of(params: &Params) -> Result<MailItem, ApiError> {
    let user_id = user_of(params)?;
    let (kind, id, fixture) = match (params.get("message"), params.get("event")) {
        (Some(id), None) => (MailItemKind::Message, id, MESSAGE_ID),
        (None, Some(id)) => (MailItemKind::Event, id, EVENT_ID),
        _ => return Err(ApiError::internal("route names no message or event")),
    };
    if id != fixture {
        return Err(ApiError::not_found(format!(
            "no {} {id:?} in this mailbox",
            match kind {
                MailItemKind::Message => "message",
                MailItemKind::Event => "event",
            }
        )));
    }
    Ok(MailItem {
        user_id,
        kind,
        id: id.clone(),
    })
}

fn attachments_of(store: &Store, item: &MailItem) -> Result<Vec<MailAttachmentRecord>, ApiError> {
    let all: Vec<MailAttachmentRecord> = store.list(Table::MailAttachments)?;
    Ok(all.into_iter().filter(|a| a.item == *item).collect())
}

fn attachment_of(store: &Store, params: &Params) -> Result<MailAttachmentRecord, ApiError> {
    let item = mail_item_of(params)?;
    let id = param(params, "attachment")?;
    store
        .get::<MailAttachmentRecord>(Table::MailAttachments, id)?
        .filter(|attachment| attachment.item == item)
        .ok_or_else(|| ApiError::not_found(format!("no attachment {id:?} on this item")))
}

/// `GET .../messages/{id}` or `.../events/{id}`: the item, enough to see its attachments.
pub(crate) async fn get_item(
    State(state): State<Arc<AppState>>,
    Path(params): Path<Params>,
) -> Result<Response, ApiError> {
    let item = mail_item_of(&params)?;
    let count = {
        let item = item.clone();
        state
            .db(move |store| Ok(attachments_of(store, &item)?.len()))
            .await?
    };
    Ok(Json(json!({
        "id": item.id,
        "subject": match item.kind {
            MailItemKind::Message => "Quarterly report",
            MailItemKind::Event => "Quarterly review",
        },
        "hasAttachments": count > 0,
    }))
    .into_response())
}

/// `GET .../attachments`: the item's file attachments, without their bytes (the emulator
/// leaves `contentBytes` out of lists, as `$select` would: a list of 150 MB files stays
/// small; `GET .../attachments/{id}` and `$value` give the bytes).
pub(crate) async fn list_attachments(
    State(state): State<Arc<AppState>>,
    OriginalUri(uri): OriginalUri,
    Path(params): Path<Params>,
) -> Result<Response, ApiError> {
    let query = crate::odata::query(&uri, &crate::odata::OUTLOOK_ATTACHMENTS)?;
    let item = mail_item_of(&params)?;
    let attachments = state
        .db(move |store| {
            Ok(attachments_of(store, &item)?
                .iter()
                .map(|a| a.to_graph(None))
                .collect::<Vec<FileAttachment>>())
        })
        .await?;
    crate::odata::respond(
        &uri,
        &state.public_url,
        &crate::odata::OUTLOOK_ATTACHMENTS,
        &query,
        attachments,
    )
}

/// `GET .../attachments/{id}`: the fileAttachment with its bytes in `contentBytes`, as Graph
/// answers by default.
pub(crate) async fn get_attachment(
    State(state): State<Arc<AppState>>,
    Path(params): Path<Params>,
) -> Result<Response, ApiError> {
    let attachment = state.db(move |store| attachment_of(store, &params)).await?;
    let encoded = super::todo::stored_base64(&state, &attachment.blob).await?;
    Ok(Json(attachment.to_graph(Some(encoded))).into_response())
}

/// `GET .../attachments/{id}/$value`: the bytes, streamed.
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

/// `DELETE .../attachments/{id}`.
pub(crate) async fn delete_attachment(
    State(state): State<Arc<AppState>>,
    Path(params): Path<Params>,
) -> Result<Response, ApiError> {
    super::todo::delete_stored(&state, Table::MailAttachments, move |store| {
        let attachment = attachment_of(store, &params)?;
        Ok((attachment.id, attachment.blob))
    })
    .await
}

/// `POST .../attachments`: a file below 3 MB in one request, `contentBytes` in base64
/// (`201` with the fileAttachment). Larger files take an upload session.
pub(crate) async fn create_attachment(
    State(state): State<Arc<AppState>>,
    Path(params): Path<Params>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    let item = mail_item_of(&params)?;
    let requested: FileAttachment = parse_json(&headers, &body)?;
    match requested.odata_type.as_deref() {
        Some(graph_upload_models::FILE_ATTACHMENT_ODATA_TYPE) => {}
        Some(kind) => {
            return Err(ApiError::bad_request(format!(
                "@odata.type {kind:?} is not supported; use #microsoft.graph.fileAttachment"
            )));
        }
        None => {
            return Err(ApiError::bad_request(
                "@odata.type is missing: attachments are created as #microsoft.graph.fileAttachment",
            ));
        }
    }
    let bytes = super::todo::one_shot_bytes(
        &requested.name,
        requested.content_bytes.as_deref(),
        graph_upload_models::OUTLOOK_MIN_SESSION_SIZE,
    )?;
    let blob = crate::blobs::Blobs::new_id();
    let record = MailAttachmentRecord {
        id: crate::ids::exchange_id(),
        item,
        name: requested.name,
        content_type: requested.content_type,
        size: bytes.len() as u64,
        is_inline: requested.is_inline.unwrap_or(false),
        content_id: requested.content_id,
        blob: blob.clone(),
        modified: state.now().as_secs() as i64,
    };
    super::todo::store_bytes(&state, blob, bytes).await?;
    let stored = record.clone();
    let result = state
        .db(move |store| {
            store.write(|tx| {
                tx.put(Table::MailAttachments, &stored.id, &stored)?;
                Ok::<_, ApiError>(())
            })
        })
        .await;
    if let Err(error) = result {
        let _ = state.blobs.remove(&record.blob);
        return Err(error);
    }
    Ok((StatusCode::CREATED, Json(record.to_graph(None))).into_response())
}
