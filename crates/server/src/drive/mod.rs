//! OneDrive and SharePoint drives (`docs/protocol.md` section 7): the fixture drives and
//! their items, and what a drive upload session does that print and To Do sessions do not —
//! learn its size from its first fragment, take fragments in order, and commit into an item
//! with a conflict behaviour, at once or on `POST {uploadUrl}` (`deferCommit`).
//!
//! [`address`] parses the paths below a drive, [`tree`] looks items up, [`commit`] turns an
//! uploaded session into its item, [`folder`] makes a new folder. The HTTP handlers are in `routes/drive.rs`.

pub(crate) mod address;
mod commit;
pub(crate) mod drives;
mod folder;
mod item;
mod seed;
pub(crate) mod tree;

pub use commit::commit;
pub use folder::{NewFolder, create_folder};
pub use item::{DriveItemRecord, mime_of};
pub use seed::seed;

use crate::errors::ApiError;
use crate::records::{SessionRecord, SessionTarget};
use crate::request_log::SESSION_TARGET;
use crate::state::{AppState, Known};
use crate::store::Table;
use axum::Json;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use graph_upload_ranges::{ContentRange, GRAPH_QUANTUM};
use std::ops::Range;
use std::sync::Arc;

/// Graph's code for a name taken at commit (`conflictBehavior: fail`).
pub const NAME_ALREADY_EXISTS: &str = "nameAlreadyExists";
/// Graph's code for an upload past the drive's quota.
pub const INSUFFICIENT_STORAGE: &str = "insufficientStorage";

/// `507 insufficientStorage`: `size` more bytes do not fit in `free`.
pub fn over_quota(size: u64, free: u64) -> ApiError {
    ApiError::new(
        StatusCode::INSUFFICIENT_STORAGE,
        INSUFFICIENT_STORAGE,
        format!("{size} bytes do not fit in the drive: {free} bytes of its quota are free"),
    )
}

/// A drive session created without `fileSize` learns its size from the `Content-Range` total
/// of its first fragment, checked against the drive's free space. Other sessions, and
/// headers `check_headers` will refuse anyway, pass unchanged.
pub async fn learn_size(
    state: &AppState,
    known: &mut Known,
    mut session: SessionRecord,
    headers: &HeaderMap,
) -> Result<SessionRecord, ApiError> {
    let SessionTarget::Drive {
        drive_id,
        size_known: false,
        ..
    } = &session.target
    else {
        return Ok(session);
    };
    let Some(total) = headers
        .get(header::CONTENT_RANGE)
        .and_then(|value| value.to_str().ok())
        .and_then(|text| text.parse::<ContentRange>().ok())
        .and_then(|range| range.total())
    else {
        return Ok(session);
    };
    let drive = drives::drive_by_id(drive_id)?;
    let quota = state.config.drive_quota;
    let used = state
        .db(move |store| Ok(tree::Tree::load(store, drive)?.used()))
        .await?;
    let free = quota.saturating_sub(used);
    if total > free {
        return Err(over_quota(total, free));
    }
    session.size = total;
    if let SessionTarget::Drive { size_known, .. } = &mut session.target {
        *size_known = true;
    }
    let stored = session.clone();
    state
        .db(move |store| Ok(store.put_grouped(Table::Sessions, &stored.id, &stored)?))
        .await?;
    *known = Known::Live(Box::new(session.clone()));
    Ok(session)
}

/// Graph wants every drive fragment but the last to be a multiple of 320 KiB, yet documents
/// the others as a risk, not an error, and Microsoft's own SDKs send them: accepted, with a
/// warning in the log.
pub fn warn_if_off_quantum(session: &SessionRecord, span: &Range<u64>) {
    if session.is_drive()
        && span.end < session.size
        && !(span.end - span.start).is_multiple_of(GRAPH_QUANTUM)
    {
        tracing::warn!(
            target: SESSION_TARGET,
            session = %session.id,
            range = %format_args!("{}-{}", span.start, span.end - 1),
            "drive fragment is not a multiple of 320 KiB (Graph may refuse it at commit)"
        );
    }
}

/// Records a drive fragment (its bytes are durable), then answers `202` with what is
/// missing, or, once every byte is there, commits, unless the session defers its commit
/// (`202` with no range missing). The caller holds the session's lock.
pub async fn record_and_answer(
    state: &Arc<AppState>,
    session_id: &str,
    known: &mut Known,
    mut session: SessionRecord,
    span: Option<Range<u64>>,
) -> Result<Response, ApiError> {
    let mut received = session.received_set();
    if let Some(span) = &span {
        received.insert(span.clone());
    }
    session.set_received(&received);
    session.renew(state.now(), state.config.session_ttl);
    let complete = received.total_len() >= session.size;
    let mut deferred = false;
    if let SessionTarget::Drive {
        uploaded,
        defer_commit,
        ..
    } = &mut session.target
    {
        *uploaded = complete;
        deferred = *defer_commit;
    }
    let stored = session.clone();
    state
        .db(move |store| Ok(store.put_grouped(Table::Sessions, &stored.id, &stored)?))
        .await?;
    *known = Known::Live(Box::new(session.clone()));
    if let Some(span) = &span {
        tracing::info!(
            target: SESSION_TARGET,
            session = %session_id,
            range = %format_args!("{}-{}", span.start, span.end - 1),
            received = received.total_len(),
            size = session.size,
            "fragment accepted"
        );
    }
    if !complete || deferred {
        return Ok((StatusCode::ACCEPTED, Json(session.status())).into_response());
    }
    commit(state, session_id, known, session).await
}
