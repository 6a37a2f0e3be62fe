//! Fuzz-style properties of the three parsers: `ByteRange`, `ContentRange` and
//! `RangeSet::from_expected`.
//!
//! Inputs are arbitrary strings, arbitrary bytes read through `String::from_utf8_lossy`,
//! and near-valid mixtures of digits, dashes, `bytes`, spaces, `*`, `/` and `=`. For every
//! input: no panic; a successful parse displays as text that parses back to the same
//! value; an error points at a real character of the input. Valid generated values
//! round-trip through `Display` exactly.
//!
//! Long mode: `GRAPH_UPLOAD_LONG_FUZZ=1 cargo test --release -p graph-upload-ranges --test
//! parse_fuzz` runs one million cases per property (see `tests/common/mod.rs`).

mod common;

use graph_upload_ranges::{
    ByteRange, ContentRange, ExpectedRangesError, ParseError, RangeEnd, RangeSet,
};
use proptest::prelude::*;

/// Pieces that near-valid inputs are glued from.
const TOKENS: &[&str] = &[
    "",
    "bytes",
    "BYTES",
    "Bytes",
    "byte",
    "bytes=",
    "bytes ",
    " ",
    "  ",
    "\t",
    "\n",
    "\r",
    "-",
    "--",
    "*",
    "/",
    "=",
    ",",
    "+",
    ".",
    "0",
    "00",
    "1",
    "7",
    "9",
    "10",
    "255",
    "4533321",
    "4533322",
    "18446744073709551614",
    "18446744073709551615",
    "18446744073709551616",
    "99999999999999999999",
    "é",
    "\u{0}",
    "\u{feff}",
];

fn token() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => prop::sample::select(TOKENS).prop_map(str::to_owned),
        2 => "[0-9]{1,4}",
    ]
}

/// Any text a peer could send, weighted towards almost-valid.
fn input() -> impl Strategy<Value = String> {
    prop_oneof![
        2 => any::<String>(),
        2 => prop::collection::vec(any::<u8>(), 0..48)
            .prop_map(|bytes| String::from_utf8_lossy(&bytes).into_owned()),
        3 => prop::collection::vec(token(), 0..10).prop_map(|parts| parts.concat()),
        2 => "[ \t]{0,2}-?[0-9]{0,5}-?[0-9]{0,5}[ \t]{0,2}",
        3 => "[ \t]{0,2}(bytes|BYTES|byte|)[ =\t]{0,2}(\\*|[0-9]{0,4})(-[0-9]{0,4})?(/(\\*|[0-9]{0,5}))?[ \t]{0,2}",
        3 => "[ \t]?(bytes|BYTES)[ =\t](\\*|[0-9]{1,4}-[0-9]{1,4})/(\\*|[0-9]{1,5})[ \t]?",
    ]
}

/// Offsets that hit the edges: small ones, and ones near `u64::MAX`.
fn offset() -> impl Strategy<Value = u64> {
    prop_oneof![
        3 => 0..1000u64,
        1 => (0..1000u64).prop_map(|d| u64::MAX - d),
        2 => any::<u64>(),
    ]
}

/// Errors must point at something real in the input.
fn check_error(input: &str, err: ParseError) -> Result<(), TestCaseError> {
    prop_assert!(!err.to_string().is_empty());
    match err {
        ParseError::InvalidChar { pos, found } => {
            let at = input.get(pos..).and_then(|rest| rest.chars().next());
            prop_assert_eq!(
                at,
                Some(found),
                "InvalidChar position {} in {:?}",
                pos,
                input
            );
        }
        ParseError::Overflow { pos } => {
            let digit = input.as_bytes().get(pos).is_some_and(u8::is_ascii_digit);
            prop_assert!(digit, "Overflow position {} in {:?}", pos, input);
        }
        ParseError::Empty => {
            prop_assert!(input.bytes().all(|b| b == b' ' || b == b'\t'));
        }
        ParseError::Reversed { start, end } => prop_assert!(end < start),
        ParseError::EndNotBeforeTotal { end, total } => prop_assert!(end >= total),
        _ => {}
    }
    Ok(())
}

fn strip_leading_zeros(number: &str) -> &str {
    let stripped = number.trim_start_matches('0');
    if stripped.is_empty() && !number.is_empty() {
        "0"
    } else {
        stripped
    }
}

fn check_byte_range(input: &str) -> Result<(), TestCaseError> {
    match input.parse::<ByteRange>() {
        Ok(range) => {
            let text = range.to_string();
            prop_assert_eq!(text.parse::<ByteRange>(), Ok(range), "via {:?}", text);
            if let RangeEnd::Inclusive(end) = range.end() {
                prop_assert!(range.start() <= end);
            }
            // The input comes back byte for byte, up to surrounding blanks and leading zeros.
            let canonical = input
                .trim_matches([' ', '\t'])
                .split('-')
                .map(strip_leading_zeros)
                .collect::<Vec<_>>()
                .join("-");
            prop_assert_eq!(text, canonical);
        }
        Err(err) => check_error(input, err)?,
    }
    Ok(())
}

fn check_content_range(input: &str) -> Result<(), TestCaseError> {
    match input.parse::<ContentRange>() {
        Ok(cr) => {
            let text = cr.to_string();
            prop_assert!(text.starts_with("bytes "));
            prop_assert_eq!(text.parse::<ContentRange>(), Ok(cr), "via {:?}", text);
            prop_assert!(cr.span().is_some() || cr.total().is_some());
            if let Some(span) = cr.span() {
                prop_assert!(span.start < span.end);
                prop_assert_eq!(cr.len(), span.end - span.start);
                prop_assert_eq!(Some(span.start), cr.first());
                prop_assert_eq!(Some(span.end - 1), cr.last());
                if let Some(total) = cr.total() {
                    prop_assert!(span.end <= total);
                    prop_assert_eq!(ContentRange::from_range(span, total), Ok(cr));
                }
            } else {
                prop_assert!(cr.is_empty());
                prop_assert_eq!(cr.len(), 0);
            }
        }
        Err(err) => check_error(input, err)?,
    }
    Ok(())
}

