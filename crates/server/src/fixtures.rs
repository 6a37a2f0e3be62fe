//! What a new data directory starts with, found through Graph's own list endpoints. Ids are
//! fixed so that examples and scripts can name them.

use crate::errors::ApiError;
use crate::records::{ListRecord, PrinterRecord, ShareRecord, TaskRecord};
use crate::store::{Store, Table};
use graph_upload_models::{Printer, PrinterCapabilities, PrinterShare, TodoTask, TodoTaskList};

/// The printer that accepts PDF, JPEG, PNG and octet-stream (and OXPS by conversion).
pub const PRINTER_ID: &str = "9f7c3a52-5c8e-4b43-9a55-0d1d3a8f6e01";
/// A printer that accepts only `application/oxps` (no conversion needed or possible).
pub const OXPS_PRINTER_ID: &str = "9f7c3a52-5c8e-4b43-9a55-0d1d3a8f6e02";
/// A printer that accepts only images: `application/oxps` is refused (no PDF to convert to).
pub const PHOTO_PRINTER_ID: &str = "9f7c3a52-5c8e-4b43-9a55-0d1d3a8f6e03";
/// The share of [`PRINTER_ID`].
pub const SHARE_ID: &str = "1c879027-5120-4aaf-954a-ebfd509a3bcc";
/// The emulator's one user (`/me`).
pub const USER_ID: &str = "6f9a2a92-8527-4d64-837e-b5312852f36d";
/// The user's To Do list: an id in Graph's shape (base64url with `-`, `_` and `=`), so that
/// clients that forget to percent-encode path segments or mangle these characters fail here.
pub const LIST_ID: &str = "AAMkAGVtdWxhdG9yIFRvIERvIGxpc3QAA-_7774=";
/// The task of that list (Graph-shaped too).
pub const TASK_ID: &str = "AAMkAGVtdWxhdG9yIFRvIERvIHRhc2sAA-_7774=";
/// The user's Outlook message that takes attachments (an Outlook-style id, `=` included).
pub const MESSAGE_ID: &str = "AAMkADEmulatorMessage0001AAA=";
/// The user's Outlook calendar event that takes attachments.
pub const EVENT_ID: &str = "AAMkADEmulatorEvent0001AAA=";

/// The user's OneDrive (`/me/drive`, `/users/{USER_ID}/drive`, `/drives/{id}`).
pub const USER_DRIVE_ID: &str = "4d2c1a90-6b3e-4f1a-9c8d-7e6f5a4b3c01";
/// The root folder of [`USER_DRIVE_ID`].
pub const USER_DRIVE_ROOT_ID: &str = "4d2c1a90-6b3e-4f1a-9c8d-7e6f5a4b3c02";
/// The `Documents` folder of [`USER_DRIVE_ID`].
pub const USER_DOCUMENTS_ID: &str = "4d2c1a90-6b3e-4f1a-9c8d-7e6f5a4b3c03";
/// The fixture group (`/groups/{id}/drive`).
pub const GROUP_ID: &str = "4d2c1a90-6b3e-4f1a-9c8d-7e6f5a4b3c10";
/// The group's document library.
pub const GROUP_DRIVE_ID: &str = "4d2c1a90-6b3e-4f1a-9c8d-7e6f5a4b3c11";
/// The root folder of [`GROUP_DRIVE_ID`].
pub const GROUP_DRIVE_ROOT_ID: &str = "4d2c1a90-6b3e-4f1a-9c8d-7e6f5a4b3c12";
/// The `Documents` folder of [`GROUP_DRIVE_ID`].
pub const GROUP_DOCUMENTS_ID: &str = "4d2c1a90-6b3e-4f1a-9c8d-7e6f5a4b3c13";
/// The fixture SharePoint site (`/sites/{id}/drive`).
pub const SITE_ID: &str = "4d2c1a90-6b3e-4f1a-9c8d-7e6f5a4b3c20";
/// The site's default document library.
pub const SITE_DRIVE_ID: &str = "4d2c1a90-6b3e-4f1a-9c8d-7e6f5a4b3c21";
/// The root folder of [`SITE_DRIVE_ID`].
pub const SITE_DRIVE_ROOT_ID: &str = "4d2c1a90-6b3e-4f1a-9c8d-7e6f5a4b3c22";
/// The `Documents` folder of [`SITE_DRIVE_ID`].
pub const SITE_DOCUMENTS_ID: &str = "4d2c1a90-6b3e-4f1a-9c8d-7e6f5a4b3c23";

fn capabilities(types: &[&str]) -> Option<PrinterCapabilities> {
    Some(PrinterCapabilities {
        content_types: types.iter().map(|t| t.to_string()).collect(),
        is_color_printing_supported: Some(true),
    })
}

fn printer(id: &str, name: &str, types: &[&str]) -> PrinterRecord {
    Printer {
        id: id.into(),
        display_name: name.into(),
        manufacturer: Some("Contoso".into()),
        model: Some("Emulated".into()),
        is_shared: Some(id == PRINTER_ID),
        capabilities: capabilities(types),
    }
}

/// Seeds an empty database; a database that has printers is left alone.
pub fn seed(store: &Store) -> Result<(), ApiError> {
    // Drives came later: a data directory from before them gets them too.
    crate::drive::seed(store)?;
    let printers: Vec<PrinterRecord> = store.list(Table::Printers)?;
    if !printers.is_empty() {
        return Ok(());
    }
    let main_types = [
        "application/pdf",
        "image/jpeg",
        "image/png",
        "application/octet-stream",
    ];
    store.write(|tx| {
        for record in [
            printer(PRINTER_ID, "Emulated office printer", &main_types),
            printer(
                OXPS_PRINTER_ID,
                "Emulated OXPS printer",
                &["application/oxps"],
            ),
            printer(
                PHOTO_PRINTER_ID,
                "Emulated photo printer",
                &["image/jpeg", "image/png"],
            ),
        ] {
            tx.put(Table::Printers, &record.id, &record)?;
        }
        let share = ShareRecord {
            share: PrinterShare {
                id: SHARE_ID.into(),
                display_name: "Emulated office printer (shared)".into(),
                created_date_time: None,
                capabilities: capabilities(&main_types),
            },
            printer_id: PRINTER_ID.into(),
        };
        tx.put(Table::Shares, SHARE_ID, &share)?;
        let list: ListRecord = TodoTaskList {
            id: LIST_ID.into(),
            display_name: "Tasks".into(),
            is_owner: Some(true),
            is_shared: Some(false),
            wellknown_list_name: Some("defaultList".into()),
        };
        tx.put(Table::Lists, LIST_ID, &list)?;
        let task = task_record();
        tx.put(Table::Tasks, TASK_ID, &task)?;
        Ok(())
    })
}

/// The fixture task as first stored.
pub(crate) fn task_record() -> TaskRecord {
    TaskRecord {
        list_id: LIST_ID.into(),
        task: TodoTask {
            odata_etag: Some("W/\"ZW11bGF0b3IgZml4dHVyZSB0YXNrMQ==\"".into()),
            id: TASK_ID.into(),
            title: "Attach the report".into(),
            status: Some(graph_upload_models::TaskStatus::NotStarted),
            importance: Some(graph_upload_models::Importance::Normal),
            is_reminder_on: Some(false),
            body: Some(graph_upload_models::ItemBody {
                content: String::new(),
                content_type: Some(graph_upload_models::BodyType::Text),
            }),
            categories: Some(Vec::new()),
            has_attachments: Some(false),
            ..TodoTask::default()
        },
    }
}
