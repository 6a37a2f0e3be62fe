//! [`RangeSet`]: which bytes of a file are missing (or received).

use core::iter::FusedIterator;
use core::ops::Range;
use core::slice;

use crate::error::ExpectedRangesError;
use crate::range::ByteRange;

/// A set of byte offsets, kept as sorted, disjoint, non-adjacent half-open spans.
///
/// A client uses it for "what is still missing" (built from the server's
/// `nextExpectedRanges` with [`from_expected`](Self::from_expected), then handed to the
/// [fragment planner](crate::FragmentPlan)); a server uses it for "what has been received" and
/// writes the complement back with [`missing`](Self::missing) and
/// [`expected_ranges`](Self::expected_ranges).
///
/// Spans are `Range<u64>`, so the set can hold any offset below `u64::MAX` (the offset
/// `u64::MAX` itself is not a byte of any file whose size fits in a `u64`). Empty or
/// reversed spans passed to the methods are treated as empty.
///
/// Inserting and subtracting find their place by binary search, so building a set from
/// spans that arrive in order (the common case) costs `O(log n)` per span.
///
/// ```
/// use graph_upload_ranges::RangeSet;
///
/// let mut received = RangeSet::new();
/// received.insert(0..100);
/// received.insert(200..300);
/// received.insert(100..200); // merges with both neighbours
/// assert_eq!(received.as_slice(), &[0..300]);
///
/// let missing = received.missing(1000);
/// let next: Vec<String> = missing.expected_ranges().map(|r| r.to_string()).collect();
/// assert_eq!(next, ["300-999"]);
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct RangeSet {
    /// Invariant: every span is non-empty, and `spans[i].end < spans[i + 1].start`.
    spans: Vec<Range<u64>>,
}

impl RangeSet {
    /// An empty set.
    #[must_use]
    pub const fn new() -> Self {
        Self { spans: Vec::new() }
    }

