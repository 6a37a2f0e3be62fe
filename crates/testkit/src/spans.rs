//! Byte spans as plain `Range<u64>` lists: an oracle for what the emulator reports, written
//! independently of `graph-upload-ranges`, whose behaviour the tests check.

use std::ops::Range;

/// Parses `nextExpectedRanges` (`"s-e"`, `"s-"`, `"s"`) into half-open spans, clamped to
/// `size`, sorted and merged.
pub fn parse_ranges(texts: &[String], size: u64) -> Vec<Range<u64>> {
    let spans = texts.iter().map(|text| {
        let (start, end) = match text.split_once('-') {
            Some((start, "")) => (start, None),
            Some((start, end)) => (start, Some(end)),
            None => (text.as_str(), None),
        };
        let start: u64 = start
            .parse()
            .unwrap_or_else(|_| panic!("bad range {text:?}"));
        let end = end.map_or(size, |end| {
            end.parse::<u64>()
                .unwrap_or_else(|_| panic!("bad range {text:?}"))
                .saturating_add(1)
                .min(size)
        });
        assert!(start < end, "empty range {text:?} for size {size}");
        start..end
    });
    merge(spans.collect())
}

/// Sorts and merges spans that overlap or touch.
pub fn merge(mut spans: Vec<Range<u64>>) -> Vec<Range<u64>> {
    spans.retain(|s| s.start < s.end);
    spans.sort_by_key(|s| s.start);
    let mut merged: Vec<Range<u64>> = Vec::new();
    for span in spans {
        match merged.last_mut() {
            Some(last) if span.start <= last.end => last.end = last.end.max(span.end),
            _ => merged.push(span),
        }
    }
    merged
}

/// What of `0..size` the spans do not cover.
pub fn complement(spans: &[Range<u64>], size: u64) -> Vec<Range<u64>> {
    let mut missing = Vec::new();
    let mut at = 0;
    for span in merge(spans.to_vec()) {
        if span.start > at {
            missing.push(at..span.start);
        }
        at = at.max(span.end);
    }
    if at < size {
        missing.push(at..size);
    }
    missing
}

/// Whether two sets of spans share a byte.
pub fn intersects(a: &[Range<u64>], b: &[Range<u64>]) -> bool {
    a.iter()
        .any(|x| b.iter().any(|y| x.start < y.end && y.start < x.end))
}

/// `span` cut into pieces of at most `piece` bytes.
pub fn pieces(span: Range<u64>, piece: u64) -> Vec<Range<u64>> {
    let mut out = Vec::new();
    let mut at = span.start;
    while at < span.end {
        let end = (at + piece).min(span.end);
        out.push(at..end);
        at = end;
    }
    out
}
