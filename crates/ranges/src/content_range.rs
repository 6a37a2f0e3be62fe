//! [`ContentRange`]: the `Content-Range` header of an upload `PUT`.

use core::fmt;
use core::ops::Range;
use core::str::FromStr;

use crate::error::{ParseError, RangeError};
use crate::scan::Cursor;

/// The `Content-Range` header a client sends with each fragment, and a server reads.
///
/// Forms:
///
/// | text | meaning |
/// |---|---|
/// | `bytes 0-72796/4533322` | bytes 0 to 72796 (both included) of a 4,533,322-byte file |
/// | `bytes */0` | no bytes, of a 0-byte file: the one empty `PUT` that completes it |
/// | `bytes 0-99/*` | total unknown (a server refuses it later; the parser represents it) |
///
/// Parsing also accepts `bytes=` instead of `bytes ` (Graph's own example writes
/// `bytes=0-72796/4533322`), several spaces or tabs after the unit, the unit in any
/// letter case, leading zeros, and surrounding spaces and tabs. It checks that the first
/// byte is not after the last, and that the last is below the total when the total is
/// known. [`Display`](fmt::Display) always writes the canonical `bytes ` form.
///
/// A value always describes a span that fits a half-open `Range<u64>`: a last byte of
/// `u64::MAX` is refused, since no file whose size fits in a `u64` has a byte there.
///
/// ```
/// use graph_upload_ranges::ContentRange;
///
/// let cr: ContentRange = "bytes=0-72796/4533322".parse()?;
/// assert_eq!(cr.span(), Some(0..72_797));
/// assert_eq!(cr.len(), 72_797);
/// assert_eq!(cr.to_string(), "bytes 0-72796/4533322");
///
/// assert_eq!(ContentRange::for_span(72_797, 10, 4_533_322)?.to_string(), "bytes 72797-72806/4533322");
/// assert_eq!(ContentRange::empty(0).to_string(), "bytes */0");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ContentRange {
    /// First and last byte, both included; `None` for `*`.
    span: Option<(u64, u64)>,
    /// `None` for `*`.
    total: Option<u64>,
}

impl ContentRange {
    /// A header for bytes `first..=last`, of a file of `total` bytes if known.
    ///
    /// # Errors
    ///
    /// [`RangeError::Reversed`] if `last < first`, [`RangeError::EndNotBeforeTotal`] if
    /// `last >= total`, [`RangeError::Overflow`] if `last` is `u64::MAX`.
    pub const fn new(first: u64, last: u64, total: Option<u64>) -> Result<Self, RangeError> {
        if last < first {
            return Err(RangeError::Reversed {
                start: first,
                end: last,
            });
        }
        if let Some(total) = total
            && last >= total
        {
            return Err(RangeError::EndNotBeforeTotal { end: last, total });
        }
        if last == u64::MAX {
            return Err(RangeError::Overflow);
        }
        Ok(Self {
            span: Some((first, last)),
            total,
        })
    }

    /// The header for a fragment of `len` bytes at `start`, of a file of `total` bytes:
    /// what a client sends with each `PUT`.
    ///
    /// # Errors
    ///
    /// [`RangeError::EmptySpan`] if `len` is 0 (use [`empty`](Self::empty)),
    /// [`RangeError::Overflow`] if `start + len` overflows, and
    /// [`RangeError::EndNotBeforeTotal`] if the fragment runs past `total`.
    pub const fn for_span(start: u64, len: u64, total: u64) -> Result<Self, RangeError> {
        if len == 0 {
            return Err(RangeError::EmptySpan);
        }
        let Some(past) = start.checked_add(len) else {
            return Err(RangeError::Overflow);
        };
        Self::new(start, past - 1, Some(total))
    }

    /// The header for the half-open `span` of a file of `total` bytes, e.g. a fragment
    /// from the [planner](crate::FragmentPlan).
    ///
    /// # Errors
    ///
    /// [`RangeError::EmptySpan`] if the span is empty, and
    /// [`RangeError::EndNotBeforeTotal`] if it runs past `total`.
    pub const fn from_range(span: Range<u64>, total: u64) -> Result<Self, RangeError> {
        if span.end <= span.start {
            return Err(RangeError::EmptySpan);
        }
        Self::new(span.start, span.end - 1, Some(total))
    }