fn check_from_expected(items: &[String], size: u64) -> Result<(), TestCaseError> {
    // The model: parse and resolve each item on its own, stop at the first failure.
    let mut model = RangeSet::new();
    let mut first_error = None;
    for (index, item) in items.iter().enumerate() {
        match item.parse::<ByteRange>() {
            Err(error) => {
                first_error = Some(ExpectedRangesError::Parse { index, error });
                break;
            }
            Ok(range) => match range.resolve(size) {
                Err(error) => {
                    first_error = Some(ExpectedRangesError::Resolve { index, error });
                    break;
                }
                Ok(span) => model.insert(span.unwrap_or(0..0)),
            },
        }
    }
    match RangeSet::from_expected(items, size) {
        Ok(set) => {
            prop_assert_eq!(first_error, None);
            prop_assert_eq!(&set, &model);
            for pair in set.as_slice().windows(2) {
                prop_assert!(pair[0].end < pair[1].start);
            }
            prop_assert!(
                set.iter()
                    .all(|span| span.start < span.end && span.end <= size)
            );
            let texts: Vec<String> = set.expected_ranges().map(|r| r.to_string()).collect();
            prop_assert_eq!(RangeSet::from_expected(&texts, size), Ok(set));
        }
        Err(err) => {
            prop_assert_eq!(Some(err), first_error);
            prop_assert!(err.index() < items.len());
            prop_assert!(std::error::Error::source(&err).is_some());
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(common::config(1000))]

    #[test]
    fn byte_range_parser_never_panics_and_round_trips(s in input()) {
        check_byte_range(&s)?;
    }

    #[test]
    fn content_range_parser_never_panics_and_round_trips(s in input()) {
        check_content_range(&s)?;
    }

    #[test]
    fn from_expected_never_panics_and_matches_item_by_item_model(
        items in prop::collection::vec(input(), 0..6),
        size in prop_oneof![0..100_000u64, any::<u64>()],
    ) {
        check_from_expected(&items, size)?;
    }

    #[test]
    fn from_expected_of_near_valid_lists(
        items in prop::collection::vec("[ \t]?[0-9]{1,3}(-[0-9]{0,3})?[ \t]?", 0..8),
        size in 0..1200u64,
    ) {
        check_from_expected(&items, size)?;
    }

    #[test]
    fn valid_byte_ranges_round_trip_exactly(
        start in offset(),
        end in offset(),
        form in 0..3u8,
        pad_left in "[ \t]{0,3}",
        pad_right in "[ \t]{0,3}",
    ) {
        let (range, text) = match form {
            0 => {
                let (lo, hi) = (start.min(end), start.max(end));
                (ByteRange::closed(lo, hi).unwrap(), format!("{lo}-{hi}"))
            }
            1 => (ByteRange::open(start), format!("{start}-")),
            _ => (ByteRange::start_only(start), format!("{start}")),
        };
        prop_assert_eq!(range.to_string(), text.clone());
        prop_assert_eq!(text.parse::<ByteRange>(), Ok(range));
        let padded = format!("{pad_left}{text}{pad_right}");
        prop_assert_eq!(padded.parse::<ByteRange>(), Ok(range));
    }

    #[test]
    fn valid_content_ranges_round_trip_exactly(
        first in offset(),
        len in prop_oneof![1..1000u64, any::<u64>()],
        extra in prop_oneof![0..1000u64, any::<u64>()],
        known_total in any::<bool>(),
    ) {
        let Some(last) = first.checked_add(len - 1).filter(|&l| l < u64::MAX) else {
            return Ok(());
        };
        let total = last.checked_add(1).and_then(|t| t.checked_add(extra));
        let Some(total) = total else { return Ok(()) };
        let cr = if known_total {
            ContentRange::for_span(first, len, total).unwrap()
        } else {
            ContentRange::new(first, last, None).unwrap()
        };
        let text = if known_total {
            format!("bytes {first}-{last}/{total}")
        } else {
            format!("bytes {first}-{last}/*")
        };
        prop_assert_eq!(cr.to_string(), text.clone());
        prop_assert_eq!(cr.len(), len);
        prop_assert_eq!(text.parse::<ContentRange>(), Ok(cr));
        prop_assert_eq!(text.replacen("bytes ", "bytes=", 1).parse::<ContentRange>(), Ok(cr));
    }

    #[test]
    fn empty_content_ranges_round_trip_exactly(total in offset()) {
        let cr = ContentRange::empty(total);
        let text = format!("bytes */{total}");
        prop_assert_eq!(cr.to_string(), text.clone());
        prop_assert_eq!(text.parse::<ContentRange>(), Ok(cr));
    }
}

#[test]
fn long_fuzz_switch_selects_a_million_cases() {
    assert_eq!(common::cases(Some("1"), None, 256), 1_000_000);
    assert_eq!(common::cases(Some("1"), Some(10), 256), 1_000_000);
    assert_eq!(common::cases(Some("0"), None, 256), 256);
    assert_eq!(common::cases(None, None, 256), 256);
    assert_eq!(common::cases(None, Some(10), 256), 10);
}
