//! The record of an upload session, and what its received spans say: what is missing, what
//! comes next, what Graph answers about it.

use super::{MailItem, ParentKind};
use graph_upload_models::{ConflictBehavior, GraphDateTime, UploadSessionStatus};
use graph_upload_ranges::RangeSet;
use serde::{Deserialize, Serialize};
use std::time::Duration;

/// What an upload session fills when it completes.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "camelCase")]
pub enum SessionTarget {
    /// A print job's document.
    #[serde(rename_all = "camelCase")]
    Print {
        /// The job.
        job_id: String,
        /// The printer or share of the job.
        parent_kind: ParentKind,
        /// Its id.
        parent_id: String,
        /// Whether OXPS-to-PDF conversion was requested.
        conversion_requested: bool,
    },
    /// A new attachment of a To Do task.
    #[serde(rename_all = "camelCase")]
    Todo {
        /// The user whose task it is (the emulator's user for `/me`).
        user_id: String,
        /// The list.
        list_id: String,
        /// The task.
        task_id: String,
        /// The API prefix used to create the session (`/v1.0`, `/beta` or empty), reused in
        /// the `Location` of the attachment.
        api_prefix: String,
    },
    /// A file of a OneDrive or SharePoint drive (`crate::drive`).
    #[serde(rename_all = "camelCase")]
    Drive {
        /// The drive.
        drive_id: String,
        /// The folder the file goes to.
        parent_id: String,
        /// What happens at commit when the name exists.
        conflict: ConflictBehavior,
        /// Whether the client commits with `POST {uploadUrl}` (`deferCommit`).
        defer_commit: bool,
        /// The item's description, when given.
        description: Option<String>,
        /// Whether the size is known: from `fileSize`, else from the first fragment's
        /// `Content-Range` total.
        size_known: bool,
        /// Every byte is there, but the session is not committed yet (`deferCommit`, or a
        /// commit refused by a name conflict).
        uploaded: bool,
    },
    /// A new file attachment of an Outlook message or event.
    #[serde(rename_all = "camelCase")]
    Outlook {
        /// The message or event.
        item: MailItem,
        /// The API prefix used to create the session, reused in the `Location`.
        api_prefix: String,
        /// Whether the attachment is inline.
        is_inline: bool,
        /// Its `cid:` id, when given.
        content_id: Option<String>,
    },
}

/// An upload session: what it is for, what has been received, until when.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SessionRecord {
    /// Session id.
    pub id: String,
    /// What it fills.
    pub target: SessionTarget,
    /// File name.
    pub name: String,
    /// Media type.
    pub content_type: Option<String>,
    /// Declared size; every `Content-Range` total must equal it.
    pub size: u64,
    /// Received spans (`[start, end)`), sorted and merged.
    pub received: Vec<(u64, u64)>,
    /// Expiry, milliseconds since the epoch; extended by each accepted fragment (but fixed
    /// at creation for Outlook).
    pub expires_ms: u64,
    /// The expiry signed into the print upload URL (seconds), fixed at creation.
    pub url_expiry: u64,
    /// The blob the bytes are written to.
    pub blob: String,
}

impl SessionRecord {
    /// Whether the session has expired at `now`.
    pub fn expired(&self, now: Duration) -> bool {
        now.as_millis() >= u128::from(self.expires_ms)
    }

    /// The expiry as Graph writes it.
    pub fn expiration(&self) -> GraphDateTime {
        let nanos = i128::from(self.expires_ms) * 1_000_000;
        graph_upload_models::time::OffsetDateTime::from_unix_timestamp_nanos(nanos)
            .map(GraphDateTime::from)
            .unwrap_or_else(|_| {
                GraphDateTime::from(graph_upload_models::time::OffsetDateTime::UNIX_EPOCH)
            })
    }