    /// `bytes */total`: no bytes. A client sends it with the single empty `PUT` of a
    /// 0-byte file (`bytes */0`).
    #[must_use]
    pub const fn empty(total: u64) -> Self {
        Self {
            span: None,
            total: Some(total),
        }
    }

    /// The first byte of the span; `None` for `bytes */total`.
    #[must_use]
    pub const fn first(&self) -> Option<u64> {
        match self.span {
            Some((first, _)) => Some(first),
            None => None,
        }
    }

    /// The last byte of the span (included); `None` for `bytes */total`.
    #[must_use]
    pub const fn last(&self) -> Option<u64> {
        match self.span {
            Some((_, last)) => Some(last),
            None => None,
        }
    }

    /// The file size; `None` for `bytes s-e/*`.
    #[must_use]
    pub const fn total(&self) -> Option<u64> {
        self.total
    }

    /// The span as a half-open range; `None` for `bytes */total`.
    #[must_use]
    pub const fn span(&self) -> Option<Range<u64>> {
        match self.span {
            // `last < u64::MAX` is an invariant, so `last + 1` does not overflow.
            Some((first, last)) => Some(first..last + 1),
            None => None,
        }
    }

    /// How many bytes the fragment carries (`last - first + 1`, the `Content-Length`
    /// that must go with it); 0 for `bytes */total`.
    #[must_use]
    pub const fn len(&self) -> u64 {
        match self.span {
            // Cannot overflow: `first <= last < u64::MAX`.
            Some((first, last)) => last - first + 1,
            None => 0,
        }
    }

    /// Whether this is `bytes */total`, carrying no bytes.
    #[must_use]
    pub const fn is_empty(&self) -> bool {
        self.span.is_none()
    }
}

impl FromStr for ContentRange {
    type Err = ParseError;

    /// Parses a `Content-Range` value; see the [type documentation](ContentRange).
    /// Does not allocate.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let mut c = Cursor::trimmed(s)?;
        if !c.eat_ignore_case("bytes") {
            return Err(ParseError::UnknownUnit);
        }
        if !c.eat(b'=') && c.eat_blanks() == 0 {
            return Err(if c.at_end() {
                ParseError::MissingStart
            } else {
                c.invalid()
            });
        }

        let mut last_pos = 0;
        let span = if c.eat(b'*') {
            None
        } else {
            if c.at_end() || c.peek() == Some(b'-') {
                return Err(ParseError::MissingStart);
            }
            let Some(first) = c.number()? else {
                return Err(c.invalid());
            };
            let missing_end = |c: &Cursor<'_>| {
                if c.at_end() || c.peek() == Some(b'/') {
                    ParseError::MissingEnd
                } else {
                    c.invalid()
                }
            };
            if !c.eat(b'-') {
                return Err(missing_end(&c));
            }
            last_pos = c.pos();
            let Some(last) = c.number()? else {
                return Err(missing_end(&c));
            };
            Some((first, last))
        };

        if !c.eat(b'/') {
            return Err(if c.at_end() {
                ParseError::MissingTotal
            } else {
                c.invalid()
            });
        }
        let total = if c.eat(b'*') {
            None
        } else {
            match c.number()? {
                Some(total) => Some(total),
                None if c.at_end() => return Err(ParseError::MissingTotal),
                None => return Err(c.invalid()),
            }
        };
        c.finish()?;

        match (span, total) {
            (None, None) => Err(ParseError::NoSpanNoTotal),
            (None, Some(_)) => Ok(Self { span, total }),
            (Some((first, last)), _) => {
                if last < first {
                    return Err(ParseError::Reversed {
                        start: first,
                        end: last,
                    });
                }
                match total {
                    Some(total) if last >= total => {
                        Err(ParseError::EndNotBeforeTotal { end: last, total })
                    }
                    None if last == u64::MAX => Err(ParseError::Overflow { pos: last_pos }),
                    _ => Ok(Self { span, total }),
                }
            }
        }
    }
}

impl fmt::Display for ContentRange {
    /// Writes the canonical `bytes first-last/total` form (`*` for an unknown part).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("bytes ")?;
        match self.span {
            Some((first, last)) => write!(f, "{first}-{last}/")?,
            None => f.write_str("*/")?,
        }
        match self.total {
            Some(total) => write!(f, "{total}"),
            None => f.write_str("*"),
        }
    }
}

#[cfg(test)]
mod tests;
