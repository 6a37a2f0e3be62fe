#![doc = include_str!("../README.md")]
#![deny(missing_docs)]
#![forbid(unsafe_code)]
#![cfg_attr(not(test), deny(clippy::unwrap_used, clippy::expect_used))]

mod collection;
mod datetime;
mod error_body;
mod generated;
mod pascal_case;
mod upload_url;

pub use collection::Collection;
pub use datetime::{DateTimeParseError, GraphDateTime};
pub use generated::*;
pub use pascal_case::{PascalCase, SerializePascalCase};
/// The `time` crate, for building [`GraphDateTime`] values.
pub use time;
pub use upload_url::{UploadUrl, redact};

/// Graph's size limit for a To Do attachment: 25 MiB.
pub const TODO_MAX_ATTACHMENT_SIZE: u64 = 25 * 1024 * 1024;
/// Largest fragment a To Do upload PUT may carry: 4 MiB.
pub const TODO_MAX_FRAGMENT_SIZE: u64 = 4 * 1024 * 1024;
/// Largest fragment a print upload PUT may carry: 10 MiB (Graph advises staying below it).
pub const PRINT_MAX_FRAGMENT_SIZE: u64 = 10 * 1024 * 1024;
/// Below this size a To Do file can be attached with one `POST .../attachments`: 3 MB.
pub const TODO_INLINE_ATTACHMENT_LIMIT: u64 = 3 * 1000 * 1000;
/// Largest fragment a drive (OneDrive, SharePoint) upload PUT may carry: Graph wants fragments
/// under 60 MiB and in multiples of 320 KiB, so 60 MiB less one quantum.
pub const DRIVE_MAX_FRAGMENT_SIZE: u64 = 60 * 1024 * 1024 - 320 * 1024;
/// Largest fragment an Outlook attachment upload PUT may carry: 4 MB.
pub const OUTLOOK_MAX_FRAGMENT_SIZE: u64 = 4 * 1000 * 1000;
/// The smallest Outlook attachment an upload session takes (3 MB); below it, attach the file
/// with one `POST .../attachments`.
pub const OUTLOOK_MIN_SESSION_SIZE: u64 = 3 * 1000 * 1000;
/// The largest Outlook attachment: 150 MB.
pub const OUTLOOK_MAX_ATTACHMENT_SIZE: u64 = 150 * 1000 * 1000;
/// The `@odata.type` of an Outlook file attachment in create requests.
pub const FILE_ATTACHMENT_ODATA_TYPE: &str = "#microsoft.graph.fileAttachment";
/// The `@odata.type` of a To Do file attachment in create requests.
pub const TASK_FILE_ATTACHMENT_ODATA_TYPE: &str = "#microsoft.graph.taskFileAttachment";

/// The README's examples, compiled and run as doctests so that they cannot rot.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;
