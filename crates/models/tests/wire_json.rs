//! Every JSON example of the seeds and `docs/protocol.md` parses, and writes back as the same JSON.

use graph_upload_models::{
    AttachmentType, AttachmentUploadSessionRequest, GraphErrorBody, PascalCase, PrintDocument,
    PrintJob, PrintJobProcessingState, PrintUploadSessionRequest, TaskFileAttachment,
    UploadSession, UploadSessionStatus, error_codes,
};
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;
use std::fmt::Debug;
use std::path::Path;

fn fixture(name: &str) -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name);
    std::fs::read_to_string(&path).unwrap_or_else(|error| panic!("{}: {error}", path.display()))
}

/// Parse, serialize, parse: the values are equal, and the written JSON is the original JSON.
fn round_trip<T>(name: &str) -> T
where
    T: DeserializeOwned + Serialize + PartialEq + Debug,
{
    let text = fixture(name);
    let parsed: T = serde_json::from_str(&text).unwrap_or_else(|error| panic!("{name}: {error}"));
    let written = serde_json::to_string(&parsed).unwrap();
    let reparsed: T = serde_json::from_str(&written).unwrap();
    assert_eq!(
        parsed, reparsed,
        "{name}: value changed through a round trip"
    );
    let original: Value = serde_json::from_str(&text).unwrap();
    let written: Value = serde_json::from_str(&written).unwrap();
    assert_eq!(
        written, original,
        "{name}: written JSON differs from Graph's"
    );
    parsed
}

#[test]
fn print_create_request_from_seeds_round_trips() {
    let request: PrintUploadSessionRequest = round_trip("print_create_upload_session_request.json");
    assert_eq!(request.properties.document_name, "TestFile.pdf");
    assert_eq!(request.properties.content_type, "application/pdf");
    assert_eq!(request.properties.size, 4_533_322);
}

#[test]
fn print_upload_session_from_seeds_round_trips_with_seven_digit_expiry() {
    let session: UploadSession = round_trip("print_upload_session_response.json");
    assert_eq!(session.next_expected_ranges, ["0-4533321"]);
    assert_eq!(
        session.expiration_date_time.to_string(),
        "2020-10-25T02:19:38.1694207Z"
    );
    assert!(session.upload_url.contains("tempauthtoken="));
    assert!(session.odata_context.is_some());
}

#[test]
fn todo_create_request_from_seed_round_trips() {
    let request: AttachmentUploadSessionRequest =
        round_trip("todo_create_upload_session_request.json");
    assert_eq!(
        request.attachment_info.attachment_type,
        AttachmentType::File
    );
    assert_eq!(request.attachment_info.name, "flower");
    assert_eq!(request.attachment_info.size, 3_483_322);
    assert_eq!(request.attachment_info.content_type, None);
}

#[test]
fn todo_upload_session_from_seed_round_trips_with_open_range() {
    let session: UploadSession = round_trip("todo_upload_session_response.json");
    assert_eq!(session.next_expected_ranges, ["0-"]);
    assert!(
        session
            .upload_url
            .ends_with("/attachmentSessions/AAMkADliMm=")
    );
}

#[test]
fn protocol_upload_session_example_round_trips() {
    let session: UploadSession = round_trip("protocol_upload_session.json");
    assert_eq!(
        session.expiration_date_time.to_string(),
        "2020-10-25T02:19:45.9380004Z"
    );
}

#[test]
fn print_fragment_reply_in_camel_case_round_trips() {
    let status: UploadSessionStatus = round_trip("print_fragment_accepted.json");
    assert_eq!(
        status.next_expected_ranges,
        Some(vec!["72797-4533321".to_string()])
    );
}

#[test]
fn todo_fragment_reply_in_pascal_case_is_read_and_written_back_in_pascal_case() {
    let text = fixture("todo_fragment_accepted.json");
    let status: UploadSessionStatus = serde_json::from_str(&text).unwrap();
    assert_eq!(
        status.next_expected_ranges,
        Some(vec!["2097152".to_string()])
    );
    assert_eq!(
        status
            .expiration_date_time
            .map(|t| t.to_string())
            .as_deref(),
        Some("2022-06-09T10:45:27.4324526Z")
    );
    let pascal: Value = serde_json::to_value(PascalCase(&status)).unwrap();
    assert_eq!(pascal, serde_json::from_str::<Value>(&text).unwrap());
    let camel: Value = serde_json::to_value(&status).unwrap();
    assert!(camel.get("nextExpectedRanges").is_some());
    let reparsed: UploadSessionStatus = serde_json::from_value(pascal).unwrap();
    assert_eq!(reparsed, status);
}

