//! What the emulator stores, and how each record is shown as Graph's JSON.

mod mail;
mod session;

pub use mail::{MailAttachmentRecord, MailItem, MailItemKind};
pub use session::{SessionRecord, SessionTarget};

use graph_upload_models::{
    GraphDateTime, PrintDocument, PrintJob, PrintJobProcessingState, PrintJobStatus, Printer,
    PrinterShare, TaskFileAttachment, TodoTask, TodoTaskList,
};
use serde::{Deserialize, Serialize};

/// A printer, as Graph shows it.
pub type PrinterRecord = Printer;

/// A printer share and the printer behind it.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ShareRecord {
    /// The share as Graph shows it.
    pub share: PrinterShare,
    /// The printer it exposes.
    pub printer_id: String,
}

/// Whether a job was created on a printer or on a share (both paths exist in Graph).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum ParentKind {
    /// `/print/printers/{id}`.
    Printer,
    /// `/print/shares/{id}`.
    Share,
}

impl ParentKind {
    /// The path segment: `printers` or `shares`.
    pub fn segment(self) -> &'static str {
        match self {
            ParentKind::Printer => "printers",
            ParentKind::Share => "shares",
        }
    }
}

/// A print job with its single document.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct JobRecord {
    /// Job id.
    pub id: String,
    /// Printer or share it was created on.
    pub parent_kind: ParentKind,
    /// Id of that printer or share.
    pub parent_id: String,
    /// Creation time (seconds since the epoch).
    pub created: i64,
    /// Processing state.
    pub state: PrintJobProcessingState,
    /// State details (`uploadPending`...).
    pub details: Vec<String>,
    /// Print settings passed at creation, returned unchanged.
    pub configuration: Option<serde_json::Value>,
    /// The job's document.
    pub document: DocumentRecord,
    /// The printer that prints it, whether it was created on the printer or on one of its
    /// shares (empty in records from before printers and shares were linked: the parent
    /// then says which printer).
    #[serde(default)]
    pub printer_id: String,
    /// When a started job finishes processing (milliseconds since the epoch). Stored rather
    /// than timed in memory, so that a job processing when the emulator stops completes
    /// after a restart.
    #[serde(default)]
    pub processing_until_ms: Option<u64>,
}

/// A print job's document and, once uploaded, where its bytes are.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct DocumentRecord {
    /// Document id.
    pub id: String,
    /// Name given in the upload properties (empty until uploaded).
    pub name: String,
    /// Media type (empty until uploaded).
    pub content_type: String,
    /// Size in bytes (0 until uploaded).
    pub size: u64,
    /// Completion time (seconds since the epoch).
    pub uploaded: Option<i64>,
    /// The blob holding the bytes, once uploaded.
    pub blob: Option<String>,
    /// Whether the client asked for OXPS-to-PDF conversion.
    pub conversion_requested: bool,
}

impl DocumentRecord {
    /// A document waiting for its upload.
    pub fn pending(id: String) -> Self {
        DocumentRecord {
            id,
            name: String::new(),
            content_type: String::new(),
            size: 0,
            uploaded: None,
            blob: None,
            conversion_requested: false,
        }
    }

    /// Graph's printDocument, with the documented properties only (`id`, `displayName`,
    /// `contentType`, `size`: printDocument.md).
    pub fn to_graph(&self) -> PrintDocument {
        PrintDocument {
            id: self.id.clone(),
            display_name: Some(self.name.clone()),
            document_name: None,
            content_type: Some(self.content_type.clone()),
            size: self.size,
        }
    }

    /// The answer to the upload's last fragment: the printDocument with the `documentName`
    /// of the upload properties (`docs/protocol.md`, "last byte received").
    pub fn upload_reply(&self) -> PrintDocument {
        PrintDocument {
            document_name: Some(self.name.clone()),
            ..self.to_graph()
        }
    }
}

