//! The PUT loop: send the missing ranges in fragments (in parallel where the endpoint allows),
//! trust the server's `nextExpectedRanges` over local bookkeeping, ask for the session's
//! status whenever a fragment may or may not have landed, retry what can be retried, and stop on
//! the server's confirmation.

use crate::adaptive::Adaptive;
use crate::clock::Clock;
use crate::credential::Credential;
use crate::error::{InvalidInput, ServiceError, UploadError};
use crate::outcome::{UploadOutcome, Uploaded};
use crate::profile::EndpointProfile;
use crate::progress::ProgressEvent;
use crate::reply::{FinalReply, Reply, missing_from, read};
use crate::retry::{Retrier, RetryPolicy, Stage};
use crate::service::Watch;
use crate::source::UploadSource;
use graph_upload_models::UploadUrl;
use graph_upload_ranges::{ContentRange, FragmentSize, RangeSet};
use graph_upload_transport::{HeaderValue, Request, Response, Transport, TransportError, header};
use std::ops::Range;
use std::sync::Arc;
use std::time::Duration;
use tokio::task::JoinSet;

/// Everything the loop needs, shared by the flows.
#[derive(Debug, Clone)]
pub(crate) struct Engine {
    pub transport: Arc<dyn Transport>,
    /// The token for requests to the upload URL; `None` when it is pre-authenticated.
    pub credential: Option<Credential>,
    pub profile: EndpointProfile,
    pub retry: RetryPolicy,
    pub clock: Arc<dyn Clock>,
    pub watch: Watch,
    /// Whether cancelling deletes the session (not when a journal keeps it for later).
    pub delete_on_cancel: bool,
}

/// How an upload to a session ended.
#[derive(Debug)]
pub(crate) enum Finished {
    /// The service confirmed it.
    Confirmed(Uploaded<UploadOutcome>),
    /// The session is gone, and the request that would have confirmed it may have landed.
    Unconfirmed(Uploaded<()>),
}

/// The state of the PUT loop: what the server lacks, what is being sent, what may have
/// landed although its answer was lost, what was sent at all, and the requests in flight.
struct Flight {
    missing: RangeSet,
    in_flight: RangeSet,
    landed: RangeSet,
    sent: RangeSet,
    counts: Uploaded<()>,
    /// Each request's fragment, when it was sent (on the upload's clock) and its result.
    tasks: JoinSet<(Range<u64>, Duration, Result<Response, TransportError>)>,
}

impl Flight {
    /// Counts `span` as sent, and as resent where it was sent before.
    fn count(&mut self, span: &Range<u64>) {
        let mut again = RangeSet::new();
        again.insert(span.clone());
        let fresh = again.difference(&self.sent).total_len();
        self.counts.bytes_sent += span.end - span.start;
        self.counts.bytes_resent += span.end - span.start - fresh;
        self.sent.insert(span.clone());
    }

    fn confirmed(&self, outcome: UploadOutcome) -> Finished {
        Finished::Confirmed(self.counts.clone().map(|()| outcome))
    }
}

impl Engine {
    fn emit(&self, event: ProgressEvent) {
        self.watch.progress.emit(event);
    }

    pub(crate) fn retrier(&self, upload_url: &str) -> Retrier {
        Retrier::new(
            self.retry.clone(),
            crate::fnv::Fnv::of(upload_url.as_bytes()),
            Arc::clone(&self.clock),
            self.watch.progress.clone(),
            self.watch.cancel.clone(),
        )
    }

