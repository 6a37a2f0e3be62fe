//! Outlook attachment upload sessions: `createUploadSession` on a message or event (3 MB to
//! 150 MB), and the pre-authenticated upload URL (`?authtoken=`): `PUT` in order with
//! `Content-Type: application/octet-stream`, `GET`, `DELETE`.

use super::mail::mail_item_of;
use super::sessions::{log_created, open_session, session_response};
use super::{Params, api_prefix, param, parse_json};
use crate::errors::ApiError;
use crate::records::{MailItem, MailItemKind, SessionRecord, SessionTarget};
use crate::state::AppState;
use crate::upload::{self, load_session, outlook_status};
use axum::Json;
use axum::body::Body;
use axum::extract::{OriginalUri, Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use graph_upload_models::{
    AttachmentType, OUTLOOK_MAX_ATTACHMENT_SIZE, OUTLOOK_MIN_SESSION_SIZE,
    OutlookAttachmentUploadSessionRequest, error_codes,
};
use std::collections::HashMap;
use std::sync::Arc;

/// Outlook's code for a session below 3 MB (documented in Graph's large-attachments guide).
pub const ERROR_TOO_SMALL: &str = "ErrorAttachmentSizeShouldNotBeLessThanMinimumSize";
/// Outlook's code for an item over its size limit (Graph documents no code for a session over
/// 150 MB; this is the one Exchange answers for an item too large, with `413`).
pub const ERROR_TOO_LARGE: &str = "ErrorMessageSizeExceeded";

/// `POST .../messages/{id}/attachments/createUploadSession` (or `.../events/{id}/...`).
pub(crate) async fn create_outlook_session(
    State(state): State<Arc<AppState>>,
    OriginalUri(uri): OriginalUri,
    Path(params): Path<Params>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    let item = mail_item_of(&params)?;
    let request: OutlookAttachmentUploadSessionRequest = parse_json(&headers, &body)?;
    let file = request.attachment_item;
    if file.attachment_type != AttachmentType::File {
        return Err(ApiError::bad_request(format!(
            "AttachmentItem.attachmentType {:?} is not supported; upload sessions take `file`",
            file.attachment_type.as_str()
        )));
    }
    if file.name.trim().is_empty() {
        return Err(ApiError::bad_request(
            "AttachmentItem.name must not be empty",
        ));
    }
    if file.size < OUTLOOK_MIN_SESSION_SIZE {
        return Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            ERROR_TOO_SMALL,
            format!(
                "AttachmentItem.size {} is below {OUTLOOK_MIN_SESSION_SIZE} bytes: attach the file with one POST .../attachments",
                file.size
            ),
        ));
    }
    if file.size > OUTLOOK_MAX_ATTACHMENT_SIZE {
        return Err(ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            ERROR_TOO_LARGE,
            format!(
                "AttachmentItem.size {} is over Outlook's limit of {OUTLOOK_MAX_ATTACHMENT_SIZE} bytes",
                file.size
            ),
        ));
    }
    let prefix = api_prefix(&uri);
    let target = SessionTarget::Outlook {
        item: item.clone(),
        api_prefix: prefix.to_owned(),
        is_inline: file.is_inline.unwrap_or(false),
        content_id: file.content_id,
    };
    let session = open_session(&state, target, file.name, file.content_type, file.size).await?;
    log_created(&session, None);
    let upload_url = format!(
        "{}/api/v2.0/Users/{}/{}/{}/AttachmentSessions/{}?authtoken={}",
        state.public_url,
        item.user_id,
        item.kind.outlook_segment(),
        item.id,
        session.id,
        state.signer.sign(&session.id, session.url_expiry)
    );
    let mut response = session_response(&uri, &session, upload_url, true);
    *response.status_mut() = StatusCode::CREATED;
    Ok(response)
}

/// The upload URL is pre-authenticated: a valid `authtoken` and no bearer token.
fn authorize(
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
    let token = query.get("authtoken").ok_or_else(|| {
        ApiError::unauthorized("the upload URL has no authtoken: use uploadUrl exactly as given")
    })?;
    if state.signer.verify(session_id, token).is_none() {
        return Err(ApiError::unauthorized(
            "the upload URL's authtoken is not valid: use uploadUrl exactly as given",
        ));
    }
    Ok(())
}

/// The message or event an upload URL names (`/Users/{user}/{Messages|Events}/{item}`).
fn url_item(params: &Params) -> Result<MailItem, ApiError> {
    let kind = MailItemKind::from_segment(param(params, "kind")?)
        .ok_or_else(|| ApiError::not_found("no upload session at this URL"))?;
    Ok(MailItem {
        user_id: param(params, "user")?.to_owned(),
        kind,
        id: param(params, "item")?.to_owned(),
    })
}

/// Whether a session is the Outlook session of the item its URL names.
fn matches_url(session: &SessionRecord, item: &MailItem) -> Result<(), ApiError> {
    match &session.target {
        SessionTarget::Outlook { item: own, .. } if own == item => Ok(()),
        _ => Err(ApiError::not_found("no upload session at this URL")),
    }
}

/// The session id of an authorized request to an upload URL, and the item the URL names.
fn checked(
    state: &AppState,
    params: &Params,
    query: &HashMap<String, String>,
    headers: &HeaderMap,
) -> Result<(String, MailItem), ApiError> {
    let session_id = param(params, "session")?.to_owned();
    authorize(state, &session_id, query, headers)?;
    Ok((session_id, url_item(params)?))
}

/// Outlook wants `Content-Type: application/octet-stream` on every fragment.
fn require_octet_stream(headers: &HeaderMap) -> Result<(), ApiError> {
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .unwrap_or("");
    let essence = content_type.split(';').next().unwrap_or("").trim();
    if essence.eq_ignore_ascii_case("application/octet-stream") {
        return Ok(());
    }
    Err(ApiError::new(
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
        error_codes::NOT_SUPPORTED,
        format!(
            "Content-Type {content_type:?}: fragments of an Outlook upload session must be sent as application/octet-stream"
        ),
    ))
}

/// `PUT {uploadUrl}`.
pub(crate) async fn put_outlook(
    State(state): State<Arc<AppState>>,
    Path(params): Path<Params>,
    Query(query): Query<HashMap<String, String>>,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, ApiError> {
    let (session_id, item) = checked(&state, &params, &query, &headers)?;
    require_octet_stream(&headers)?;
    let accept = |session: &SessionRecord| matches_url(session, &item);
    upload::put_fragment(state, &session_id, accept, &headers, body).await
}

/// `GET {uploadUrl}`: the status, in Outlook's mixed case.
pub(crate) async fn get_outlook(
    State(state): State<Arc<AppState>>,
    Path(params): Path<Params>,
    Query(query): Query<HashMap<String, String>>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let (session_id, item) = checked(&state, &params, &query, &headers)?;
    let session = load_session(&state, &session_id).await?;
    matches_url(&session, &item)?;
    Ok(Json(outlook_status(&state, &item, &session)).into_response())
}

/// `DELETE {uploadUrl}`: `204`, the session and its bytes gone.
pub(crate) async fn delete_outlook(
    State(state): State<Arc<AppState>>,
    Path(params): Path<Params>,
    Query(query): Query<HashMap<String, String>>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let (session_id, item) = checked(&state, &params, &query, &headers)?;
    let session = load_session(&state, &session_id).await?;
    matches_url(&session, &item)?;
    upload::delete_session(state, &session_id).await
}
