//! The fragment planner: which byte ranges to `PUT` next.

use core::iter::FusedIterator;
use core::ops::Range;
use core::slice;

use crate::error::PlanError;
use crate::set::RangeSet;

/// Graph's fragment quantum, 320 KiB (327,680 bytes): every fragment but the last must be a
/// multiple of it.
pub const GRAPH_QUANTUM: u64 = 327_680;

/// A validated fragment length: the largest multiple of a quantum that fits a maximum.
///
/// Exists so that a configuration is checked once, and then any number of plans can be
/// made from it without a `Result`.
///
/// ```
/// use graph_upload_ranges::{FragmentSize, GRAPH_QUANTUM};
///
/// // To Do accepts up to 4 MiB per request: 12 quanta fit.
/// let size = FragmentSize::graph(4 * 1024 * 1024)?;
/// assert_eq!(size.get(), 12 * GRAPH_QUANTUM);
/// # Ok::<(), graph_upload_ranges::PlanError>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct FragmentSize {
    quantum: u64,
    len: u64,
}

impl FragmentSize {
    /// The largest multiple of `quantum` that is at most `max_fragment`.
    ///
    /// # Errors
    ///
    /// [`PlanError::ZeroQuantum`] if `quantum` is 0, [`PlanError::MaxBelowQuantum`] if
    /// `max_fragment < quantum`.
    pub const fn new(quantum: u64, max_fragment: u64) -> Result<Self, PlanError> {
        if quantum == 0 {
            return Err(PlanError::ZeroQuantum);
        }
        if max_fragment < quantum {
            return Err(PlanError::MaxBelowQuantum {
                max: max_fragment,
                quantum,
            });
        }
        Ok(Self {
            quantum,
            len: max_fragment - max_fragment % quantum,
        })
    }

    /// [`new`](Self::new) with Graph's quantum, [`GRAPH_QUANTUM`].
    ///
    /// # Errors
    ///
    /// [`PlanError::MaxBelowQuantum`] if `max_fragment` is below 320 KiB.
    pub const fn graph(max_fragment: u64) -> Result<Self, PlanError> {
        Self::new(GRAPH_QUANTUM, max_fragment)
    }

    /// The fragment length in bytes.
    #[must_use]
    pub const fn get(self) -> u64 {
        self.len
    }

    /// The quantum the length is a multiple of.
    #[must_use]
    pub const fn quantum(self) -> u64 {
        self.quantum
    }

    /// The fragments to send for the `missing` bytes; see [`FragmentPlan`].
    #[must_use]
    pub fn plan(self, missing: &RangeSet) -> FragmentPlan<'_> {
        FragmentPlan {
            spans: missing.as_slice().iter(),
            current: 0..0,
            fragment: self.len,
        }
    }
}

/// The byte ranges to `PUT` next, as an iterator of half-open spans (no allocation).
///
/// Each missing span is cut, from its start, into fragments of [`FragmentSize::get`] bytes; the
/// last fragment of each span may be shorter, down to 1 byte. Fragments come in order of
/// offset. Turn one into a header with
/// [`ContentRange::from_range`](crate::ContentRange::from_range).
///
/// A 0-byte file has nothing missing, so its plan yields no fragment: the uploader sends its
/// single empty `PUT` with `Content-Range: bytes */0` itself
/// ([`ContentRange::empty`](crate::ContentRange::empty)).
///
/// ```
/// use graph_upload_ranges::{FragmentPlan, RangeSet, GRAPH_QUANTUM};
///
/// const Q: u64 = GRAPH_QUANTUM;
/// let missing = RangeSet::from(0..5 * Q + 1);
/// // At most 1 MB per request: fragments of 3 quanta (983,040 bytes).
/// let fragments: Vec<_> = FragmentPlan::new(&missing, Q, 1_000_000)?.collect();
/// assert_eq!(fragments, [0..3 * Q, 3 * Q..5 * Q + 1]);
/// # Ok::<(), graph_upload_ranges::PlanError>(())
/// ```
#[derive(Debug, Clone)]
pub struct FragmentPlan<'a> {
    spans: slice::Iter<'a, Range<u64>>,
    /// What is left of the span being cut.
    current: Range<u64>,
    fragment: u64,
}

impl<'a> FragmentPlan<'a> {
    /// Plans the `missing` bytes with the largest multiple of `quantum` that is at most
    /// `max_fragment`; shorthand for [`FragmentSize::new`] then [`FragmentSize::plan`].
    ///
    /// # Errors
    ///
    /// As [`FragmentSize::new`].
    pub fn new(missing: &'a RangeSet, quantum: u64, max_fragment: u64) -> Result<Self, PlanError> {
        Ok(FragmentSize::new(quantum, max_fragment)?.plan(missing))
    }

    /// The length of every fragment but the last of each span.
    #[must_use]
    pub const fn fragment_len(&self) -> u64 {
        self.fragment
    }
}