impl JobRecord {
    /// The job as it is at `now_ms`: a started job whose processing time has passed is
    /// `completed` with `completedSuccessfully` (printJobStatus.md). Applied whenever a job
    /// is read, so no timer is needed and a restart loses nothing.
    pub fn settled(mut self, now_ms: u64) -> Self {
        if self.state == PrintJobProcessingState::Processing
            && self
                .processing_until_ms
                .is_some_and(|until| until <= now_ms)
        {
            self.state = PrintJobProcessingState::Completed;
            self.details = vec!["completedSuccessfully".to_string()];
            self.processing_until_ms = None;
        }
        self
    }

    /// Graph's printJob (printJob.md): `createdBy` is the emulator's one user, the job is
    /// fetchable once its document is uploaded and until it finishes, and the emulator never
    /// redirects jobs.
    pub fn to_graph(&self) -> PrintJob {
        PrintJob {
            id: self.id.clone(),
            created_date_time: timestamp(self.created),
            created_by: Some(crate::fixtures::user_identity()),
            status: Some(self.status()),
            is_fetchable: Some(
                self.document.uploaded.is_some()
                    && matches!(
                        self.state,
                        PrintJobProcessingState::Paused | PrintJobProcessingState::Processing
                    ),
            ),
            redirected_from: Some(serde_json::Value::Null),
            redirected_to: Some(serde_json::Value::Null),
            documents: vec![self.document.to_graph()],
            // printJob.md lists `configuration`: an empty one when none was given.
            configuration: Some(
                self.configuration
                    .clone()
                    .unwrap_or_else(|| serde_json::json!({})),
            ),
        }
    }

    /// Graph's printJobStatus.
    pub fn status(&self) -> PrintJobStatus {
        let uploaded = self.document.uploaded.is_some();
        PrintJobStatus {
            state: self.state,
            description: Some(
                match self.state {
                    PrintJobProcessingState::Paused if uploaded => {
                        "The document is uploaded; the job waits to be started."
                    }
                    PrintJobProcessingState::Paused => "The job is waiting for its document.",
                    PrintJobProcessingState::Processing => "The job is being processed.",
                    PrintJobProcessingState::Completed => "The job completed successfully.",
                    PrintJobProcessingState::Canceled => "The job was canceled.",
                    PrintJobProcessingState::Aborted => "The job was aborted.",
                    _ => "",
                }
                .to_string(),
            ),
            details: self.details.clone(),
            is_acquired_by_printer: Some(false),
        }
    }
}

/// A To Do list.
pub type ListRecord = TodoTaskList;

/// A To Do task and its list.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct TaskRecord {
    /// The list holding it.
    pub list_id: String,
    /// The task as Graph shows it.
    pub task: TodoTask,
}

/// A file attached to a task.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct AttachmentRecord {
    /// Attachment id.
    pub id: String,
    /// Its list.
    pub list_id: String,
    /// Its task.
    pub task_id: String,
    /// File name.
    pub name: String,
    /// Media type, when given.
    pub content_type: Option<String>,
    /// Size in bytes.
    pub size: u64,
    /// The blob holding the bytes.
    pub blob: String,
    /// When it was attached (seconds since the epoch).
    pub modified: i64,
}

impl AttachmentRecord {
    /// Graph's taskFileAttachment (without the bytes).
    pub fn to_graph(&self) -> TaskFileAttachment {
        TaskFileAttachment {
            odata_type: Some(graph_upload_models::TASK_FILE_ATTACHMENT_ODATA_TYPE.to_string()),
            id: self.id.clone(),
            name: self.name.clone(),
            content_type: Some(
                self.content_type
                    .clone()
                    .unwrap_or_else(|| "application/octet-stream".to_string()),
            ),
            size: Some(self.size),
            last_modified_date_time: timestamp(self.modified),
            content_bytes: None,
        }
    }
}

/// Seconds since the epoch as a Graph timestamp.
pub fn timestamp(seconds: i64) -> Option<GraphDateTime> {
    GraphDateTime::from_unix_seconds(seconds).ok()
}
