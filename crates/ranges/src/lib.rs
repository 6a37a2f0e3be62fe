//! Byte ranges for Microsoft Graph upload sessions.
//!
//! - [`ByteRange`]: one item of `nextExpectedRanges`, in any of its three forms
//!   (`"s-e"`, `"s-"`, To Do's `"s"`).
//! - [`ContentRange`]: the `Content-Range` header of a fragment `PUT`.
//! - [`RangeSet`]: the missing (or received) bytes of a file.
//! - [`FragmentPlan`]: the fragments to send next, in multiples of [`GRAPH_QUANTUM`].
//!
//! The parsers never allocate and their errors carry no `String`. The crate has no
//! dependencies.
//!
//! A client resuming an upload:
//!
//! ```
//! use graph_upload_ranges::{FragmentSize, ContentRange, RangeSet};
//!
//! let size = 4_533_322;
//! // From the session: `"nextExpectedRanges": ["72797-4533321"]`.
//! let missing = RangeSet::from_expected(["72797-4533321"], size)?;
//!
//! let fragment = FragmentSize::graph(4 * 1024 * 1024)?;
//! let headers: Vec<String> = fragment
//!     .plan(&missing)
//!     .map(|span| ContentRange::from_range(span, size).map(|h| h.to_string()))
//!     .collect::<Result<_, _>>()?;
//! assert_eq!(headers[0], "bytes 72797-4004956/4533322");
//! assert_eq!(headers[1], "bytes 4004957-4533321/4533322");
//! assert_eq!(headers.len(), 2);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
#![deny(missing_docs)]
#![forbid(unsafe_code)]
#![cfg_attr(not(test), deny(clippy::unwrap_used, clippy::expect_used))]

mod content_range;
mod error;
mod plan;
mod range;
mod scan;
mod set;

pub use content_range::ContentRange;
pub use error::{ExpectedRangesError, ParseError, PlanError, RangeError};
pub use plan::{FragmentPlan, FragmentSize, GRAPH_QUANTUM};
pub use range::{ByteRange, RangeEnd};
pub use set::{ExpectedRanges, RangeSet, Spans};

/// The README's examples, compiled and run as doctests so that they cannot rot.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;
