//! Shared steps: filling collections and reading them the way an SDK's page iterator does.

use graph_upload_server::fixtures::LIST_ID;
use graph_upload_testkit::emulator::{Emulator, base64, message_path, todo_task_path};
use reqwest::Method;
use serde_json::{Value, json};

/// `/me/todo/lists/{LIST_ID}/tasks`.
pub fn tasks_path() -> String {
    format!("/me/todo/lists/{LIST_ID}/tasks")
}

/// Creates `count` tasks titled `Task 000`, `Task 001`, ...; returns their ids.
pub async fn create_tasks(emu: &Emulator, count: usize) -> Vec<String> {
    let mut ids = Vec::new();
    for n in 0..count {
        let reply = emu
            .post_json(&tasks_path(), &json!({"title": format!("Task {n:03}")}))
            .await;
        assert_eq!(reply.status, 201, "{}", reply.text());
        ids.push(reply.value()["id"].as_str().expect("id").to_owned());
    }
    ids
}

/// Attaches `count` small files to the fixture task.
pub async fn attach_to_task(emu: &Emulator, count: usize) {
    for n in 0..count {
        let reply = emu
            .post_json(
                &format!("{}/attachments", todo_task_path()),
                &json!({"@odata.type": "#microsoft.graph.taskFileAttachment",
                    "name": format!("file{n}.txt"), "contentBytes": base64(b"hello")}),
            )
            .await;
        assert_eq!(reply.status, 201, "{}", reply.text());
    }
}

/// Opens `count` upload sessions on the fixture task (todotask-list-attachmentsessions lists
/// them).
pub async fn open_task_sessions(emu: &Emulator, count: usize) {
    for n in 0..count {
        let reply = emu
            .post_json(
                &format!("{}/attachments/createUploadSession", todo_task_path()),
                &json!({"attachmentInfo": {"attachmentType": "file",
                    "name": format!("big{n}.bin"), "size": 5_000_000}}),
            )
            .await;
        assert_eq!(reply.status, 200, "{}", reply.text());
    }
}

/// Attaches `count` small files to the fixture message.
pub async fn attach_to_message(emu: &Emulator, count: usize) {
    for n in 0..count {
        let reply = emu
            .post_json(
                &format!("{}/attachments", message_path()),
                &json!({"@odata.type": "#microsoft.graph.fileAttachment",
                    "name": format!("mail{n}.txt"), "contentBytes": base64(b"hi")}),
            )
            .await;
        assert_eq!(reply.status, 201, "{}", reply.text());
    }
}

/// Creates `count` folders in the drive's root.
pub async fn create_folders(emu: &Emulator, count: usize) {
    for n in 0..count {
        let reply = emu
            .post_json(
                "/me/drive/root/children",
                &json!({"name": format!("folder{n:02}"), "folder": {}}),
            )
            .await;
        assert_eq!(reply.status, 201, "{}", reply.text());
    }
}

/// Every page of a collection, from `url` (absolute) on, following `@odata.nextLink` until it
/// is absent, as the SDKs' page iterators do.
pub async fn pages(emu: &Emulator, url: &str) -> Vec<Value> {
    let mut url = url.to_owned();
    let mut pages = Vec::new();
    loop {
        let reply = emu
            .send(
                emu.client
                    .request(Method::GET, &url)
                    .bearer_auth(graph_upload_testkit::emulator::TOKEN),
            )
            .await;
        assert_eq!(reply.status, 200, "GET {url}: {}", reply.text());
        let page = reply.value();
        assert!(pages.len() < 1000, "nextLink never ends at {url}");
        let next = page
            .get("@odata.nextLink")
            .and_then(Value::as_str)
            .map(str::to_owned);
        pages.push(page);
        match next {
            Some(next) => url = next,
            None => return pages,
        }
    }
}

/// `GET` a collection of `/v1.0` through all its pages: every item and the number of pages.
pub async fn read_all(emu: &Emulator, path: &str) -> (Vec<Value>, usize) {
    let pages = pages(emu, &emu.url(path)).await;
    let mut items = Vec::new();
    for page in &pages {
        if let Some(next) = page.get("@odata.nextLink").and_then(Value::as_str) {
            assert!(next.starts_with(&format!("{}/v1.0/", emu.base)), "{next}");
        }
        items.extend(page["value"].as_array().expect("value").iter().cloned());
    }
    (items, pages.len())
}

/// The ids of the items, checked to be distinct.
pub fn distinct_ids(items: &[Value]) -> Vec<String> {
    let mut ids: Vec<String> = items
        .iter()
        .map(|item| item["id"].as_str().expect("id").to_owned())
        .collect();
    let count = ids.len();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), count, "an item came back twice");
    ids
}
