#![doc = include_str!("../README.md")]
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
