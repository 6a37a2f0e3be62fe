//! The upload-session byte protocol (PROTOCOL.md section 2): accept a fragment, store it
//! durably, answer with what is still missing, and turn a complete upload into its document
//! or attachment in one transaction.

use crate::blobs::{SyncGate, WriteError, write_fragment};
use crate::errors::ApiError;
use crate::records::{AttachmentRecord, JobRecord, SessionRecord, SessionTarget, TaskRecord};
use crate::state::{AppState, Known, SessionLock};
use crate::store::Table;
use axum::body::Body;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use graph_upload_models::{PascalCase, PrintJobProcessingState, UploadSessionStatus, error_codes};
use graph_upload_ranges::{ContentRange, RangeSet};
use std::ops::Range;
use std::sync::Arc;

/// A fragment's headers, checked before any byte of its body is read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fragment {
    /// The bytes it carries; `None` for the empty PUT of a 0-byte file (`bytes */0`).
    pub span: Option<Range<u64>>,
}

/// Validates `Content-Range` and `Content-Length` against the session's size and limit.
pub fn check_headers(
    headers: &HeaderMap,
    size: u64,
    max_fragment: u64,
) -> Result<Fragment, ApiError> {
    let range_text = headers
        .get(header::CONTENT_RANGE)
        .ok_or_else(|| {
            ApiError::bad_request(
                "the Content-Range header is missing: send `Content-Range: bytes {start}-{end}/{total}`",
            )
        })?
        .to_str()
        .map_err(|_| ApiError::bad_request("the Content-Range header is not text"))?;
    let range: ContentRange = range_text.parse().map_err(|error| {
        ApiError::bad_request(format!(
            "Content-Range {range_text:?} is not valid ({error}); expected `bytes {{start}}-{{end}}/{{total}}`"
        ))
    })?;
    let total = range.total().ok_or_else(|| {
        ApiError::bad_request(format!(
            "Content-Range {range_text:?} has no total: the total must be the declared size {size}"
        ))
    })?;
    if total != size {
        return Err(ApiError::length_mismatch(format!(
            "Content-Range total {total} differs from the declared size {size}"
        )));
    }
    let length = content_length(headers)?;
    let span = range.span();
    let expected = span.as_ref().map_or(0, |s| s.end - s.start);
    if span.is_none() && size != 0 {
        return Err(ApiError::bad_request(format!(
            "Content-Range {range_text:?} names no bytes; only a 0-byte upload may send `bytes */0`"
        )));
    }
    if length != expected {
        return Err(ApiError::length_mismatch(format!(
            "Content-Length {length} differs from the {expected} bytes of Content-Range {range_text:?}"
        )));
    }
    if expected > max_fragment {
        return Err(ApiError::too_large(format!(
            "the fragment has {expected} bytes; this session accepts at most {max_fragment} per request"
        )));
    }
    Ok(Fragment { span })
}

fn content_length(headers: &HeaderMap) -> Result<u64, ApiError> {
    let Some(value) = headers.get(header::CONTENT_LENGTH) else {
        // HTTP/1.1: a request without Content-Length or Transfer-Encoding has no body.
        if headers.contains_key(header::TRANSFER_ENCODING) {
            return Err(ApiError::bad_request(
                "the Content-Length header is missing: fragments must declare their length",
            ));
        }
        return Ok(0);
    };
    value
        .to_str()
        .ok()
        .and_then(|text| text.trim().parse().ok())
        .ok_or_else(|| ApiError::bad_request("the Content-Length header is not a number"))
}

/// The largest fragment a session accepts per request.
pub fn max_fragment(state: &AppState, session: &SessionRecord) -> u64 {
    if session.is_todo() {
        state.config.todo_max_fragment
    } else {
        state.config.print_max_fragment
    }
}

