//! Error types shared by the parsers, the range constructors and the planner.
//!
//! None of them carries a `String`: the parsers never allocate, so errors name the
//! offending numbers and byte positions instead of quoting the input.

use core::fmt;

/// Why a `nextExpectedRanges` item or a `Content-Range` header could not be parsed.
///
/// Byte positions (`pos`) are offsets into the text exactly as it was given to the
/// parser, before surrounding spaces and tabs were trimmed, so they can be used to
/// point into the original header or JSON string.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ParseError {
    /// The text was empty or held only spaces and tabs.
    Empty,
    /// A character that has no place there, e.g. a letter, an inner space or a second dash.
    InvalidChar {
        /// Byte offset of the character in the input.
        pos: usize,
        /// The character found.
        found: char,
    },
    /// The range has no start offset, e.g. `"-5"` (a suffix range, which Graph never sends).
    MissingStart,
    /// A `Content-Range` span has a dash but no last-byte offset, e.g. `bytes 0-/10`.
    MissingEnd,
    /// A `Content-Range` has no `/total` part (or an empty one), e.g. `bytes 0-5`.
    MissingTotal,
    /// The end is before the start, e.g. `"9-3"`.
    Reversed {
        /// The start offset as written.
        start: u64,
        /// The (inclusive) end offset as written.
        end: u64,
    },
    /// A number does not fit in a 64-bit byte offset.
    ///
    /// For `Content-Range` this includes a last-byte offset of `u64::MAX`: no byte can sit
    /// there in a file whose size fits in a `u64`, and refusing it keeps every span
    /// representable as a half-open `Range<u64>`.
    Overflow {
        /// Byte offset of the first digit of the number in the input.
        pos: usize,
    },
    /// A `Content-Range` does not start with the unit `bytes` (compared case-insensitively).
    UnknownUnit,
    /// A `Content-Range` whose last byte is not below its total, e.g. `bytes 0-10/10`.
    EndNotBeforeTotal {
        /// The last-byte offset as written.
        end: u64,
        /// The total size as written.
        total: u64,
    },
    /// `bytes */*`: neither a span nor a total, which says nothing at all.
    NoSpanNoTotal,
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Self::Empty => f.write_str("empty range"),
            Self::InvalidChar { pos, found } => {
                write!(f, "invalid character {found:?} at byte {pos}")
            }
            Self::MissingStart => f.write_str("range has no start offset"),
            Self::MissingEnd => f.write_str("range has a dash but no end offset"),
            Self::MissingTotal => f.write_str("content range has no \"/total\" part"),
            Self::Reversed { start, end } => {
                write!(f, "range {start}-{end} is reversed (end before start)")
            }
            Self::Overflow { pos } => {
                write!(f, "number at byte {pos} is too large for a byte offset")
            }
            Self::UnknownUnit => f.write_str("content range does not start with \"bytes\""),
            Self::EndNotBeforeTotal { end, total } => {
                write!(f, "last byte {end} is not below the total size {total}")
            }
            Self::NoSpanNoTotal => {
                f.write_str("content range \"bytes */*\" has neither span nor total")
            }
        }
    }
}

impl std::error::Error for ParseError {}

/// Why a range value could not be built or placed inside a file of known size.
///
/// Returned by the checked constructors ([`ByteRange::closed`](crate::ByteRange::closed),
/// [`ContentRange::for_span`](crate::ContentRange::for_span), ...) and by
/// [`ByteRange::resolve`](crate::ByteRange::resolve).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum RangeError {
    /// The end is before the start.
    Reversed {
        /// The start offset.
        start: u64,
        /// The (inclusive) end offset.
        end: u64,
    },
    /// The range starts past the end of the file (a start equal to the size is an
    /// empty range, not an error).
    StartBeyondSize {
        /// The start offset.
        start: u64,
        /// The file size.
        size: u64,
    },
    /// The last byte is not below the total size.
    EndNotBeforeTotal {
        /// The (inclusive) last-byte offset.
        end: u64,
        /// The total size.
        total: u64,
    },
    /// A span of zero bytes where at least one is needed (use
    /// [`ContentRange::empty`](crate::ContentRange::empty) for `bytes */total`).
    EmptySpan,
    /// The span runs past the largest 64-bit offset: `start + len` overflows, or the last
    /// byte would be `u64::MAX`.
    Overflow,
}

impl fmt::Display for RangeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Self::Reversed { start, end } => {
                write!(f, "range {start}-{end} is reversed (end before start)")
            }
            Self::StartBeyondSize { start, size } => {
                write!(f, "range start {start} is beyond the size {size}")
            }
            Self::EndNotBeforeTotal { end, total } => {
                write!(f, "last byte {end} is not below the total size {total}")
            }
            Self::EmptySpan => f.write_str("span is empty"),
            Self::Overflow => f.write_str("span runs past the largest 64-bit offset"),
        }
    }
}

impl std::error::Error for RangeError {}

/// Why a `nextExpectedRanges` list could not be turned into a [`RangeSet`](crate::RangeSet).
///
/// Carries the index of the offending item in the list.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ExpectedRangesError {
    /// An item is not a valid range string.
    Parse {
        /// Index of the item in the list.
        index: usize,
        /// What was wrong with it.
        error: ParseError,
    },
    /// An item parsed but does not fit the file (it starts past the end).
    Resolve {
        /// Index of the item in the list.
        index: usize,
        /// What was wrong with it.
        error: RangeError,
    },
}

impl ExpectedRangesError {
    /// Index of the offending item in the list.
    #[must_use]
    pub const fn index(&self) -> usize {
        match *self {
            Self::Parse { index, .. } | Self::Resolve { index, .. } => index,
        }
    }
}

impl fmt::Display for ExpectedRangesError {
    // The detail is left to `source()`, so that error reports do not print it twice.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Parse { index, .. } => {
                write!(f, "nextExpectedRanges[{index}] is not a valid range")
            }
            Self::Resolve { index, .. } => {
                write!(f, "nextExpectedRanges[{index}] does not fit the file")
            }
        }
    }
}

impl std::error::Error for ExpectedRangesError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Self::Parse { error, .. } => Some(error),
            Self::Resolve { error, .. } => Some(error),
        }
    }
}

/// Why a fragment-planner configuration was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum PlanError {
    /// The quantum is zero, so no fragment length is a multiple of it.
    ZeroQuantum,
    /// The maximum fragment size is below one quantum, so no fragment fits.
    MaxBelowQuantum {
        /// The maximum fragment size asked for.
        max: u64,
        /// The quantum.
        quantum: u64,
    },
}

impl fmt::Display for PlanError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Self::ZeroQuantum => f.write_str("fragment quantum is zero"),
            Self::MaxBelowQuantum { max, quantum } => write!(
                f,
                "maximum fragment size {max} is below the fragment quantum {quantum}"
            ),
        }
    }
}

impl std::error::Error for PlanError {}