    /// `print`, `todo` or `outlook`, as the emulator's own routes and logs name the kinds.
    pub fn kind(&self) -> &'static str {
        match self.target {
            SessionTarget::Print { .. } => "print",
            SessionTarget::Todo { .. } => "todo",
            SessionTarget::Drive { .. } => "drive",
            SessionTarget::Outlook { .. } => "outlook",
        }
    }

    /// The Graph path of what the session fills, without the API version:
    /// `/print/shares/{id}/jobs/{job}/documents/{document}` (the job's one document, whose id
    /// the print target does not keep: `document`) or `/users/{id}/todo/lists/{l}/tasks/{t}`.
    pub fn owner_path(&self, document: Option<&str>) -> String {
        match &self.target {
            SessionTarget::Print {
                job_id,
                parent_kind,
                parent_id,
                ..
            } => {
                let jobs = format!("/print/{}/{parent_id}/jobs/{job_id}", parent_kind.segment());
                match document {
                    Some(document) => format!("{jobs}/documents/{document}"),
                    None => jobs,
                }
            }
            SessionTarget::Todo {
                user_id,
                list_id,
                task_id,
                ..
            } => format!("/users/{user_id}/todo/lists/{list_id}/tasks/{task_id}"),
            SessionTarget::Drive {
                drive_id,
                parent_id,
                ..
            } => format!("/drives/{drive_id}/items/{parent_id}:/{}:", self.name),
            SessionTarget::Outlook { item, .. } => item.path(),
        }
    }

    /// Bytes received so far.
    pub fn bytes_received(&self) -> u64 {
        self.received.iter().map(|&(start, end)| end - start).sum()
    }

    /// Whether this is a To Do session (in-order fragments, PascalCase replies).
    pub fn is_todo(&self) -> bool {
        matches!(self.target, SessionTarget::Todo { .. })
    }

    /// Whether this is a drive session (in-order fragments, committed into a drive item).
    pub fn is_drive(&self) -> bool {
        matches!(self.target, SessionTarget::Drive { .. })
    }

    /// Whether fragments must arrive in order (To Do, drive and Outlook sessions).
    pub fn in_order(&self) -> bool {
        matches!(
            self.target,
            SessionTarget::Todo { .. }
                | SessionTarget::Drive { .. }
                | SessionTarget::Outlook { .. }
        )
    }

    /// Whether every byte of a drive session is there, waiting for its commit.
    pub fn uploaded(&self) -> bool {
        matches!(self.target, SessionTarget::Drive { uploaded: true, .. })
    }

    /// Whether this is an Outlook attachment session (fixed expiry, mixed-case replies).
    pub fn is_outlook(&self) -> bool {
        matches!(self.target, SessionTarget::Outlook { .. })
    }

    /// Keeps the session alive for `ttl` from `now` (each accepted fragment does).
    pub fn renew(&mut self, now: Duration, ttl: Duration) {
        self.expires_ms = u64::try_from((now + ttl).as_millis()).unwrap_or(u64::MAX);
    }

    /// The received spans as a set.
    pub fn received_set(&self) -> RangeSet {
        self.received
            .iter()
            .map(|&(start, end)| start..end)
            .collect()
    }

    /// Records `received` as the spans stored so far.
    pub fn set_received(&mut self, received: &RangeSet) {
        self.received = received.iter().map(|span| (span.start, span.end)).collect();
    }

    /// The first byte not received yet (the size when every byte is): where the next To Do
    /// fragment must start.
    pub fn first_missing(&self) -> u64 {
        self.received_set()
            .missing(self.size)
            .iter()
            .next()
            .map_or(self.size, |span| span.start)
    }

    /// Missing ranges as Graph writes them; a 0-byte session that has not completed yet still
    /// expects its one empty PUT, written `0-` (as does a drive session whose size the first
    /// fragment has not told yet); an uploaded drive session waiting for its commit expects
    /// nothing.
    pub fn next_expected_ranges(&self) -> Vec<String> {
        let missing = self.received_set().missing(self.size);
        if self.uploaded() {
            return Vec::new();
        }
        if missing.is_empty() {
            return vec!["0-".to_string()];
        }
        missing.expected_ranges().map(|r| r.to_string()).collect()
    }

    /// The session's status for `GET {uploadUrl}` and print replies: every missing range,
    /// closed.
    pub fn status(&self) -> UploadSessionStatus {
        UploadSessionStatus {
            expiration_date_time: Some(self.expiration()),
            next_expected_ranges: Some(self.next_expected_ranges()),
        }
    }
}
