//! OneDrive and SharePoint: a session for a drive item addressed by path or by parent and name,
//! its bytes in order, and with a deferred commit the empty `POST {uploadUrl}` that creates the
//! item. PROTOCOL.md section 7.

use crate::drive_address::{DriveLocation, DriveOwner};
use crate::engine::{Engine, Finished};
use crate::error::{ServiceError, UploadError};
use crate::flow::{Common, flow_setters, to_json};
use crate::outcome::{UploadOutcome, Uploaded};
use crate::profile::EndpointProfile;
use crate::reply::{COMMIT_PENDING, FinalReply, Reply, read};
use crate::resume::{Created, Resume};
use crate::source::UploadSource;
use crate::uploader::Uploader;
use graph_upload_models::{
    ConflictBehavior, DriveItem, DriveItemUploadSessionRequest, DriveItemUploadableProperties,
};
use graph_upload_transport::Request;

/// A OneDrive or SharePoint file upload (build with [`Uploader::drive_item`]).
#[derive(Debug, Clone)]
#[must_use]
pub struct DriveUpload {
    uploader: Uploader,
    owner: DriveOwner,
    location: DriveLocation,
    conflict: Option<ConflictBehavior>,
    description: Option<String>,
    defer_commit: bool,
    common: Common,
}

flow_setters!(DriveUpload);

impl DriveUpload {
    pub(crate) fn new(uploader: Uploader, owner: DriveOwner, location: DriveLocation) -> Self {
        DriveUpload {
            uploader,
            owner,
            location,
            conflict: None,
            description: None,
            defer_commit: false,
            common: Common::new(EndpointProfile::drive()),
        }
    }

    /// What happens when an item of that name exists (Graph's default: `fail`, a `409` at
    /// commit).
    pub fn conflict(self, behavior: ConflictBehavior) -> Self {
        self.set_conflict(Some(behavior))
    }

    /// [`conflict`](Self::conflict), or the service's default for `None`.
    pub fn set_conflict(mut self, behavior: Option<ConflictBehavior>) -> Self {
        self.conflict = behavior;
        self
    }

    /// The item's description.
    pub fn description(self, description: impl Into<String>) -> Self {
        self.set_description(Some(description.into()))
    }

    /// [`description`](Self::description), or none for `None`.
    pub fn set_description(mut self, description: Option<String>) -> Self {
        self.description = description;
        self
    }

    /// Whether the item is created only by an explicit commit (`deferCommit`): the last
    /// fragment answers `202`, then the upload sends the empty `POST {uploadUrl}`.
    pub fn defer_commit(mut self, defer: bool) -> Self {
        self.defer_commit = defer;
        self
    }

    /// Creates the session and uploads `source`; the item is the driveItem the service
    /// answered (`201`, or `200` when it replaced one). On failure the session is deleted
    /// (see [`clean_up_on_failure`](Self::clean_up_on_failure)).
    pub async fn upload(self, source: &UploadSource) -> Result<Uploaded<DriveItem>, UploadError> {
        let address = self.location.address(&self.owner)?;
        let opened = self.common.preflight(source)?;
        let destination = format!("drive{address}");
        self.common
            .drive(
                &self.uploader,
                opened,
                &destination,
                async |engine, resume, created| {
                    self.run(engine, resume, source, &address, &destination, created)
                        .await
                },
            )
            .await
    }

    async fn run(
        &self,
        engine: &Engine,
        resume: &Resume,
        source: &UploadSource,
        address: &str,
        destination: &str,
        created: &mut Created,
    ) -> Result<Uploaded<DriveItem>, UploadError> {
        let body = DriveItemUploadSessionRequest {
            item: Some(DriveItemUploadableProperties {
                conflict_behavior: self.conflict,
                name: None,
                description: self.description.clone(),
                file_size: Some(source.len()),
            }),
            defer_commit: self.defer_commit.then_some(true),
        };
        let (upload_url, ranges) = self
            .common
            .session(
                &self.uploader,
                resume,
                created,
                destination,
                &format!("{address}/createUploadSession"),
                &to_json(&body)?,
            )
            .await?;
        let reply = FinalReply::DriveItem {
            deferred: self.defer_commit,
        };
        let result = match engine
            .upload_until_finished(upload_url.as_str(), source, &ranges, reply)
            .await
        {
            Ok(Finished::Confirmed(uploaded)) => Ok(uploaded),
            // The reply that completed the session may have been lost; the item's name may
            // differ from the address (conflict `rename`), so it cannot be looked up safely.
            Ok(Finished::Unconfirmed(_)) => Err(UploadError::SessionGone),
            Err(error) => Err(error),
        };
        let result = match result {
            Ok(uploaded) => match uploaded.item {
                UploadOutcome::DriveItem(ref item) => {
                    Ok(uploaded.clone().map(|_| (**item).clone()))
                }
                UploadOutcome::Other {
                    status: COMMIT_PENDING,
                    ..
                } if self.defer_commit => self
                    .commit(engine, upload_url.as_str())
                    .await
                    .map(|item| uploaded.map(|_| item)),
                other => Err(UploadError::protocol(format!(
                    "the final drive reply carries no driveItem: {other:?}"
                ))),
            },
            Err(error) => Err(error),
        };
        resume.finish(&result)?;
        let uploaded = result?;
        created.session = None;
        created.journaled = false;
        Ok(uploaded)
    }

    /// The deferred commit: `POST {uploadUrl}` with an empty body, without the token (the URL
    /// is pre-authenticated), through the one retry loop; the reply is the driveItem.
    async fn commit(&self, engine: &Engine, upload_url: &str) -> Result<DriveItem, UploadError> {
        let request = Request::post(upload_url)
            .map_err(|error| UploadError::bad_url(upload_url, error))?
            .body(bytes::Bytes::new());
        let mut retrier = engine.retrier(upload_url);
        let response = engine.send(&mut retrier, request).await?;
        match read(
            upload_url,
            &response,
            FinalReply::DriveItem { deferred: false },
        )? {
            Reply::Done(UploadOutcome::DriveItem(item)) => Ok(*item),
            _ => Err(ServiceError::new(upload_url, &response).into()),
        }
    }
}
