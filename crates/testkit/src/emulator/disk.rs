//! The data directory: blobs, and snapshots of everything a rejected request must leave as
//! it was.

use super::{Emulator, printer, share, todo_task_path};
use graph_upload_server::fixtures::{
    LIST_ID, OXPS_PRINTER_ID, PHOTO_PRINTER_ID, PRINTER_ID, SHARE_ID,
};
use std::collections::{BTreeMap, BTreeSet};
use std::hash::{DefaultHasher, Hasher};
use std::path::{Path, PathBuf};

impl Emulator {
    /// `{data_dir}/blobs`.
    pub fn blobs_dir(&self) -> PathBuf {
        self.data_dir.join("blobs")
    }

    /// Names of the files in `{data_dir}/blobs` (one per session, document or attachment).
    pub fn blob_names(&self) -> BTreeSet<String> {
        std::fs::read_dir(self.blobs_dir())
            .expect("blobs directory")
            .filter_map(Result::ok)
            .filter(|entry| entry.file_type().is_ok_and(|kind| kind.is_file()))
            .map(|entry| entry.file_name().to_string_lossy().into_owned())
            .collect()
    }

    /// How many files `{data_dir}/blobs` holds.
    pub fn blob_count(&self) -> usize {
        self.blob_names().len()
    }

    /// What a rejected request must not change: every file under the temporary root except
    /// the database (its name, size and a hash of its bytes; the database by name only), and
    /// the stored resources as the API lists them.
    pub async fn snapshot(&self) -> Snapshot {
        let mut files = BTreeMap::new();
        walk(self.root.path(), self.root.path(), &mut files);
        let mut api = BTreeMap::new();
        for path in [
            printer(PRINTER_ID) + "/jobs",
            printer(OXPS_PRINTER_ID) + "/jobs",
            printer(PHOTO_PRINTER_ID) + "/jobs",
            share(SHARE_ID) + "/jobs",
            "/print/printers".to_string(),
            "/print/shares".to_string(),
            "/me/todo/lists".to_string(),
            format!("/me/todo/lists/{LIST_ID}/tasks"),
            format!("{}/attachments", todo_task_path()),
            format!("{}/attachments", super::message_path()),
            format!("{}/attachments", super::event_path()),
        ] {
            let value = self.get_json(&path).await;
            api.insert(path, value);
        }
        Snapshot { files, api }
    }
}

/// Files under the root: relative path -> (size, hash of the bytes); the database by name.
fn walk(root: &Path, dir: &Path, out: &mut BTreeMap<String, (u64, u64)>) {
    for entry in std::fs::read_dir(dir).expect("read dir") {
        let entry = entry.expect("dir entry");
        let path = entry.path();
        let name = path
            .strip_prefix(root)
            .expect("under root")
            .to_string_lossy()
            .into_owned();
        if entry.file_type().expect("file type").is_dir() {
            out.insert(format!("{name}/"), (0, 0));
            walk(root, &path, out);
        } else if name.ends_with(".redb") {
            out.insert(name, (0, 0));
        } else {
            let bytes = std::fs::read(&path).expect("read file");
            let mut hasher = DefaultHasher::new();
            hasher.write(&bytes);
            out.insert(name, (bytes.len() as u64, hasher.finish()));
        }
    }
}

/// See [`Emulator::snapshot`].
#[derive(Debug, Clone, PartialEq)]
pub struct Snapshot {
    /// Relative path -> (size, hash).
    pub files: BTreeMap<String, (u64, u64)>,
    /// API path -> its JSON.
    pub api: BTreeMap<String, serde_json::Value>,
}
