//! What every handler shares: configuration, storage, the URL signer and per-session locks.

use crate::auth::UploadSigner;
use crate::blobs::{Blobs, SyncGate};
use crate::config::ServerConfig;
use crate::errors::ApiError;
use crate::faults::FaultPlan;
use crate::stats::Stats;
use crate::store::Store;
use graph_upload_ranges::RangeSet;
use std::collections::HashMap;
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

/// What a session's lock guards: the ranges being written right now, which no other request
/// may write until they are stored or abandoned.
#[derive(Debug, Default)]
pub struct InFlight {
    /// Spans reserved by requests still streaming their bytes.
    pub reserved: RangeSet,
    /// Shares fsyncs of the session's file between its parallel fragments.
    pub sync: Arc<SyncGate>,
}

/// The lock of each session, created on first use.
#[derive(Debug, Default)]
pub struct SessionLocks {
    locks: Mutex<HashMap<String, Arc<tokio::sync::Mutex<InFlight>>>>,
}

impl SessionLocks {
    /// The lock of `session_id`.
    pub fn get(&self, session_id: &str) -> Arc<tokio::sync::Mutex<InFlight>> {
        let mut locks = self
            .locks
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        Arc::clone(locks.entry(session_id.to_owned()).or_default())
    }

    /// Forgets the lock of a session that no longer exists.
    pub fn forget(&self, session_id: &str) {
        let mut locks = self
            .locks
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        locks.remove(session_id);
    }
}

impl From<std::io::Error> for ApiError {
    fn from(error: std::io::Error) -> Self {
        tracing::error!(%error, "disk failure");
        ApiError::internal(format!("the emulator's disk failed: {error}"))
    }
}
