//! Property tests: sizes from 0 to 2^53 round-trip, and no input makes a parser panic.

use graph_upload_models::{
    AttachmentInfo, AttachmentType, AttachmentUploadSessionRequest, GraphDateTime, GraphErrorBody,
    PrintDocumentUploadProperties, PrintJob, PrintUploadSessionRequest, UploadSession,
    UploadSessionStatus,
};
use proptest::prelude::*;

/// 2^53: the largest integer every JSON implementation (JavaScript included) reads exactly.
const MAX_SAFE_SIZE: u64 = 1 << 53;

fn size() -> impl Strategy<Value = u64> {
    prop_oneof![Just(0), Just(1), Just(MAX_SAFE_SIZE), 0..=MAX_SAFE_SIZE]
}

/// Timestamps within Graph's range, at Graph's 100 ns precision.
fn timestamp() -> impl Strategy<Value = GraphDateTime> {
    (0i64..253_402_300_799, 0u32..10_000_000).prop_map(|(seconds, ticks)| {
        let base = GraphDateTime::from_unix_seconds(seconds).unwrap();
        GraphDateTime::new(
            base.as_offset_date_time() + std::time::Duration::from_nanos(u64::from(ticks) * 100),
        )
    })
}

proptest! {
    #[test]
    fn print_properties_round_trip_for_every_size(size in size(), name in "\\PC{0,40}") {
        let request = PrintUploadSessionRequest {
            properties: PrintDocumentUploadProperties {
                document_name: name,
                content_type: "application/pdf".into(),
                size,
            },
        };
        let text = serde_json::to_string(&request).unwrap();
        let expected = format!("\"size\":{size}");
        prop_assert!(text.contains(&expected), "{} lacks {}", text, expected);
        prop_assert_eq!(serde_json::from_str::<PrintUploadSessionRequest>(&text).unwrap(), request);
    }

    #[test]
    fn attachment_info_round_trips_for_every_size(size in size(), with_type in any::<bool>()) {
        let request = AttachmentUploadSessionRequest {
            attachment_info: AttachmentInfo {
                attachment_type: AttachmentType::File,
                name: "flower".into(),
                size,
                content_type: with_type.then(|| "image/png".to_string()),
            },
        };
        let text = serde_json::to_string(&request).unwrap();
        prop_assert_eq!(serde_json::from_str::<AttachmentUploadSessionRequest>(&text).unwrap(), request);
    }

    #[test]
    fn timestamps_round_trip_as_text_and_value(time in timestamp()) {
        let text = time.to_string();
        prop_assert_eq!(text.len(), "2020-10-25T02:19:38.1694207Z".len());
        let parsed: GraphDateTime = text.parse().unwrap();
        prop_assert_eq!(parsed, time);
        prop_assert_eq!(parsed.to_string(), text);
    }

    #[test]
    fn arbitrary_text_never_panics_any_parser(text in "\\PC{0,200}") {
        let _ = serde_json::from_str::<PrintUploadSessionRequest>(&text);
        let _ = serde_json::from_str::<AttachmentUploadSessionRequest>(&text);
        let _ = serde_json::from_str::<UploadSession>(&text);
        let _ = serde_json::from_str::<UploadSessionStatus>(&text);
        let _ = serde_json::from_str::<PrintJob>(&text);
        let _ = serde_json::from_str::<GraphErrorBody>(&text);
        let _ = text.parse::<GraphDateTime>();
    }

    #[test]
    fn near_valid_json_never_panics(
        key in prop_oneof![Just("size"), Just("expirationDateTime"), Just("nextExpectedRanges"), Just("NextExpectedRanges"), Just("attachmentType")],
        value in prop_oneof![
            Just("null".to_string()), Just("-1".to_string()), Just("1e400".to_string()),
            Just("\"2020-02-30T00:00:00Z\"".to_string()), Just("[\"0-\", 5]".to_string()),
            any::<i64>().prop_map(|n| n.to_string()), "\"\\PC{0,30}\"",
        ],
    ) {
        let text = format!(
            r#"{{"uploadUrl": "u", "expirationDateTime": "2020-10-25T02:19:45.9380004Z", "nextExpectedRanges": [], "{key}": {value}}}"#
        );
        let _ = serde_json::from_str::<UploadSession>(&text);
        let _ = serde_json::from_str::<UploadSessionStatus>(&text);
        let _ = serde_json::from_str::<AttachmentInfo>(&text);
    }
}
