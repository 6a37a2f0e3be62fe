//! OneDrive and SharePoint drives: upload sessions into a folder, their commit, and the items
//! they become.

use super::Emulator;
use crate::reply::Reply;
use graph_upload_models::UploadSession;
use reqwest::Method;

impl Emulator {
    /// `POST {item}/createUploadSession` with `body` (`None`: no body at all), where `item` is
    /// an item path such as `/me/drive/root:/Documents/a.pdf:`.
    pub async fn create_drive_session_raw(
        &self,
        item: &str,
        body: Option<&serde_json::Value>,
    ) -> Reply {
        let path = format!("{item}/createUploadSession");
        match body {
            Some(body) => self.post_json(&path, body).await,
            None => {
                self.send(self.api(Method::POST, &path).header("content-length", "0"))
                    .await
            }
        }
    }

    /// Creates a drive upload session, expecting `200`.
    pub async fn create_drive_session(
        &self,
        item: &str,
        body: Option<&serde_json::Value>,
    ) -> UploadSession {
        let reply = self.create_drive_session_raw(item, body).await;
        assert_eq!(reply.status, 200, "createUploadSession: {}", reply.text());
        reply.upload_session()
    }

    /// `POST {uploadUrl}` with an empty body and no credentials: commits a deferred drive
    /// session.
    pub async fn commit_drive_session(&self, url: &str) -> Reply {
        self.send(self.client.post(url).header("content-length", "0"))
            .await
    }

    /// `GET {item}/content`, expecting `200`: the file's bytes.
    pub async fn drive_content(&self, item: &str) -> Vec<u8> {
        let reply = self.get(&format!("{item}/content")).await;
        assert_eq!(reply.status, 200, "GET content: {}", reply.text());
        reply.body
    }

    /// `GET {folder}/children`, expecting `200`: its `value`.
    pub async fn drive_children(&self, folder: &str) -> Vec<serde_json::Value> {
        let list = self.get_json(&format!("{folder}/children")).await;
        list["value"].as_array().expect("value array").clone()
    }
}