/// Loads a live session: unknown, completed, deleted and expired sessions are all `404`.
pub async fn load_session(state: &AppState, id: &str) -> Result<SessionRecord, ApiError> {
    let key = id.to_owned();
    let session: Option<SessionRecord> = state
        .db(move |store| Ok(store.get(Table::Sessions, &key)?))
        .await?;
    live(state, session)
}

/// The session if it exists and has not expired, else the `404` Graph answers.
fn live(state: &AppState, session: Option<SessionRecord>) -> Result<SessionRecord, ApiError> {
    match session {
        Some(session) if !session.expired(state.now()) => Ok(session),
        Some(_) => Err(ApiError::not_found(
            "the upload session has expired; create a new one",
        )),
        None => Err(session_not_found()),
    }
}

pub(crate) fn session_not_found() -> ApiError {
    ApiError::not_found("the upload session does not exist, or was completed, deleted or expired")
}

/// Reads the session's record from the database, under its lock, and leaves it there for
/// the lock's next holders. An id with no record is marked gone and its lock forgotten, so
/// that requests to ids that do not exist leave nothing behind.
async fn read_locked(
    state: &AppState,
    session_id: &str,
    known: &mut Known,
) -> Result<SessionRecord, ApiError> {
    if matches!(known, Known::Gone) {
        return Err(session_not_found());
    }
    let key = session_id.to_owned();
    let stored: Option<SessionRecord> = state
        .db(move |store| Ok(store.get(Table::Sessions, &key)?))
        .await?;
    match &stored {
        Some(session) => *known = Known::Live(Box::new(session.clone())),
        None => {
            *known = Known::Gone;
            state.sessions.forget(session_id);
        }
    }
    live(state, stored)
}

/// The record as the lock's holders left it (read from the database only if none did).
async fn current(
    state: &AppState,
    session_id: &str,
    known: &mut Known,
) -> Result<SessionRecord, ApiError> {
    match known {
        Known::Live(session) => live(state, Some(SessionRecord::clone(session))),
        Known::Gone => Err(session_not_found()),
        Known::Unread => read_locked(state, session_id, known).await,
    }
}

/// Handles `PUT {uploadUrl}` (print) or `PUT {uploadUrl}/content` (To Do) for an
/// authenticated session. `accept` says whether the session may be reached through the URL
/// used (its kind, its task). The session's record is read once.
pub async fn put_fragment(
    state: Arc<AppState>,
    session_id: &str,
    accept: impl FnOnce(&SessionRecord) -> Result<(), ApiError>,
    headers: &HeaderMap,
    body: Body,
) -> Result<Response, ApiError> {
    let lock = state.sessions.get(session_id);
    let (span, file) = {
        let mut known = lock.record.lock().await;
        let session = read_locked(&state, session_id, &mut known).await?;
        accept(&session)?;
        let fragment = check_headers(headers, session.size, max_fragment(&state, &session))?;
        let Some(span) = fragment.span else {
            // The 0-byte upload: nothing to write, the session completes now.
            return record_and_answer(&state, session_id, &mut known, None).await;
        };
        let received = received_set(&session);
        if received.overlaps(&span) || lock.is_reserved(&span) {
            return Err(ApiError::range(
                error_codes::FRAGMENT_OVERLAP,
                format!(
                    "bytes {}-{} overlap bytes already received or being received; GET the session for nextExpectedRanges",
                    span.start,
                    span.end - 1
                ),
            ));
        }
        if session.is_todo() {
            let expected = first_missing(&received, session.size);
            if span.start != expected {
                return Err(ApiError::range(
                    error_codes::FRAGMENT_OUT_OF_ORDER,
                    format!(
                        "To Do fragments must arrive in order: the next fragment starts at byte {expected}, not {}",
                        span.start
                    ),
                ));
            }
        }
        lock.reserve(span.clone());
        // Opened before the lock is released: a session deleted meanwhile only unlinks it.
        let file = match state.blobs.open_for_write(&session.blob) {
            Ok(file) => file,
            Err(error) => {
                lock.release(span);
                return Err(error.into());
            }
        };
        (span, file)
    };
    // If the client goes away, the server drops this future mid-write: the guard still
    // releases the range, so that the client's next attempt is not refused forever.
    let mut reservation = Reservation {
        lock: Arc::clone(&lock),
        span: Some(span.clone()),
    };

    let written = write_bytes(file, &span, body, &lock.sync).await;
    // Release the reservation and record the bytes in one critical section, so that no other
    // request can slip in and overwrite bytes that are stored but not yet recorded.
    let mut known = lock.record.lock().await;
    reservation.release();
    written?;
    let answer = record_and_answer(&state, session_id, &mut known, Some(span.clone())).await;
    #[cfg(all(test, unix))]
    if let Ok(response) = &answer {
        crate::sync_log::record(crate::sync_log::Event::Answered {
            session: session_id.to_owned(),
            start: span.start,
            end: span.end,
            status: response.status().as_u16(),
        });
    }
    answer
}

