//! Properties of the fragment planner.
//!
//! For random missing sets, quanta and maximum fragment sizes: the fragments are sorted and
//! disjoint, cover exactly the missing set, never pass the file size, are at most the
//! fragment length (itself the largest multiple of the quantum within the maximum), and are
//! multiples of the quantum except the last fragment of each missing span. Missing sets are
//! drawn near zero and near `u64::MAX`, with small quanta and with Graph's own.
//!
//! Long mode: `GRAPH_UPLOAD_LONG_FUZZ=1 cargo test --release -p graph-upload-ranges --test
//! plan_props` runs one million cases per property (see `tests/common/mod.rs`).

mod common;

use std::ops::Range;

use graph_upload_ranges::{FragmentPlan, FragmentSize, GRAPH_QUANTUM, PlanError, RangeSet};
use proptest::prelude::*;

/// A file size and the missing spans of that file, all inside `base..base + size`
/// (`base` is 0, or close to `u64::MAX`).
fn missing(unit: u64, max_units: u64) -> impl Strategy<Value = (u64, u64, RangeSet)> {
    let base = prop_oneof![3 => Just(0u64), 1 => Just(u64::MAX - 64 * unit * max_units)];
    (base, 0..=max_units * unit).prop_flat_map(move |(base, size)| {
        let span = (0..=size, 0..=size).prop_map(move |(a, b)| base + a.min(b)..base + a.max(b));
        let spans = prop::collection::vec(span, 0..6);
        // Sometimes the whole file is missing (the first upload).
        let set = prop_oneof![
            1 => Just(RangeSet::from(base..base + size)),
            3 => spans.prop_map(RangeSet::from_iter),
        ];
        (Just(base), Just(size), set)
    })
}

fn check_plan(
    base: u64,
    size: u64,
    missing: &RangeSet,
    quantum: u64,
    max: u64,
) -> Result<(), TestCaseError> {
    let fragment_size = FragmentSize::new(quantum, max).unwrap();
    let len = fragment_size.get();
    prop_assert!(len > 0 && len.is_multiple_of(quantum) && len <= max);
    prop_assert!(
        max - len < quantum,
        "{} is not the largest multiple of {} within {}",
        len,
        quantum,
        max
    );

    let plan = FragmentPlan::new(missing, quantum, max).unwrap();
    prop_assert_eq!(plan.fragment_len(), len);
    let lower_bound = plan.size_hint().0;
    let fragments: Vec<Range<u64>> = plan.collect();
    prop_assert!(fragments.len() >= lower_bound);
    prop_assert_eq!(&fragments, &fragment_size.plan(missing).collect::<Vec<_>>());

    for pair in fragments.windows(2) {
        prop_assert!(
            pair[0].end <= pair[1].start,
            "{:?} then {:?}",
            pair[0],
            pair[1]
        );
    }
    for fragment in &fragments {
        prop_assert!(!fragment.is_empty());
        prop_assert!(fragment.end - fragment.start <= len);
        prop_assert!(
            fragment.start >= base && fragment.end <= base + size,
            "{:?} past the file",
            fragment
        );
        prop_assert!(
            missing.contains_span(fragment),
            "{:?} not missing",
            fragment
        );
        let span_end = missing
            .iter()
            .find(|span| span.start <= fragment.start && fragment.start < span.end)
            .map(|span| span.end);
        let last_of_span = span_end == Some(fragment.end);
        if !last_of_span {
            prop_assert_eq!(
                (fragment.end - fragment.start) % quantum,
                0,
                "{:?} is short",
                fragment
            );
        }
    }
    // Each missing span is cut from its start, contiguously.
    for span in missing {
        let inside: Vec<&Range<u64>> = fragments
            .iter()
            .filter(|c| span.contains(&c.start))
            .collect();
        prop_assert_eq!(inside.first().map(|c| c.start), Some(span.start));
        for pair in inside.windows(2) {
            prop_assert_eq!(pair[0].end, pair[1].start);
        }
    }
    // Exact cover: the fragments, merged, are the missing set, and they add up to its size.
    let covered: RangeSet = fragments.iter().cloned().collect();
    prop_assert_eq!(&covered, missing);
    let total: u64 = fragments.iter().map(|c| c.end - c.start).sum();
    prop_assert_eq!(total, missing.total_len());
    Ok(())
}

proptest! {
    #![proptest_config(common::config(1000))]

    #[test]
    fn fragments_cover_missing_exactly_with_small_quanta(
        (base, size, missing) in missing(1, 600),
        quantum in 1..=16u64,
        extra in 0..200u64,
    ) {
        check_plan(base, size, &missing, quantum, quantum + extra)?;
    }

    #[test]
    fn fragments_cover_missing_exactly_with_graph_quantum(
        (base, size, missing) in missing(GRAPH_QUANTUM / 64, 64 * 40),
        max in GRAPH_QUANTUM..=40 * GRAPH_QUANTUM,
    ) {
        check_plan(base, size, &missing, GRAPH_QUANTUM, max)?;
    }

    #[test]
    fn fragment_size_is_refused_exactly_when_no_fragment_fits(
        quantum in prop_oneof![Just(0u64), 1..1000u64, any::<u64>()],
        max in prop_oneof![0..1000u64, any::<u64>()],
    ) {
        match FragmentSize::new(quantum, max) {
            Ok(size) => {
                prop_assert!(quantum > 0 && max >= quantum);
                prop_assert_eq!(size.get() % quantum, 0);
                prop_assert!(size.get() <= max && max - size.get() < quantum);
            }
            Err(PlanError::ZeroQuantum) => prop_assert_eq!(quantum, 0),
            Err(PlanError::MaxBelowQuantum { max: m, quantum: q }) => {
                prop_assert!(quantum > 0 && max < quantum);
                prop_assert_eq!((m, q), (max, quantum));
            }
            Err(other) => prop_assert!(false, "unexpected {other:?}"),
        }
    }
}

#[test]
fn zero_byte_file_has_nothing_to_put() {
    let missing = RangeSet::from_expected(["0-"], 0).unwrap();
    assert_eq!(
        FragmentPlan::new(&missing, GRAPH_QUANTUM, 4 << 20)
            .unwrap()
            .count(),
        0
    );
}

#[test]
fn one_gib_at_ten_mib_is_103_fragments() {
    let size = 1u64 << 30;
    let missing = RangeSet::from(0..size);
    let fragments: Vec<_> = FragmentSize::graph(10 << 20)
        .unwrap()
        .plan(&missing)
        .collect();
    assert_eq!(fragments.len(), 103); // 102 fragments of 10 MiB and 4 MiB left over
    assert_eq!(fragments[0], 0..10 << 20);
    assert_eq!(fragments[102], 102 * (10 << 20)..size);
}
