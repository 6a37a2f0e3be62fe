//! To Do: a session for a task's file attachment, then its bytes in order.
//! `docs/protocol.md` sections 1 and 2.

use crate::engine::Engine;
use crate::error::UploadError;
use crate::flow::{Common, default_name, flow_setters, to_json};
use crate::outcome::{TodoAttachment, UploadOutcome, Uploaded};
use crate::path_segment::encode;
use crate::profile::EndpointProfile;
use crate::reply::FinalReply;
use crate::resume::{Created, Resume};
use crate::small_file::attach;
use crate::source::UploadSource;
use crate::uploader::Uploader;
use graph_upload_models::{
    AttachmentInfo, AttachmentType, AttachmentUploadSessionRequest,
    TASK_FILE_ATTACHMENT_ODATA_TYPE, TODO_INLINE_ATTACHMENT_LIMIT, TaskFileAttachment,
};

/// A To Do attachment upload (build with [`Uploader::todo_attachment`]).
#[derive(Debug, Clone)]
#[must_use]
pub struct TodoUpload {
    uploader: Uploader,
    user: Option<String>,
    list_id: String,
    task_id: String,
    name: Option<String>,
    content_type: Option<String>,
    force_session: bool,
    common: Common,
}

flow_setters!(TodoUpload);

impl TodoUpload {
    pub(crate) fn new(
        uploader: Uploader,
        user: Option<String>,
        list_id: String,
        task_id: String,
    ) -> Self {
        TodoUpload {
            uploader,
            user,
            list_id,
            task_id,
            name: None,
            content_type: None,
            force_session: false,
            common: Common::new(EndpointProfile::todo()),
        }
    }

    /// The attachment's name (default: the file name, or `attachment`).
    pub fn name(self, name: impl Into<String>) -> Self {
        self.set_name(Some(name.into()))
    }

    /// [`name`](Self::name), or the default for `None`.
    pub fn set_name(mut self, name: Option<String>) -> Self {
        self.name = name;
        self
    }

    /// The attachment's media type.
    pub fn content_type(self, content_type: impl Into<String>) -> Self {
        self.set_content_type(Some(content_type.into()))
    }

    /// [`content_type`](Self::content_type), or none sent for `None`.
    pub fn set_content_type(mut self, content_type: Option<String>) -> Self {
        self.content_type = content_type;
        self
    }

    /// Whether a file under 3 MB goes through an upload session too (default false: it is
    /// attached with one `POST .../attachments`, its bytes as base64 `contentBytes`).
    pub fn force_session(mut self, force: bool) -> Self {
        self.force_session = force;
        self
    }

    /// Uploads `source`: a file under 3 MB with one `POST` (unless
    /// [`force_session`](Self::force_session)), a larger one through a session. On failure the
    /// session is deleted (see [`clean_up_on_failure`](Self::clean_up_on_failure)).
    pub async fn upload(
        self,
        source: &UploadSource,
    ) -> Result<Uploaded<TodoAttachment>, UploadError> {
        let opened = self.common.preflight(source)?;
        let owner = match &self.user {
            Some(user) => format!("/users/{}", encode(user)),
            None => "/me".to_string(),
        };
        if !self.force_session && source.len() < TODO_INLINE_ATTACHMENT_LIMIT {
            drop(opened);
            return self.attach_small(source, &owner).await;
        }
        let destination = format!("todo{owner}/{}/{}", self.list_id, self.task_id);
        self.common
            .drive(
                &self.uploader,
                opened,
                &destination,
                async |engine, resume, created| {
                    self.run(engine, resume, source, &owner, &destination, created)
                        .await
                },
            )
            .await
    }

    /// The small path: one `POST .../attachments` with the bytes.
    async fn attach_small(
        &self,
        source: &UploadSource,
        owner: &str,
    ) -> Result<Uploaded<TodoAttachment>, UploadError> {
        let path = format!(
            "{owner}/todo/lists/{}/tasks/{}/attachments",
            encode(&self.list_id),
            encode(&self.task_id)
        );
        let body = TaskFileAttachment {
            odata_type: Some(TASK_FILE_ATTACHMENT_ODATA_TYPE.into()),
            name: self
                .name
                .clone()
                .unwrap_or_else(|| default_name(source, "attachment")),
            content_type: self.content_type.clone(),
            ..TaskFileAttachment::default()
        };
        let attached = attach::<TaskFileAttachment>(
            &self.uploader,
            &self.common,
            &path,
            to_json(&body)?,
            source,
        )
        .await?;
        let base = &self.uploader.service().base_url;
        Ok(attached.map(|attached| TodoAttachment {
            location: attached
                .location
                .unwrap_or_else(|| format!("{base}{path}/{}", encode(&attached.attachment.id))),
            id: attached.attachment.id,
        }))
    }

    async fn run(
        &self,
        engine: &Engine,
        resume: &Resume,
        source: &UploadSource,
        owner: &str,
        destination: &str,
        created: &mut Created,
    ) -> Result<Uploaded<TodoAttachment>, UploadError> {
        let path = format!(
            "{owner}/todo/lists/{}/tasks/{}/attachments/createUploadSession",
            encode(&self.list_id),
            encode(&self.task_id)
        );
        let body = AttachmentUploadSessionRequest {
            attachment_info: AttachmentInfo {
                attachment_type: AttachmentType::File,
                name: self
                    .name
                    .clone()
                    .unwrap_or_else(|| default_name(source, "attachment")),
                size: source.len(),
                content_type: self.content_type.clone(),
            },
        };
        let (upload_url, ranges) = self
            .common
            .session(
                &self.uploader,
                resume,
                created,
                destination,
                &path,
                &to_json(&body)?,
            )
            .await?;
        let result = engine
            .upload(upload_url.as_str(), source, &ranges, FinalReply::Location)
            .await;
        resume.finish(&result)?;
        let uploaded = result?;
        match uploaded.item.clone() {
            UploadOutcome::Attachment { location } => {
                Ok(uploaded.map(|_| TodoAttachment::from_location(location)))
            }
            other => Err(UploadError::protocol(format!(
                "the final To Do reply has no Location: {other:?}"
            ))),
        }
    }
}
