#![doc = include_str!("../README.md")]
#![deny(missing_docs)]
#![forbid(unsafe_code)]
#![cfg_attr(not(test), deny(clippy::unwrap_used, clippy::expect_used))]

pub mod adaptive;
#[cfg(feature = "azure")]
mod azure;
mod clock;
mod credential;
mod drive;
mod drive_address;
mod drive_folder;
mod engine;
mod error;
mod flow;
mod fnv;
mod journal;
mod outcome;
mod outlook;
mod path_segment;
mod print;
mod profile;
mod progress;
mod reply;
mod resume;
mod retry;
mod service;
mod session;
mod small_file;
mod source;
mod todo;
mod transport_limit;
mod upload_url;
mod uploader;

#[cfg(feature = "test-util")]
pub use clock::InstantClock;
/// The journal's file format, for tests that write a journal as an earlier run would have
/// (feature `test-util`; not part of the stable API).
#[cfg(feature = "test-util")]
#[doc(hidden)]
pub mod test_journal {
    pub use crate::journal::{Fingerprint, JOURNAL_FORMAT, Journal, JournalEntry, LOCK_MARKER};
}
#[cfg(feature = "azure")]
pub use azure::{AzureCredential, GRAPH_SCOPE, REFRESH_MARGIN};
pub use clock::{Clock, TokioClock};
pub use credential::{AccessToken, CredentialError, StaticToken, TokenFn, TokenProvider};
pub use drive::DriveUpload;
pub use drive_address::{DriveLocation, DriveOwner};
pub use error::{InvalidInput, ServiceError, UploadError};
pub use graph_upload_models as models;
pub use graph_upload_ranges as ranges;
pub use graph_upload_transport as transport;
pub use journal::JournalError;
pub use outcome::{OutlookAttachment, PrintedDocument, TodoAttachment, UploadOutcome, Uploaded};
pub use outlook::{OutlookItem, OutlookUpload};
pub use path_segment::encode_path_segment;
pub use print::PrintUpload;
pub use profile::{EndpointProfile, LimitError, Size};
pub use progress::ProgressEvent;
pub use retry::RetryPolicy;
pub use session::SessionUpload;
pub use source::{SeekableReader, UploadSource};
pub use todo::TodoUpload;
pub use tokio_util::sync::CancellationToken;
pub use transport_limit::LimitedTransport;
pub use uploader::{Uploader, UploaderBuilder};
/// The Azure SDK crates under [`AzureCredential`] (feature `azure`), so that a
/// `TokenCredential` built with options is of the same version.
#[cfg(feature = "azure")]
pub use {azure_core, azure_identity};

/// The workspace README's examples, compiled as doctests (not part of the published docs).
#[cfg(doctest)]
#[doc = include_str!("../../../README.md")]
struct WorkspaceReadme;
