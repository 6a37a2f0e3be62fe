//! `RangeSet` against a naive model: one `bool` per byte of a 300-byte universe.
//!
//! Random sequences of inserts and subtractions (single spans, whole sets, and unsorted
//! batches through `Extend`) are applied to both; after every step the spans, `contains`,
//! `contains_span`, `overlaps`, `total_len`, `missing(size)`, the `nextExpectedRanges`
//! round trip and the invariants (sorted, disjoint, non-adjacent, non-empty) are
//! compared.
//!
//! Long mode: `GRAPH_UPLOAD_LONG_FUZZ=1 cargo test --release -p graph-upload-ranges --test
//! set_model` runs one million cases per property (see `tests/common/mod.rs`).
#![allow(clippy::single_range_in_vec_init)]

mod common;

use std::ops::Range;

use graph_upload_ranges::RangeSet;
use proptest::prelude::*;

/// Offsets the operations touch; probes go a little past it.
const UNIVERSE: u64 = 300;

#[derive(Debug, Clone)]
enum Op {
    Insert(Range<u64>),
    Subtract(Range<u64>),
    SubtractSet(Vec<Range<u64>>),
    Extend(Vec<Range<u64>>),
}

/// Spans inside the universe, mostly short (so that sets fragment), sometimes long,
/// sometimes empty or reversed (which must be no-ops).
fn span() -> impl Strategy<Value = Range<u64>> {
    prop_oneof![
        4 => (0..UNIVERSE, 1..24u64).prop_map(|(start, len)| start..(start + len).min(UNIVERSE)),
        2 => (0..=UNIVERSE, 0..=UNIVERSE).prop_map(|(a, b)| a.min(b)..a.max(b)),
        1 => (0..=UNIVERSE).prop_map(|a| a..a),
        1 => (0..=UNIVERSE, 0..=UNIVERSE).prop_map(|(a, b)| a..b),
    ]
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        5 => span().prop_map(Op::Insert),
        3 => span().prop_map(Op::Subtract),
        // Up to 12 spans exercises both the in-place and the merging path.
        1 => prop::collection::vec(span(), 0..12).prop_map(Op::SubtractSet),
        1 => prop::collection::vec(span(), 0..8).prop_map(Op::Extend),
    ]
}

struct Model {
    bits: Vec<bool>,
}

impl Model {
    fn new() -> Self {
        Self {
            bits: vec![false; usize::try_from(UNIVERSE).unwrap()],
        }
    }

    fn set(&mut self, span: &Range<u64>, value: bool) {
        for i in span.clone() {
            self.bits[usize::try_from(i).unwrap()] = value;
        }
    }

    fn apply(&mut self, op: &Op) {
        match op {
            Op::Insert(span) => self.set(span, true),
            Op::Subtract(span) => self.set(span, false),
            Op::SubtractSet(spans) => spans.iter().for_each(|s| self.set(s, false)),
            Op::Extend(spans) => spans.iter().for_each(|s| self.set(s, true)),
        }
    }

    fn contains(&self, offset: u64) -> bool {
        usize::try_from(offset)
            .ok()
            .and_then(|i| self.bits.get(i))
            .copied()
            .unwrap_or(false)
    }

    /// Maximal runs of set bits in `0..size`, or of clear bits when `value` is false.
    fn runs(&self, size: u64, value: bool) -> Vec<Range<u64>> {
        let mut runs = Vec::new();
        let mut open: Option<u64> = None;
        for i in 0..size {
            match (self.contains(i) == value, open) {
                (true, None) => open = Some(i),
                (false, Some(start)) => {
                    runs.push(start..i);
                    open = None;
                }
                _ => {}
            }
        }
        if let Some(start) = open {
            runs.push(start..size);
        }
        runs
    }

    fn spans(&self) -> Vec<Range<u64>> {
        self.runs(UNIVERSE, true)
    }
}

fn apply(set: &mut RangeSet, op: &Op) {
    match op {
        Op::Insert(span) => set.insert(span.clone()),
        Op::Subtract(span) => set.subtract(span.clone()),
        Op::SubtractSet(spans) => {
            let other: RangeSet = spans.iter().cloned().collect();
            let difference = set.difference(&other);
            set.subtract_set(&other);
            assert_eq!(*set, difference, "subtract_set and difference disagree");
        }
        Op::Extend(spans) => set.extend(spans.iter().cloned()),
    }
}

