//! Outlook: a file attachment on a message or an event. From 3 MB a session and its bytes in
//! order (the final `201` carries the attachment's `Location`); below 3 MB, where Graph refuses
//! a session, one `POST .../attachments`. PROTOCOL.md section 7.

use crate::drive_address::encode;
use crate::engine::Engine;
use crate::error::UploadError;
use crate::flow::{Common, default_name, flow_setters, to_json};
use crate::outcome::{OutlookAttachment, UploadOutcome, Uploaded};
use crate::profile::EndpointProfile;
use crate::reply::FinalReply;
use crate::resume::{Created, Resume};
use crate::small_file::attach;
use crate::source::UploadSource;
use crate::uploader::Uploader;
use graph_upload_models::{
    AttachmentItem, AttachmentType, FILE_ATTACHMENT_ODATA_TYPE, FileAttachment,
    OUTLOOK_MIN_SESSION_SIZE, OutlookAttachmentUploadSessionRequest,
};

/// What the attachment goes on.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum OutlookItem {
    /// A message (`.../messages/{id}`).
    Message(String),
    /// An event (`.../events/{id}`).
    Event(String),
}

impl OutlookItem {
    fn path(&self) -> String {
        match self {
            OutlookItem::Message(id) => format!("messages/{}", encode(id)),
            OutlookItem::Event(id) => format!("events/{}", encode(id)),
        }
    }
}

/// An Outlook message or event attachment upload (build with
/// [`Uploader::outlook_attachment`]).
#[derive(Debug, Clone)]
#[must_use]
pub struct OutlookUpload {
    uploader: Uploader,
    item: OutlookItem,
    user: Option<String>,
    name: Option<String>,
    content_type: Option<String>,
    content_id: Option<String>,
    common: Common,
}

flow_setters!(OutlookUpload);

impl OutlookUpload {
    pub(crate) fn new(uploader: Uploader, item: OutlookItem) -> Self {
        OutlookUpload {
            uploader,
            item,
            user: None,
            name: None,
            content_type: None,
            content_id: None,
            common: Common::new(EndpointProfile::outlook()),
        }
    }

    /// The mailbox of another user (`/users/{id}`; default `/me`).
    pub fn user(self, user_id: impl Into<String>) -> Self {
        self.set_user(Some(user_id.into()))
    }

    /// [`user`](Self::user), or `/me` for `None`.
    pub fn set_user(mut self, user_id: Option<String>) -> Self {
        self.user = user_id;
        self
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

    /// Makes the attachment inline, referred to from the body as `cid:{content_id}`.
    pub fn inline(self, content_id: impl Into<String>) -> Self {
        self.set_inline(Some(content_id.into()))
    }

    /// [`inline`](Self::inline), or a plain attachment for `None`.
    pub fn set_inline(mut self, content_id: Option<String>) -> Self {
        self.content_id = content_id;
        self
    }

    /// Uploads `source` (at most 150 MB): under 3 MB with one `POST`, otherwise through a
    /// session. On failure the session is deleted (see
    /// [`clean_up_on_failure`](Self::clean_up_on_failure)).
    pub async fn upload(
        self,
        source: &UploadSource,
    ) -> Result<Uploaded<OutlookAttachment>, UploadError> {
        let opened = self.common.preflight(source)?;
        let owner = match &self.user {
            Some(user) => format!("/users/{}", encode(user)),
            None => "/me".to_string(),
        };
        let attachments = format!("{owner}/{}/attachments", self.item.path());
        if source.len() < OUTLOOK_MIN_SESSION_SIZE {
            drop(opened);
            return self.attach_small(source, &attachments).await;
        }
        let destination = format!("outlook{owner}/{}", self.item.path());
        self.common
            .drive(
                &self.uploader,
                opened,
                &destination,
                async |engine, resume, created| {
                    self.run(engine, resume, source, &attachments, &destination, created)
                        .await
                },
            )
            .await
    }

    fn file_name(&self, source: &UploadSource) -> String {
        self.name
            .clone()
            .unwrap_or_else(|| default_name(source, "attachment"))
    }

    /// The small path: one `POST .../attachments` with the bytes.
    async fn attach_small(
        &self,
        source: &UploadSource,
        attachments: &str,
    ) -> Result<Uploaded<OutlookAttachment>, UploadError> {
        let body = FileAttachment {
            odata_type: Some(FILE_ATTACHMENT_ODATA_TYPE.into()),
            name: self.file_name(source),
            content_type: self.content_type.clone(),
            is_inline: self.content_id.is_some().then_some(true),
            content_id: self.content_id.clone(),
            ..FileAttachment::default()
        };
        let attached = attach::<FileAttachment>(
            &self.uploader,
            &self.common,
            attachments,
            to_json(&body)?,
            source,
        )
        .await?;
        let base = &self.uploader.service().base_url;
        Ok(attached.map(|attached| OutlookAttachment {
            location: attached.location.unwrap_or_else(|| {
                format!("{base}{attachments}/{}", encode(&attached.attachment.id))
            }),
            id: attached.attachment.id,
        }))
    }

    async fn run(
        &self,
        engine: &Engine,
        resume: &Resume,
        source: &UploadSource,
        attachments: &str,
        destination: &str,
        created: &mut Created,
    ) -> Result<Uploaded<OutlookAttachment>, UploadError> {
        let body = OutlookAttachmentUploadSessionRequest {
            attachment_item: AttachmentItem {
                attachment_type: AttachmentType::File,
                name: self.file_name(source),
                size: source.len(),
                content_type: self.content_type.clone(),
                is_inline: self.content_id.is_some().then_some(true),
                content_id: self.content_id.clone(),
            },
        };
        let (upload_url, ranges) = self
            .common
            .session(
                &self.uploader,
                resume,
                created,
                destination,
                &format!("{attachments}/createUploadSession"),
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
                Ok(uploaded.map(|_| OutlookAttachment::from_location(location)))
            }
            other => Err(UploadError::protocol(format!(
                "the final Outlook reply has no Location: {other:?}"
            ))),
        }
    }
}
