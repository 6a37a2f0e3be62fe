//! The requests to a session's upload URL besides the PUTs: its status (`GET`), and its
//! deletion (`DELETE`) when an upload is abandoned.

use crate::engine::Engine;
use crate::error::{ServiceError, UploadError};
use crate::progress::ProgressEvent;
use crate::reply::missing_from;
use crate::retry::{Retrier, RetryPolicy, Verdict, classify};
use crate::service::Watch;
use graph_upload_models::{UploadSessionStatus, redact};
use graph_upload_ranges::RangeSet;
use graph_upload_transport::Request;

impl Engine {
    /// `GET {uploadUrl}` with a fresh retry budget.
    pub(crate) async fn session_status(
        &self,
        upload_url: &str,
    ) -> Result<UploadSessionStatus, UploadError> {
        self.status(upload_url, &mut self.retrier(upload_url)).await
    }

    /// `GET {uploadUrl}`, retried within `retrier`'s budget.
    pub(crate) async fn status(
        &self,
        upload_url: &str,
        retrier: &mut Retrier,
    ) -> Result<UploadSessionStatus, UploadError> {
        let request =
            Request::get(upload_url).map_err(|error| UploadError::bad_url(upload_url, error))?;
        let response = self.send(retrier, request).await?;
        match classify(&response) {
            Verdict::Done => response.json().map_err(|error| {
                UploadError::unparsable("the session status is not valid JSON", error)
            }),
            Verdict::Gone => Err(UploadError::SessionGone),
            _ => Err(ServiceError::new(upload_url, &response).into()),
        }
    }

    /// What the server has, as missing ranges (after a `416` or a request that may have
    /// landed).
    pub(crate) async fn resync(
        &self,
        upload_url: &str,
        size: u64,
        retrier: &mut Retrier,
    ) -> Result<RangeSet, UploadError> {
        let status = self.status(upload_url, retrier).await?;
        let ranges = status.next_expected_ranges.unwrap_or_default();
        let missing = missing_from(&ranges, size)?;
        self.watch.progress.emit(ProgressEvent::Resumed {
            acknowledged: size - missing.total_len(),
        });
        Ok(missing)
    }

    /// `DELETE {uploadUrl}`, one attempt even after a cancellation (clean-up): `Err` with a
    /// warning when the session may still exist (it expires on its own).
    pub(crate) async fn delete_session(&self, upload_url: &str) -> Result<(), String> {
        let shown = redact(upload_url);
        let request = Request::delete(upload_url).map_err(|error| error.to_string())?;
        let mut once = Retrier::new(
            RetryPolicy::none(),
            0,
            std::sync::Arc::clone(&self.clock),
            self.watch.progress.clone(),
            Watch::default().cancel,
        );
        let result = self.send(&mut once, request).await;
        match result {
            Ok(response) if matches!(classify(&response), Verdict::Done | Verdict::Gone) => Ok(()),
            Ok(response) => Err(format!(
                "could not delete the upload session {shown} (HTTP {}); it expires on its own",
                response.status().as_u16()
            )),
            Err(error) => Err(format!(
                "could not delete the upload session {shown} ({error}); it expires on its own"
            )),
        }
    }
}