/// A range reserved by a request still streaming its bytes; released when dropped early.
struct Reservation {
    lock: Arc<SessionLock>,
    span: Option<Range<u64>>,
}

impl Reservation {
    /// Releases the range now (the request is done with it).
    fn release(&mut self) {
        if let Some(span) = self.span.take() {
            self.lock.release(span);
        }
    }
}

impl Drop for Reservation {
    /// Synchronous: a handler future may be dropped anywhere, even outside a runtime.
    fn drop(&mut self) {
        self.release();
    }
}

async fn write_bytes(
    file: Arc<std::fs::File>,
    span: &Range<u64>,
    body: Body,
    sync: &SyncGate,
) -> Result<(), ApiError> {
    let expected = span.end - span.start;
    write_fragment(file, span.start, expected, body, sync)
        .await
        .map_err(|error| match error {
            WriteError::Short { received } => ApiError::length_mismatch(format!(
                "the body ended after {received} of {expected} bytes"
            )),
            WriteError::Long => {
                ApiError::length_mismatch(format!("the body is longer than {expected} bytes"))
            }
            WriteError::Client(message) => ApiError::length_mismatch(format!(
                "the body ended before its {expected} bytes arrived: {message}"
            )),
            WriteError::Disk(error) => error.into(),
        })
}

/// Records `span` as received (its bytes are already durable), then either answers with what
/// is still missing or completes the upload, in one transaction. The caller holds the
/// session's lock, whose `known` record it updates.
async fn record_and_answer(
    state: &Arc<AppState>,
    session_id: &str,
    known: &mut Known,
    span: Option<Range<u64>>,
) -> Result<Response, ApiError> {
    let mut session = current(state, session_id, known).await?;
    let mut received = received_set(&session);
    if let Some(span) = span {
        received.insert(span);
    }
    if received.total_len() < session.size {
        session.received = received.iter().map(|r| (r.start, r.end)).collect();
        let now_ms = state.now().as_millis() as u64;
        session.expires_ms = now_ms + state.config.session_ttl.as_millis() as u64;
        let stored = session.clone();
        state
            .db(move |store| Ok(store.put_grouped(Table::Sessions, &stored.id, &stored)?))
            .await?;
        let response = progress_response(&session, &received);
        *known = Known::Live(Box::new(session));
        return Ok(response);
    }
    let response = complete(state, session).await?;
    *known = Known::Gone;
    state.sessions.forget(session_id);
    Ok(response)
}

