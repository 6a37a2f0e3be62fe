//! Outlook: attachment upload sessions on the fixture message and event, and their
//! attachments.

use super::Emulator;
use crate::reply::Reply;
use graph_upload_models::UploadSession;
use graph_upload_server::fixtures::{EVENT_ID, MESSAGE_ID};

impl Emulator {
    /// `POST {item}/attachments/createUploadSession` with `body`.
    pub async fn create_outlook_session_raw(&self, item: &str, body: &serde_json::Value) -> Reply {
        self.post_json(&format!("{item}/attachments/createUploadSession"), body)
            .await
    }

    /// Creates an Outlook attachment session on `item` (a path from [`message_path`] or
    /// [`event_path`]), expecting `201`.
    pub async fn create_outlook_session(&self, item: &str, name: &str, size: u64) -> UploadSession {
        let reply = self
            .create_outlook_session_raw(
                item,
                &serde_json::json!({"AttachmentItem": {
                    "attachmentType": "file", "name": name, "size": size,
                    "contentType": "application/pdf"}}),
            )
            .await;
        assert_eq!(reply.status, 201, "createUploadSession: {}", reply.text());
        reply.upload_session()
    }

    /// The attachments of `item` (its `value` array).
    pub async fn outlook_attachments(&self, item: &str) -> Vec<serde_json::Value> {
        let list = self.get_json(&format!("{item}/attachments")).await;
        list["value"].as_array().expect("value array").clone()
    }

    /// An attachment's bytes (`$value`), expecting `200`.
    pub async fn outlook_value(&self, item: &str, attachment_id: &str) -> Vec<u8> {
        let reply = self
            .get(&format!("{item}/attachments/{attachment_id}/$value"))
            .await;
        assert_eq!(reply.status, 200, "$value: {}", reply.text());
        reply.body
    }
}

/// `/me/messages/{MESSAGE_ID}`.
pub fn message_path() -> String {
    format!("/me/messages/{MESSAGE_ID}")
}

/// `/me/events/{EVENT_ID}`.
pub fn event_path() -> String {
    format!("/me/events/{EVENT_ID}")
}
