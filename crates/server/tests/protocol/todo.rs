//! To Do attachments: fragments in order, `Location` and `$value`, PUTs straight to the upload
//! URL, cancel, the users path and `/beta`, and small files in one POST.

use crate::checks::{assert_todo_done, assert_todo_progress, expiration};
use graph_upload_models::error_codes;
use graph_upload_server::fixtures::{LIST_ID, TASK_ID, USER_ID};
use graph_upload_testkit::emulator::{
    Emulator, QUANTUM, TOKEN, assert_graph_error, base64, last_segment, test_data, todo_task_path,
};
use reqwest::Method;
use serde_json::json;

#[tokio::test]
async fn todo_upload_in_order_then_location_and_value() {
    let emu = Emulator::start().await;
    let size = 2 * QUANTUM + 12_345;
    let data = test_data(size, 5);
    let total = size as u64;
    let session = emu.create_todo_session("flower.jpg", total).await;
    assert_eq!(session.next_expected_ranges, ["0-"]);
    let url = &session.upload_url;
    assert!(
        url.starts_with(&emu.base)
            && url.contains(&format!(
                "/todo/lists/{LIST_ID}/tasks/{TASK_ID}/attachmentSessions/"
            )),
        "{url}"
    );
    assert!(!url.contains('?'), "{url}");
    // `.../attachmentSessions/{id}`: the id is the last segment.
    let id = last_segment(url);
    assert!(!id.is_empty(), "{url}");
    assert!(url.ends_with(&format!("/attachmentSessions/{id}")), "{url}");
    let first = emu.put_fragment(url, 0, &data[..QUANTUM], total).await;
    assert_todo_progress(&first, QUANTUM as u64);
    // GET {uploadUrl} mid-upload: what is missing.
    assert_eq!(emu.missing(url).await, [format!("{QUANTUM}-{}", size - 1)]);
    let second = emu
        .put_fragment(url, QUANTUM as u64, &data[QUANTUM..2 * QUANTUM], total)
        .await;
    assert_todo_progress(&second, 2 * QUANTUM as u64);
    assert!(expiration(&second) >= expiration(&first));
    let last = emu
        .put_fragment(url, 2 * QUANTUM as u64, &data[2 * QUANTUM..], total)
        .await;
    let id = assert_todo_done(&last);

    // The Location answers the attachment (with the bearer).
    let location = last.header("location").unwrap().to_string();
    assert!(location.starts_with(&emu.base), "{location}");
    let attachment = emu.send(emu.client.get(&location).bearer_auth(TOKEN)).await;
    assert_eq!(attachment.status, 200, "{}", attachment.text());
    let attachment = attachment.value();
    assert_eq!(attachment["id"], id.as_str());
    assert_eq!(attachment["name"], "flower.jpg");
    assert_eq!(attachment["size"], total);
    assert_eq!(attachment["contentType"], "application/octet-stream");
    // It is listed, its bytes are the file, the task knows it has attachments.
    let listed = emu.todo_attachments().await;
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0]["id"], id.as_str());
    assert_eq!(emu.todo_value(&id).await, data);
    let task = emu.get_json(&todo_task_path()).await;
    assert_eq!(task["hasAttachments"], true, "{task}");
    // The session is gone.
    assert_graph_error(
        &emu.get_status(url).await,
        404,
        error_codes::ITEM_NOT_FOUND,
        None,
    );
    emu.stop().await;
}

#[tokio::test]
async fn todo_put_straight_to_the_upload_url_works_too() {
    let emu = Emulator::start().await;
    let data = test_data(70_000, 6);
    let total = data.len() as u64;
    let session = emu.create_todo_session("sdk.bin", total).await;
    let url = session.upload_url.as_str();
    // What Graph SDKs do: PUT {uploadUrl} itself (with the bearer).
    let put = |start: usize, end: usize| {
        emu.client
            .put(url)
            .bearer_auth(TOKEN)
            .header("content-type", "application/octet-stream")
            .header(
                "content-range",
                format!("bytes {start}-{}/{total}", end - 1),
            )
            .body(data[start..end].to_vec())
    };
    assert_todo_progress(&emu.send(put(0, 40_000)).await, 40_000);
    let id = assert_todo_done(&emu.send(put(40_000, 70_000)).await);
    assert_eq!(emu.todo_value(&id).await, data);
    emu.stop().await;
}

