//! To Do: attachment upload sessions on the fixture task, and the task's attachments.

use super::Emulator;
use crate::reply::Reply;
use graph_upload_models::UploadSession;
use graph_upload_server::fixtures::{LIST_ID, TASK_ID};

impl Emulator {
    /// `POST .../attachments/createUploadSession` on the fixture task with `body`.
    pub async fn create_todo_session_raw(&self, body: &serde_json::Value) -> Reply {
        self.post_json(
            &format!("{}/attachments/createUploadSession", todo_task_path()),
            body,
        )
        .await
    }

    /// Creates a To Do attachment session on the fixture task, expecting `200`.
    pub async fn create_todo_session(&self, name: &str, size: u64) -> UploadSession {
        let reply = self
            .create_todo_session_raw(&serde_json::json!({"attachmentInfo": {
                "attachmentType": "file", "name": name, "size": size,
                "contentType": "application/octet-stream"}}))
            .await;
        assert_eq!(reply.status, 200, "createUploadSession: {}", reply.text());
        reply.upload_session()
    }

    /// The attachment's bytes, expecting `200`.
    pub async fn todo_value(&self, attachment_id: &str) -> Vec<u8> {
        let reply = self
            .get(&format!(
                "{}/attachments/{attachment_id}/$value",
                todo_task_path()
            ))
            .await;
        assert_eq!(reply.status, 200, "$value: {}", reply.text());
        reply.body
    }

    /// The fixture task's attachments.
    pub async fn todo_attachments(&self) -> Vec<serde_json::Value> {
        let list = self
            .get_json(&format!("{}/attachments", todo_task_path()))
            .await;
        list["value"].as_array().expect("value array").clone()
    }
}

/// `/me/todo/lists/{LIST_ID}/tasks/{TASK_ID}`.
pub fn todo_task_path() -> String {
    format!("/me/todo/lists/{LIST_ID}/tasks/{TASK_ID}")
}
