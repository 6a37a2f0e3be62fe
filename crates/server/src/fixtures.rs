//! What a new data directory starts with, found through Graph's own list endpoints. Ids are
//! fixed so that examples and scripts can name them.

use crate::errors::ApiError;
use crate::records::{JobRecord, ListRecord, ParentKind, PrinterRecord, ShareRecord, TaskRecord};
use crate::store::{Store, Table};
use graph_upload_models::{
    IntegerRange, Printer, PrinterCapabilities, PrinterDefaults, PrinterLocation, PrinterShare,
    PrinterStatus, TodoTask, TodoTaskList, UserIdentity,
};

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

/// The emulator's one user, as Graph names the creator of a job (`createdBy`).
pub fn user_identity() -> UserIdentity {
    UserIdentity {
        id: Some(USER_ID.into()),
        display_name: Some("Emulated User".into()),
        user_principal_name: Some("user@emulator.example".into()),
        ip_address: None,
    }
}

fn strings(values: &[&str]) -> Vec<String> {
    values.iter().map(|value| value.to_string()).collect()
}

/// Every property of printerCapabilities.md, with values a small office printer reports.
fn capabilities(types: &[&str]) -> PrinterCapabilities {
    let margins = vec![0, 4_233];
    PrinterCapabilities {
        bottom_margins: margins.clone(),
        collation: Some(true),
        color_modes: strings(&["blackAndWhite", "grayscale", "color"]),
        content_types: strings(types),
        copies_per_job: Some(IntegerRange { start: 1, end: 99 }),
        dpis: vec![300, 600],
        duplex_modes: strings(&["oneSided", "flipOnLongEdge", "flipOnShortEdge"]),
        feed_orientations: strings(&["longEdgeFirst", "shortEdgeFirst"]),
        finishings: strings(&["none", "staple", "punch"]),
        input_bins: strings(&["auto", "tray-1"]),
        is_color_printing_supported: Some(true),
        is_page_range_supported: Some(true),
        left_margins: margins.clone(),
        media_colors: strings(&["white"]),
        media_sizes: strings(&["A4", "North America Letter", "North America Legal"]),
        media_types: strings(&["stationery", "photographic"]),
        multipage_layouts: strings(&["clockwiseFromTopLeft"]),
        orientations: strings(&["portrait", "landscape"]),
        output_bins: strings(&["top"]),
        pages_per_sheet: vec![1, 2, 4],
        qualities: strings(&["medium", "high"]),
        queue_buffer_size_in_bytes: Some(64 * 1024 * 1024),
        right_margins: margins.clone(),
        scalings: strings(&["auto", "fit", "none"]),
        supports_fit_pdf_to_page: Some(true),
        top_margins: margins,
    }
}

fn defaults(content_type: &str) -> PrinterDefaults {
    PrinterDefaults {
        color_mode: Some("color".into()),
        content_type: Some(content_type.into()),
        copies_per_job: Some(1),
        dpi: Some(600),
        duplex_mode: Some("oneSided".into()),
        finishings: strings(&["none"]),
        fit_pdf_to_page: Some(false),
        media_color: Some("white".into()),
        media_size: Some("A4".into()),
        media_type: Some("stationery".into()),
        multipage_layout: Some("clockwiseFromTopLeft".into()),
        orientation: Some("portrait".into()),
        output_bin: Some("top".into()),
        pages_per_sheet: Some(1),
        quality: Some("medium".into()),
        scaling: Some("auto".into()),
    }
}

fn location() -> PrinterLocation {
    PrinterLocation {
        building: Some("Building 1".into()),
        city: Some("Redmond".into()),
        country_or_region: Some("US".into()),
        floor: Some("1".into()),
        postal_code: Some("98052".into()),
        room_name: Some("Print room".into()),
        site: Some("Emulated campus".into()),
        state_or_province: Some("WA".into()),
        street_address: Some("1 Emulator Way".into()),
        organization: strings(&["Emulated Org"]),
        subdivision: Vec::new(),
    }
}

fn idle() -> PrinterStatus {
    PrinterStatus {
        state: "idle".into(),
        details: Vec::new(),
        description: Some("The printer is ready.".into()),
    }
}

/// When the fixture printers were registered and the share created.
const REGISTERED: i64 = 1_767_225_600; // 2026-01-01T00:00:00Z

fn printer(id: &str, name: &str, types: &[&str]) -> PrinterRecord {
    Printer {
        id: id.into(),
        display_name: name.into(),
        manufacturer: Some("Contoso".into()),
        model: Some("Emulated".into()),
        is_accepting_jobs: Some(true),
        defaults: Some(defaults(
            types.first().copied().unwrap_or("application/pdf"),
        )),
        location: Some(location()),
        capabilities: Some(capabilities(types)),
        status: Some(idle()),
        registered_date_time: crate::records::timestamp(REGISTERED),
        is_shared: Some(id == PRINTER_ID),
        has_physical_device: Some(true),
        last_seen_date_time: crate::records::timestamp(REGISTERED),
        release_mechanisms: Vec::new(),
    }
}

