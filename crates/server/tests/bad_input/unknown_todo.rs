//! Unknown lists, tasks, users, attachments and To Do sessions, and sessions reached through
//! the wrong parent or flow.

use crate::scene::{SIZE, Scene, UNKNOWN, attachment_info, intruder, not_found};
use graph_upload_models::error_codes::ITEM_NOT_FOUND;
use graph_upload_server::fixtures::{LIST_ID, TASK_ID, USER_ID};
use graph_upload_testkit::emulator::{self, Emulator, assert_graph_error, base64, todo_task_path};
use reqwest::Method;
use serde_json::json;

#[tokio::test]
async fn unknown_list() {
    let emu = Emulator::start().await;
    let body = attachment_info("file", "a.bin", json!(10));
    not_found(
        &emu,
        Method::GET,
        &format!("/me/todo/lists/{UNKNOWN}"),
        None,
    )
    .await;
    not_found(
        &emu,
        Method::GET,
        &format!("/me/todo/lists/{UNKNOWN}/tasks"),
        None,
    )
    .await;
    not_found(
        &emu,
        Method::POST,
        &format!("/me/todo/lists/{UNKNOWN}/tasks/{TASK_ID}/attachments/createUploadSession"),
        Some(body),
    )
    .await;
    not_found(
        &emu,
        Method::POST,
        &format!("/me/todo/lists/{UNKNOWN}/tasks"),
        Some(json!({"title": "t"})),
    )
    .await;
    emu.stop().await;
}

#[tokio::test]
async fn unknown_task() {
    let emu = Emulator::start().await;
    let task = format!("/me/todo/lists/{LIST_ID}/tasks/{UNKNOWN}");
    let body = attachment_info("file", "a.bin", json!(10));
    not_found(&emu, Method::GET, &task, None).await;
    not_found(&emu, Method::GET, &format!("{task}/attachments"), None).await;
    not_found(
        &emu,
        Method::POST,
        &format!("{task}/attachments/createUploadSession"),
        Some(body),
    )
    .await;
    let small = json!({"@odata.type": "#microsoft.graph.taskFileAttachment", "name": "a.txt",
        "contentBytes": base64(b"hello")});
    not_found(
        &emu,
        Method::POST,
        &format!("{task}/attachments"),
        Some(small),
    )
    .await;
    emu.stop().await;
}

#[tokio::test]
async fn unknown_user() {
    let emu = Emulator::start().await;
    let owner = format!("/users/{UNKNOWN}");
    let body = attachment_info("file", "a.bin", json!(10));
    not_found(&emu, Method::GET, &format!("{owner}/todo/lists"), None).await;
    not_found(
        &emu,
        Method::POST,
        &format!("{owner}/todo/lists/{LIST_ID}/tasks/{TASK_ID}/attachments/createUploadSession"),
        Some(body),
    )
    .await;
    emu.stop().await;
}

#[tokio::test]
async fn unknown_attachment() {
    let emu = Emulator::start().await;
    let path = format!("{}/attachments/{UNKNOWN}", todo_task_path());
    not_found(&emu, Method::GET, &path, None).await;
    not_found(&emu, Method::GET, &format!("{path}/$value"), None).await;
    not_found(&emu, Method::DELETE, &path, None).await;
    emu.stop().await;
}

#[tokio::test]
async fn unknown_todo_session() {
    let emu = Emulator::start().await;
    let path = format!("{}/attachmentSessions/{UNKNOWN}", todo_task_path());
    not_found(&emu, Method::GET, &path, None).await;
    not_found(&emu, Method::DELETE, &path, None).await;
    let before = emu.snapshot().await;
    let reply = emu
        .send(
            emu.api(Method::PUT, &format!("{path}/content"))
                .header("content-range", "bytes 0-9/10")
                .body(vec![0u8; 10]),
        )
        .await;
    assert_graph_error(&reply, 404, ITEM_NOT_FOUND, None);
    assert_eq!(emu.snapshot().await, before);
    emu.stop().await;
}

#[tokio::test]
async fn todo_session_through_another_task_or_user() {
    let emu = Emulator::start().await;
    let scene = Scene::todo(emu).await;
    let emu = &scene.emu;
    let created = emu
        .post_json(
            &format!("/me/todo/lists/{LIST_ID}/tasks"),
            &json!({"title": "other"}),
        )
        .await;
    assert_eq!(created.status, 201, "{}", created.text());
    let other_task = created.value()["id"].as_str().unwrap().to_string();
    let snapshot = emu.snapshot().await;
    let session = emulator::last_segment(&scene.url);
    for owner in [format!("/users/{USER_ID}"), format!("/users/{UNKNOWN}")] {
        for task in [other_task.as_str(), UNKNOWN] {
            let url = emu.url(&format!(
                "{owner}/todo/lists/{LIST_ID}/tasks/{task}/attachmentSessions/{session}"
            ));
            assert_graph_error(&emu.get_status(&url).await, 404, ITEM_NOT_FOUND, None);
            assert_graph_error(
                &emu.put_fragment(&url, 1024, &intruder(1024), SIZE as u64)
                    .await,
                404,
                ITEM_NOT_FOUND,
                None,
            );
            assert_graph_error(&emu.delete_session(&url).await, 404, ITEM_NOT_FOUND, None);
        }
    }
    assert_eq!(emu.status_value(&scene.url).await, scene.status);
    assert_eq!(emu.snapshot().await, snapshot);
    scene.finish_and_compare().await;
    scene.stop().await;
}

#[tokio::test]
async fn print_session_through_a_todo_url() {
    let scene = Scene::print(Emulator::start().await).await;
    let emu = &scene.emu;
    let session = emulator::last_segment(&scene.url);
    let url = emu.url(&format!(
        "{}/attachmentSessions/{session}",
        todo_task_path()
    ));
    assert_graph_error(&emu.get_status(&url).await, 404, ITEM_NOT_FOUND, None);
    assert_graph_error(
        &emu.put_fragment(&url, 0, &intruder(1024), SIZE as u64)
            .await,
        404,
        ITEM_NOT_FOUND,
        None,
    );
    assert_graph_error(&emu.delete_session(&url).await, 404, ITEM_NOT_FOUND, None);
    scene.assert_unchanged().await;
    scene.finish_and_compare().await;
    scene.stop().await;
}
