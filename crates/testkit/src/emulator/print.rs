//! Print: jobs on printers and shares, their document's upload session and `$value`.

use super::Emulator;
use crate::reply::Reply;
use graph_upload_models::UploadSession;
use graph_upload_server::fixtures::SHARE_ID;

impl Emulator {
    /// Creates a print job on `parent` (`/print/shares/{id}` or `/print/printers/{id}`) with
    /// body `{}`, expecting `201`.
    pub async fn create_print_job(&self, parent: &str) -> PrintTarget {
        let reply = self
            .post_json(&format!("{parent}/jobs"), &serde_json::json!({}))
            .await;
        assert_eq!(reply.status, 201, "create job: {}", reply.text());
        PrintTarget::from_job(parent, &reply.value())
    }

    /// `POST .../createUploadSession` with `body`, whatever the answer.
    pub async fn create_print_session_raw(
        &self,
        target: &PrintTarget,
        body: &serde_json::Value,
    ) -> Reply {
        self.post_json(&target.create_session_path(), body).await
    }

    /// Creates a print upload session, expecting `200` and an `uploadSession`.
    pub async fn create_print_session(
        &self,
        target: &PrintTarget,
        name: &str,
        content_type: &str,
        size: u64,
    ) -> UploadSession {
        let reply = self
            .create_print_session_raw(
                target,
                &serde_json::json!({"properties": {
                    "documentName": name, "contentType": content_type, "size": size}}),
            )
            .await;
        assert_eq!(reply.status, 200, "createUploadSession: {}", reply.text());
        reply.upload_session()
    }

    /// A job on the fixture share and a PDF upload session of `size` bytes for its document.
    pub async fn new_print_upload(&self, size: u64) -> (PrintTarget, UploadSession) {
        let target = self.create_print_job(&share(SHARE_ID)).await;
        let session = self
            .create_print_session(&target, "report.pdf", "application/pdf", size)
            .await;
        (target, session)
    }

    /// The document's bytes: `$value` answers `302` (printdocument-get-file.md), whose
    /// `Location` is fetched WITHOUT the bearer token (the emulator refuses it there),
    /// expecting `200`.
    pub async fn print_value(&self, target: &PrintTarget) -> Vec<u8> {
        let location = self.print_download_url(target).await;
        let reply = self.get_download(&location).await;
        assert_eq!(reply.status, 200, "download URL: {}", reply.text());
        reply.body
    }

    /// `$value` of the document, expecting `302`: its `Location`, the pre-authenticated
    /// download URL.
    pub async fn print_download_url(&self, target: &PrintTarget) -> String {
        let reply = self
            .get(&format!("{}/$value", target.document_path()))
            .await;
        assert_eq!(reply.status, 302, "$value: {}", reply.text());
        reply
            .headers
            .get("location")
            .and_then(|value| value.to_str().ok())
            .expect("a Location on the 302 of $value")
            .to_owned()
    }

    /// `GET url` (an absolute download URL) without any `Authorization`, whatever the answer.
    pub async fn get_download(&self, url: &str) -> Reply {
        self.send(self.client.get(url)).await
    }
}

/// A print job's document, by the paths that reach it.
#[derive(Debug, Clone)]
pub struct PrintTarget {
    /// `/print/shares/{id}` or `/print/printers/{id}`.
    pub parent: String,
    /// Job id.
    pub job: String,
    /// Its one document's id.
    pub document: String,
}

impl PrintTarget {
    /// From a `201` printJob body.
    pub fn from_job(parent: &str, job: &serde_json::Value) -> Self {
        PrintTarget {
            parent: parent.to_string(),
            job: job["id"].as_str().expect("job id").to_string(),
            document: job["documents"][0]["id"]
                .as_str()
                .expect("document id")
                .to_string(),
        }
    }

    /// `{parent}/jobs/{job}`.
    pub fn job_path(&self) -> String {
        format!("{}/jobs/{}", self.parent, self.job)
    }

    /// `{parent}/jobs/{job}/documents/{document}`.
    pub fn document_path(&self) -> String {
        format!("{}/documents/{}", self.job_path(), self.document)
    }

    /// `.../createUploadSession`.
    pub fn create_session_path(&self) -> String {
        format!("{}/createUploadSession", self.document_path())
    }
}

/// `/print/printers/{id}`.
pub fn printer(id: &str) -> String {
    format!("/print/printers/{id}")
}

/// `/print/shares/{id}`.
pub fn share(id: &str) -> String {
    format!("/print/shares/{id}")
}
