//! What every protocol test checks in an answer: Graph's progress and completion replies for
//! both flows, list ids, expiries.

use graph_upload_models::{GraphDateTime, PrintDocument};
use graph_upload_server::fixtures::{LIST_ID, TASK_ID};
use graph_upload_testkit::emulator::{PrintTarget, last_segment};
use graph_upload_testkit::reply::Reply;
use serde_json::json;

pub(crate) fn ids(list: &serde_json::Value) -> Vec<String> {
    list["value"]
        .as_array()
        .unwrap_or_else(|| panic!("no value array in {list}"))
        .iter()
        .map(|item| item["id"].as_str().expect("id").to_string())
        .collect()
}

pub(crate) fn ranges(list: &[&str]) -> Vec<String> {
    list.iter().map(|s| s.to_string()).collect()
}

pub(crate) fn expiration(reply: &Reply) -> GraphDateTime {
    reply
        .session_status()
        .expiration_date_time
        .unwrap_or_else(|| panic!("no expiration in {}", reply.text()))
}

/// Checks a print progress reply: `202`, exactly the camelCase members, these ranges.
#[track_caller]
pub(crate) fn assert_print_progress(reply: &Reply, expected: &[&str]) {
    assert_eq!(reply.status, 202, "{}", reply.text());
    assert_eq!(
        reply.keys(),
        ["expirationDateTime", "nextExpectedRanges"],
        "{}",
        reply.text()
    );
    assert_eq!(
        reply.session_status().next_expected_ranges,
        Some(ranges(expected)),
        "{}",
        reply.text()
    );
}

/// Checks a To Do progress reply: `200`, exactly the PascalCase members, the next start.
#[track_caller]
pub(crate) fn assert_todo_progress(reply: &Reply, next: u64) {
    assert_eq!(reply.status, 200, "{}", reply.text());
    assert_eq!(
        reply.keys(),
        ["ExpirationDateTime", "NextExpectedRanges"],
        "{}",
        reply.text()
    );
    assert_eq!(
        reply.value()["NextExpectedRanges"],
        json!([next.to_string()]),
        "{}",
        reply.text()
    );
}

/// Checks the final print reply: `201` with the printDocument.
#[track_caller]
pub(crate) fn assert_print_done(
    reply: &Reply,
    target: &PrintTarget,
    name: &str,
    content_type: &str,
    size: u64,
) {
    assert_eq!(reply.status, 201, "{}", reply.text());
    let document: PrintDocument = serde_json::from_slice(&reply.body).expect("printDocument");
    assert_eq!(document.id, target.document);
    assert_eq!(document.document_name.as_deref(), Some(name));
    assert_eq!(document.content_type.as_deref(), Some(content_type));
    assert_eq!(document.size, size);
    let value = reply.value();
    for member in ["id", "documentName", "contentType", "size"] {
        assert!(value.get(member).is_some(), "{member} missing in {value}");
    }
}

/// Checks the final To Do reply (`201`, empty body, `Content-Length: 0`, `Location`) and
/// returns the attachment id.
#[track_caller]
pub(crate) fn assert_todo_done(reply: &Reply) -> String {
    assert_eq!(reply.status, 201, "{}", reply.text());
    assert!(reply.body.is_empty(), "body: {}", reply.text());
    assert_eq!(reply.header("content-length"), Some("0"));
    let location = reply.header("location").expect("Location header");
    assert!(
        location.contains(&format!(
            "/todo/lists/{LIST_ID}/tasks/{TASK_ID}/attachments/"
        )),
        "{location}"
    );
    last_segment(location)
}