impl Iterator for FragmentPlan<'_> {
    type Item = Range<u64>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.current.is_empty() {
            self.current = self.spans.next()?.clone();
        }
        let start = self.current.start;
        // `len <= end - start`, so `start + len` cannot overflow.
        let len = (self.current.end - start).min(self.fragment);
        self.current.start = start + len;
        Some(start..start + len)
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        // The current span's fragments, plus at least one for each span left.
        let current = (self.current.end - self.current.start).div_ceil(self.fragment);
        let current = usize::try_from(current).unwrap_or(usize::MAX);
        (current.saturating_add(self.spans.len()), None)
    }
}

impl FusedIterator for FragmentPlan<'_> {}

#[cfg(test)]
#[allow(clippy::single_range_in_vec_init)] // one-fragment plans are written `[a..b]`
mod tests {
    use super::*;

    const Q: u64 = GRAPH_QUANTUM;

    fn plan(missing: &RangeSet, max: u64) -> Vec<Range<u64>> {
        FragmentPlan::new(missing, Q, max).unwrap().collect()
    }

    #[test]
    fn fragment_size_is_largest_multiple_of_quantum_under_max() {
        assert_eq!(FragmentSize::new(Q, Q).unwrap().get(), Q);
        assert_eq!(FragmentSize::new(Q, 2 * Q - 1).unwrap().get(), Q);
        assert_eq!(FragmentSize::graph(10 * 1024 * 1024).unwrap().get(), 32 * Q);
        assert_eq!(FragmentSize::graph(10_000_000).unwrap().get(), 30 * Q);
        assert_eq!(FragmentSize::new(1, u64::MAX).unwrap().get(), u64::MAX);
        assert_eq!(FragmentSize::new(Q, u64::MAX).unwrap().quantum(), Q);
    }

    #[test]
    fn refuses_zero_quantum_and_max_below_quantum() {
        assert_eq!(FragmentSize::new(0, 100), Err(PlanError::ZeroQuantum));
        assert_eq!(
            FragmentSize::new(Q, Q - 1),
            Err(PlanError::MaxBelowQuantum {
                max: Q - 1,
                quantum: Q
            })
        );
        assert_eq!(
            PlanError::MaxBelowQuantum {
                max: 5,
                quantum: 10
            }
            .to_string(),
            "maximum fragment size 5 is below the fragment quantum 10"
        );
    }

    #[test]
    fn zero_byte_file_yields_no_fragments() {
        assert!(plan(&RangeSet::from(0..0), 4 * Q).is_empty());
        assert!(plan(&RangeSet::from_expected(["0-"], 0).unwrap(), 4 * Q).is_empty());
    }

    #[test]
    fn one_byte_file_yields_one_one_byte_fragment() {
        assert_eq!(plan(&RangeSet::from(0..1), 4 * Q), [0..1]);
    }

    #[test]
    fn last_fragment_of_quantum_multiple_plus_one_is_one_byte() {
        let fragments = plan(&RangeSet::from(0..3 * Q + 1), Q);
        assert_eq!(fragments, [0..Q, Q..2 * Q, 2 * Q..3 * Q, 3 * Q..3 * Q + 1]);
    }

    #[test]
    fn exact_multiple_has_no_short_fragment() {
        let fragments = plan(&RangeSet::from(0..4 * Q), 2 * Q);
        assert_eq!(fragments, [0..2 * Q, 2 * Q..4 * Q]);
    }

    #[test]
    fn span_at_odd_offset_is_cut_from_its_start() {
        let fragments = plan(&RangeSet::from(72_797..72_797 + Q + 5), Q);
        assert_eq!(fragments, [72_797..72_797 + Q, 72_797 + Q..72_797 + Q + 5]);
    }

    #[test]
    fn each_span_gets_its_own_short_last_fragment() {
        let missing: RangeSet = [0..Q + 1, 5 * Q..6 * Q].into_iter().collect();
        let fragments = plan(&missing, 2 * Q);
        assert_eq!(fragments, [0..Q + 1, 5 * Q..6 * Q]);
        let fragments = plan(&missing, Q);
        assert_eq!(fragments, [0..Q, Q..Q + 1, 5 * Q..6 * Q]);
    }

    #[test]
    fn spans_near_u64_max_do_not_overflow() {
        let missing = RangeSet::from(u64::MAX - Q - 2..u64::MAX);
        let fragments = plan(&missing, Q);
        assert_eq!(
            fragments,
            [u64::MAX - Q - 2..u64::MAX - 2, u64::MAX - 2..u64::MAX]
        );
        let all: Vec<_> = FragmentPlan::new(&RangeSet::from(0..u64::MAX), 1, u64::MAX)
            .unwrap()
            .collect();
        assert_eq!(all, [0..u64::MAX]);
    }

    #[test]
    fn size_hint_lower_bound_is_met() {
        let missing: RangeSet = [0..3 * Q, 4 * Q..4 * Q + 1].into_iter().collect();
        let mut it = FragmentPlan::new(&missing, Q, Q).unwrap();
        assert_eq!(it.fragment_len(), Q);
        assert_eq!(it.size_hint().0, 2);
        it.next();
        assert_eq!(it.size_hint().0, 3);
        assert_eq!(it.count(), 3);
    }
}
