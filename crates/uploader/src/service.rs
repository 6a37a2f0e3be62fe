//! Authorized calls to the Graph API (creates, capabilities, job start and cancel), through
//! one retry loop that knows whether a session exists yet.

use crate::engine::fatal;
use crate::error::UploadError;
use crate::progress::{ProgressEvent, ProgressSink};
use crate::retry::{Backoff, RetryPolicy, Timer, retry_after};
use crate::token::BearerToken;
use graph_upload_models::redact;
use graph_upload_transport::{ErrorKind, Request, Response, Transport};
use std::sync::Arc;
use std::time::Duration;

/// How long a server that does not answer at all is retried before any session exists.
pub(crate) const FIRST_CONTACT: Duration = Duration::from_millis(2500);

/// Where a call stands: before a session exists nothing is lost by failing, so an unreachable
/// server fails fast; afterwards every failure is retried within the budget (a server restart
/// mid-upload must be survived).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Stage {
    BeforeSession,
    AfterSession,
}

/// The API side of an [`Uploader`](crate::Uploader): base URL, token, transport, retries.
#[derive(Debug, Clone)]
pub(crate) struct Service {
    pub base_url: String,
    pub token: BearerToken,
    pub transport: Arc<dyn Transport>,
    pub retry: RetryPolicy,
    pub timer: Arc<dyn Timer>,
}

impl Service {
    /// `{base}{path}` as a request with the token.
    pub(crate) fn request(
        &self,
        build: fn(&str) -> Result<Request, graph_upload_transport::TransportError>,
        path: &str,
    ) -> Result<Request, UploadError> {
        let url = format!("{}{path}", self.base_url);
        let request = build(&url).map_err(|error| UploadError::BadInput {
            message: format!("{:?} is not a usable URL: {error}", redact(&url)),
            graph: None,
        })?;
        self.token.authorize(request)
    }

    /// A POST of JSON to `path`; a `404` names a wrong id.
    pub(crate) async fn post_json<T: serde::Serialize>(
        &self,
        path: &str,
        body: &T,
        stage: Stage,
        progress: &ProgressSink,
    ) -> Result<Response, UploadError> {
        let request = self.request(Request::post, path)?.json(body)?;
        let response = self.send(request, stage, progress).await?;
        if response.status().is_success() {
            Ok(response)
        } else {
            Err(refusal(&format!("{}{path}", self.base_url), &response))
        }
    }

    /// Sends `request`, retrying `408`, `429` and `5xx` (honouring `Retry-After`) and transport
    /// failures within the budget, reporting each retry. Before a session exists, a refused
    /// connection, an unknown host or a TLS failure ends at once with a hint, and other
    /// transport failures after [`FIRST_CONTACT`].
    ///
    /// A create whose connection failed after it may have reached the service is sent again
    /// too: on a flaky link giving up would lose the upload, while a duplicate costs an unused
    /// session (it expires) or, for a print job, an empty job left paused.
    pub(crate) async fn send(
        &self,
        request: Request,
        stage: Stage,
        progress: &ProgressSink,
    ) -> Result<Response, UploadError> {
        let url = redact(&request.uri().to_string());
        let mut backoff = Backoff::new(self.retry.clone(), 0x9e37_79b9_7f4a_7c15);
        let started = self.timer.now();
        loop {
            let result = match self.transport.send(request.clone()).await {
                Err(error)
                    if stage == Stage::BeforeSession
                        && (matches!(error.kind(), ErrorKind::Connect | ErrorKind::Tls)
                            || self.timer.now().saturating_sub(started) >= FIRST_CONTACT) =>
                {
                    return Err(UploadError::Unreachable {
                        url: redact(&self.base_url),
                        error,
                    });
                }
                other => other,
            };
            let (wait, reason) = match &result {
                Ok(response) if matches!(response.status().as_u16(), 408 | 429 | 500..=599) => (
                    retry_after(response.headers()),
                    format!("HTTP {}", response.status()),
                ),
                Ok(_) => return result.map_err(UploadError::Transport),
                Err(error) => (None, error.to_string()),
            };
            let Some(delay) = backoff.next_delay(self.timer.now(), wait) else {
                return match result {
                    Ok(response) => Err(fatal(&response)),
                    Err(error) => Err(UploadError::Transport(error)),
                };
            };
            let delay = match stage {
                // Before a session exists, a server that does not answer is not waited for.
                Stage::BeforeSession if result.is_err() => delay
                    .min(FIRST_CONTACT.saturating_sub(self.timer.now().saturating_sub(started))),
                _ => delay,
            };
            progress.emit(ProgressEvent::Retrying {
                attempt: backoff.attempts(),
                delay,
                reason,
                url: url.clone(),
            });
            self.timer.sleep(delay).await;
        }
    }
}

/// A refusal of an API call: a `404` before a session exists names a wrong id.
pub(crate) fn refusal(url: &str, response: &Response) -> UploadError {
    if response.status().as_u16() != 404 {
        return fatal(response);
    }
    let graph = crate::error::graph_error(response).map(Box::new);
    UploadError::BadInput {
        message: format!(
            "{} was not found: check the printer, share, job, document, list or task id ({})",
            redact(url),
            graph
                .as_ref()
                .map_or_else(|| "no error body".to_string(), |g| g.to_string())
        ),
        graph,
    }
}
