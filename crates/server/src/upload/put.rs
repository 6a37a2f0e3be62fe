//! Accepting a fragment: checked against what the session has received and what other
//! requests are writing, its range reserved while its bytes stream to disk, then recorded.

use super::complete::record_and_answer;
use super::fragment::{check_headers, max_fragment};
use super::read_locked;
use crate::blobs::{SyncGate, WriteError, write_fragment};
use crate::errors::ApiError;
use crate::records::SessionRecord;
use crate::state::{AppState, SessionLock};
use axum::body::Body;
use axum::http::HeaderMap;
use axum::response::Response;
use graph_upload_models::error_codes;
use std::ops::Range;
use std::sync::Arc;

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
        // A drive session learns its size from its first fragment when `fileSize` was not given.
        let session = crate::drive::learn_size(&state, &mut known, session, headers).await?;
        let fragment = check_headers(headers, session.size, max_fragment(&state.config, &session))?;
        let Some(span) = fragment.span else {
            // The 0-byte upload: nothing to write, the session completes now.
            return record_and_answer(&state, session_id, &mut known, None).await;
        };
        if session.received_set().overlaps(&span) || lock.is_reserved(&span) {
            return Err(ApiError::range(
                error_codes::FRAGMENT_OVERLAP,
                format!(
                    "bytes {}-{} overlap bytes already received or being received; GET the session for nextExpectedRanges",
                    span.start,
                    span.end - 1
                ),
            ));
        }
        crate::drive::warn_if_off_quantum(&session, &span);
        if session.in_order() {
            let expected = session.first_missing();
            if span.start != expected {
                return Err(ApiError::range(
                    error_codes::FRAGMENT_OUT_OF_ORDER,
                    format!(
                        "this session takes fragments in order: the next fragment starts at byte {expected}, not {}",
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

/// Streams the body to its span of the blob, durably; a body of the wrong length, or one
/// the client stopped sending, is Graph's `fragmentLengthMismatch`.
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
            WriteError::Client(error) => ApiError::length_mismatch(format!(
                "the body ended before its {expected} bytes arrived: {error}"
            )),
            WriteError::Disk(error) => error.into(),
        })
}

#[cfg(test)]
mod tests {
    use super::*;

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
        let parts: Vec<&[u8]> = if data.is_empty() {
            vec![&[]]
        } else {
            data.chunks(step).collect()
        };
        for (n, part) in parts.into_iter().enumerate() {
            let before = app.state.store.session_reads();
            let answer = app
                .put(url, (n * step) as u64, part, data.len() as u64)
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
        let value = app.print_value(&document).await;
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
}
