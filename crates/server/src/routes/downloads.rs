//! Pre-authenticated, expiring download URLs: the one a print document's `$value` redirects
//! to (printdocument-get-file.md: "a redirect response with a pre-authenticated URL"), and
//! the ones the dashboard links each stored file with (To Do and Outlook attachments, drive
//! files), which a browser follows as a plain link, with no bearer token to send.
//!
//! Like the upload URLs, each carries a `tempauthtoken` signed by the emulator's key (so it
//! survives a restart until it expires) and refuses an `Authorization` header: a client that
//! follows the redirect must not send its bearer token to it. An expired or wrong token
//! answers `401 InvalidAuthenticationToken`. A single `Range: bytes=...` is honoured (`206`),
//! as a download service does for resumed downloads.

use super::{Params, param};
use crate::drive::DriveItemRecord;
use crate::errors::ApiError;
use crate::records::{AttachmentRecord, JobRecord, MailAttachmentRecord};
use crate::state::AppState;
use crate::store::Table;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use std::collections::HashMap;
use std::sync::Arc;

/// What a download URL gives: one stored file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Download {
    /// A print job's document (`/printDocuments/{job}/{document}`).
    Print { job: String, document: String },
    /// A To Do task's file attachment (`/downloads/todo/{id}`).
    Todo(String),
    /// A drive file (`/downloads/drive/{id}`).
    Drive(String),
    /// An Outlook message's or event's file attachment (`/downloads/outlook/{id}`).
    Outlook(String),
}

/// A stored file, found.
struct StoredFile {
    blob: String,
    size: u64,
    content_type: String,
    name: String,
}

impl StoredFile {
    fn of(blob: String, size: u64, content_type: Option<String>, name: String) -> Self {
        StoredFile {
            blob,
            size,
            content_type: content_type.unwrap_or_default(),
            name,
        }
    }
}

/// Everything but RFC 3986's unreserved characters is escaped in a path segment.
const SEGMENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

impl Download {
    /// What the signature covers: the kind and the ids (never a session id, which is a bare
    /// GUID, so that an upload token and a download token cannot stand in for each other).
    /// The print form predates the others and is kept, so that URLs already handed out stay
    /// valid.
    fn subject(&self) -> String {
        match self {
            Download::Print { job, document } => format!("download\n{job}\n{document}"),
            Download::Todo(id) => format!("download-file\ntodo\n{id}"),
            Download::Drive(id) => format!("download-file\ndrive\n{id}"),
            Download::Outlook(id) => format!("download-file\noutlook\n{id}"),
        }
    }

    /// The path of the URL, without the token.
    fn path(&self) -> String {
        let encode = |segment: &str| utf8_percent_encode(segment, SEGMENT).to_string();
        match self {
            Download::Print { job, document } => {
                format!("/printDocuments/{}/{}", encode(job), encode(document))
            }
            Download::Todo(id) => format!("/downloads/todo/{}", encode(id)),
            Download::Drive(id) => format!("/downloads/drive/{}", encode(id)),
            Download::Outlook(id) => format!("/downloads/outlook/{}", encode(id)),
        }
    }

    /// A URL valid for `config.download_url_ttl` from now.
    pub(crate) fn url(&self, state: &AppState) -> String {
        let expiry = state
            .now()
            .saturating_add(state.config.download_url_ttl)
            .as_secs();
        let token = state.signer.sign(&self.subject(), expiry);
        format!("{}{}?tempauthtoken={token}", state.public_url, self.path())
    }

    /// The file, if it still exists and has bytes.
    async fn find(&self, state: &AppState) -> Result<StoredFile, ApiError> {
        let download = self.clone();
        let found = state
            .db(move |store| {
                Ok(match &download {
                    Download::Print { job, document } => store
                        .get::<JobRecord>(Table::Jobs, job)?
                        .filter(|job| &job.document.id == document)
                        .and_then(|job| {
                            let document = job.document;
                            let content_type = Some(document.content_type);
                            let blob = document.blob?;
                            Some(StoredFile::of(
                                blob,
                                document.size,
                                content_type,
                                document.name,
                            ))
                        }),
                    Download::Todo(id) => store
                        .get::<AttachmentRecord>(Table::Attachments, id)?
                        .map(|file| {
                            StoredFile::of(file.blob, file.size, file.content_type, file.name)
                        }),
                    Download::Drive(id) => store
                        .get::<DriveItemRecord>(Table::DriveItems, id)?
                        .and_then(|item| {
                            let blob = item.blob?;
                            Some(StoredFile::of(blob, item.size, item.mime_type, item.name))
                        }),
                    Download::Outlook(id) => store
                        .get::<MailAttachmentRecord>(Table::MailAttachments, id)?
                        .map(|file| {
                            StoredFile::of(file.blob, file.size, file.content_type, file.name)
                        }),
                })
            })
            .await?;
        found.ok_or_else(|| ApiError::not_found("the file no longer exists"))
    }
}