#[test]
fn final_reply_without_next_expected_ranges_means_nothing_is_missing() {
    let status: UploadSessionStatus =
        serde_json::from_str(r#"{"expirationDateTime": "2020-10-25T02:19:45.9380004Z"}"#).unwrap();
    assert_eq!(status.next_expected_ranges, None);
    let empty: UploadSessionStatus = serde_json::from_str("{}").unwrap();
    assert_eq!(serde_json::to_string(&empty).unwrap(), "{}");
    assert_eq!(serde_json::to_string(&PascalCase(&empty)).unwrap(), "{}");
}

#[test]
fn print_document_after_upload_round_trips() {
    let document: PrintDocument = round_trip("print_upload_complete_document.json");
    assert_eq!(document.document_name.as_deref(), Some("TestFile.pdf"));
    assert_eq!(document.size, 4_533_322);
}

#[test]
fn new_print_job_round_trips_with_its_empty_document() {
    let job: PrintJob = round_trip("print_job_created.json");
    let status = job.status.as_ref().unwrap();
    assert_eq!(status.state, PrintJobProcessingState::Paused);
    assert_eq!(status.details, ["uploadPending"]);
    assert_eq!(job.documents.len(), 1);
    assert_eq!(job.documents[0].display_name.as_deref(), Some(""));
    assert_eq!(job.documents[0].size, 0);
}

#[test]
fn graph_error_body_round_trips_with_hyphenated_request_id() {
    let body: GraphErrorBody = round_trip("graph_error.json");
    assert_eq!(body.error.code, error_codes::INVALID_RANGE);
    let inner = body.error.inner_error.as_ref().unwrap();
    assert_eq!(inner.code.as_deref(), Some(error_codes::FRAGMENT_OVERLAP));
    assert_eq!(inner.request_id.as_deref(), Some("uuid"));
    assert_eq!(inner.date.as_deref(), Some("2026-01-01T00:00:00"));
    assert_eq!(body.most_specific_code(), "fragmentOverlap");
    assert_eq!(
        body.to_string(),
        "invalidRange: human readable (fragmentOverlap) [request-id uuid]"
    );
}

#[test]
fn inline_todo_attachment_request_round_trips() {
    let attachment: TaskFileAttachment = round_trip("todo_inline_attachment_request.json");
    assert_eq!(
        attachment.odata_type.as_deref(),
        Some(graph_upload_models::TASK_FILE_ATTACHMENT_ODATA_TYPE)
    );
    assert_eq!(
        attachment.content_bytes.as_deref(),
        Some("aGVsbG8gd29ybGQ=")
    );
}

#[test]
fn odata_annotations_and_unknown_members_are_tolerated() {
    let session: UploadSession = serde_json::from_str(
        r##"{"@odata.type": "#microsoft.graph.uploadSession", "@odata.etag": "W/1",
            "uploadUrl": "https://x/y", "expirationDateTime": "2020-10-25T02:19:45.9380004Z",
            "nextExpectedRanges": [], "somethingNew": {"nested": [1, 2]}}"##,
    )
    .unwrap();
    assert_eq!(session.upload_url.as_str(), "https://x/y");
    let job: PrintJob = serde_json::from_str("{}").unwrap();
    assert_eq!(job, PrintJob::default());
}

#[test]
fn none_members_are_omitted_when_writing() {
    let request = AttachmentUploadSessionRequest {
        attachment_info: graph_upload_models::AttachmentInfo {
            attachment_type: AttachmentType::File,
            name: "a.bin".into(),
            size: 0,
            content_type: None,
        },
    };
    assert_eq!(
        serde_json::to_string(&request).unwrap(),
        r#"{"attachmentInfo":{"attachmentType":"file","name":"a.bin","size":0}}"#
    );
}

