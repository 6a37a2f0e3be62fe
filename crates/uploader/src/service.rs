//! Authorized calls to the Graph API (creates, capabilities, job start and cancel), each
//! through the one retry loop.

use crate::clock::Clock;
use crate::credential::Credential;
use crate::error::{InvalidInput, ServiceError, UploadError};
use crate::progress::ProgressSink;
use crate::retry::{Retrier, RetryPolicy, Stage};
use graph_upload_models::redact;
use graph_upload_transport::{Request, Response, Transport, TransportError};
use std::sync::Arc;
use tokio_util::sync::CancellationToken;

/// How a request is built (`Request::get`, `Request::post`...).
pub(crate) type Method = fn(&str) -> Result<Request, TransportError>;

/// The API side of an [`Uploader`](crate::Uploader): base URL, credential, transport, retries.
#[derive(Debug, Clone)]
pub(crate) struct Service {
    pub base_url: String,
    pub credential: Credential,
    pub transport: Arc<dyn Transport>,
    pub retry: RetryPolicy,
    pub clock: Arc<dyn Clock>,
}

/// Where one upload reports and what cancels it: every request of the upload shares them.
#[derive(Debug, Clone, Default)]
pub(crate) struct Watch {
    pub progress: ProgressSink,
    pub cancel: CancellationToken,
}

impl Service {
    /// A retry budget for requests to `url`, reporting to `watch`.
    pub(crate) fn retrier(&self, url: &str, watch: &Watch) -> Retrier {
        Retrier::new(
            self.retry.clone(),
            crate::fnv::Fnv::of(url.as_bytes()),
            Arc::clone(&self.clock),
            watch.progress.clone(),
            watch.cancel.clone(),
        )
    }

    /// Sends `method` to `{base}{path}` with the token (and a JSON body), retried; any reply
    /// that is not worth retrying is returned as is.
    pub(crate) async fn send(
        &self,
        method: Method,
        path: &str,
        body: Option<&serde_json::Value>,
        stage: Stage,
        watch: &Watch,
    ) -> Result<Response, UploadError> {
        let url = format!("{}{path}", self.base_url);
        let mut request = method(&url).map_err(|error| UploadError::bad_url(&url, error))?;
        if let Some(body) = body {
            request = request.json(body).map_err(InvalidInput::from)?;
        }
        let sent = self
            .retrier(&url, watch)
            .send(&*self.transport, request, Some(&self.credential), stage)
            .await;
        // Nothing answers at the base URL, whatever the path: name the base URL.
        sent.map_err(|error| match error {
            UploadError::Unreachable { source, .. } => UploadError::Unreachable {
                url: redact(&self.base_url),
                source,
            },
            other => other,
        })
    }

    /// [`send`](Self::send) of a JSON body, where anything but `2xx` is a refusal.
    pub(crate) async fn post_json(
        &self,
        path: &str,
        body: &serde_json::Value,
        stage: Stage,
        watch: &Watch,
    ) -> Result<Response, UploadError> {
        let response = self
            .send(Request::post, path, Some(body), stage, watch)
            .await?;
        if response.status().is_success() {
            Ok(response)
        } else {
            Err(ServiceError::new(&format!("{}{path}", self.base_url), &response).into())
        }
    }
}