fn check_invariants(set: &RangeSet) -> Result<(), TestCaseError> {
    let spans = set.as_slice();
    for span in spans {
        prop_assert!(span.start < span.end, "empty span {span:?} in {spans:?}");
    }
    for pair in spans.windows(2) {
        prop_assert!(
            pair[0].end < pair[1].start,
            "spans {:?} and {:?} are unsorted, overlapping or adjacent",
            pair[0],
            pair[1]
        );
    }
    prop_assert_eq!(set.len(), spans.len());
    prop_assert_eq!(set.is_empty(), spans.is_empty());
    prop_assert_eq!(set.iter().collect::<Vec<_>>(), spans.to_vec());
    Ok(())
}

fn check_against_model(
    set: &RangeSet,
    model: &Model,
    probes: &[Range<u64>],
    sizes: &[u64],
) -> Result<(), TestCaseError> {
    check_invariants(set)?;
    prop_assert_eq!(set.as_slice().to_vec(), model.spans());
    for offset in 0..UNIVERSE + 5 {
        prop_assert_eq!(
            set.contains(offset),
            model.contains(offset),
            "offset {}",
            offset
        );
    }
    let count = model.bits.iter().filter(|&&b| b).count() as u64;
    prop_assert_eq!(set.total_len(), count);
    for probe in probes {
        let all = probe.clone().all(|i| model.contains(i));
        let any = probe.clone().any(|i| model.contains(i));
        prop_assert_eq!(set.contains_span(probe), all, "contains_span {:?}", probe);
        prop_assert_eq!(set.overlaps(probe), any, "overlaps {:?}", probe);
    }
    for &size in sizes {
        let missing = set.missing(size);
        check_invariants(&missing)?;
        prop_assert_eq!(
            missing.as_slice().to_vec(),
            model.runs(size, false),
            "size {}",
            size
        );
    }
    // Written back as "s-e" strings and read again, the set is unchanged.
    let texts: Vec<String> = set.expected_ranges().map(|r| r.to_string()).collect();
    prop_assert_eq!(&RangeSet::from_expected(&texts, UNIVERSE).unwrap(), set);
    Ok(())
}

proptest! {
    #![proptest_config(common::config(256))]

    #[test]
    fn range_set_matches_bitmap_model(
        ops in prop::collection::vec(op(), 1..40),
        probes in prop::collection::vec(span(), 0..8),
        sizes in prop::collection::vec(0..UNIVERSE + 10, 1..4),
    ) {
        let mut set = RangeSet::new();
        let mut model = Model::new();
        for op in &ops {
            apply(&mut set, op);
            model.apply(op);
            check_against_model(&set, &model, &probes, &sizes)?;
        }
    }

    #[test]
    fn collecting_in_any_order_matches_inserting_one_by_one(
        spans in prop::collection::vec(span(), 0..30),
    ) {
        let collected: RangeSet = spans.iter().cloned().collect();
        let mut inserted = RangeSet::new();
        let mut model = Model::new();
        for span in &spans {
            inserted.insert(span.clone());
            model.set(span, true);
        }
        check_invariants(&collected)?;
        prop_assert_eq!(&collected, &inserted);
        prop_assert_eq!(collected.as_slice().to_vec(), model.spans());
    }

    #[test]
    fn missing_of_missing_is_the_set_within_size(
        spans in prop::collection::vec(span(), 0..20),
        size in 0..UNIVERSE + 10,
    ) {
        let set: RangeSet = spans.into_iter().collect();
        let twice = set.missing(size).missing(size);
        let mut clipped = set.clone();
        clipped.subtract(size..u64::MAX);
        prop_assert_eq!(twice, clipped);
    }
}

/// Far from zero the same operations must not overflow.
#[test]
fn operations_near_u64_max_do_not_overflow() {
    let top = u64::MAX;
    let mut set = RangeSet::new();
    set.insert(top - 10..top);
    set.insert(top - 20..top - 10);
    assert_eq!(set.as_slice(), &[top - 20..top]);
    set.subtract(top - 15..top - 5);
    assert_eq!(set.as_slice(), &[top - 20..top - 15, top - 5..top]);
    assert!(set.contains(top - 1));
    assert!(!set.contains(top));
    assert_eq!(set.total_len(), 10);
    assert_eq!(set.missing(top).total_len(), top - 10);
    let texts: Vec<String> = set.expected_ranges().map(|r| r.to_string()).collect();
    assert_eq!(
        texts,
        [
            format!("{}-{}", top - 20, top - 16),
            format!("{}-{}", top - 5, top - 1)
        ]
    );
    assert_eq!(RangeSet::from_expected(&texts, top).unwrap(), set);
}