#[test]
fn bad_input_is_a_serde_error_naming_the_problem() {
    let cases = [
        (
            r#"{"properties": {"documentName": "a", "contentType": "b", "size": -1}}"#,
            "invalid value",
        ),
        (
            r#"{"properties": {"documentName": "a", "contentType": "b", "size": 1.5}}"#,
            "invalid type",
        ),
        (
            r#"{"properties": {"documentName": "a", "contentType": "b", "size": "12"}}"#,
            "invalid type",
        ),
        (
            r#"{"properties": {"documentName": "a", "contentType": "b", "size": 18446744073709551616}}"#,
            "",
        ),
        (
            r#"{"properties": {"documentName": "a", "size": 3}}"#,
            "missing field `contentType`",
        ),
        (r#"{"properties": null}"#, "invalid type"),
        (
            r#"{"properties": {"documentName": "a", "contentType": "b", "size": 3"#,
            "EOF",
        ),
        ("", "EOF"),
    ];
    for (text, expected) in cases {
        let error = serde_json::from_str::<PrintUploadSessionRequest>(text)
            .err()
            .unwrap_or_else(|| panic!("{text} was accepted"));
        assert!(error.to_string().contains(expected), "{text}: {error}");
    }
    let error = serde_json::from_str::<AttachmentUploadSessionRequest>(
        r#"{"attachmentInfo": {"attachmentType": "folder", "name": "a", "size": 1}}"#,
    )
    .err()
    .unwrap();
    assert!(
        error.to_string().contains("unknown variant `folder`"),
        "{error}"
    );
    let error = serde_json::from_str::<UploadSession>(
        r#"{"uploadUrl": "u", "expirationDateTime": "tomorrow", "nextExpectedRanges": []}"#,
    )
    .err()
    .unwrap();
    assert!(
        error.to_string().contains("not a Graph timestamp"),
        "{error}"
    );
}

#[test]
fn drive_session_request_writes_the_conflict_annotation_and_omits_what_is_absent() {
    use graph_upload_models::{
        ConflictBehavior, DriveItemUploadSessionRequest, DriveItemUploadableProperties,
    };
    let body = DriveItemUploadSessionRequest {
        item: Some(DriveItemUploadableProperties {
            conflict_behavior: Some(ConflictBehavior::Rename),
            name: Some("report.pdf".into()),
            description: None,
            file_size: Some(1_048_576),
        }),
        defer_commit: Some(true),
    };
    assert_eq!(
        serde_json::to_value(&body).unwrap(),
        serde_json::json!({
            "item": {"@microsoft.graph.conflictBehavior": "rename", "name": "report.pdf", "fileSize": 1048576},
            "deferCommit": true
        })
    );
    let empty: DriveItemUploadSessionRequest = serde_json::from_str("{}").unwrap();
    assert_eq!(serde_json::to_string(&empty).unwrap(), "{}");
}

#[test]
fn a_drive_item_reply_and_an_outlook_fragment_reply_are_read() {
    use graph_upload_models::{DriveItem, UploadSession, UploadSessionStatus};
    let item: DriveItem = serde_json::from_str(
        r#"{"id": "01BYE5RZ", "name": "report.pdf", "size": 1048576, "eTag": "\"{A},1\"",
            "file": {"mimeType": "application/pdf"},
            "parentReference": {"driveId": "b!x", "driveType": "personal", "id": "01BYE5RZROOT", "path": "/drive/root:/Documents"},
            "createdDateTime": "2026-11-30T04:00:00Z", "@microsoft.graph.downloadUrl": "https://x"}"#,
    )
    .unwrap();
    assert_eq!((item.id.as_str(), item.size), ("01BYE5RZ", 1_048_576));
    assert_eq!(
        item.file.unwrap().mime_type.as_deref(),
        Some("application/pdf")
    );
    assert_eq!(
        item.parent_reference.unwrap().path.as_deref(),
        Some("/drive/root:/Documents")
    );
    // A drive session may leave nextExpectedRanges out: nothing received yet.
    let session: UploadSession = serde_json::from_str(
        r#"{"uploadUrl": "https://sn3302.up.1drv.com/up/fe6987415ace7X4e1eF866337", "expirationDateTime": "2026-11-30T05:00:00Z"}"#,
    )
    .unwrap();
    assert!(session.next_expected_ranges.is_empty());
    // Outlook answers fragments in mixed case.
    let status: UploadSessionStatus = serde_json::from_str(
        r#"{"@odata.context": "https://graph.microsoft.com/v1.0/$metadata#microsoft.graph.uploadSession",
            "ExpirationDateTime": "2026-11-30T05:00:00Z", "nextExpectedRanges": ["2097152"]}"#,
    )
    .unwrap();
    assert_eq!(
        status.next_expected_ranges.as_deref(),
        Some(&["2097152".to_string()][..])
    );
    assert!(status.expiration_date_time.is_some());
}

#[test]
fn an_outlook_session_request_uses_graphs_pascal_case_key() {
    use graph_upload_models::{
        AttachmentItem, AttachmentType, OutlookAttachmentUploadSessionRequest,
    };
    let body = OutlookAttachmentUploadSessionRequest {
        attachment_item: AttachmentItem {
            attachment_type: AttachmentType::File,
            name: "flower.jpg".into(),
            size: 3_483_322,
            content_type: Some("image/jpeg".into()),
            is_inline: Some(false),
            content_id: None,
        },
    };
    assert_eq!(
        serde_json::to_value(&body).unwrap(),
        serde_json::json!({"AttachmentItem": {"attachmentType": "file", "name": "flower.jpg", "size": 3483322, "contentType": "image/jpeg", "isInline": false}})
    );
}
