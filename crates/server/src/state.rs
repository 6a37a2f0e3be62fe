//! What every handler shares: configuration, storage, the URL signer and per-session locks.

use crate::auth::UploadSigner;
use crate::blobs::{Blobs, SyncGate};
use crate::config::ServerConfig;
use crate::errors::ApiError;
use crate::faults::FaultPlan;
use crate::recent_requests::RecentRequests;
use crate::records::SessionRecord;
use crate::stats::Stats;
use crate::store::Store;
use graph_upload_ranges::RangeSet;
use std::collections::HashMap;
use std::ops::Range;
use std::sync::{Arc, Mutex};

/// Shared server state.
#[derive(Debug)]
pub struct AppState {
    /// Settings.
    pub config: ServerConfig,
    /// The database.
    pub store: Arc<Store>,
    /// The bytes.
    pub blobs: Blobs,
    /// Signs print upload URLs.
    pub signer: UploadSigner,
    /// Base URL for upload URLs and `Location` headers, without a trailing slash.
    pub public_url: String,
    /// One lock per session, around its metadata (not around byte copies).
    pub sessions: SessionLocks,
    /// The fault rules in force.
    pub faults: FaultPlan,
    /// What `GET /_emulator/stats` reports.
    pub stats: Arc<Stats>,
    /// What `GET /_emulator/requests` reports.
    pub recent: RecentRequests,
    /// Counts the app's requests as they start and end, so that `GET /_emulator/changes`
    /// can wake a dashboard as soon as something may have changed.
    pub changes: tokio::sync::watch::Sender<u64>,
}

impl AppState {
    /// Runs a blocking storage call off the async threads.
    pub async fn db<R: Send + 'static>(
        &self,
        call: impl FnOnce(&Store) -> Result<R, ApiError> + Send + 'static,
    ) -> Result<R, ApiError> {
        let store = Arc::clone(&self.store);
        tokio::task::spawn_blocking(move || call(&store))
            .await
            .map_err(|error| ApiError::internal(format!("storage task failed: {error}")))?
    }

    /// Now, from the configured clock.
    pub fn now(&self) -> std::time::Duration {
        self.config.clock.now()
    }
}

/// The lock of one session and what it guards.
///
/// Every change to a session's record is made by a holder of `record`, which keeps the
/// latest durable version there: a fragment PUT reads the record from the database once, at
/// its start, and finds the changes other requests made meanwhile in `record`, not in another
/// read.
#[derive(Debug, Default)]
pub struct SessionLock {
    /// The record as its last holder left it.
    pub record: tokio::sync::Mutex<Known>,
    /// Spans reserved by requests still streaming their bytes, which no other request may
    /// write until they are stored or abandoned. A std mutex, never held across an `.await`:
    /// a request dropped mid-body releases its span synchronously, without a runtime.
    pub reserved: Mutex<RangeSet>,
    /// Shares fsyncs of the session's file between its parallel fragments.
    pub sync: SyncGate,
}

impl SessionLock {
    /// Whether `span` overlaps a span still reserved.
    pub fn is_reserved(&self, span: &Range<u64>) -> bool {
        self.reserved_set().overlaps(span)
    }

    /// Reserves `span`; the caller holds `record` and has checked
    /// [`is_reserved`](Self::is_reserved).
    pub fn reserve(&self, span: Range<u64>) {
        self.reserved_set().insert(span);
    }

    /// Releases a span reserved by [`reserve`](Self::reserve).
    pub fn release(&self, span: Range<u64>) {
        self.reserved_set().subtract(span);
    }

    /// The reserved spans.
    pub fn reserved_set(&self) -> std::sync::MutexGuard<'_, RangeSet> {
        self.reserved
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// What the holder of a session's lock knows of its record.
#[derive(Debug, Default)]
pub enum Known {
    /// Nobody has read it under this lock yet.
    #[default]
    Unread,
    /// The record as stored now.
    Live(Box<SessionRecord>),
    /// Completed, deleted, cancelled, swept or never existed: the id is dead for good.
    Gone,
}

/// The lock of each session, created on first use.
#[derive(Debug, Default)]
pub struct SessionLocks {
    locks: Mutex<HashMap<String, Arc<SessionLock>>>,
}

impl SessionLocks {
    /// The lock of `session_id`.
    pub fn get(&self, session_id: &str) -> Arc<SessionLock> {
        let mut locks = self
            .locks
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        Arc::clone(locks.entry(session_id.to_owned()).or_default())
    }

    /// Forgets the lock of a session that no longer exists, first marking it
    /// [`Known::Gone`] through the holder's guard (`known`), so that requests still waiting
    /// on the lock see that.
    pub fn forget(&self, session_id: &str, known: &mut Known) {
        *known = Known::Gone;
        let mut locks = self
            .locks
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        locks.remove(session_id);
    }

    /// The spans of `session_id` being streamed now, if its lock exists (never creates one).
    pub fn reserved(&self, session_id: &str) -> Option<RangeSet> {
        let locks = self
            .locks
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        locks
            .get(session_id)
            .map(|lock| lock.reserved_set().clone())
    }

    /// How many locks are kept (tests: ids that do not exist must not leave one behind).
    #[cfg_attr(not(test), allow(dead_code))]
    pub fn len(&self) -> usize {
        self.locks
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .len()
    }
}

impl From<std::io::Error> for ApiError {
    fn from(error: std::io::Error) -> Self {
        tracing::error!(%error, "disk failure");
        ApiError::internal(format!("the emulator's disk failed: {error}"))
    }
}
