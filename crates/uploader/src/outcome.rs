//! What a finished upload returns, the same shape for every flow: the item the service
//! created, and how many bytes it took to get there.

use graph_upload_models::{DriveItem, PrintDocument};

/// A confirmed upload: the service's `item`, the body bytes this run sent, and how many of
/// them it sent more than once (after lost answers, `416`s and resumes).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Uploaded<T> {
    /// What the service created.
    pub item: T,
    /// Body bytes of every PUT this run sent, retries included.
    pub bytes_sent: u64,
    /// Of those, bytes this run had already sent once.
    pub bytes_resent: u64,
}

impl<T> Uploaded<T> {
    pub(crate) fn map<U>(self, f: impl FnOnce(T) -> U) -> Uploaded<U> {
        Uploaded {
            item: f(self.item),
            bytes_sent: self.bytes_sent,
            bytes_resent: self.bytes_resent,
        }
    }
}

/// A print upload's item: the printDocument, with the job it belongs to.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct PrintedDocument {
    /// The job the document belongs to.
    pub job_id: String,
    /// The document as the service returned it.
    pub document: PrintDocument,
    /// Whether the job was started after the upload.
    pub started: bool,
}

/// A To Do upload's item: the new attachment.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct TodoAttachment {
    /// The attachment's id (the last segment of `location`).
    pub id: String,
    /// The attachment's URL, from the final reply's `Location`.
    pub location: String,
}

impl TodoAttachment {
    pub(crate) fn from_location(location: String) -> Self {
        TodoAttachment {
            id: id_of_location(&location),
            location,
        }
    }
}

/// An Outlook upload's item: the new message or event attachment.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct OutlookAttachment {
    /// The attachment's id.
    pub id: String,
    /// The attachment's URL: the `Location` of the final reply (a session) or of the create
    /// (a small file; built from the id when the service sent none).
    pub location: String,
}

impl OutlookAttachment {
    pub(crate) fn from_location(location: String) -> Self {
        OutlookAttachment {
            id: id_of_location(&location),
            location,
        }
    }
}

/// The attachment id a `Location` ends with: the last path segment, or the key of Outlook's
/// `.../Attachments('AAMk...')` form.
fn id_of_location(location: &str) -> String {
    let path = location.split(['?', '#']).next().unwrap_or_default();
    let last = path
        .trim_end_matches('/')
        .rsplit('/')
        .next()
        .unwrap_or_default();
    match last.split_once("('") {
        Some((_, key)) => key.trim_end_matches("')").to_owned(),
        None => last.to_owned(),
    }
}

/// What the service answered when the last byte of a session arrived (the item of an upload
/// to a session created elsewhere).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum UploadOutcome {
    /// Print: the printDocument from the `201` body.
    PrintDocument(PrintDocument),
    /// To Do: the new attachment's URL from the `Location` header.
    Attachment {
        /// `Location` of the attachment.
        location: String,
    },
    /// A drive: the driveItem from the `201` (or `200` when replacing) body.
    DriveItem(Box<DriveItem>),
    /// Another endpoint's completion: the status and body as sent.
    Other {
        /// Final status.
        status: u16,
        /// Final body.
        body: String,
    },
}

#[cfg(test)]
mod tests {
    use super::TodoAttachment;

    #[test]
    fn the_attachment_id_is_the_last_segment_of_its_location() {
        let attachment = TodoAttachment::from_location(
            "http://h/v1.0/me/todo/lists/l/tasks/t/attachments/AAMk-_x=".into(),
        );
        assert_eq!(attachment.id, "AAMk-_x=");
    }

    #[test]
    fn an_outlook_location_gives_the_key_in_parentheses() {
        let attachment = super::OutlookAttachment::from_location(
            "https://outlook.office.com/api/v2.0/Users('u')/Messages('m')/Attachments('AAMkAD=')"
                .into(),
        );
        assert_eq!(attachment.id, "AAMkAD=");
    }
}
