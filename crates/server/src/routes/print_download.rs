//! The pre-authenticated, expiring download URL that `$value` of a print document redirects
//! to (printdocument-get-file.md: "a redirect response with a pre-authenticated URL").
//!
//! Like the upload URLs, it carries a `tempauthtoken` signed by the emulator's key (so it
//! survives a restart until it expires) and refuses an `Authorization` header: a client that
//! follows the redirect must not send its bearer token to it. An expired or wrong token
//! answers `401 InvalidAuthenticationToken`. A single `Range: bytes=...` is honoured (`206`),
//! as a download service does for resumed downloads.

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
use tokio::io::{AsyncReadExt, AsyncSeekExt};

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
    let size = job.document.size;
    let range = match headers.get(header::RANGE).and_then(|v| v.to_str().ok()) {
        None => None,
        Some(text) => match single_range(text, size) {
            Some(range) => Some(range),
            // Several ranges or another unit: the whole document, as RFC 9110 allows.
            None if !text.trim_start().starts_with("bytes=") || text.contains(',') => None,
            None => {
                return Err(ApiError::new(
                    StatusCode::RANGE_NOT_SATISFIABLE,
                    graph_upload_models::error_codes::INVALID_RANGE,
                    format!("the range {text:?} is not within the document's {size} bytes"),
                ));
            }
        },
    };
    let Some((start, end)) = range else {
        return super::todo::stream_blob(&state, blob, &job.document.content_type, size).await;
    };
    let mut file = tokio::fs::File::from_std(state.blobs.open_for_read(blob)?);
    file.seek(std::io::SeekFrom::Start(start)).await?;
    let body = axum::body::Body::from_stream(tokio_util::io::ReaderStream::with_capacity(
        file.take(end - start + 1),
        256 * 1024,
    ));
    let mut response = (StatusCode::PARTIAL_CONTENT, body).into_response();
    let headers = response.headers_mut();
    let content_type = if job.document.content_type.is_empty() {
        "application/octet-stream"
    } else {
        job.document.content_type.as_str()
    };
    if let Ok(value) = HeaderValue::from_str(content_type) {
        headers.insert(header::CONTENT_TYPE, value);
    }
    headers.insert(header::CONTENT_LENGTH, HeaderValue::from(end - start + 1));
    if let Ok(value) = HeaderValue::from_str(&format!("bytes {start}-{end}/{size}")) {
        headers.insert(header::CONTENT_RANGE, value);
    }
    Ok(response)
}

/// One satisfiable range of `bytes=a-b`, `bytes=a-` or `bytes=-n` over `size` bytes, as
/// inclusive `(first, last)`; `None` for anything else.
fn single_range(text: &str, size: u64) -> Option<(u64, u64)> {
    let spec = text.trim().strip_prefix("bytes=")?.trim();
    if spec.contains(',') || size == 0 {
        return None;
    }
    let (first, last) = spec.split_once('-')?;
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    match (first.trim(), last.trim()) {
        (first, "") if digits(first) => {
            let first: u64 = first.parse().ok()?;
            (first < size).then_some((first, size - 1))
        }
        ("", suffix) if digits(suffix) => {
            let suffix: u64 = suffix.parse().ok()?;
            (suffix > 0).then(|| (size.saturating_sub(suffix), size - 1))
        }
        (first, last) if digits(first) && digits(last) => {
            let (first, last): (u64, u64) = (first.parse().ok()?, last.parse().ok()?);
            (first <= last && first < size).then_some((first, last.min(size - 1)))
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::single_range;

    #[test]
    fn single_ranges() {
        assert_eq!(single_range("bytes=0-9", 100), Some((0, 9)));
        assert_eq!(single_range("bytes=90-", 100), Some((90, 99)));
        assert_eq!(single_range("bytes=-10", 100), Some((90, 99)));
        assert_eq!(single_range("bytes=-1000", 100), Some((0, 99)));
        assert_eq!(single_range("bytes=50-1000", 100), Some((50, 99)));
        for bad in [
            "bytes=100-",
            "bytes=9-0",
            "bytes=-0",
            "bytes=a-b",
            "bytes=0-1,3-4",
            "items=0-1",
        ] {
            assert_eq!(single_range(bad, 100), None, "{bad}");
        }
        assert_eq!(single_range("bytes=0-0", 0), None);
    }
}
