//! Why the database failed, with the cause (redb's or serde_json's error) kept as the source.

use std::sync::Arc;

/// The database failed, or a stored record no longer parses.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// Another process holds the database (another `graph-upload serve` on the same data
    /// directory).
    #[error(
        "it is in use by another process (another graph-upload serve?): its database is locked; stop that one or choose another data directory"
    )]
    InUse,
    /// redb failed: opening, a transaction, a table, the storage or a commit.
    #[error("the database failed: {0}")]
    Database(#[source] redb::Error),
    /// A stored record no longer parses as what its table holds.
    #[error("a stored record does not parse: {0}")]
    Decode(#[source] serde_json::Error),
    /// A record cannot be written as JSON.
    #[error("a record cannot be written as JSON: {0}")]
    Encode(#[source] serde_json::Error),
    /// The grouped commit that carried this record failed: every record of it fails with
    /// the one cause.
    #[error("the grouped commit failed: {0}")]
    Batch(#[source] Arc<StoreError>),
    /// A failure a test asked for.
    #[cfg(test)]
    #[error("injected commit failure")]
    Injected,
}

impl StoreError {
    /// Any of redb's errors (they all convert into `redb::Error`).
    pub(super) fn db(error: impl Into<redb::Error>) -> Self {
        StoreError::Database(error.into())
    }
}
