//! Outlook: the messages and events that take attachments, and the file attachments on them.

use graph_upload_models::FileAttachment;
use serde::{Deserialize, Serialize};

/// What an Outlook attachment hangs on: a message or an event.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum MailItemKind {
    /// `/messages/{id}`.
    Message,
    /// `/events/{id}`.
    Event,
}

impl MailItemKind {
    /// The Graph path segment: `messages` or `events`.
    pub fn segment(self) -> &'static str {
        match self {
            MailItemKind::Message => "messages",
            MailItemKind::Event => "events",
        }
    }

    /// Outlook's own segment in upload URLs and `@odata.context`: `Messages` or `Events`.
    pub fn outlook_segment(self) -> &'static str {
        match self {
            MailItemKind::Message => "Messages",
            MailItemKind::Event => "Events",
        }
    }

    /// The kind a path segment names.
    pub fn from_segment(segment: &str) -> Option<Self> {
        match segment {
            "messages" | "Messages" => Some(MailItemKind::Message),
            "events" | "Events" => Some(MailItemKind::Event),
            _ => None,
        }
    }
}

/// A message or event of a user: where an attachment lives.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MailItem {
    /// The user whose mailbox holds it.
    pub user_id: String,
    /// Message or event.
    pub kind: MailItemKind,
    /// Its id.
    pub id: String,
}

impl MailItem {
    /// `/users/{user}/messages/{id}` (or `/events/`), without the API version.
    pub fn path(&self) -> String {
        format!(
            "/users/{}/{}/{}",
            self.user_id,
            self.kind.segment(),
            self.id
        )
    }
}

/// A file attached to a message or event.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct MailAttachmentRecord {
    /// Attachment id.
    pub id: String,
    /// The message or event it is attached to.
    pub item: MailItem,
    /// File name.
    pub name: String,
    /// Media type, when given.
    pub content_type: Option<String>,
    /// Size in bytes.
    pub size: u64,
    /// Shown in the body rather than as an attachment.
    pub is_inline: bool,
    /// The id the body refers to an inline attachment by (`cid:`).
    pub content_id: Option<String>,
    /// The blob holding the bytes.
    pub blob: String,
    /// When it was attached (seconds since the epoch).
    pub modified: i64,
}

impl MailAttachmentRecord {
    /// Graph's fileAttachment, with `contentBytes` when given.
    pub fn to_graph(&self, content_bytes: Option<String>) -> FileAttachment {
        FileAttachment {
            odata_type: Some(graph_upload_models::FILE_ATTACHMENT_ODATA_TYPE.to_string()),
            id: self.id.clone(),
            name: self.name.clone(),
            content_type: Some(
                self.content_type
                    .clone()
                    .unwrap_or_else(|| "application/octet-stream".to_string()),
            ),
            size: Some(self.size),
            is_inline: Some(self.is_inline),
            content_id: self.content_id.clone(),
            last_modified_date_time: super::timestamp(self.modified),
            content_bytes,
        }
    }
}
