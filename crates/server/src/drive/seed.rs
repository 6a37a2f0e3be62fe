//! Each drive's root and `Documents` folder, created once.

use super::drives::DRIVES;
use super::item::DriveItemRecord;
use crate::errors::ApiError;
use crate::store::{Store, Table};

/// When the fixture folders were created: 2026-01-01.
const CREATED: i64 = 1_767_225_600;

fn folder(id: &str, drive_id: &str, parent_id: Option<&str>, name: &str) -> DriveItemRecord {
    DriveItemRecord {
        id: id.to_owned(),
        drive_id: drive_id.to_owned(),
        parent_id: parent_id.map(str::to_owned),
        name: name.to_owned(),
        description: None,
        blob: None,
        size: 0,
        mime_type: None,
        created: CREATED,
        modified: CREATED,
        version: 1,
    }
}

/// Adds the folders of every drive whose root is missing; existing items are left alone.
pub fn seed(store: &Store) -> Result<(), ApiError> {
    store.write(|tx| {
        for drive in DRIVES {
            if tx
                .get::<DriveItemRecord>(Table::DriveItems, drive.root_id)?
                .is_some()
            {
                continue;
            }
            let root = folder(drive.root_id, drive.id, None, "root");
            let documents = folder(
                drive.documents_id,
                drive.id,
                Some(drive.root_id),
                "Documents",
            );
            tx.put(Table::DriveItems, &root.id, &root)?;
            tx.put(Table::DriveItems, &documents.id, &documents)?;
        }
        Ok(())
    })
}
