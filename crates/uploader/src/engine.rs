//! The upload loop: send the missing ranges in chunks (in parallel where the endpoint allows),
//! trust the server's `nextExpectedRanges` over local bookkeeping, ask for the session's
//! status whenever a chunk may or may not have landed, retry what can be retried, and stop on
//! the server's confirmation.

use crate::error::UploadError;
use crate::profile::EndpointProfile;
use crate::progress::{ProgressEvent, ProgressSink};
use crate::retry::{Backoff, RetryPolicy, Timer, retry_after};
use crate::source::UploadSource;
use crate::token::BearerToken;
use graph_upload_models::{GraphErrorBody, PrintDocument, UploadSessionStatus, UploadUrl, redact};
use graph_upload_ranges::{ChunkSize, ContentRange, RangeSet};
use graph_upload_transport::{
    HeaderValue, Request, Response, StatusCode, Transport, TransportError, header,
};
use std::ops::Range;
use std::sync::Arc;
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;

/// What the service answered when the last byte arrived.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum UploadOutcome {
    /// Print: the printDocument from the `201` body.
    PrintDocument(PrintDocument),
    /// To Do: the new attachment's URL from the `Location` header.
    Attachment {
        /// `Location` of the attachment.
        location: String,
    },
    /// Another endpoint's completion: the status and body as sent.
    Other {
        /// Final status.
        status: u16,
        /// Final body.
        body: String,
    },
}

/// Everything the loop needs, shared by the builders.
#[derive(Debug, Clone)]
pub(crate) struct Engine {
    pub transport: Arc<dyn Transport>,
    pub token: Option<BearerToken>,
    pub profile: EndpointProfile,
    pub retry: RetryPolicy,
    pub timer: Arc<dyn Timer>,
    pub progress: ProgressSink,
    pub cancel: CancellationToken,
    /// Whether cancelling deletes the session (not when a journal keeps it for later).
    pub delete_on_cancel: bool,
}

/// How the session is finished: what kind of final reply to expect.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum FinalReply {
    PrintDocument,
    Location,
    Any,
}

impl Engine {
    fn emit(&self, event: ProgressEvent) {
        self.progress.emit(event);
    }

    fn authorize(&self, request: Request) -> Result<Request, UploadError> {
        match &self.token {
            Some(token) => token.authorize(request),
            None => Ok(request),
        }
    }

    /// Sends the bytes of `source` to an existing session until the service confirms them.
    /// A session that ended unconfirmed is [`UploadError::SessionGone`].
    pub(crate) async fn upload(
        &self,
        upload_url: &str,
        source: &UploadSource,
        next_expected_ranges: &[String],
        reply: FinalReply,
    ) -> Result<UploadOutcome, UploadError> {
        match self
            .upload_until_finished(upload_url, source, next_expected_ranges, reply)
            .await?
        {
            Finished::Confirmed(outcome) => Ok(outcome),
            Finished::Unconfirmed => Err(UploadError::SessionGone),
        }
    }

    /// [`upload`](Self::upload), telling apart a session that vanished while every byte it
    /// lacked was in requests that may have landed: the last of them may have completed it,
    /// its answer lost. The flow can then look for the result (print: the document).
    pub(crate) async fn upload_until_finished(
        &self,
        upload_url: &str,
        source: &UploadSource,
        next_expected_ranges: &[String],
        reply: FinalReply,
    ) -> Result<Finished, UploadError> {
        let size = source.len();
        let chunk =
            ChunkSize::new(self.profile.quantum, self.profile.max_chunk).map_err(|error| {
                UploadError::BadInput {
                    message: format!("chunk size: {error}"),
                    graph: None,
                }
            })?;
        let put_url = format!("{upload_url}{}", self.profile.put_suffix);
        let mut backoff = Backoff::new(self.retry.clone(), seed(upload_url));
        let missing = missing_from(next_expected_ranges, size)?;
        self.emit(ProgressEvent::SessionReady {
            upload_url: UploadUrl::from(upload_url),
            total: size,
            acknowledged: size - missing.total_len(),
        });
        if size == 0 {
            return self
                .upload_empty(upload_url, &put_url, reply, &mut backoff)
                .await
                .map(Finished::Confirmed);
        }
        let mut flight = Flight {
            missing,
            in_flight: RangeSet::new(),
            landed: RangeSet::new(),
            tasks: JoinSet::new(),
        };
        let pumped = self
            .pump(
                &mut flight,
                upload_url,
                &put_url,
                source,
                &chunk,
                reply,
                &mut backoff,
            )
            .await;
        match pumped {
            // A PUT or a status read found the session gone: see whether it ended completed.
            Err(UploadError::SessionGone) => self.session_ended(&mut flight, reply, size).await,
            other => other,
        }
    }

