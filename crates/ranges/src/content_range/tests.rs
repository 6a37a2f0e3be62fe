use super::*;

fn parse(s: &str) -> Result<ContentRange, ParseError> {
    s.parse()
}

#[test]
fn parses_span_and_total() {
    let cr = parse("bytes 0-72796/4533322").unwrap();
    assert_eq!(cr.first(), Some(0));
    assert_eq!(cr.last(), Some(72_796));
    assert_eq!(cr.total(), Some(4_533_322));
    assert_eq!(cr.span(), Some(0..72_797));
    assert_eq!(cr.len(), 72_797);
    assert!(!cr.is_empty());
}

#[test]
fn accepts_equals_sign_after_unit_as_in_graph_example() {
    assert_eq!(
        parse("bytes=0-72796/4533322").unwrap(),
        parse("bytes 0-72796/4533322").unwrap()
    );
}

#[test]
fn display_writes_canonical_space_form() {
    assert_eq!(
        parse("bytes=0-72796/4533322").unwrap().to_string(),
        "bytes 0-72796/4533322"
    );
    assert_eq!(parse("BYTES\t 5-5/*").unwrap().to_string(), "bytes 5-5/*");
}

#[test]
fn parses_star_total_for_zero_byte_file() {
    let cr = parse("bytes */0").unwrap();
    assert_eq!(cr, ContentRange::empty(0));
    assert!(cr.is_empty());
    assert_eq!(cr.len(), 0);
    assert_eq!(cr.span(), None);
    assert_eq!(cr.total(), Some(0));
    assert_eq!(cr.to_string(), "bytes */0");
}

#[test]
fn parses_unknown_total() {
    let cr = parse("bytes 0-99/*").unwrap();
    assert_eq!(cr.total(), None);
    assert_eq!(cr.len(), 100);
    assert_eq!(cr.to_string(), "bytes 0-99/*");
}

#[test]
fn refuses_star_star() {
    assert_eq!(parse("bytes */*"), Err(ParseError::NoSpanNoTotal));
}

#[test]
fn refuses_reversed_span() {
    assert_eq!(
        parse("bytes 9-3/10"),
        Err(ParseError::Reversed { start: 9, end: 3 })
    );
}

#[test]
fn refuses_last_byte_at_or_past_total() {
    assert_eq!(
        parse("bytes 0-10/10"),
        Err(ParseError::EndNotBeforeTotal { end: 10, total: 10 })
    );
    assert_eq!(
        parse("bytes 0-0/0"),
        Err(ParseError::EndNotBeforeTotal { end: 0, total: 0 })
    );
    assert!(parse("bytes 0-9/10").is_ok());
}

#[test]
fn refuses_other_units_and_missing_parts() {
    assert_eq!(parse(""), Err(ParseError::Empty));
    assert_eq!(parse("items 0-1/2"), Err(ParseError::UnknownUnit));
    assert_eq!(parse("0-1/2"), Err(ParseError::UnknownUnit));
    assert_eq!(parse("bytes"), Err(ParseError::MissingStart));
    assert_eq!(parse("bytes -5/10"), Err(ParseError::MissingStart));
    assert_eq!(parse("bytes 0-/10"), Err(ParseError::MissingEnd));
    assert_eq!(parse("bytes 0/10"), Err(ParseError::MissingEnd));
    assert_eq!(parse("bytes 0-5"), Err(ParseError::MissingTotal));
    assert_eq!(parse("bytes 0-5/"), Err(ParseError::MissingTotal));
}

#[test]
fn invalid_characters_report_their_position() {
    assert_eq!(
        parse("bytes0-1/2"),
        Err(ParseError::InvalidChar { pos: 5, found: '0' })
    );
    assert_eq!(
        parse("bytes 0 -1/2"),
        Err(ParseError::InvalidChar { pos: 7, found: ' ' })
    );
    assert_eq!(
        parse("bytes 0-1/2 x"),
        Err(ParseError::InvalidChar {
            pos: 11,
            found: ' '
        })
    );
    assert_eq!(
        parse("bytes= 0-1/2"),
        Err(ParseError::InvalidChar { pos: 6, found: ' ' })
    );
}

#[test]
fn overflowing_numbers_are_reported() {
    assert_eq!(
        parse("bytes 0-1/18446744073709551616"),
        Err(ParseError::Overflow { pos: 10 })
    );
    assert_eq!(
        parse("bytes 0-18446744073709551615/*"),
        Err(ParseError::Overflow { pos: 8 })
    );
    let cr = parse("bytes 0-18446744073709551614/18446744073709551615").unwrap();
    assert_eq!(cr.len(), u64::MAX);
    assert_eq!(cr.span(), Some(0..u64::MAX));
}

#[test]
fn for_span_builds_inclusive_header() {
    let cr = ContentRange::for_span(72_797, 327_680, 4_533_322).unwrap();
    assert_eq!(cr.to_string(), "bytes 72797-400476/4533322");
    assert_eq!(cr.len(), 327_680);
}

#[test]
fn one_byte_span_has_equal_first_and_last() {
    let cr = ContentRange::for_span(9, 1, 10).unwrap();
    assert_eq!(cr.to_string(), "bytes 9-9/10");
    assert_eq!(cr.len(), 1);
}

#[test]
fn for_span_refuses_empty_overflowing_and_oversized_spans() {
    assert_eq!(ContentRange::for_span(0, 0, 10), Err(RangeError::EmptySpan));
    assert_eq!(
        ContentRange::for_span(u64::MAX, 1, u64::MAX),
        Err(RangeError::Overflow)
    );
    assert_eq!(
        ContentRange::for_span(5, 6, 10),
        Err(RangeError::EndNotBeforeTotal { end: 10, total: 10 })
    );
}

#[test]
fn from_range_matches_for_span() {
    assert_eq!(
        ContentRange::from_range(10..20, 30),
        ContentRange::for_span(10, 10, 30)
    );
    #[allow(clippy::reversed_empty_ranges)]
    let reversed = 20..10;
    assert_eq!(
        ContentRange::from_range(reversed, 30),
        Err(RangeError::EmptySpan)
    );
}

#[test]
fn new_checks_every_invariant() {
    assert_eq!(
        ContentRange::new(3, 2, None),
        Err(RangeError::Reversed { start: 3, end: 2 })
    );
    assert_eq!(
        ContentRange::new(0, u64::MAX, None),
        Err(RangeError::Overflow)
    );
    assert_eq!(
        ContentRange::new(0, 5, Some(5)),
        Err(RangeError::EndNotBeforeTotal { end: 5, total: 5 })
    );
    assert!(ContentRange::new(0, u64::MAX - 1, None).is_ok());
}
