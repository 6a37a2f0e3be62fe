//! Checks of the `PUT`s a mock server received against the file they came from.

use super::received::{SeenPut, content_ranges};
use graph_upload_ranges::RangeSet;

/// Every PUT carries exactly the bytes its `Content-Range` names, with a matching
/// `Content-Length`, and no range reaches past the end of `data`.
pub fn assert_bodies_match(puts: &[SeenPut], data: &[u8]) {
    for (i, put) in puts.iter().enumerate() {
        let range = put.parsed();
        assert_eq!(
            range.total(),
            Some(data.len() as u64),
            "PUT #{i} {:?}: total",
            put.content_range
        );
        assert_eq!(
            put.content_length.as_deref(),
            Some(put.body.len().to_string().as_str()),
            "PUT #{i} {:?}: Content-Length",
            put.content_range
        );
        match range.span() {
            None => assert!(put.body.is_empty(), "PUT #{i}: bytes */N with a body"),
            Some(span) => {
                assert!(span.end <= data.len() as u64, "PUT #{i} past the end");
                let expected = &data[span.start as usize..span.end as usize];
                assert!(
                    put.body == expected,
                    "PUT #{i} {:?}: body ({} bytes) differs from the file's bytes",
                    put.content_range,
                    put.body.len()
                );
            }
        }
    }
}

/// The PUTs together hold every byte of `data` (reassembled, they are the file).
pub fn assert_reassembles(puts: &[SeenPut], data: &[u8]) {
    let mut file = vec![None::<u8>; data.len()];
    for put in puts {
        if let Some(span) = put.span() {
            for (offset, byte) in (span.start as usize..span.end as usize).zip(&put.body) {
                file[offset] = Some(*byte);
            }
        }
    }
    let missing = file.iter().filter(|b| b.is_none()).count();
    assert_eq!(missing, 0, "{missing} bytes of the file were never sent");
    let rebuilt: Vec<u8> = file.into_iter().map(|b| b.unwrap_or_default()).collect();
    assert!(rebuilt == data, "the reassembled PUTs differ from the file");
}

/// No byte was sent by two PUTs.
pub fn assert_no_byte_twice(puts: &[SeenPut]) {
    let mut seen = RangeSet::new();
    for put in puts {
        if let Some(span) = put.span() {
            assert!(
                !seen.overlaps(&span),
                "{:?} sends bytes already sent; all: {:?}",
                put.content_range,
                content_ranges(puts)
            );
            seen.insert(span);
        }
    }
}
