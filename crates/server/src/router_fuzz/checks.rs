//! What every answer must be (never 5xx, errors as Graph's JSON), and the stored data that
//! must come through the fuzz unchanged.

use super::live::last_segment;
use crate::fixtures::PRINTER_ID;
use crate::test_app::{Answer, PUBLIC_URL, TestApp, todo_task};
use axum::http::Method;
use std::collections::BTreeMap;
use std::path::Path;

pub(super) fn check_answer(method: &Method, answer: &Answer) -> Result<(), String> {
    let status = answer.status;
    if status.is_server_error() {
        return Err(format!("a {status} answer"));
    }
    if !answer.headers.contains_key("request-id") {
        return Err(format!("a {status} answer without request-id"));
    }
    if !status.is_client_error() || (method == Method::HEAD && answer.body.is_empty()) {
        return Ok(());
    }
    let content_type = answer
        .headers
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    if !content_type.starts_with("application/json") {
        return Err(format!(
            "a {status} error with Content-Type {content_type:?}"
        ));
    }
    let json: serde_json::Value = serde_json::from_slice(&answer.body)
        .map_err(|error| format!("a {status} error whose body is not JSON: {error}"))?;
    let error = &json["error"];
    let text = |value: &serde_json::Value| value.as_str().is_some_and(|s| !s.trim().is_empty());
    let inner = &error["innerError"];
    if !(text(&error["code"])
        && text(&error["message"])
        && text(&inner["request-id"])
        && text(&inner["date"]))
    {
        return Err(format!(
            "a {status} error that is not Graph's error JSON: {json}"
        ));
    }
    Ok(())
}

/// Every file under `root` except those under `skip`: relative path -> bytes.
pub(super) fn files_outside(root: &Path, skip: &Path) -> BTreeMap<String, Vec<u8>> {
    fn walk(root: &Path, dir: &Path, skip: &Path, out: &mut BTreeMap<String, Vec<u8>>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.starts_with(skip) {
                continue;
            }
            let name = path.strip_prefix(root).unwrap().display().to_string();
            if path.is_dir() {
                out.insert(format!("{name}/"), Vec::new());
                walk(root, &path, skip, out);
            } else {
                out.insert(name, std::fs::read(&path).unwrap());
            }
        }
    }
    let mut out = BTreeMap::new();
    walk(root, root, skip, &mut out);
    out
}

/// A print document and a To Do attachment the fuzzer does not know the ids of.
pub(super) struct Kept {
    /// The document's path (its bytes through `TestApp::print_value`).
    pub(super) document: String,
    pub(super) job: String,
    pub(super) attachment_value: String,
    pub(super) print_bytes: Vec<u8>,
    pub(super) todo_bytes: Vec<u8>,
}

/// Uploads `data` in order in fragments of 400 bytes; the last answer.
pub(super) async fn upload(app: &TestApp, url: &str, data: &[u8]) -> Answer {
    let mut at = 0;
    loop {
        let end = (at + 400).min(data.len());
        let answer = app
            .put(url, at as u64, &data[at..end], data.len() as u64)
            .await;
        if end == data.len() {
            return answer;
        }
        assert!(answer.status.is_success(), "{answer:?}");
        at = end;
    }
}

pub(super) async fn keep(app: &TestApp) -> Kept {
    let print_bytes: Vec<u8> = (0..5000u32).map(|i| (i * 7 % 251) as u8).collect();
    let (job, document) = app
        .print_job(&format!("/v1.0/print/printers/{PRINTER_ID}"))
        .await;
    let document = format!("{job}/documents/{document}");
    let answer = app
        .api(
            Method::POST,
            &format!("{document}/createUploadSession"),
            Some(serde_json::json!({"properties": {
                "documentName": "kept.pdf", "contentType": "application/pdf", "size": 5000}})),
        )
        .await;
    let url = answer.json()["uploadUrl"]
        .as_str()
        .unwrap()
        .strip_prefix(PUBLIC_URL)
        .unwrap()
        .to_owned();
    assert_eq!(upload(app, &url, &print_bytes).await.status, 201);

    let todo_bytes: Vec<u8> = (0..3000u32).map(|i| (i * 13 % 253) as u8).collect();
    // On a task of its own, whose id the fuzzer never learns (it may delete the fixture task).
    let tasks = todo_task().rsplit_once("/tasks/").unwrap().0.to_owned() + "/tasks";
    let answer = app
        .api(
            Method::POST,
            &tasks,
            Some(serde_json::json!({"title": "kept"})),
        )
        .await;
    assert_eq!(answer.status, 201, "{answer:?}");
    let kept_task = format!("{tasks}/{}", answer.json()["id"].as_str().unwrap());
    let answer = app
        .api(
            Method::POST,
            &format!("{kept_task}/attachments/createUploadSession"),
            Some(serde_json::json!({"attachmentInfo": {
                "attachmentType": "file", "name": "kept.bin", "size": 3000}})),
        )
        .await;
    let url = answer.json()["uploadUrl"]
        .as_str()
        .unwrap()
        .strip_prefix(PUBLIC_URL)
        .unwrap()
        .to_owned();
    let done = upload(app, &url, &todo_bytes).await;
    assert_eq!(done.status, 201);
    let location = done.headers["location"].to_str().unwrap();
    let attachment = last_segment(location);
    Kept {
        document: document.clone(),
        job,
        attachment_value: format!("{kept_task}/attachments/{attachment}/$value"),
        print_bytes,
        todo_bytes,
    }
}
