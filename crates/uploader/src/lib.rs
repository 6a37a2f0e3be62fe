//! Resumable, parallel, bounded-memory uploads through Microsoft Graph upload sessions:
//! Universal Print documents and To Do attachments.
//!
//! ```no_run
//! # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
//! use graph_upload::{Uploader, UploadSource};
//! use graph_upload::transport::{ReqwestTransport, TransportConfig};
//! use std::sync::Arc;
//!
//! let transport = Arc::new(ReqwestTransport::new(TransportConfig::default())?);
//! let uploader = Uploader::new("https://graph.microsoft.com/v1.0", "TOKEN", transport);
//! let source = UploadSource::from_path("report.pdf")?;
//! let result = uploader
//!     .print_to_share("1c879027-5120-4aaf-954a-ebfd509a3bcc")
//!     .document_name("report.pdf")
//!     .upload(&source)
//!     .await?;
//! println!("uploaded {} bytes as document {}", result.document.size, result.document.id);
//! # Ok(()) }
//! ```
//!
//! The crate re-exports its building blocks: [`models`] (wire types), [`ranges`] (byte
//! ranges and fragment planning) and [`transport`] (the HTTP seam and its backends), so most
//! users depend on this crate alone.

#![deny(missing_docs)]
#![forbid(unsafe_code)]
#![cfg_attr(not(test), deny(clippy::unwrap_used, clippy::expect_used))]

mod clock;
mod credential;
mod engine;
mod error;
mod flow;
mod fnv;
mod journal;
mod outcome;
mod print;
mod profile;
mod progress;
mod reply;
mod resume;
mod retry;
mod service;
mod session;
mod source;
mod todo;
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
pub use clock::{Clock, TokioClock};
pub use credential::{AccessToken, CredentialError, StaticToken, TokenFn, TokenProvider};
pub use error::{InvalidInput, ServiceError, UploadError};
pub use graph_upload_models as models;
pub use graph_upload_ranges as ranges;
pub use graph_upload_transport as transport;
pub use journal::JournalError;
pub use outcome::{PrintedDocument, TodoAttachment, UploadOutcome, Uploaded};
pub use print::PrintUpload;
pub use profile::{EndpointProfile, LimitError, Size};
pub use progress::ProgressEvent;
pub use retry::RetryPolicy;
pub use session::SessionUpload;
pub use source::{SeekableReader, UploadSource};
pub use todo::TodoUpload;
pub use tokio_util::sync::CancellationToken;
pub use uploader::{Uploader, UploaderBuilder};