    /// The set of missing bytes described by a `nextExpectedRanges` list, for a file of
    /// `size` bytes.
    ///
    /// Each item is parsed as a [`ByteRange`] (any of the three forms) and
    /// [resolved](ByteRange::resolve) against `size`: closed ends are clamped to the last
    /// byte, and a range starting exactly at `size` adds nothing. Items may be unsorted
    /// and may overlap; they are merged.
    ///
    /// ```
    /// use graph_upload_ranges::RangeSet;
    ///
    /// let missing = RangeSet::from_expected(["72797-4533321"], 4_533_322)?;
    /// assert_eq!(missing.as_slice(), &[72_797..4_533_322]);
    /// let missing = RangeSet::from_expected(["2097152"], 3_483_322)?;
    /// assert_eq!(missing.as_slice(), &[2_097_152..3_483_322]);
    /// let missing = RangeSet::from_expected(["0-"], 0)?;
    /// assert!(missing.is_empty());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    ///
    /// # Errors
    ///
    /// [`ExpectedRangesError`] with the index of the first item that does not parse, or
    /// that starts past `size`.
    pub fn from_expected<I, S>(ranges: I, size: u64) -> Result<Self, ExpectedRangesError>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        let mut set = Self::new();
        for (index, text) in ranges.into_iter().enumerate() {
            let range: ByteRange = text
                .as_ref()
                .parse()
                .map_err(|error| ExpectedRangesError::Parse { index, error })?;
            let span = range
                .resolve(size)
                .map_err(|error| ExpectedRangesError::Resolve { index, error })?;
            if let Some(span) = span {
                set.spans.push(span);
            }
        }
        set.normalize();
        Ok(set)
    }

    /// Adds the bytes of `span`, merging it with every span it overlaps or touches.
    pub fn insert(&mut self, span: Range<u64>) {
        if span.is_empty() {
            return;
        }
        // First stored span that overlaps or touches `span` on its left side...
        let i = self.spans.partition_point(|r| r.end < span.start);
        // ...and one past the last one that overlaps or touches it on its right side.
        let j = i + self.spans[i..].partition_point(|r| r.start <= span.end);
        if i == j {
            self.spans.insert(i, span);
            return;
        }
        let start = self.spans[i].start.min(span.start);
        let end = self.spans[j - 1].end.max(span.end);
        self.spans[i] = start..end;
        self.spans.drain(i + 1..j);
    }

    /// Removes the bytes of `span`, splitting a stored span in two if needed.
    pub fn subtract(&mut self, span: Range<u64>) {
        if span.is_empty() {
            return;
        }
        // First stored span that overlaps `span`...
        let i = self.spans.partition_point(|r| r.end <= span.start);
        // ...and one past the last one.
        let j = i + self.spans[i..].partition_point(|r| r.start < span.end);
        if i == j {
            return;
        }
        let first_start = self.spans[i].start;
        let last_end = self.spans[j - 1].end;
        let left = first_start < span.start;
        let right = last_end > span.end;
        match (left, right) {
            (false, false) => {
                self.spans.drain(i..j);
            }
            (true, false) => {
                self.spans[i] = first_start..span.start;
                self.spans.drain(i + 1..j);
            }
            (false, true) => {
                self.spans[j - 1] = span.end..last_end;
                self.spans.drain(i..j - 1);
            }
            (true, true) if j - i >= 2 => {
                self.spans[i] = first_start..span.start;
                self.spans[j - 1] = span.end..last_end;
                self.spans.drain(i + 1..j - 1);
            }
            (true, true) => {
                self.spans[i] = span.end..last_end;
                self.spans.insert(i, first_start..span.start);
            }
        }
    }

    /// Removes every byte of `other`.
    pub fn subtract_set(&mut self, other: &Self) {
        // A few spans are cheaper to cut out in place; more are merged in one pass.
        if other.spans.len() <= 4 {
            for span in &other.spans {
                self.subtract(span.clone());
            }
        } else {
            *self = self.difference(other);
        }
    }

    /// The bytes of `self` that are not in `other`, in one linear pass.
    #[must_use]
    pub fn difference(&self, other: &Self) -> Self {
        // Each span of `other` can split at most one span of `self` in two.
        let mut out = Vec::with_capacity(self.spans.len() + other.spans.len());
        let cuts = &other.spans;
        let mut j = 0;
        for span in &self.spans {
            let mut start = span.start;
            while j < cuts.len() && cuts[j].end <= start {
                j += 1;
            }
            let mut k = j;
            while k < cuts.len() && cuts[k].start < span.end {
                if cuts[k].start > start {
                    out.push(start..cuts[k].start);
                }
                start = start.max(cuts[k].end);
                if start >= span.end {
                    break;
                }
                k += 1;
            }
            if start < span.end {
                out.push(start..span.end);
            }
            j = k;
        }
        Self { spans: out }
    }

    /// The bytes of `0..size` that are not in the set (spans past `size` are ignored).
    ///
    /// For a server holding the received bytes this is what it still expects.
    #[must_use]
    pub fn missing(&self, size: u64) -> Self {
        let mut out = Vec::new();
        let mut cursor = 0;
        for span in &self.spans {
            if span.start >= size {
                break;
            }
            if span.start > cursor {
                out.push(cursor..span.start);
            }
            cursor = span.end;
        }
        if cursor < size {
            out.push(cursor..size);
        }
        Self { spans: out }
    }

    /// Whether byte `offset` is in the set.
    #[must_use]
    pub fn contains(&self, offset: u64) -> bool {
        let i = self.spans.partition_point(|r| r.end <= offset);
        self.spans.get(i).is_some_and(|r| r.start <= offset)
    }

    /// Whether every byte of `span` is in the set (true for an empty span).
    ///
    /// A server uses it to tell whether a fragment was already received in full.
    #[must_use]
    pub fn contains_span(&self, span: &Range<u64>) -> bool {
        if span.is_empty() {
            return true;
        }
        let i = self.spans.partition_point(|r| r.end <= span.start);
        self.spans
            .get(i)
            .is_some_and(|r| r.start <= span.start && span.end <= r.end)
    }

    /// Whether any byte of `span` is in the set (false for an empty span).
    ///
    /// A server uses it to detect a fragment overlapping bytes it already has.
    #[must_use]
    pub fn overlaps(&self, span: &Range<u64>) -> bool {
        if span.is_empty() {
            return false;
        }
        let i = self.spans.partition_point(|r| r.end <= span.start);
        self.spans.get(i).is_some_and(|r| r.start < span.end)
    }

    /// How many bytes the set holds.
    #[must_use]
    pub fn total_len(&self) -> u64 {
        // Cannot overflow: the spans are disjoint and all below `u64::MAX`.
        self.spans.iter().map(|r| r.end - r.start).sum()
    }

    /// How many spans the set holds (not bytes: see [`total_len`](Self::total_len)).
    #[must_use]
    pub fn len(&self) -> usize {
        self.spans.len()
    }

    /// Whether the set holds no byte.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.spans.is_empty()
    }

    /// Removes every span.
    pub fn clear(&mut self) {
        self.spans.clear();
    }

    /// The spans, sorted, disjoint and non-adjacent.
    #[must_use]
    pub fn as_slice(&self) -> &[Range<u64>] {
        &self.spans
    }

    /// Iterates over the spans in order.
    #[must_use]
    pub fn iter(&self) -> Spans<'_> {
        Spans(self.spans.iter())
    }

    /// The spans as closed [`ByteRange`]s, each displaying as `"s-e"`: what a server
    /// writes into `nextExpectedRanges` (use it on the [missing](Self::missing) set).
    #[must_use]
    pub fn expected_ranges(&self) -> ExpectedRanges<'_> {
        ExpectedRanges(self.spans.iter())
    }

    /// Sorts the spans and merges those that overlap or touch, restoring the invariant
    /// after unchecked pushes of non-empty spans.
    fn normalize(&mut self) {
        self.spans.sort_unstable_by_key(|r| r.start);
        self.spans.dedup_by(|next, kept| {
            if next.start <= kept.end {
                kept.end = kept.end.max(next.end);
                true
            } else {
                false
            }
        });
    }
}

