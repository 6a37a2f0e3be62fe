//! A file or folder of a drive, as stored, and as Graph's driveItem.

use super::drives::drive_by_id;
use crate::records::timestamp;
use graph_upload_models::{DriveItem, FileFacet, ItemReference};
use serde::{Deserialize, Serialize};

/// A drive item: a folder, or a file whose bytes are in a blob.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct DriveItemRecord {
    /// Item id.
    pub id: String,
    /// The drive holding it.
    pub drive_id: String,
    /// Its folder; `None` for a drive's root.
    pub parent_id: Option<String>,
    /// Its name (`root` for a root).
    pub name: String,
    /// A description given at upload.
    #[serde(default)]
    pub description: Option<String>,
    /// `None` for a folder; the blob holding a file's bytes.
    pub blob: Option<String>,
    /// Size in bytes (0 for folders).
    pub size: u64,
    /// Media type of a file, from its name.
    pub mime_type: Option<String>,
    /// Creation time (seconds since the epoch).
    pub created: i64,
    /// Last change (seconds since the epoch).
    pub modified: i64,
    /// Bumped by every change of content: the `eTag` and `cTag` carry it.
    pub version: u64,
}

impl DriveItemRecord {
    /// Whether this is a folder.
    pub fn is_folder(&self) -> bool {
        self.blob.is_none()
    }

    /// Graph's driveItem. `parent_path` is the parent's path as Graph writes it
    /// (`/drive/root:/Documents`, `/drive/root:` for the root's children); `child_count` the
    /// number of children of a folder.
    pub fn to_graph(&self, parent_path: Option<String>, child_count: usize) -> DriveItem {
        let drive = drive_by_id(&self.drive_id).ok();
        DriveItem {
            id: self.id.clone(),
            name: self.name.clone(),
            size: self.size,
            e_tag: Some(format!(
                "\"{{{}}},{}\"",
                self.id.to_uppercase(),
                self.version
            )),
            c_tag: Some(format!(
                "\"c:{{{}}},{}\"",
                self.id.to_uppercase(),
                self.version
            )),
            file: (!self.is_folder()).then(|| FileFacet {
                mime_type: Some(
                    self.mime_type
                        .clone()
                        .unwrap_or_else(|| "application/octet-stream".to_owned()),
                ),
                hashes: None,
            }),
            folder: self
                .is_folder()
                .then(|| serde_json::json!({ "childCount": child_count })),
            parent_reference: Some(ItemReference {
                drive_id: Some(self.drive_id.clone()),
                drive_type: drive.map(|drive| drive.drive_type.to_owned()),
                id: self.parent_id.clone(),
                path: parent_path,
            }),
            created_date_time: timestamp(self.created),
            last_modified_date_time: timestamp(self.modified),
        }
    }
}

/// The media type Graph would detect from a file name.
pub fn mime_of(name: &str) -> String {
    mime_guess::from_path(name)
        .first_or_octet_stream()
        .essence_str()
        .to_owned()
}
