//! Graph's session JSON (models) feeding the range logic (ranges), as the uploader will use them.
#![allow(clippy::single_range_in_vec_init)] // comparing with a one-span slice is the point

use graph_upload_models::{UploadSession, UploadSessionStatus};
use graph_upload_ranges::{ContentRange, FragmentSize, GRAPH_QUANTUM, RangeSet};

const PRINT_SESSION: &str = r#"{
    "@odata.context": "https://graph.microsoft.com/beta/$metadata#microsoft.graph.uploadSession",
    "uploadUrl": "https://print.print.microsoft.com/uploadSessions/5400be13-5a4e-4c20-be70-90c85bfe5d6e?tempauthtoken={token}",
    "expirationDateTime": "2020-10-25T02:19:38.1694207Z",
    "nextExpectedRanges": ["0-4533321"]
}"#;
const PRINT_SIZE: u64 = 4_533_322;

fn headers(missing: &RangeSet, size: u64, max_fragment: u64) -> Vec<String> {
    let fragment = FragmentSize::graph(max_fragment).unwrap();
    fragment
        .plan(missing)
        .map(|span| ContentRange::from_range(span, size).unwrap().to_string())
        .collect()
}

#[test]
fn seed_print_session_plans_every_byte_once_in_quantum_multiples() {
    let session: UploadSession = serde_json::from_str(PRINT_SESSION).unwrap();
    let missing = RangeSet::from_expected(&session.next_expected_ranges, PRINT_SIZE).unwrap();
    assert_eq!(missing.total_len(), PRINT_SIZE);
    let sent = headers(&missing, PRINT_SIZE, 1024 * 1024);
    // 983,040 = 3 quanta, the largest multiple of 320 KiB within 1 MiB; 5 fragments, last short.
    assert_eq!(sent.len(), 5);
    assert_eq!(sent[0], "bytes 0-983039/4533322");
    assert_eq!(sent[4], "bytes 3932160-4533321/4533322");
    let mut covered = RangeSet::new();
    for header in &sent {
        let span = header.parse::<ContentRange>().unwrap().span().unwrap();
        assert!(!covered.overlaps(&span), "{header} resends bytes");
        covered.insert(span);
    }
    assert_eq!(covered, missing);
}

#[test]
fn print_reply_in_camel_case_resumes_after_the_acknowledged_bytes() {
    let reply: UploadSessionStatus = serde_json::from_str(
        r#"{"expirationDateTime": "2020-10-25T02:19:45.9380004Z", "nextExpectedRanges": ["72797-4533321"]}"#,
    )
    .unwrap();
    let ranges = reply.next_expected_ranges.unwrap();
    let missing = RangeSet::from_expected(&ranges, PRINT_SIZE).unwrap();
    assert_eq!(missing.as_slice(), [72_797..PRINT_SIZE]);
    assert_eq!(
        headers(&missing, PRINT_SIZE, 10 * 1024 * 1024),
        ["bytes 72797-4533321/4533322"]
    );
}

#[test]
fn todo_reply_in_pascal_case_with_start_only_range_means_open_to_the_end() {
    let size = 3_483_322;
    let reply: UploadSessionStatus = serde_json::from_str(
        r#"{"ExpirationDateTime": "2022-06-09T10:45:27.4324526Z", "NextExpectedRanges": ["2097152"]}"#,
    )
    .unwrap();
    let missing = RangeSet::from_expected(reply.next_expected_ranges.unwrap(), size).unwrap();
    assert_eq!(
        missing.as_slice(),
        [2_097_152..size],
        "\"2097152\" is not one byte"
    );
    assert_eq!(
        headers(&missing, size, 4 * 1024 * 1024),
        ["bytes 2097152-3483321/3483322"]
    );
}

#[test]
fn end_reported_one_past_the_last_byte_is_clamped_not_sent() {
    let missing = RangeSet::from_expected(["78929-4533322"], PRINT_SIZE).unwrap();
    assert_eq!(missing.as_slice(), [78_929..PRINT_SIZE]);
}

#[test]
fn empty_todo_file_has_nothing_to_plan_and_one_empty_put() {
    let session: UploadSession = serde_json::from_str(
        r#"{"uploadUrl": "https://graph.microsoft.com/beta/users/u/todo/lists/l/tasks/t/attachmentSessions/s",
            "expirationDateTime": "2022-06-09T10:45:27.4324526Z", "nextExpectedRanges": ["0-"]}"#,
    )
    .unwrap();
    let missing = RangeSet::from_expected(&session.next_expected_ranges, 0).unwrap();
    assert!(missing.is_empty());
    assert!(headers(&missing, 0, GRAPH_QUANTUM).is_empty());
    assert_eq!(ContentRange::empty(0).to_string(), "bytes */0");
}

#[test]
fn server_writes_missing_ranges_back_in_closed_form() {
    let mut received = RangeSet::new();
    received.insert(0..983_040);
    received.insert(1_966_080..2_293_760);
    let missing = received.missing(PRINT_SIZE);
    let written: Vec<String> = missing.expected_ranges().map(|r| r.to_string()).collect();
    assert_eq!(written, ["983040-1966079", "2293760-4533321"]);
    let reply = UploadSessionStatus {
        expiration_date_time: None,
        next_expected_ranges: Some(written),
    };
    assert_eq!(
        serde_json::to_string(&reply).unwrap(),
        r#"{"nextExpectedRanges":["983040-1966079","2293760-4533321"]}"#
    );
}