/// A share of `printer`, showing its printer's properties as printerShare.md says.
fn share_of(id: &str, name: &str, printer: &Printer) -> PrinterShare {
    PrinterShare {
        id: id.into(),
        display_name: name.into(),
        manufacturer: printer.manufacturer.clone(),
        model: printer.model.clone(),
        is_accepting_jobs: printer.is_accepting_jobs,
        defaults: printer.defaults.clone(),
        location: printer.location.clone(),
        capabilities: printer.capabilities.clone(),
        status: printer.status.clone(),
        allow_all_users: Some(true),
        created_date_time: crate::records::timestamp(REGISTERED),
    }
}

/// Seeds an empty database; in one that has printers, only the fixture printers and share
/// are brought up to date.
pub fn seed(store: &Store) -> Result<(), ApiError> {
    // Drives came later: a data directory from before them gets them too.
    crate::drive::seed(store)?;
    link_old_jobs(store)?;
    let printers: Vec<PrinterRecord> = store.list(Table::Printers)?;
    let fresh = printers.is_empty();
    let main_types = [
        "application/pdf",
        "image/jpeg",
        "image/png",
        "application/octet-stream",
    ];
    let office = printer(PRINTER_ID, "Emulated office printer", &main_types);
    let fixture_printers = [
        office.clone(),
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
    ];
    let share = share_of(SHARE_ID, "Emulated office printer (shared)", &office);
    // Printers and shares cannot be changed through the API: a data directory from before
    // their documented properties gets them (written only when they differ, so a restart
    // writes nothing).
    let mut stale = Vec::new();
    for record in fixture_printers {
        if store
            .get::<PrinterRecord>(Table::Printers, &record.id)?
            .as_ref()
            != Some(&record)
        {
            stale.push(record);
        }
    }
    let share_stale = store
        .get::<ShareRecord>(Table::Shares, SHARE_ID)?
        .is_none_or(|stored| stored.share != share || stored.printer_id != PRINTER_ID);
    if stale.is_empty() && !share_stale && !fresh {
        return Ok(());
    }
    store.write(|tx| {
        for record in &stale {
            tx.put(Table::Printers, &record.id, record)?;
        }
        if share_stale {
            let share = ShareRecord {
                share,
                printer_id: PRINTER_ID.into(),
            };
            tx.put(Table::Shares, SHARE_ID, &share)?;
        }
        if !fresh {
            return Ok(());
        }
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

/// Gives the jobs stored before printers and shares were linked the printer their parent
/// names (a share's printer), once, at startup.
fn link_old_jobs(store: &Store) -> Result<(), ApiError> {
    let jobs: Vec<JobRecord> = store.list(Table::Jobs)?;
    let mut linked = Vec::new();
    for mut job in jobs.into_iter().filter(|job| job.printer_id.is_empty()) {
        job.printer_id = match job.parent_kind {
            ParentKind::Printer => job.parent_id.clone(),
            ParentKind::Share => store
                .get::<ShareRecord>(Table::Shares, &job.parent_id)?
                .map_or_else(|| job.parent_id.clone(), |share| share.printer_id),
        };
        linked.push(job);
    }
    if linked.is_empty() {
        return Ok(());
    }
    store.write(|tx| {
        for job in &linked {
            tx.put(Table::Jobs, &job.id, job)?;
        }
        Ok::<_, ApiError>(())
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::records::DocumentRecord;
    use graph_upload_models::PrintJobProcessingState;

    /// A job stored before printers and shares were linked names only its parent; at the
    /// next start it gets the printer behind that parent.
    #[test]
    fn jobs_from_before_the_links_get_their_printer() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("state.redb")).unwrap();
        seed(&store).unwrap();
        let old = |id: &str, kind: ParentKind, parent: &str| JobRecord {
            id: id.into(),
            parent_kind: kind,
            parent_id: parent.into(),
            created: 0,
            state: PrintJobProcessingState::Paused,
            details: Vec::new(),
            configuration: None,
            document: DocumentRecord::pending(format!("{id}-doc")),
            printer_id: String::new(),
            processing_until_ms: None,
        };
        store
            .write(|tx| {
                tx.put(Table::Jobs, "a", &old("a", ParentKind::Share, SHARE_ID))?;
                tx.put(
                    Table::Jobs,
                    "b",
                    &old("b", ParentKind::Printer, OXPS_PRINTER_ID),
                )?;
                Ok::<_, ApiError>(())
            })
            .unwrap();
        seed(&store).unwrap();
        let a: JobRecord = store.get(Table::Jobs, "a").unwrap().unwrap();
        let b: JobRecord = store.get(Table::Jobs, "b").unwrap().unwrap();
        assert_eq!(a.printer_id, PRINTER_ID);
        assert_eq!(b.printer_id, OXPS_PRINTER_ID);
    }
}
