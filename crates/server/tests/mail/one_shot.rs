//! Small files in one POST: Outlook's fileAttachment below 3 MB and To Do's
//! taskFileAttachment below 3 MB, each refused at 3 MB with nothing stored.

use crate::MIN;
use graph_upload_models::error_codes;
use graph_upload_testkit::emulator::{
    Emulator, assert_graph_error, base64, event_path, message_path, test_data, todo_task_path,
};
use serde_json::json;

fn file_attachment(name: &str, bytes: &[u8]) -> serde_json::Value {
    json!({"@odata.type": "#microsoft.graph.fileAttachment", "name": name,
        "contentType": "text/plain", "contentBytes": base64(bytes), "isInline": false})
}

#[tokio::test]
async fn outlook_one_shot_post_attaches_a_small_file() {
    let emu = Emulator::start().await;
    for item in [message_path(), event_path()] {
        let data = test_data(MIN - 1, 31);
        let reply = emu
            .post_json(
                &format!("{item}/attachments"),
                &file_attachment("notes.txt", &data),
            )
            .await;
        assert_eq!(reply.status, 201, "{}", reply.text());
        let created = reply.value();
        assert_eq!(created["@odata.type"], "#microsoft.graph.fileAttachment");
        assert_eq!(created["name"], "notes.txt");
        assert_eq!(created["size"], data.len());
        assert_eq!(created["contentType"], "text/plain");
        assert!(created.get("contentBytes").is_none(), "{created}");
        let id = created["id"].as_str().unwrap().to_string();
        let listed = emu.outlook_attachments(&item).await;
        assert_eq!(listed.len(), 1);
        assert_eq!(listed[0]["id"], id.as_str());
        assert_eq!(emu.outlook_value(&item, &id).await, data);
        let one = emu.get_json(&format!("{item}/attachments/{id}")).await;
        assert_eq!(one["contentBytes"], base64(&data));
        // Deleting it removes it and its bytes.
        let deleted = emu
            .send(emu.api(reqwest::Method::DELETE, &format!("{item}/attachments/{id}")))
            .await;
        assert_eq!(deleted.status, 204, "{}", deleted.text());
        assert!(emu.outlook_attachments(&item).await.is_empty());
        assert_eq!(emu.blob_count(), 0);
    }
    emu.stop().await;
}

#[tokio::test]
async fn outlook_one_shot_post_refuses_3_mb() {
    let emu = Emulator::start().await;
    let before = emu.snapshot().await;
    let data = test_data(MIN, 32);
    let reply = emu
        .post_json(
            &format!("{}/attachments", message_path()),
            &file_attachment("big.txt", &data),
        )
        .await;
    assert_graph_error(&reply, 413, error_codes::MAX_FRAGMENT_LENGTH_EXCEEDED, None);
    assert_eq!(emu.snapshot().await, before);
    emu.stop().await;
}

#[tokio::test]
async fn todo_one_shot_post_takes_files_below_3_mb_only() {
    let emu = Emulator::start().await;
    let path = format!("{}/attachments", todo_task_path());
    let body = |bytes: &[u8]| {
        json!({"@odata.type": "#microsoft.graph.taskFileAttachment", "name": "t.bin",
            "contentType": "application/octet-stream", "contentBytes": base64(bytes)})
    };
    let before = emu.snapshot().await;
    let reply = emu.post_json(&path, &body(&test_data(MIN, 33))).await;
    assert_graph_error(&reply, 413, error_codes::MAX_FRAGMENT_LENGTH_EXCEEDED, None);
    assert_eq!(emu.snapshot().await, before);
    let data = test_data(MIN - 1, 34);
    let reply = emu.post_json(&path, &body(&data)).await;
    assert_eq!(reply.status, 201, "{}", reply.text());
    let id = reply.value()["id"].as_str().unwrap().to_string();
    assert_eq!(reply.value()["size"], data.len());
    assert_eq!(emu.todo_value(&id).await, data);
    emu.stop().await;
}
