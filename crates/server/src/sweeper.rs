//! Expired sessions and their bytes are removed in the background; bytes that no record
//! refers to (a crash between creating a blob and recording it) are removed at start-up.

use crate::blobs::Blobs;
use crate::errors::ApiError;
use crate::records::{AttachmentRecord, JobRecord, MailAttachmentRecord, SessionRecord};
use crate::state::AppState;
use crate::store::{Store, Table};
use std::collections::HashSet;
use std::sync::Arc;
use tokio::sync::oneshot;

/// Sweeps every `sweep_interval` until `stop` fires.
pub async fn run(state: Arc<AppState>, mut stop: oneshot::Receiver<()>) {
    let mut interval = tokio::time::interval(state.config.sweep_interval);
    loop {
        tokio::select! {
            _ = &mut stop => return,
            _ = interval.tick() => {
                if let Err(error) = sweep_expired(&state).await {
                    tracing::warn!(%error, "sweeping expired sessions failed");
                }
            }
        }
    }
}

/// Deletes every expired session and its bytes; returns how many.
pub async fn sweep_expired(state: &AppState) -> Result<usize, ApiError> {
    let sessions: Vec<SessionRecord> = state.db(|store| Ok(store.list(Table::Sessions)?)).await?;
    let now = state.now();
    let mut removed = 0;
    for session in sessions.into_iter().filter(|s| s.expired(now)) {
        let lock = state.sessions.get(&session.id);
        let mut known = lock.record.lock().await;
        let id = session.id.clone();
        let deleted = state
            .db(move |store| {
                store.write(|tx| {
                    // Re-checked under the lock: a fragment may have just extended it.
                    match tx.get::<SessionRecord>(Table::Sessions, &id)? {
                        Some(current) if current.expired(now) => {
                            tx.delete(Table::Sessions, &id)?;
                            Ok::<_, ApiError>(true)
                        }
                        _ => Ok(false),
                    }
                })
            })
            .await?;
        if deleted {
            state.sessions.forget(&session.id, &mut known);
            state.blobs.remove(&session.blob)?;
            tracing::info!(
                target: crate::request_log::SESSION_TARGET,
                session = %session.id,
                kind = %session.kind(),
                received = session.bytes_received(),
                size = session.size,
                expired = %session.expiration(),
                "session expired"
            );
            removed += 1;
        }
    }
    Ok(removed)
}

/// Removes blobs that no session, document, attachment (To Do or Outlook) or drive item refers
/// to.
pub fn remove_orphan_blobs(store: &Store, blobs: &Blobs) -> Result<usize, ApiError> {
    let mut referenced = HashSet::new();
    for session in store.list::<SessionRecord>(Table::Sessions)? {
        referenced.insert(session.blob);
    }
    for job in store.list::<JobRecord>(Table::Jobs)? {
        referenced.extend(job.document.blob);
    }
    for attachment in store.list::<AttachmentRecord>(Table::Attachments)? {
        referenced.insert(attachment.blob);
    }
    for item in store.list::<crate::drive::DriveItemRecord>(Table::DriveItems)? {
        referenced.extend(item.blob);
    }
    for attachment in store.list::<MailAttachmentRecord>(Table::MailAttachments)? {
        referenced.insert(attachment.blob);
    }
    let mut removed = 0;
    for id in blobs.ids()? {
        if !referenced.contains(&id) {
            blobs.remove(&id)?;
            removed += 1;
        }
    }
    Ok(removed)
}