    /// Sends what is missing until the service confirms the upload or something fails.
    #[allow(clippy::too_many_arguments)]
    async fn pump(
        &self,
        flight: &mut Flight,
        upload_url: &str,
        put_url: &str,
        source: &UploadSource,
        chunk: &ChunkSize,
        reply: FinalReply,
        backoff: &mut Backoff,
    ) -> Result<Finished, UploadError> {
        let size = source.len();
        let parallel = self.profile.parallel.max(1);
        let Flight {
            missing,
            in_flight,
            landed,
            tasks,
        } = flight;
        loop {
            while tasks.len() < parallel {
                if self.cancel.is_cancelled() {
                    tasks.abort_all();
                    return Err(self.cancelled(upload_url).await);
                }
                let available = missing.difference(in_flight);
                let Some(span) = chunk.plan(&available).next() else {
                    break;
                };
                let request = self.put_request(put_url, source, &span, size).await?;
                in_flight.insert(span.clone());
                self.emit(ProgressEvent::ChunkStarted(span.clone()));
                let transport = Arc::clone(&self.transport);
                tasks.spawn(async move { (span, transport.send(request).await) });
            }
            if tasks.is_empty() {
                // Nothing missing by the server's account, yet no confirmation: ask again.
                let status = self.status(upload_url, backoff).await?;
                match status.next_expected_ranges {
                    Some(ranges) if !ranges.is_empty() => {
                        *missing = missing_from(&ranges, size)?;
                        if missing.is_empty() {
                            return Err(UploadError::Protocol(format!(
                                "the service expects {ranges:?} of a {size}-byte file but never confirmed the upload"
                            )));
                        }
                        continue;
                    }
                    _ => {
                        return Err(UploadError::Protocol(
                            "the service has every byte but never confirmed the upload".into(),
                        ));
                    }
                }
            }
            let joined = tokio::select! {
                joined = tasks.join_next() => joined,
                () = self.cancel.cancelled() => {
                    tasks.abort_all();
                    return Err(self.cancelled(upload_url).await);
                }
            };
            let Some(joined) = joined else { continue };
            let (span, result) = joined.map_err(|error| {
                UploadError::Protocol(format!("an upload task failed: {error}"))
            })?;
            in_flight.subtract(span.clone());
            match result {
                Ok(response) => {
                    match self.classify(&response, reply)? {
                        Reply::Done(outcome) => {
                            tasks.abort_all();
                            self.emit(ProgressEvent::Completed { total: size });
                            return Ok(Finished::Confirmed(outcome));
                        }
                        Reply::Progress(ranges) => {
                            let reported = missing_from(&ranges, size)?;
                            *missing = if tasks.is_empty() {
                                // The newest word of the server: it wins, even when it says
                                // that bytes it had acknowledged are missing again.
                                reported
                            } else {
                                // Replies to parallel PUTs arrive in any order: an older one
                                // must not undo newer acknowledgements. It may only shrink
                                // what is missing; lost ranges are found by the status read
                                // once nothing is in flight.
                                missing.difference(&missing.difference(&reported))
                            };
                            backoff.reset();
                            self.emit(ProgressEvent::ChunkAcknowledged {
                                span,
                                acknowledged: size - missing.total_len(),
                                total: size,
                            });
                        }
                        Reply::Resync => {
                            // 416: part of it was already there, or out of order, or still
                            // being received from an earlier connection. Ask, within the retry
                            // budget so that a server that keeps refusing cannot spin us.
                            if !self
                                .pause(upload_url, backoff, None, format!("HTTP 416 for {span:?}"))
                                .await?
                            {
                                tasks.abort_all();
                                return Err(UploadError::Server {
                                    status: response.status().as_u16(),
                                    graph: crate::error::graph_error(&response).map(Box::new),
                                });
                            }
                            *missing = self.resync(upload_url, size, backoff).await?;
                        }
                        Reply::Retry(reason, wait) => {
                            self.wait_or_fail(upload_url, backoff, wait, reason, &response)
                                .await?;
                        }
                    }
                }
                Err(error) => {
                    let sent = error.may_have_been_sent();
                    if !self
                        .pause(upload_url, backoff, None, error.to_string())
                        .await?
                    {
                        tasks.abort_all();
                        return Err(UploadError::Transport(error));
                    }
                    if sent {
                        landed.insert(span.clone());
                        *missing = self.resync(upload_url, size, backoff).await?;
                    }
                }
            }
        }
    }

