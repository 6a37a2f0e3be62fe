//! Folders in a drive, made before files are uploaded into them: an upload session names an
//! existing folder (Graph documents no implicit creation), so a directory tree uploaded under
//! `/Documents/photos` needs `photos` and each subfolder first.

use crate::drive_address::{DriveOwner, encode};
use crate::error::{InvalidInput, ServiceError, UploadError};
use crate::retry::Stage;
use crate::service::Watch;
use crate::uploader::Uploader;
use graph_upload_transport::{Request, StatusCode};
use std::collections::BTreeSet;
use tokio_util::sync::CancellationToken;

impl Uploader {
    /// Makes sure each folder of `folders` (`/Documents/photos/2024`, from the drive's root)
    /// exists in `owner`'s drive, with every folder above it: each is asked for once, parents
    /// first, with `POST .../children` (`{"name", "folder": {}}`, conflict `fail`); one that is
    /// there already (`409 nameAlreadyExists`) is kept as it is. The root (`/`) always exists.
    ///
    /// An item of that name that is a file is not told apart here: the upload into it fails.
    pub async fn ensure_drive_folders<'a>(
        &self,
        owner: &DriveOwner,
        folders: impl IntoIterator<Item = &'a str>,
        cancel: &CancellationToken,
    ) -> Result<(), UploadError> {
        let watch = Watch {
            cancel: cancel.clone(),
            ..Watch::default()
        };
        // Every folder and each one above it, once; shorter paths (parents) sort first.
        let mut wanted = BTreeSet::new();
        for folder in folders {
            let segments: Vec<&str> = folder.split('/').filter(|s| !s.is_empty()).collect();
            for depth in 1..=segments.len() {
                wanted.insert((depth, segments[..depth].join("/")));
            }
        }
        for (_, folder) in wanted {
            self.create_drive_folder(owner, &folder, &watch).await?;
        }
        Ok(())
    }

    /// `POST` of the folder `path` (no leading `/`) into its parent; `409` means it is there.
    async fn create_drive_folder(
        &self,
        owner: &DriveOwner,
        path: &str,
        watch: &Watch,
    ) -> Result<(), UploadError> {
        let (above, name) = path.rsplit_once('/').unwrap_or(("", path));
        for segment in path.split('/') {
            if matches!(segment, "." | "..") {
                return Err(InvalidInput::Unsupported(
                    "a drive path may not hold `.` or `..` segments",
                )
                .into());
            }
        }
        let parent = if above.is_empty() {
            format!("{}/root/children", owner.drive_path())
        } else {
            let encoded: Vec<String> = above.split('/').map(encode).collect();
            format!(
                "{}/root:/{}:/children",
                owner.drive_path(),
                encoded.join("/")
            )
        };
        let body = serde_json::json!({
            "name": name,
            "folder": {},
            "@microsoft.graph.conflictBehavior": "fail",
        });
        let response = self
            .service()
            .send(
                Request::post,
                &parent,
                Some(&body),
                Stage::BeforeSession,
                watch,
            )
            .await?;
        let status = response.status();
        if status.is_success() || status == StatusCode::CONFLICT {
            Ok(())
        } else {
            let url = format!("{}{parent}", self.service().base_url);
            Err(ServiceError::new(&url, &response).into())
        }
    }
}