/// Turns a whole session into its document or attachment, deleting the session, atomically.
async fn complete(state: &Arc<AppState>, session: SessionRecord) -> Result<Response, ApiError> {
    let now = state.now().as_secs() as i64;
    match session.target.clone() {
        SessionTarget::Print {
            job_id,
            conversion_requested,
            ..
        } => {
            let document = state
                .db(move |store| {
                    store.write(|tx| {
                        let mut job: JobRecord = tx
                            .get(Table::Jobs, &job_id)?
                            .ok_or_else(|| ApiError::not_found("the print job no longer exists"))?;
                        if job.state == PrintJobProcessingState::Canceled {
                            return Err(ApiError::not_found(
                                "the print job was canceled: its upload session no longer exists",
                            ));
                        }
                        if job.document.uploaded.is_some() {
                            return Err(ApiError::new(
                                StatusCode::CONFLICT,
                                error_codes::NOT_ALLOWED,
                                "the document was already uploaded through another session",
                            ));
                        }
                        job.document.name = session.name.clone();
                        job.document.content_type =
                            session.content_type.clone().unwrap_or_default();
                        job.document.size = session.size;
                        job.document.uploaded = Some(now);
                        job.document.blob = Some(session.blob.clone());
                        job.document.conversion_requested = conversion_requested;
                        job.details.retain(|detail| detail != "uploadPending");
                        tx.put(Table::Jobs, &job.id, &job)?;
                        tx.delete(Table::Sessions, &session.id)?;
                        Ok(job.document.to_graph())
                    })
                })
                .await?;
            Ok((StatusCode::CREATED, axum::Json(document)).into_response())
        }
        SessionTarget::Todo {
            user_id,
            list_id,
            task_id,
            api_prefix,
        } => {
            let attachment = AttachmentRecord {
                id: uuid::Uuid::new_v4().to_string(),
                list_id: list_id.clone(),
                task_id: task_id.clone(),
                name: session.name.clone(),
                content_type: session.content_type.clone(),
                size: session.size,
                blob: session.blob.clone(),
                modified: now,
            };
            let location = format!(
                "{}{api_prefix}/users/{user_id}/todo/lists/{list_id}/tasks/{task_id}/attachments/{}",
                state.public_url, attachment.id
            );
            state
                .db(move |store| {
                    store.write(|tx| {
                        let mut task: TaskRecord = tx
                            .get(Table::Tasks, &task_id)?
                            .ok_or_else(|| ApiError::not_found("the task no longer exists"))?;
                        task.task.has_attachments = Some(true);
                        tx.put(Table::Tasks, &task_id, &task)?;
                        tx.put(Table::Attachments, &attachment.id, &attachment)?;
                        tx.delete(Table::Sessions, &session.id)?;
                        Ok::<_, ApiError>(())
                    })
                })
                .await?;
            let mut response = (StatusCode::CREATED, Body::empty()).into_response();
            let headers = response.headers_mut();
            headers.insert(header::CONTENT_LENGTH, HeaderValue::from(0));
            if let Ok(value) = HeaderValue::from_str(&location) {
                headers.insert(header::LOCATION, value);
            }
            Ok(response)
        }
    }
}

/// `202` (print, camelCase, every missing range) or `200` (To Do, PascalCase, the start of the
/// next fragment).
fn progress_response(session: &SessionRecord, received: &RangeSet) -> Response {
    if session.is_todo() {
        let status = UploadSessionStatus {
            expiration_date_time: Some(session.expiration()),
            next_expected_ranges: Some(vec![first_missing(received, session.size).to_string()]),
        };
        (StatusCode::OK, axum::Json(PascalCase(&status))).into_response()
    } else {
        (StatusCode::ACCEPTED, axum::Json(status_of(session))).into_response()
    }
}

/// The session's status for `GET {uploadUrl}` and print replies: every missing range, closed.
pub fn status_of(session: &SessionRecord) -> UploadSessionStatus {
    UploadSessionStatus {
        expiration_date_time: Some(session.expiration()),
        next_expected_ranges: Some(next_expected_ranges(session)),
    }
}

/// Missing ranges as Graph writes them; a 0-byte session that has not completed yet still
/// expects its one empty PUT, written `0-`.
pub fn next_expected_ranges(session: &SessionRecord) -> Vec<String> {
    let missing = received_set(session).missing(session.size);
    if missing.is_empty() {
        return vec!["0-".to_string()];
    }
    missing.expected_ranges().map(|r| r.to_string()).collect()
}