    async fn put_request(
        &self,
        put_url: &str,
        source: &UploadSource,
        span: &Range<u64>,
        size: u64,
    ) -> Result<Request, UploadError> {
        let range = ContentRange::from_range(span.clone(), size).map_err(|error| {
            UploadError::Protocol(format!("cannot describe chunk {span:?}: {error}"))
        })?;
        let request = Request::put(put_url)
            .map_err(|error| bad_url(put_url, &error))?
            .header_str(header::CONTENT_RANGE, &range.to_string())
            .map_err(UploadError::Transport)?
            .body(source.body(span).await?);
        self.decorate_put(request)
    }

    fn decorate_put(&self, mut request: Request) -> Result<Request, UploadError> {
        if let Some(content_type) = self.profile.put_content_type {
            request = request.header(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
        }
        if self.profile.auth_on_upload_url {
            request = self.authorize(request)?;
        }
        Ok(request)
    }

    /// A 0-byte file: one PUT with an empty body and `Content-Range: bytes */0`.
    async fn upload_empty(
        &self,
        upload_url: &str,
        put_url: &str,
        reply: FinalReply,
        backoff: &mut Backoff,
    ) -> Result<UploadOutcome, UploadError> {
        loop {
            let request = Request::put(put_url)
                .map_err(|error| bad_url(put_url, &error))?
                .header_str(header::CONTENT_RANGE, &ContentRange::empty(0).to_string())
                .map_err(UploadError::Transport)?;
            let request = self.decorate_put(request)?;
            match self.send_or_cancel(upload_url, request).await? {
                Ok(response) => match self.classify(&response, reply)? {
                    Reply::Done(outcome) => {
                        self.emit(ProgressEvent::Completed { total: 0 });
                        return Ok(outcome);
                    }
                    Reply::Retry(reason, wait) => {
                        self.wait_or_fail(upload_url, backoff, wait, reason, &response)
                            .await?;
                    }
                    Reply::Progress(_) | Reply::Resync => {
                        // The service wants something of an empty file: ask what, once.
                        let status = self.status(upload_url, backoff).await?;
                        if status.next_expected_ranges.is_none() {
                            return Err(UploadError::Protocol(
                                "the service did not confirm the empty upload".into(),
                            ));
                        }
                        self.wait_or_fail(
                            upload_url,
                            backoff,
                            None,
                            "empty upload not confirmed".into(),
                            &response,
                        )
                        .await?;
                    }
                },
                Err(error) => {
                    if !self
                        .pause(upload_url, backoff, None, error.to_string())
                        .await?
                    {
                        return Err(UploadError::Transport(error));
                    }
                }
            }
        }
    }

    /// Reads a reply to a PUT.
    fn classify(&self, response: &Response, reply: FinalReply) -> Result<Reply, UploadError> {
        let status = response.status();
        match status.as_u16() {
            201 => Ok(Reply::Done(outcome(response, reply)?)),
            200 | 202 => {
                let parsed: UploadSessionStatus = if response.body().is_empty() {
                    UploadSessionStatus::default()
                } else {
                    response.json().map_err(|error| {
                        UploadError::Protocol(format!(
                            "a {status} reply is not an upload status: {error}"
                        ))
                    })?
                };
                match parsed.next_expected_ranges {
                    Some(ranges) => Ok(Reply::Progress(ranges)),
                    None => Ok(Reply::Done(outcome(response, reply)?)),
                }
            }
            416 => Ok(Reply::Resync),
            404 => Err(UploadError::SessionGone),
            408 | 429 | 500..=599 => Ok(Reply::Retry(
                format!("HTTP {status}"),
                retry_after(response.headers()),
            )),
            _ => Err(fatal(response)),
        }
    }

    async fn wait_or_fail(
        &self,
        upload_url: &str,
        backoff: &mut Backoff,
        wait: Option<std::time::Duration>,
        reason: String,
        response: &Response,
    ) -> Result<(), UploadError> {
        if self.pause(upload_url, backoff, wait, reason).await? {
            Ok(())
        } else {
            Err(UploadError::Server {
                status: response.status().as_u16(),
                graph: crate::error::graph_error(response).map(Box::new),
            })
        }
    }

    /// Waits before a retry (reporting it): `Ok(false)` when the retry budget is spent, and
    /// `Cancelled` at once when the upload is cancelled during the wait.
    async fn pause(
        &self,
        upload_url: &str,
        backoff: &mut Backoff,
        wait: Option<std::time::Duration>,
        reason: String,
    ) -> Result<bool, UploadError> {
        let Some(delay) = backoff.next_delay(self.timer.now(), wait) else {
            return Ok(false);
        };
        self.emit(ProgressEvent::Retrying {
            attempt: backoff.attempts(),
            delay,
            reason,
            url: redact(upload_url),
        });
        tokio::select! {
            biased;
            () = self.cancel.cancelled() => Err(self.cancelled(upload_url).await),
            () = self.timer.sleep(delay) => Ok(true),
        }
    }

    /// Sends a request unless the upload is cancelled first.
    async fn send_or_cancel(
        &self,
        upload_url: &str,
        request: Request,
    ) -> Result<Result<Response, TransportError>, UploadError> {
        tokio::select! {
            biased;
            () = self.cancel.cancelled() => Err(self.cancelled(upload_url).await),
            result = self.transport.send(request) => Ok(result),
        }
    }

    /// The upload was cancelled: delete its session (unless a journal keeps it).
    async fn cancelled(&self, upload_url: &str) -> UploadError {
        if self.delete_on_cancel
            && let Err(warning) = self.delete_session(upload_url).await
        {
            self.progress.warn(warning);
        }
        UploadError::Cancelled
    }

    /// The session answered `404`: a PUT still in flight may carry the `201` that ended it,
    /// so wait for them. Without a confirmation, the session ended unconfirmed when every
    /// byte it lacked was in a request that may have landed (the completing one's answer was
    /// lost), and is gone otherwise.
    async fn session_ended(
        &self,
        flight: &mut Flight,
        reply: FinalReply,
        size: u64,
    ) -> Result<Finished, UploadError> {
        while let Some(joined) = flight.tasks.join_next().await {
            if let Ok((_, Ok(response))) = joined
                && let Ok(Reply::Done(outcome)) = self.classify(&response, reply)
            {
                self.emit(ProgressEvent::Completed { total: size });
                return Ok(Finished::Confirmed(outcome));
            }
        }
        let mut sent = flight.landed.clone();
        for span in flight.in_flight.iter() {
            sent.insert(span);
        }
        if flight.missing.difference(&sent).is_empty() {
            Ok(Finished::Unconfirmed)
        } else {
            Err(UploadError::SessionGone)
        }
    }

    /// `GET {uploadUrl}` (with retries): what the server has, as missing ranges.
    async fn resync(
        &self,
        upload_url: &str,
        size: u64,
        backoff: &mut Backoff,
    ) -> Result<RangeSet, UploadError> {
        let status = self.status(upload_url, backoff).await?;
        let ranges = status.next_expected_ranges.unwrap_or_default();
        let missing = missing_from(&ranges, size)?;
        self.emit(ProgressEvent::Resumed {
            acknowledged: size - missing.total_len(),
        });
        Ok(missing)
    }

    /// `GET {uploadUrl}` with a fresh retry budget.
    pub(crate) async fn session_status(
        &self,
        upload_url: &str,
    ) -> Result<UploadSessionStatus, UploadError> {
        let mut backoff = Backoff::new(self.retry.clone(), seed(upload_url));
        self.status(upload_url, &mut backoff).await
    }

    /// `GET {uploadUrl}` with retries.
    pub(crate) async fn status(
        &self,
        upload_url: &str,
        backoff: &mut Backoff,
    ) -> Result<UploadSessionStatus, UploadError> {
        loop {
            let mut request =
                Request::get(upload_url).map_err(|error| bad_url(upload_url, &error))?;
            if self.profile.auth_on_upload_url {
                request = self.authorize(request)?;
            }
            match self.send_or_cancel(upload_url, request).await? {
                Ok(response) if response.status() == StatusCode::OK => {
                    return response.json().map_err(|error| {
                        UploadError::Protocol(format!(
                            "the session status is not valid JSON: {error}"
                        ))
                    });
                }
                Ok(response) => match response.status().as_u16() {
                    404 => return Err(UploadError::SessionGone),
                    408 | 429 | 500..=599 => {
                        let wait = retry_after(response.headers());
                        self.wait_or_fail(
                            upload_url,
                            backoff,
                            wait,
                            format!("status HTTP {}", response.status()),
                            &response,
                        )
                        .await?;
                    }
                    _ => return Err(fatal(&response)),
                },
                Err(error) => {
                    if !self
                        .pause(upload_url, backoff, None, error.to_string())
                        .await?
                    {
                        return Err(UploadError::Transport(error));
                    }
                }
            }
        }
    }

    /// `DELETE {uploadUrl}`, one attempt (clean-up after a failure or a cancellation): `Err`
    /// with a warning when the session may still exist (it expires on its own).
    pub(crate) async fn delete_session(&self, upload_url: &str) -> Result<(), String> {
        let request = Request::delete(upload_url).map_err(|error| error.to_string())?;
        let request = if self.profile.auth_on_upload_url {
            self.authorize(request).map_err(|error| error.to_string())?
        } else {
            request
        };
        let shown = redact(upload_url);
        match self.transport.send(request).await {
            Ok(response) if response.status().is_success() || response.status() == 404 => Ok(()),
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

/// The state of the PUT loop: what the server lacks, what is being sent, what may have
/// landed although its answer was lost, and the requests in flight.
struct Flight {
    missing: RangeSet,
    in_flight: RangeSet,
    landed: RangeSet,
    tasks: JoinSet<(Range<u64>, Result<Response, TransportError>)>,
}

/// How an upload to a session ended.
#[derive(Debug)]
pub(crate) enum Finished {
    /// The service confirmed it.
    Confirmed(UploadOutcome),
    /// The session is gone, and the request that would have confirmed it may have landed.
    Unconfirmed,
}

/// How a reply moves the upload on.
enum Reply {
    Done(UploadOutcome),
    Progress(Vec<String>),
    Resync,
    Retry(String, Option<std::time::Duration>),
}

fn outcome(response: &Response, reply: FinalReply) -> Result<UploadOutcome, UploadError> {
    let location = response.header_str("location").map(str::to_owned);
    match (reply, location) {
        (FinalReply::Location, Some(location)) => Ok(UploadOutcome::Attachment { location }),
        (FinalReply::PrintDocument, _) => match response.json::<PrintDocument>() {
            Ok(document) if !document.id.is_empty() => Ok(UploadOutcome::PrintDocument(document)),
            Ok(_) => Err(UploadError::Protocol(format!(
                "the upload ended with HTTP {} but the reply carries no printDocument id",
                response.status()
            ))),
            Err(error) => Err(UploadError::Protocol(format!(
                "the final reply is not a printDocument: {error}"
            ))),
        },
        (FinalReply::Any, Some(location)) => Ok(UploadOutcome::Attachment { location }),
        (FinalReply::Any, None) => match response.json::<PrintDocument>() {
            // A session created elsewhere: recognise a printDocument by its id.
            Ok(document) if !document.id.is_empty() => Ok(UploadOutcome::PrintDocument(document)),
            _ => Ok(UploadOutcome::Other {
                status: response.status().as_u16(),
                body: String::from_utf8_lossy(response.body()).into_owned(),
            }),
        },
        _ => Ok(UploadOutcome::Other {
            status: response.status().as_u16(),
            body: String::from_utf8_lossy(response.body()).into_owned(),
        }),
    }
}

/// A refusal that retrying cannot fix (400, 401, 403, 413 and other 4xx).
pub(crate) fn fatal(response: &Response) -> UploadError {
    let status = response.status().as_u16();
    let graph: Option<Box<GraphErrorBody>> = crate::error::graph_error(response).map(Box::new);
    match status {
        400 => UploadError::BadInput {
            message: graph.as_ref().map_or_else(
                || "the service refused the request".to_string(),
                ToString::to_string,
            ),
            graph,
        },
        401 | 403 => UploadError::Auth { status, graph },
        404 => UploadError::SessionGone,
        413 => UploadError::TooLarge {
            message: "a chunk is over the service's per-request limit; lower the chunk size".into(),
            graph,
        },
        _ => UploadError::Server { status, graph },
    }
}

fn missing_from(ranges: &[String], size: u64) -> Result<RangeSet, UploadError> {
    RangeSet::from_expected(ranges, size).map_err(|error| {
        UploadError::Protocol(format!(
            "nextExpectedRanges {ranges:?} do not fit a {size}-byte file: {error}"
        ))
    })
}

fn bad_url(url: &str, error: &TransportError) -> UploadError {
    UploadError::BadInput {
        message: format!("{:?} is not a usable URL: {error}", redact(url)),
        graph: None,
    }
}

/// A jitter seed that differs between sessions.
fn seed(text: &str) -> u64 {
    crate::fnv::Fnv::of(text.as_bytes())
}