/// `302 Found` with `Location:` the download URL of a print job's document.
pub(crate) fn redirect(state: &AppState, job: &JobRecord) -> Response {
    let location = Download::Print {
        job: job.id.clone(),
        document: job.document.id.clone(),
    }
    .url(state);
    let mut response = StatusCode::FOUND.into_response();
    if let Ok(value) = HeaderValue::from_str(&location) {
        response.headers_mut().insert(header::LOCATION, value);
    }
    response
}

/// `GET /printDocuments/{job}/{document}?tempauthtoken=...`: the document's bytes.
pub(crate) async fn print_document(
    State(state): State<Arc<AppState>>,
    Path(params): Path<Params>,
    Query(query): Query<HashMap<String, String>>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let download = Download::Print {
        job: param(&params, "job")?.to_owned(),
        document: param(&params, "document")?.to_owned(),
    };
    serve(&state, download, &query, &headers).await
}

/// `GET /downloads/{kind}/{id}?tempauthtoken=...`: a stored file's bytes (`kind` is `todo`,
/// `drive` or `outlook`).
pub(crate) async fn stored_file(
    State(state): State<Arc<AppState>>,
    Path(params): Path<Params>,
    Query(query): Query<HashMap<String, String>>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let id = param(&params, "id")?.to_owned();
    let download = match param(&params, "kind")? {
        "todo" => Download::Todo(id),
        "drive" => Download::Drive(id),
        "outlook" => Download::Outlook(id),
        other => {
            return Err(ApiError::not_found(format!(
                "no download kind {other:?} (todo, drive or outlook)"
            )));
        }
    };
    serve(&state, download, &query, &headers).await
}

/// Checks the URL's token, then answers the file (or the one range asked for).
async fn serve(
    state: &AppState,
    download: Download,
    query: &HashMap<String, String>,
    headers: &HeaderMap,
) -> Result<Response, ApiError> {
    if headers.contains_key(header::AUTHORIZATION) {
        return Err(ApiError::unauthorized(
            "the download URL is pre-authenticated: do not send an Authorization header to it",
        ));
    }
    let token = query.get("tempauthtoken").ok_or_else(|| {
        ApiError::unauthorized("the download URL has no tempauthtoken: use it exactly as given")
    })?;
    let expiry = state
        .signer
        .verify(&download.subject(), token)
        .ok_or_else(|| ApiError::unauthorized("the download URL's tempauthtoken is not valid"))?;
    if state.now().as_secs() >= expiry {
        return Err(ApiError::unauthorized(
            "the download URL has expired: ask for a new one",
        ));
    }
    let file = download.find(state).await?;
    let size = file.size;
    let range = match headers.get(header::RANGE).and_then(|v| v.to_str().ok()) {
        None => None,
        Some(text) => match single_range(text, size) {
            Some(range) => Some(range),
            // Several ranges or another unit: the whole file, as RFC 9110 allows.
            None if !text.trim_start().starts_with("bytes=") || text.contains(',') => None,
            None => {
                return Err(ApiError::new(
                    StatusCode::RANGE_NOT_SATISFIABLE,
                    graph_upload_models::error_codes::INVALID_RANGE,
                    format!("the range {text:?} is not within the file's {size} bytes"),
                ));
            }
        },
    };
    let mut response =
        super::todo::stream_blob_range(state, &file.blob, &file.content_type, size, range).await?;
    if let Ok(value) = HeaderValue::from_str(&content_disposition(&file.name)) {
        response
            .headers_mut()
            .insert(header::CONTENT_DISPOSITION, value);
    }
    Ok(response)
}

/// `attachment` with the file's name (RFC 6266): an ASCII fallback and the exact name in
/// `filename*`, so that a browser saves the file under its own name.
fn content_disposition(name: &str) -> String {
    let fallback: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_graphic() && c != '"' && c != '\\' || c == ' ' {
                c
            } else {
                '_'
            }
        })
        .collect();
    let exact = utf8_percent_encode(name, SEGMENT);
    format!("attachment; filename=\"{fallback}\"; filename*=UTF-8''{exact}")
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
    use super::{content_disposition, single_range};

    #[test]
    fn content_disposition_keeps_the_name_and_escapes_the_rest() {
        assert_eq!(
            content_disposition("report.pdf"),
            "attachment; filename=\"report.pdf\"; filename*=UTF-8''report.pdf"
        );
        assert_eq!(
            content_disposition("a \"b\"\r\nc é.txt"),
            "attachment; filename=\"a _b___c _.txt\"; filename*=UTF-8''a%20%22b%22%0D%0Ac%20%C3%A9.txt"
        );
    }

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