    /// Sends the bytes of `source` to an existing session until the service confirms them.
    /// A session that ended unconfirmed is [`UploadError::SessionGone`].
    pub(crate) async fn upload(
        &self,
        upload_url: &str,
        source: &UploadSource,
        next_expected_ranges: &[String],
        reply: FinalReply,
    ) -> Result<Uploaded<UploadOutcome>, UploadError> {
        match self
            .upload_until_finished(upload_url, source, next_expected_ranges, reply)
            .await?
        {
            Finished::Confirmed(uploaded) => Ok(uploaded),
            Finished::Unconfirmed(_) => Err(UploadError::SessionGone),
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
        let result = async {
            let size = source.len();
            self.profile.check_fragment()?;
            let mut retrier = self.retrier(upload_url);
            let missing = missing_from(next_expected_ranges, size)?;
            self.emit(ProgressEvent::SessionReady {
                upload_url: UploadUrl::from(upload_url),
                total: size,
                acknowledged: size - missing.total_len(),
            });
            let mut flight = Flight {
                missing,
                in_flight: RangeSet::new(),
                landed: RangeSet::new(),
                sent: RangeSet::new(),
                counts: Uploaded {
                    item: (),
                    bytes_sent: 0,
                    bytes_resent: 0,
                },
                tasks: JoinSet::new(),
            };
            if size == 0 {
                let outcome = self.upload_empty(upload_url, reply, &mut retrier).await?;
                return Ok(flight.confirmed(outcome));
            }
            let pumped = self
                .pump(&mut flight, upload_url, source, reply, &mut retrier)
                .await;
            match pumped {
                // A PUT or a status read found the session gone: see whether it ended completed.
                Err(UploadError::SessionGone) => self.session_ended(&mut flight, reply, size).await,
                other => other,
            }
        }
        .await;
        match result {
            Err(UploadError::Cancelled) => Err(self.cancelled(upload_url).await),
            other => other,
        }
    }

    /// Sends `request` to the session through the retry loop, with the token when the upload
    /// URL takes one.
    pub(crate) async fn send(
        &self,
        retrier: &mut Retrier,
        request: Request,
    ) -> Result<Response, UploadError> {
        retrier
            .send(
                &*self.transport,
                request,
                self.credential.as_ref(),
                Stage::AfterSession,
            )
            .await
    }

    /// Sends what is missing until the service confirms the upload or something fails.
    async fn pump(
        &self,
        flight: &mut Flight,
        upload_url: &str,
        source: &UploadSource,
        reply: FinalReply,
        retrier: &mut Retrier,
    ) -> Result<Finished, UploadError> {
        let size = source.len();
        let mut adaptive = Adaptive::new(&self.profile);
        let put_url = format!("{upload_url}{}", self.profile.put_suffix);
        loop {
            while flight.tasks.len() < adaptive.parallel() {
                if self.watch.cancel.is_cancelled() {
                    return Err(UploadError::Cancelled);
                }
                let fragment = FragmentSize::new(self.profile.quantum, adaptive.fragment())
                    .map_err(|_| {
                        InvalidInput::Unsupported("the fragment size cannot be planned")
                    })?;
                let available = flight.missing.difference(&flight.in_flight);
                let Some(span) = fragment.plan(&available).next() else {
                    break;
                };
                let request = self.put_request(&put_url, source, &span, size).await?;
                flight.in_flight.insert(span.clone());
                flight.count(&span);
                self.emit(ProgressEvent::FragmentStarted(span.clone()));
                let transport = Arc::clone(&self.transport);
                let sent = self.clock.now();
                flight
                    .tasks
                    .spawn(async move { (span, sent, transport.send(request).await) });
            }
            if flight.tasks.is_empty() {
                // Nothing missing by the server's account, yet no confirmation: ask again.
                let status = self.status(upload_url, retrier).await?;
                match status.next_expected_ranges {
                    Some(ranges) if !ranges.is_empty() => {
                        flight.missing = missing_from(&ranges, size)?;
                        if flight.missing.is_empty() {
                            return Err(UploadError::protocol(format!(
                                "the service expects {ranges:?} of a {size}-byte file but never confirmed the upload"
                            )));
                        }
                        continue;
                    }
                    _ => {
                        // A deferred drive commit: every byte is there, the flow commits.
                        if let Some(pending) = reply.commit_pending() {
                            return Ok(flight.confirmed(pending));
                        }
                        return Err(UploadError::protocol(
                            "the service has every byte but never confirmed the upload",
                        ));
                    }
                }
            }
            let joined = tokio::select! {
                joined = flight.tasks.join_next() => joined,
                () = self.watch.cancel.cancelled() => return Err(UploadError::Cancelled),
            };
            let (span, sent, result) = match joined {
                None => continue,
                Some(Ok(joined)) => joined,
                // A panic in a request task is a bug, not an upload failure: let it surface.
                Some(Err(error)) if error.is_panic() => {
                    std::panic::resume_unwind(error.into_panic())
                }
                Some(Err(_)) => continue,
            };
            flight.in_flight.subtract(span.clone());
            match result {
                Ok(response) => match read(&put_url, &response, reply)? {
                    Reply::Done(outcome) => {
                        self.emit(ProgressEvent::Completed { total: size });
                        return Ok(flight.confirmed(outcome));
                    }
                    Reply::Progress(ranges) => {
                        let reported = missing_from(&ranges, size)?;
                        flight.missing = if flight.tasks.is_empty() {
                            // The newest word of the server: it wins, even when it says that
                            // bytes it had acknowledged are missing again.
                            reported
                        } else {
                            // Replies to parallel PUTs arrive in any order: an older one must
                            // not undo newer acknowledgements. It may only shrink what is
                            // missing; lost ranges are found by the status read once nothing
                            // is in flight.
                            flight
                                .missing
                                .difference(&flight.missing.difference(&reported))
                        };
                        retrier.reset();
                        let bytes = span.end - span.start;
                        self.emit(ProgressEvent::FragmentAcknowledged {
                            span,
                            acknowledged: size - flight.missing.total_len(),
                            total: size,
                        });
                        if adaptive.acknowledged(bytes, sent, self.clock.now()) {
                            self.adapted(&adaptive);
                        }
                    }
                    Reply::Resync => {
                        // 416: part of it was already there, or out of order, or still being
                        // received from an earlier connection. Ask, within the retry budget so
                        // that a server that keeps refusing cannot spin us.
                        let reason = format!("HTTP 416 for {span:?}");
                        if !retrier.pause(upload_url, None, reason).await? {
                            return Err(ServiceError::new(&put_url, &response).into());
                        }
                        flight.missing = self.resync(upload_url, size, retrier).await?;
                    }
                    Reply::Retry(reason, wait) => {
                        if adaptive.backed_off(self.clock.now()) {
                            self.adapted(&adaptive);
                        }
                        if !retrier.pause(upload_url, wait, reason).await? {
                            return Err(ServiceError::new(&put_url, &response).into());
                        }
                    }
                },
                Err(source) => {
                    if adaptive.backed_off(self.clock.now()) {
                        self.adapted(&adaptive);
                    }
                    let may_have_been_sent = source.may_have_been_sent();
                    if !retrier.pause(upload_url, None, source.to_string()).await? {
                        return Err(UploadError::Connection {
                            source,
                            may_have_been_sent,
                        });
                    }
                    if may_have_been_sent {
                        flight.landed.insert(span.clone());
                        flight.missing = self.resync(upload_url, size, retrier).await?;
                    }
                }
            }
        }
    }

    /// Tells the progress sink (and the debug log) the new fragment size and parallelism.
    fn adapted(&self, adaptive: &Adaptive) {
        tracing::debug!(
            fragment_size = adaptive.fragment(),
            parallel = adaptive.parallel(),
            "adapted to the link"
        );
        self.emit(ProgressEvent::Adapted {
            fragment_size: adaptive.fragment(),
            parallel: adaptive.parallel(),
        });
    }

    async fn put_request(
        &self,
        put_url: &str,
        source: &UploadSource,
        span: &Range<u64>,
        size: u64,
    ) -> Result<Request, UploadError> {
        let range = ContentRange::from_range(span.clone(), size).map_err(|error| {
            UploadError::protocol(format!("cannot describe fragment {span:?}: {error}"))
        })?;
        let body = source.body(span).await.map_err(UploadError::Source)?;
        let request = Request::put(put_url)
            .map_err(|error| UploadError::bad_url(put_url, error))?
            .header_str(header::CONTENT_RANGE, &range.to_string())
            .map_err(InvalidInput::from)?
            .body(body);
        match &self.credential {
            Some(credential) => credential.authorize(self.typed(request)).await,
            None => Ok(self.typed(request)),
        }
    }

    /// `request` with the `Content-Type` the endpoint wants on PUTs.
    fn typed(&self, request: Request) -> Request {
        match self.profile.put_content_type {
            Some(content_type) => {
                request.header(header::CONTENT_TYPE, HeaderValue::from_static(content_type))
            }
            None => request,
        }
    }

    /// A 0-byte file: one PUT with an empty body and `Content-Range: bytes */0`.
    async fn upload_empty(
        &self,
        upload_url: &str,
        reply: FinalReply,
        retrier: &mut Retrier,
    ) -> Result<UploadOutcome, UploadError> {
        let put_url = format!("{upload_url}{}", self.profile.put_suffix);
        let request = Request::put(&put_url)
            .map_err(|error| UploadError::bad_url(&put_url, error))?
            .header_str(header::CONTENT_RANGE, &ContentRange::empty(0).to_string())
            .map_err(InvalidInput::from)?;
        let request = self.typed(request);
        loop {
            let response = self.send(retrier, request.clone()).await?;
            match read(&put_url, &response, reply)? {
                Reply::Done(outcome) => {
                    self.emit(ProgressEvent::Completed { total: 0 });
                    return Ok(outcome);
                }
                Reply::Retry(..) | Reply::Progress(_) | Reply::Resync => {
                    // The service wants something of an empty file: ask what, once.
                    let status = self.status(upload_url, retrier).await?;
                    if status.next_expected_ranges.is_none()
                        || !retrier
                            .pause(upload_url, None, "empty upload not confirmed".into())
                            .await?
                    {
                        return Err(UploadError::protocol(
                            "the service did not confirm the empty upload",
                        ));
                    }
                }
            }
        }
    }

    /// The upload was cancelled: delete its session (unless a journal keeps it).
    async fn cancelled(&self, upload_url: &str) -> UploadError {
        if self.delete_on_cancel
            && let Err(warning) = self.delete_session(upload_url).await
        {
            self.watch.progress.warn(warning);
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
            if let Ok((_, _, Ok(response))) = joined
                && let Ok(Reply::Done(outcome)) = read("", &response, reply)
            {
                self.emit(ProgressEvent::Completed { total: size });
                return Ok(flight.confirmed(outcome));
            }
        }
        let mut sent = flight.landed.clone();
        for span in flight.in_flight.iter() {
            sent.insert(span);
        }
        if flight.missing.difference(&sent).is_empty() {
            Ok(Finished::Unconfirmed(flight.counts.clone()))
        } else {
            Err(UploadError::SessionGone)
        }
    }
}

#[cfg(test)]
mod tests;
