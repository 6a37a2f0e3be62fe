//! `@odata.context` on collections and single items, Graph's JSON `Content-Type`, and
//! `client-request-id` (echoed, or generated as a GUID). Follows the response examples of
//! `api-reference/v1.0/api/print-list-printers.md`, `api/todotask-get.md`,
//! `api/todotasklist-post-tasks.md`, `api/taskfileattachment-createuploadsession.md` and
//! <https://learn.microsoft.com/graph/best-practices-concept> (client-request-id).

use crate::support::tasks_path;
use graph_upload_server::fixtures::{LIST_ID, SHARE_ID, TASK_ID, USER_ID};
use graph_upload_testkit::emulator::{Emulator, TOKEN, share, todo_task_path};
use reqwest::Method;
use serde_json::json;

const ODATA_JSON: &str = "application/json;odata.metadata=minimal;odata.streaming=true;IEEE754Compatible=false;charset=utf-8";

#[tokio::test]
async fn collections_and_items_carry_odata_context() {
    let emu = Emulator::start().await;
    let printers = emu.get("/print/printers").await;
    assert_eq!(printers.header("content-type"), Some(ODATA_JSON));
    assert_eq!(
        printers.value()["@odata.context"],
        "https://graph.microsoft.com/v1.0/$metadata#print/printers"
    );
    let beta = emu
        .send(
            emu.bare(Method::GET, "/beta/me/todo/lists")
                .bearer_auth(TOKEN),
        )
        .await;
    assert_eq!(
        beta.value()["@odata.context"],
        format!("https://graph.microsoft.com/beta/$metadata#users('{USER_ID}')/todo/lists")
    );
    let task = emu.get(&format!("{}/{TASK_ID}", tasks_path())).await;
    assert_eq!(task.header("content-type"), Some(ODATA_JSON));
    assert_eq!(
        task.value()["@odata.context"],
        format!(
            "https://graph.microsoft.com/v1.0/$metadata#users('{USER_ID}')/todo/lists('{LIST_ID}')/tasks/$entity"
        )
    );
    assert_eq!(task.value()["id"], TASK_ID, "the item itself is unchanged");
    let created = emu.post_json(&tasks_path(), &json!({"title": "new"})).await;
    assert_eq!(created.status, 201);
    assert_eq!(
        created.value()["@odata.context"],
        format!(
            "https://graph.microsoft.com/v1.0/$metadata#users('{USER_ID}')/todo/lists('{LIST_ID}')/tasks/$entity"
        )
    );
    let session = emu
        .post_json(
            &format!("{}/attachments/createUploadSession", todo_task_path()),
            &json!({"attachmentInfo": {"attachmentType": "file", "name": "a.bin", "size": 10}}),
        )
        .await;
    assert_eq!(session.status, 200, "{}", session.text());
    assert_eq!(
        session.value()["@odata.context"],
        "https://graph.microsoft.com/v1.0/$metadata#microsoft.graph.uploadSession"
    );
    // The upload URL itself keeps its own replies.
    let url = session.value()["uploadUrl"].as_str().unwrap().to_owned();
    let status = emu.send(emu.client.get(&url).bearer_auth(TOKEN)).await;
    assert_eq!(status.status, 200, "{}", status.text());
    assert!(
        status.value().get("@odata.context").is_none(),
        "{}",
        status.text()
    );
    assert_eq!(status.header("content-type"), Some("application/json"));
    let job = emu
        .post_json(&format!("{}/jobs", share(SHARE_ID)), &json!({}))
        .await;
    assert_eq!(job.status, 201);
    assert_eq!(
        job.value()["@odata.context"],
        format!(
            "https://graph.microsoft.com/v1.0/$metadata#print/shares('{SHARE_ID}')/jobs/$entity"
        )
    );
    // Errors keep their body and plain JSON type.
    let missing = emu.get("/print/printers/nope").await;
    assert_eq!(missing.status, 404);
    assert!(missing.value().get("@odata.context").is_none());
    assert!(
        missing
            .header("content-type")
            .unwrap()
            .starts_with("application/json")
    );
    emu.stop().await;
}

fn is_guid(text: &str) -> bool {
    text.len() == 36
        && text.char_indices().all(|(i, c)| match i {
            8 | 13 | 18 | 23 => c == '-',
            _ => c.is_ascii_hexdigit(),
        })
}

#[tokio::test]
async fn client_request_id_is_echoed_or_generated() {
    let emu = Emulator::start().await;
    let echoed = emu
        .send(
            emu.api(Method::GET, "/print/printers")
                .header("client-request-id", "my-id-123"),
        )
        .await;
    assert_eq!(echoed.header("client-request-id"), Some("my-id-123"));
    let mut seen = Vec::new();
    for path in ["/print/printers", "/print/printers", "/print/printers/nope"] {
        let reply = emu.get(path).await;
        let id = reply
            .header("client-request-id")
            .expect("generated")
            .to_owned();
        assert!(is_guid(&id), "{id}");
        assert!(!seen.contains(&id), "a fresh id per request");
        seen.push(id);
    }
    emu.stop().await;
}

/// A stored file whose type is JSON comes back byte for byte, with its own type.
#[tokio::test]
async fn a_json_file_is_not_annotated() {
    let emu = Emulator::start().await;
    let bytes = br#"{"a": 1}"#;
    let created = emu
        .post_json(
            &format!("{}/attachments", todo_task_path()),
            &json!({"@odata.type": "#microsoft.graph.taskFileAttachment", "name": "a.json",
                "contentType": "application/json",
                "contentBytes": graph_upload_testkit::emulator::base64(bytes)}),
        )
        .await;
    assert_eq!(created.status, 201, "{}", created.text());
    let id = created.value()["id"].as_str().unwrap().to_owned();
    let value = emu
        .get(&format!("{}/attachments/{id}/$value", todo_task_path()))
        .await;
    assert_eq!(value.status, 200);
    assert_eq!(value.body, bytes);
    assert_eq!(value.header("content-type"), Some("application/json"));
    emu.stop().await;
}
