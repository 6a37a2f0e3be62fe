#![allow(clippy::single_range_in_vec_init)]
use super::*;
use crate::error::{ParseError, RangeError};

fn set(spans: &[Range<u64>]) -> RangeSet {
    let mut s = RangeSet::new();
    for r in spans {
        s.insert(r.clone());
    }
    s
}

#[test]
fn insert_merges_overlapping_spans() {
    assert_eq!(set(&[0..10, 5..15]).as_slice(), &[0..15]);
    assert_eq!(set(&[5..15, 0..10]).as_slice(), &[0..15]);
    assert_eq!(set(&[0..100, 10..20]).as_slice(), &[0..100]);
}

#[test]
fn insert_merges_adjacent_spans() {
    assert_eq!(set(&[0..10, 10..20]).as_slice(), &[0..20]);
    assert_eq!(set(&[10..20, 0..10]).as_slice(), &[0..20]);
}

#[test]
fn insert_bridging_span_merges_many() {
    let mut s = set(&[0..2, 4..6, 8..10, 12..14, 20..30]);
    s.insert(1..13);
    assert_eq!(s.as_slice(), &[0..14, 20..30]);
}

#[test]
fn insert_keeps_disjoint_spans_sorted() {
    assert_eq!(
        set(&[20..30, 0..5, 10..15]).as_slice(),
        &[0..5, 10..15, 20..30]
    );
}

#[test]
fn insert_ignores_empty_and_reversed_spans() {
    let mut s = RangeSet::new();
    s.insert(5..5);
    #[allow(clippy::reversed_empty_ranges)]
    s.insert(9..3);
    assert!(s.is_empty());
}

#[test]
fn subtract_splits_a_span_in_two() {
    let mut s = set(&[0..100]);
    s.subtract(40..60);
    assert_eq!(s.as_slice(), &[0..40, 60..100]);
}

#[test]
fn subtract_trims_and_removes_across_spans() {
    let mut s = set(&[0..10, 20..30, 40..50, 60..70]);
    s.subtract(5..45);
    assert_eq!(s.as_slice(), &[0..5, 45..50, 60..70]);
    s.subtract(0..5);
    assert_eq!(s.as_slice(), &[45..50, 60..70]);
    s.subtract(50..60);
    assert_eq!(s.as_slice(), &[45..50, 60..70]);
    s.subtract(0..u64::MAX);
    assert!(s.is_empty());
}

#[test]
fn subtract_set_removes_every_span_of_other() {
    let mut a = set(&[0..100, 200..300]);
    let b = set(&[10..20, 90..210, 250..260]);
    let expected = [0..10, 20..90, 210..250, 260..300];
    assert_eq!(a.difference(&b).as_slice(), &expected);
    a.subtract_set(&b);
    assert_eq!(a.as_slice(), &expected);
}

#[test]
fn subtract_set_with_many_spans_matches_one_by_one() {
    let a = set(&[0..1000]);
    let b: RangeSet = (0..20).map(|i| i * 50..i * 50 + 7).collect();
    let mut by_set = a.clone();
    by_set.subtract_set(&b);
    let mut one_by_one = a;
    for r in &b {
        one_by_one.subtract(r);
    }
    assert_eq!(by_set, one_by_one);
    assert_eq!(by_set.len(), 20);
}

#[test]
fn missing_is_the_complement_within_size() {
    let s = set(&[10..20, 30..40, 90..200]);
    assert_eq!(s.missing(100).as_slice(), &[0..10, 20..30, 40..90]);
    assert_eq!(s.missing(35).as_slice(), &[0..10, 20..30]);
    assert_eq!(RangeSet::new().missing(5).as_slice(), &[0..5]);
    assert!(RangeSet::new().missing(0).is_empty());
    assert!(set(&[0..5]).missing(5).is_empty());
}

#[test]
fn contains_checks_single_offsets() {
    let s = set(&[10..20, 30..40]);
    assert!(!s.contains(9));
    assert!(s.contains(10));
    assert!(s.contains(19));
    assert!(!s.contains(20));
    assert!(s.contains(39));
    assert!(!s.contains(40));
}

#[test]
fn contains_span_needs_every_byte() {
    let s = set(&[10..20, 21..40]);
    assert!(s.contains_span(&(10..20)));
    assert!(s.contains_span(&(12..15)));
    assert!(!s.contains_span(&(15..25)));
    assert!(!s.contains_span(&(5..12)));
    assert!(s.contains_span(&(100..100)));
}

#[test]
fn overlaps_needs_one_byte() {
    let s = set(&[10..20]);
    assert!(s.overlaps(&(19..30)));
    assert!(s.overlaps(&(0..11)));
    assert!(!s.overlaps(&(20..30)));
    assert!(!s.overlaps(&(0..10)));
    assert!(!s.overlaps(&(15..15)));
}

#[test]
fn total_len_and_len_count_bytes_and_spans() {
    let s = set(&[0..10, 20..25]);
    assert_eq!(s.total_len(), 15);
    assert_eq!(s.len(), 2);
    assert_eq!(set(&[0..u64::MAX]).total_len(), u64::MAX);
}

#[test]
fn from_expected_parses_every_form() {
    let s = RangeSet::from_expected(["0-9", "20-", "15"], 30).unwrap();
    assert_eq!(s.as_slice(), &[0..10, 15..30]);
}

#[test]
fn from_expected_merges_unsorted_overlapping_items() {
    let s = RangeSet::from_expected(vec!["50-59", "0-9", "5-19", "20-29"], 100).unwrap();
    assert_eq!(s.as_slice(), &[0..30, 50..60]);
}

#[test]
fn from_expected_clamps_end_one_past_last_byte() {
    let s = RangeSet::from_expected(["78929-4533322"], 4_533_322).unwrap();
    assert_eq!(s.as_slice(), &[78_929..4_533_322]);
}

#[test]
fn from_expected_of_empty_list_is_empty() {
    let none: [&str; 0] = [];
    assert!(RangeSet::from_expected(none, 10).unwrap().is_empty());
}

#[test]
fn from_expected_reports_index_of_bad_item() {
    let err = RangeSet::from_expected(["0-9", "x"], 10).unwrap_err();
    assert_eq!(
        err,
        ExpectedRangesError::Parse {
            index: 1,
            error: ParseError::InvalidChar { pos: 0, found: 'x' }
        }
    );
    assert_eq!(err.index(), 1);
    let err = RangeSet::from_expected([String::from("11-")], 10).unwrap_err();
    assert_eq!(
        err,
        ExpectedRangesError::Resolve {
            index: 0,
            error: RangeError::StartBeyondSize {
                start: 11,
                size: 10
            }
        }
    );
}

#[test]
fn expected_ranges_write_closed_form() {
    let s = set(&[0..10, 20..21]);
    let texts: Vec<String> = s.expected_ranges().map(|r| r.to_string()).collect();
    assert_eq!(texts, ["0-9", "20-20"]);
    assert_eq!(RangeSet::from_expected(&texts, 21).unwrap(), s);
}

#[test]
fn collect_merges_in_any_order() {
    let s: RangeSet = [30..40, 0..10, 10..12, 35..50, 7..7].into_iter().collect();
    assert_eq!(s.as_slice(), &[0..12, 30..50]);
    assert_eq!(s.iter().next_back(), Some(30..50));
    assert_eq!(RangeSet::from(0..5).as_slice(), &[0..5]);
}
