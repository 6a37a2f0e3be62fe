//! What an upload reports while it runs.

use graph_upload_models::UploadUrl;
use std::ops::Range;
use std::sync::Arc;
use std::time::Duration;

/// An event of a running upload.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ProgressEvent {
    /// A session exists; `acknowledged` bytes of `total` are already on the server (resume).
    SessionReady {
        /// The upload URL (prints without its query string).
        upload_url: UploadUrl,
        /// File size.
        total: u64,
        /// Bytes the server already has.
        acknowledged: u64,
    },
    /// A fragment is being sent.
    FragmentStarted(Range<u64>),
    /// The server accepted a fragment; `acknowledged` bytes of `total` are now stored.
    FragmentAcknowledged {
        /// The fragment.
        span: Range<u64>,
        /// Bytes the server has.
        acknowledged: u64,
        /// File size.
        total: u64,
    },
    /// The adaptive fragment size or parallelism changed ([`crate::adaptive`]): they apply to
    /// the fragments sent from now on.
    Adapted {
        /// Bytes of the next fragment.
        fragment_size: u64,
        /// Fragments in flight at once.
        parallel: usize,
    },
    /// A request failed and will be retried after `delay`.
    Retrying {
        /// Attempt number (1 for the first retry).
        attempt: u32,
        /// Wait before the retry.
        delay: Duration,
        /// Why.
        reason: String,
        /// The request's URL, without its query string (which may carry a token).
        url: String,
    },
    /// Something the user should know that does not stop the upload (a stale journal
    /// replaced, remote state that could not be cleaned up).
    Warning {
        /// One line, without secrets.
        message: String,
    },
    /// The client asked the server what it has (after a `416`, a timeout or a dropped
    /// connection) and will send only the missing ranges.
    Resumed {
        /// Bytes the server has.
        acknowledged: u64,
    },
    /// The server confirmed the whole file.
    Completed {
        /// File size.
        total: u64,
    },
}

/// A progress callback. It runs on the upload's task: keep it short.
pub(crate) type ProgressFn = Arc<dyn Fn(ProgressEvent) + Send + Sync>;

/// Where events go: an optional callback, printable for `Debug`.
#[derive(Clone, Default)]
pub(crate) struct ProgressSink(pub(crate) Option<ProgressFn>);

impl ProgressSink {
    /// Sends `event` to the callback, if any.
    pub(crate) fn emit(&self, event: ProgressEvent) {
        if let Some(callback) = &self.0 {
            callback(event);
        }
    }

    /// A [`ProgressEvent::Warning`], also logged.
    pub(crate) fn warn(&self, message: String) {
        tracing::warn!("{message}");
        self.emit(ProgressEvent::Warning { message });
    }
}

impl std::fmt::Debug for ProgressSink {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(if self.0.is_some() {
            "ProgressSink(callback)"
        } else {
            "ProgressSink(none)"
        })
    }
}