#[tokio::test]
async fn todo_cancel_deletes_the_session_and_its_bytes() {
    let emu = Emulator::start().await;
    let data = test_data(50_000, 7);
    let session = emu.create_todo_session("cancel.bin", 50_000).await;
    let url = &session.upload_url;
    assert_todo_progress(
        &emu.put_fragment(url, 0, &data[..20_000], 50_000).await,
        20_000,
    );
    assert_eq!(emu.blob_count(), 1);
    let deleted = emu.delete_session(url).await;
    assert_eq!(deleted.status, 204, "{}", deleted.text());
    assert_eq!(emu.blob_count(), 0);
    assert_graph_error(
        &emu.get_status(url).await,
        404,
        error_codes::ITEM_NOT_FOUND,
        None,
    );
    assert_graph_error(
        &emu.put_fragment(url, 20_000, &data[20_000..], 50_000).await,
        404,
        error_codes::ITEM_NOT_FOUND,
        None,
    );
    assert!(emu.todo_attachments().await.is_empty());
    emu.stop().await;
}

#[tokio::test]
async fn todo_sessions_under_users_path_and_beta_keep_their_prefix() {
    let emu = Emulator::start().await;
    let data = test_data(1234, 8);
    let path = format!(
        "/beta/users/{USER_ID}/todo/lists/{LIST_ID}/tasks/{TASK_ID}/attachments/createUploadSession"
    );
    let reply = emu
        .send(
            emu.bare(Method::POST, &path)
                .bearer_auth(TOKEN)
                .header("content-type", "application/json")
                .body(
                    serde_json::to_vec(&json!({"attachmentInfo": {
                        "attachmentType": "file", "name": "beta.txt", "size": 1234}}))
                    .unwrap(),
                ),
        )
        .await;
    assert_eq!(reply.status, 200, "{}", reply.text());
    let session = reply.upload_session();
    assert_eq!(session.next_expected_ranges, ["0-"]);
    assert!(
        session
            .upload_url
            .starts_with(&format!("{}/beta/users/{USER_ID}/", emu.base)),
        "{}",
        session.upload_url
    );
    let done = emu.upload_all(&session.upload_url, &data, 1000).await;
    let id = assert_todo_done(&done);
    let location = done.header("location").unwrap();
    assert!(location.contains("/beta/"), "{location}");
    assert_eq!(emu.todo_value(&id).await, data);
    emu.stop().await;
}

#[tokio::test]
async fn small_todo_attachment_in_one_post() {
    let emu = Emulator::start().await;
    let data = test_data(4099, 10);
    let reply = emu
        .post_json(
            &format!("{}/attachments", todo_task_path()),
            &json!({"@odata.type": "#microsoft.graph.taskFileAttachment",
                "name": "small.bin", "contentType": "application/zip",
                "contentBytes": base64(&data)}),
        )
        .await;
    assert_eq!(reply.status, 201, "{}", reply.text());
    let attachment = reply.value();
    assert_eq!(attachment["name"], "small.bin");
    assert_eq!(attachment["size"], 4099);
    assert_eq!(attachment["contentType"], "application/zip");
    let id = attachment["id"].as_str().unwrap().to_string();
    let value = emu
        .get(&format!("{}/attachments/{id}/$value", todo_task_path()))
        .await;
    assert_eq!(value.status, 200);
    assert_eq!(value.header("content-type"), Some("application/zip"));
    assert_eq!(value.body, data);
    assert_eq!(emu.todo_attachments().await.len(), 1);
    emu.stop().await;
}
