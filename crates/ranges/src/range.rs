//! [`ByteRange`]: one item of Graph's `nextExpectedRanges`.

use core::fmt;
use core::ops::Range;
use core::str::FromStr;

use crate::error::{ParseError, RangeError};
use crate::scan::Cursor;

/// How a [`ByteRange`] ends, which is also how it was written.
///
/// Kept apart from the start so that [`Display`](fmt::Display) writes a parsed range
/// back exactly in the form it came in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RangeEnd {
    /// `"s-e"`: a closed range whose end offset is inclusive.
    Inclusive(u64),
    /// `"s-"`: open to the end of the file.
    Open,
    /// `"s"` (To Do's form): the start of the next fragment, open to the end of the
    /// file. It is *not* a one-byte range.
    StartOnly,
}

/// A byte range as written in Graph's `nextExpectedRanges`.
///
/// Three forms are in the wild, and all three parse:
///
/// | text | meaning | [`RangeEnd`] |
/// |---|---|---|
/// | `"72797-4533321"` | bytes 72797 to 4533321, both included | [`Inclusive`](RangeEnd::Inclusive) |
/// | `"0-"` | from byte 0 to the end of the file | [`Open`](RangeEnd::Open) |
/// | `"2097152"` | from byte 2097152 to the end of the file (To Do) | [`StartOnly`](RangeEnd::StartOnly) |
///
/// Parsing trims surrounding ASCII spaces and tabs (these strings come from headers and
/// JSON written by others); anything else that is not part of one of the three forms,
/// including inner whitespace, a sign or a second dash, is an error. Leading zeros are
/// accepted. [`Display`](fmt::Display) writes the canonical text, which is exactly the
/// input for any input without surrounding whitespace or leading zeros.
///
/// A range knows nothing about the file size; [`resolve`](Self::resolve) places it
/// inside a file.
///
/// ```
/// use graph_upload_ranges::{ByteRange, RangeEnd};
///
/// let r: ByteRange = "2097152".parse()?;
/// assert_eq!(r.end(), RangeEnd::StartOnly);
/// assert_eq!(r.resolve(3_483_322)?, Some(2_097_152..3_483_322));
/// assert_eq!(r.to_string(), "2097152");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ByteRange {
    start: u64,
    end: RangeEnd,
}

impl ByteRange {
    /// The closed range `"start-end"` (`end` included), as a server writes a missing span.
    ///
    /// # Errors
    ///
    /// [`RangeError::Reversed`] if `end < start`.
    pub const fn closed(start: u64, end: u64) -> Result<Self, RangeError> {
        if end < start {
            return Err(RangeError::Reversed { start, end });
        }
        Ok(Self {
            start,
            end: RangeEnd::Inclusive(end),
        })
    }

    /// A closed range from a non-empty half-open span, for writing sets back.
    pub(crate) const fn from_span_unchecked(span: &Range<u64>) -> Self {
        Self {
            start: span.start,
            end: RangeEnd::Inclusive(span.end - 1),
        }
    }

    /// The open range `"start-"`, from `start` to the end of the file.
    #[must_use]
    pub const fn open(start: u64) -> Self {
        Self {
            start,
            end: RangeEnd::Open,
        }
    }

    /// To Do's start-only form `"start"`: from `start` to the end of the file.
    #[must_use]
    pub const fn start_only(start: u64) -> Self {
        Self {
            start,
            end: RangeEnd::StartOnly,
        }
    }

    /// The first byte of the range.
    #[must_use]
    pub const fn start(&self) -> u64 {
        self.start
    }

    /// How the range ends (and how it was written).
    #[must_use]
    pub const fn end(&self) -> RangeEnd {
        self.end
    }

    /// The inclusive end offset of a closed range; `None` for the two open forms.
    #[must_use]
    pub const fn last(&self) -> Option<u64> {
        match self.end {
            RangeEnd::Inclusive(end) => Some(end),
            RangeEnd::Open | RangeEnd::StartOnly => None,
        }
    }

    /// Whether the range runs to the end of the file (`"s-"` or `"s"`).
    #[must_use]
    pub const fn is_open_ended(&self) -> bool {
        matches!(self.end, RangeEnd::Open | RangeEnd::StartOnly)
    }

