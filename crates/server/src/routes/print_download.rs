//! The pre-authenticated, expiring download URL that `$value` of a print document redirects
//! to (printdocument-get-file.md: "a redirect response with a pre-authenticated URL").
//!
//! Like the upload URLs, it carries a `tempauthtoken` signed by the emulator's key (so it
//! survives a restart until it expires) and refuses an `Authorization` header: a client that
//! follows the redirect must not send its bearer token to it. An expired or wrong token
//! answers `401 unauthenticated`.

use super::{Params, param};
use crate::errors::ApiError;
use crate::records::JobRecord;
use crate::state::AppState;
use crate::store::Table;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use std::collections::HashMap;
use std::sync::Arc;

/// What the signature covers: the document and its job (never a session id, which is a
/// bare GUID, so the two kinds of token cannot stand in for each other).
fn subject(job: &str, document: &str) -> String {
    format!("download\n{job}\n{document}")
}

/// `302 Found` with `Location:` a download URL valid for `config.download_url_ttl`.
pub(crate) fn redirect(state: &AppState, job: &JobRecord) -> Response {
    let expiry = state
        .now()
        .saturating_add(state.config.download_url_ttl)
        .as_secs();
    let token = state
        .signer
        .sign(&subject(&job.id, &job.document.id), expiry);
    let location = format!(
        "{}/printDocuments/{}/{}?tempauthtoken={token}",
        state.public_url, job.id, job.document.id
    );
    let mut response = StatusCode::FOUND.into_response();
    if let Ok(value) = HeaderValue::from_str(&location) {
        response.headers_mut().insert(header::LOCATION, value);
    }
    response
}

/// `GET /printDocuments/{job}/{document}?tempauthtoken=...`: the document's bytes.
pub(crate) async fn download(
    State(state): State<Arc<AppState>>,
    Path(params): Path<Params>,
    Query(query): Query<HashMap<String, String>>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let job_id = param(&params, "job")?.to_owned();
    let document = param(&params, "document")?.to_owned();
    if headers.contains_key(header::AUTHORIZATION) {
        return Err(ApiError::unauthorized(
            "the download URL is pre-authenticated: do not send an Authorization header to it",
        ));
    }
    let token = query.get("tempauthtoken").ok_or_else(|| {
        ApiError::unauthorized("the download URL has no tempauthtoken: use Location exactly")
    })?;
    let expiry = state
        .signer
        .verify(&subject(&job_id, &document), token)
        .ok_or_else(|| ApiError::unauthorized("the download URL's tempauthtoken is not valid"))?;
    if state.now().as_secs() >= expiry {
        return Err(ApiError::unauthorized(
            "the download URL has expired: ask $value for a new one",
        ));
    }
    let job = state
        .db(move |store| Ok(store.get::<JobRecord>(Table::Jobs, &job_id)?))
        .await?
        .filter(|job| job.document.id == document)
        .ok_or_else(|| ApiError::not_found("the document no longer exists"))?;
    let Some(blob) = job.document.blob.as_deref() else {
        return Err(ApiError::not_found("the document has no content"));
    };
    super::todo::stream_blob(&state, blob, &job.document.content_type, job.document.size).await
}