/// The received spans of a session as a set.
pub fn received_set(session: &SessionRecord) -> RangeSet {
    session
        .received
        .iter()
        .map(|&(start, end)| start..end)
        .collect()
}

fn first_missing(received: &RangeSet, size: u64) -> u64 {
    received
        .missing(size)
        .iter()
        .next()
        .map_or(size, |span| span.start)
}

/// `DELETE {uploadUrl}`: forgets the session and its bytes.
pub async fn delete_session(state: Arc<AppState>, session_id: &str) -> Result<Response, ApiError> {
    let lock = state.sessions.get(session_id);
    let mut known = lock.record.lock().await;
    let session = current(&state, session_id, &mut known).await?;
    let id = session.id.clone();
    state
        .db(move |store| {
            store.write(|tx| {
                tx.delete(Table::Sessions, &id)?;
                Ok::<_, ApiError>(())
            })
        })
        .await?;
    *known = Known::Gone;
    state.sessions.forget(session_id);
    state.blobs.remove(&session.blob)?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&str, &str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.insert(
                axum::http::HeaderName::from_bytes(name.as_bytes()).unwrap(),
                HeaderValue::from_str(value).unwrap(),
            );
        }
        map
    }

    #[test]
    fn valid_fragment_headers_give_the_span() {
        let fragment = check_headers(
            &headers(&[("content-range", "bytes 0-9/100"), ("content-length", "10")]),
            100,
            50,
        )
        .unwrap();
        assert_eq!(fragment.span, Some(0..10));
        let fragment = check_headers(
            &headers(&[
                ("content-range", "bytes=90-99/100"),
                ("content-length", "10"),
            ]),
            100,
            50,
        )
        .unwrap();
        assert_eq!(fragment.span, Some(90..100));
    }

    #[test]
    fn bad_fragment_headers_get_graph_statuses_and_codes() {
        type Case<'a> = (&'a [(&'a str, &'a str)], u16, Option<&'a str>);
        let cases: &[Case<'_>] = &[
            (&[("content-length", "10")], 400, None),
            (
                &[("content-range", "bytes 0-9"), ("content-length", "10")],
                400,
                None,
            ),
            (
                &[("content-range", "0-9/100"), ("content-length", "10")],
                400,
                None,
            ),
            (
                &[("content-range", "bytes 9-0/100"), ("content-length", "10")],
                400,
                None,
            ),
            (
                &[("content-range", "bytes 0-9/*"), ("content-length", "10")],
                400,
                None,
            ),
            (
                &[("content-range", "bytes 0-9/101"), ("content-length", "10")],
                400,
                Some("fragmentLengthMismatch"),
            ),
            (
                &[("content-range", "bytes 0-9/100"), ("content-length", "9")],
                400,
                Some("fragmentLengthMismatch"),
            ),
            (
                &[("content-range", "bytes 0-9/100")],
                400,
                Some("fragmentLengthMismatch"),
            ),
            (
                &[
                    ("content-range", "bytes 0-9/100"),
                    ("transfer-encoding", "chunked"),
                ],
                400,
                None,
            ),
            (
                &[("content-range", "bytes */100"), ("content-length", "0")],
                400,
                None,
            ),
            (
                &[
                    ("content-range", "bytes 0-99/100"),
                    ("content-length", "100"),
                ],
                413,
                None,
            ),
        ];
        for (pairs, status, inner) in cases {
            let error = check_headers(&headers(pairs), 100, 50).unwrap_err();
            assert_eq!(error.status.as_u16(), *status, "{pairs:?}: {error}");
            assert_eq!(error.inner_code, *inner, "{pairs:?}");
        }
    }

    #[test]
    fn a_reservation_dropped_outside_a_runtime_releases_its_range() {
        // What happens when a handler whose client went away is dropped, here with no Tokio
        // runtime at all (a runtime shutting down drops its tasks after it stopped).
        let lock = Arc::new(SessionLock::default());
        lock.reserve(10..20);
        let reservation = Reservation {
            lock: Arc::clone(&lock),
            span: Some(10..20),
        };
        assert!(tokio::runtime::Handle::try_current().is_err(), "no runtime");
        drop(reservation);
        assert!(
            lock.reserved_set().is_empty(),
            "the range stayed reserved after its request was dropped"
        );
    }

    #[tokio::test]
    async fn a_reservation_dropped_while_the_record_is_locked_releases_its_range_at_once() {
        let lock = Arc::new(SessionLock::default());
        lock.reserve(0..5);
        let _holder = lock.record.lock().await;
        drop(Reservation {
            lock: Arc::clone(&lock),
            span: Some(0..5),
        });
        assert!(!lock.is_reserved(&(0..5)));
    }

    /// PUTs `data` in `pieces` in order and asserts that each read one session record.
    async fn each_put_reads_the_session_once(
        app: &crate::test_app::TestApp,
        url: &str,
        data: &[u8],
        pieces: usize,
    ) {
        let step = data.len().div_ceil(pieces).max(1);
        let chunks: Vec<&[u8]> = if data.is_empty() {
            vec![&[]]
        } else {
            data.chunks(step).collect()
        };
        for (n, chunk) in chunks.into_iter().enumerate() {
            let before = app.state.store.session_reads();
            let answer = app
                .put(url, (n * step) as u64, chunk, data.len() as u64)
                .await;
            assert!(answer.status.is_success(), "{answer:?}");
            assert_eq!(
                app.state.store.session_reads() - before,
                1,
                "PUT {n} ({}) read the session record more than once",
                answer.status
            );
        }
    }

    #[tokio::test]
    async fn a_fragment_put_reads_the_session_record_once() {
        let app = crate::test_app::TestApp::new().await;
        let data: Vec<u8> = (0..3000u32).map(|i| (i % 251) as u8).collect();
        let (_, document, url) = app.print_upload(data.len() as u64).await;
        each_put_reads_the_session_once(&app, &url, &data, 3).await;
        let value = app
            .api(axum::http::Method::GET, &format!("{document}/$value"), None)
            .await;
        assert_eq!(value.body, data, "the document is the bytes sent");

        let url = app.todo_upload(data.len() as u64).await;
        each_put_reads_the_session_once(&app, &url, &data, 4).await;

        // The 0-byte upload completes on its one PUT, with one read too.
        let (_, _, url) = app.print_upload(0).await;
        each_put_reads_the_session_once(&app, &url, &[], 1).await;
    }

    #[tokio::test]
    async fn puts_to_sessions_that_do_not_exist_leave_no_lock_behind() {
        let app = crate::test_app::TestApp::new().await;
        let (_, _, url) = app.print_upload(10).await;
        app.put(&url, 0, b"01234", 10).await;
        let sessions = app.state.sessions.len();
        for n in 0..20 {
            let id = uuid::Uuid::new_v4();
            let path = format!("{}/attachmentSessions/{id}", crate::test_app::todo_task());
            let answer = app.put(&path, 0, &[n], 10).await;
            assert_eq!(answer.status, 404, "{answer:?}");
        }
        assert_eq!(app.state.sessions.len(), sessions);
        // Completing forgets the session's lock too.
        app.put(&url, 5, b"56789", 10).await;
        assert_eq!(app.state.sessions.len(), sessions - 1);
    }

    #[test]
    fn empty_upload_is_bytes_star_slash_zero() {
        let fragment = check_headers(
            &headers(&[("content-range", "bytes */0"), ("content-length", "0")]),
            0,
            50,
        )
        .unwrap();
        assert_eq!(fragment.span, None);
    }
}