    /// Places the range inside a file of `size` bytes, as a half-open span.
    ///
    /// - Open forms (`"s-"`, `"s"`) end at `size`.
    /// - Closed ends are clamped to the last byte, `size - 1`: Graph has been seen to
    ///   report an end one past the last byte (`"78929-4533322"` for a 4,533,322-byte
    ///   file).
    /// - A start equal to `size` gives `Ok(None)`: nothing is missing there (e.g. To
    ///   Do's `"0-"` for a 0-byte file).
    ///
    /// ```
    /// use graph_upload_ranges::ByteRange;
    ///
    /// let r: ByteRange = "78929-4533322".parse()?;
    /// assert_eq!(r.resolve(4_533_322)?, Some(78_929..4_533_322));
    /// assert_eq!(ByteRange::open(0).resolve(0)?, None);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    ///
    /// # Errors
    ///
    /// [`RangeError::StartBeyondSize`] if the range starts after `size`.
    pub const fn resolve(self, size: u64) -> Result<Option<Range<u64>>, RangeError> {
        let start = self.start;
        if start > size {
            return Err(RangeError::StartBeyondSize { start, size });
        }
        if start == size {
            return Ok(None);
        }
        let end = match self.end {
            RangeEnd::Open | RangeEnd::StartOnly => size,
            // `last >= start` and `start < size`, so the span is never empty.
            RangeEnd::Inclusive(last) => {
                let past = last.saturating_add(1);
                if past < size { past } else { size }
            }
        };
        Ok(Some(start..end))
    }
}

impl FromStr for ByteRange {
    type Err = ParseError;

    /// Parses any of the three forms; see the [type documentation](ByteRange). Does not
    /// allocate.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let mut c = Cursor::trimmed(s)?;
        if c.peek() == Some(b'-') {
            return Err(ParseError::MissingStart);
        }
        let Some(start) = c.number()? else {
            return Err(c.invalid());
        };
        if c.at_end() {
            return Ok(Self::start_only(start));
        }
        if !c.eat(b'-') {
            return Err(c.invalid());
        }
        if c.at_end() {
            return Ok(Self::open(start));
        }
        let Some(end) = c.number()? else {
            return Err(c.invalid());
        };
        c.finish()?;
        if end < start {
            return Err(ParseError::Reversed { start, end });
        }
        Ok(Self {
            start,
            end: RangeEnd::Inclusive(end),
        })
    }
}

impl fmt::Display for ByteRange {
    /// Writes `"s-e"`, `"s-"` or `"s"`, the form the range was built or parsed with.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.end {
            RangeEnd::Inclusive(end) => write!(f, "{}-{end}", self.start),
            RangeEnd::Open => write!(f, "{}-", self.start),
            RangeEnd::StartOnly => write!(f, "{}", self.start),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(s: &str) -> Result<ByteRange, ParseError> {
        s.parse()
    }

    #[test]
    fn parses_closed_form() {
        let r = parse("0-4533321").unwrap();
        assert_eq!(r.start(), 0);
        assert_eq!(r.end(), RangeEnd::Inclusive(4_533_321));
        assert_eq!(r.last(), Some(4_533_321));
        assert!(!r.is_open_ended());
    }

    #[test]
    fn parses_open_form() {
        let r = parse("0-").unwrap();
        assert_eq!(r, ByteRange::open(0));
        assert!(r.is_open_ended());
        assert_eq!(r.last(), None);
    }

    #[test]
    fn start_only_form_is_open_not_one_byte() {
        let r = parse("2097152").unwrap();
        assert_eq!(r, ByteRange::start_only(2_097_152));
        assert!(r.is_open_ended());
        assert_eq!(r.resolve(3_483_322).unwrap(), Some(2_097_152..3_483_322));
    }

    #[test]
    fn start_only_and_open_forms_are_distinct_values() {
        assert_ne!(parse("5").unwrap(), parse("5-").unwrap());
    }

    #[test]
    fn display_writes_back_each_form_exactly() {
        for s in [
            "0-4533321",
            "72797-",
            "2097152",
            "0-0",
            "0",
            "0-",
            "18446744073709551615",
        ] {
            assert_eq!(parse(s).unwrap().to_string(), s);
        }
    }

    #[test]
    fn trims_surrounding_spaces_and_tabs() {
        assert_eq!(
            parse(" \t0-5\t ").unwrap(),
            ByteRange::closed(0, 5).unwrap()
        );
        assert_eq!(parse("  7 ").unwrap(), ByteRange::start_only(7));
    }