impl From<Range<u64>> for RangeSet {
    /// The set holding the bytes of `span` (empty if `span` is), e.g. `0..size` for
    /// "everything is missing".
    fn from(span: Range<u64>) -> Self {
        let mut set = Self::new();
        set.insert(span);
        set
    }
}

impl FromIterator<Range<u64>> for RangeSet {
    /// Collects spans in any order, merging them (sorts once: `O(n log n)`).
    fn from_iter<T: IntoIterator<Item = Range<u64>>>(iter: T) -> Self {
        let mut set = Self::new();
        set.extend(iter);
        set
    }
}

impl Extend<Range<u64>> for RangeSet {
    /// Adds spans in any order, merging them.
    fn extend<T: IntoIterator<Item = Range<u64>>>(&mut self, iter: T) {
        self.spans
            .extend(iter.into_iter().filter(|r| !r.is_empty()));
        self.normalize();
    }
}

impl<'a> IntoIterator for &'a RangeSet {
    type Item = Range<u64>;
    type IntoIter = Spans<'a>;

    fn into_iter(self) -> Self::IntoIter {
        self.iter()
    }
}

/// Iterator over the spans of a [`RangeSet`], in order; see [`RangeSet::iter`].
#[derive(Debug, Clone)]
pub struct Spans<'a>(slice::Iter<'a, Range<u64>>);

impl Iterator for Spans<'_> {
    type Item = Range<u64>;

    fn next(&mut self) -> Option<Self::Item> {
        self.0.next().cloned()
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        self.0.size_hint()
    }
}

impl DoubleEndedIterator for Spans<'_> {
    fn next_back(&mut self) -> Option<Self::Item> {
        self.0.next_back().cloned()
    }
}

impl ExactSizeIterator for Spans<'_> {}
impl FusedIterator for Spans<'_> {}

/// Iterator over the spans of a [`RangeSet`] as closed `"s-e"` [`ByteRange`]s; see
/// [`RangeSet::expected_ranges`].
#[derive(Debug, Clone)]
pub struct ExpectedRanges<'a>(slice::Iter<'a, Range<u64>>);

impl Iterator for ExpectedRanges<'_> {
    type Item = ByteRange;

    fn next(&mut self) -> Option<Self::Item> {
        self.0.next().map(ByteRange::from_span_unchecked)
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        self.0.size_hint()
    }
}

impl DoubleEndedIterator for ExpectedRanges<'_> {
    fn next_back(&mut self) -> Option<Self::Item> {
        self.0.next_back().map(ByteRange::from_span_unchecked)
    }
}

impl ExactSizeIterator for ExpectedRanges<'_> {}
impl FusedIterator for ExpectedRanges<'_> {}

#[cfg(test)]
mod tests;