    #[test]
    fn rejects_other_surrounding_whitespace() {
        assert_eq!(
            parse("0-5\n"),
            Err(ParseError::InvalidChar {
                pos: 3,
                found: '\n'
            })
        );
    }

    #[test]
    fn leading_zeros_parse_and_display_canonically() {
        let r = parse("007-010").unwrap();
        assert_eq!(r, ByteRange::closed(7, 10).unwrap());
        assert_eq!(r.to_string(), "7-10");
    }

    #[test]
    fn empty_and_blank_inputs_are_empty_errors() {
        assert_eq!(parse(""), Err(ParseError::Empty));
        assert_eq!(parse(" \t "), Err(ParseError::Empty));
    }

    #[test]
    fn missing_start_is_reported() {
        assert_eq!(parse("-5"), Err(ParseError::MissingStart));
        assert_eq!(parse("-"), Err(ParseError::MissingStart));
    }

    #[test]
    fn reversed_range_is_reported_with_its_numbers() {
        let err = parse("9-3").unwrap_err();
        assert_eq!(err, ParseError::Reversed { start: 9, end: 3 });
        assert_eq!(err.to_string(), "range 9-3 is reversed (end before start)");
    }

    #[test]
    fn invalid_characters_report_their_position_in_the_untrimmed_input() {
        assert_eq!(
            parse("  1x-2"),
            Err(ParseError::InvalidChar { pos: 3, found: 'x' })
        );
        assert_eq!(
            parse("1-2-3"),
            Err(ParseError::InvalidChar { pos: 3, found: '-' })
        );
        assert_eq!(
            parse("1 - 2"),
            Err(ParseError::InvalidChar { pos: 1, found: ' ' })
        );
        assert_eq!(
            parse("+1-2"),
            Err(ParseError::InvalidChar { pos: 0, found: '+' })
        );
        assert_eq!(
            parse("1-é"),
            Err(ParseError::InvalidChar {
                pos: 2, found: 'é'
            })
        );
    }

    #[test]
    fn overflow_past_u64_is_reported() {
        assert_eq!(
            parse("18446744073709551616"),
            Err(ParseError::Overflow { pos: 0 })
        );
        assert_eq!(
            parse("0-99999999999999999999"),
            Err(ParseError::Overflow { pos: 2 })
        );
        assert!(parse("18446744073709551615-18446744073709551615").is_ok());
    }

    #[test]
    fn closed_constructor_refuses_reversed_range() {
        assert_eq!(
            ByteRange::closed(9, 3),
            Err(RangeError::Reversed { start: 9, end: 3 })
        );
        assert!(ByteRange::closed(3, 3).is_ok());
    }

    #[test]
    fn clamps_end_one_past_last_byte() {
        let r = parse("78929-4533322").unwrap();
        assert_eq!(r.resolve(4_533_322).unwrap(), Some(78_929..4_533_322));
    }

    #[test]
    fn closed_end_inside_file_is_kept() {
        let r = parse("0-72796").unwrap();
        assert_eq!(r.resolve(4_533_322).unwrap(), Some(0..72_797));
    }

    #[test]
    fn open_forms_end_at_size() {
        assert_eq!(ByteRange::open(10).resolve(20).unwrap(), Some(10..20));
        assert_eq!(ByteRange::start_only(10).resolve(20).unwrap(), Some(10..20));
    }

    #[test]
    fn start_equal_to_size_resolves_to_nothing() {
        assert_eq!(ByteRange::open(0).resolve(0).unwrap(), None);
        assert_eq!(ByteRange::start_only(5).resolve(5).unwrap(), None);
        assert_eq!(ByteRange::closed(5, 9).unwrap().resolve(5).unwrap(), None);
    }

    #[test]
    fn start_beyond_size_is_an_error() {
        assert_eq!(
            ByteRange::open(6).resolve(5),
            Err(RangeError::StartBeyondSize { start: 6, size: 5 })
        );
    }

    #[test]
    fn resolve_handles_u64_max_without_overflow() {
        let r = ByteRange::closed(0, u64::MAX).unwrap();
        assert_eq!(r.resolve(u64::MAX).unwrap(), Some(0..u64::MAX));
        let r = ByteRange::closed(u64::MAX - 1, u64::MAX - 1).unwrap();
        assert_eq!(r.resolve(u64::MAX).unwrap(), Some(u64::MAX - 1..u64::MAX));
    }
}
