//! When and how to try again, for every request the uploader sends: one classifier of replies
//! ([`classify`]), one budget (exponential backoff with full jitter, `Retry-After` honoured,
//! bounded by attempts and by time) and one loop ([`Retrier::send`], object_store's
//! `send_retry`). The PUT loop re-plans instead of resending, but waits through the same
//! [`Retrier::pause`].

use crate::clock::Clock;
use crate::credential::Credential;
use crate::error::{ServiceError, UploadError};
use crate::progress::{ProgressEvent, ProgressSink};
use graph_upload_models::redact;
use graph_upload_transport::{ErrorKind, Request, Response, Transport, TransportError};
use std::sync::Arc;
use std::time::Duration;
use tokio_util::sync::CancellationToken;

/// How long a server that does not answer at all is retried before any session exists.
pub(crate) const FIRST_CONTACT: Duration = Duration::from_millis(2500);

/// Where a request stands: before a session exists nothing is lost by failing, so an
/// unreachable server fails fast; afterwards every failure is retried within the budget (a
/// server restart mid-upload must be survived).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Stage {
    BeforeSession,
    AfterSession,
}

/// What a reply means for the request that got it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Verdict {
    /// `2xx`: read the body.
    Done,
    /// `416`: the server's state differs from ours; ask it what it has.
    Resync,
    /// `404`: the session (or the addressed resource) does not exist.
    Gone,
    /// `408`, `429`, `5xx`: try again, after `wait` when the server said so.
    Retry {
        /// `HTTP 503`, for the progress event.
        reason: String,
        /// `Retry-After`.
        wait: Option<Duration>,
    },
    /// Any other status: retrying cannot help.
    Refused,
}

/// The one classifier of replies.
pub(crate) fn classify(response: &Response) -> Verdict {
    let status = response.status();
    match status.as_u16() {
        200..=299 => Verdict::Done,
        416 => Verdict::Resync,
        404 => Verdict::Gone,
        408 | 429 | 500..=599 => Verdict::Retry {
            reason: format!("HTTP {status}"),
            wait: retry_after(response.headers()),
        },
        _ => Verdict::Refused,
    }
}

/// Retrying since the last progress: the budget, the clock, where retries are reported, and
/// the cancellation that ends a wait or a request in flight.
#[derive(Debug)]
pub(crate) struct Retrier {
    backoff: Backoff,
    clock: Arc<dyn Clock>,
    progress: ProgressSink,
    cancel: CancellationToken,
}

impl Retrier {
    pub(crate) fn new(
        policy: RetryPolicy,
        seed: u64,
        clock: Arc<dyn Clock>,
        progress: ProgressSink,
        cancel: CancellationToken,
    ) -> Self {
        Retrier {
            backoff: Backoff::new(policy, seed),
            clock,
            progress,
            cancel,
        }
    }

    /// Progress was made: the budget starts again.
    pub(crate) fn reset(&mut self) {
        self.backoff.reset();
    }

    /// Waits before a retry of a request to `url`, reporting it: `Ok(false)` when the budget
    /// is spent, `Cancelled` at once when the upload is cancelled during the wait.
    pub(crate) async fn pause(
        &mut self,
        url: &str,
        wait: Option<Duration>,
        reason: String,
    ) -> Result<bool, UploadError> {
        let Some(delay) = self.backoff.next_delay(self.clock.now(), wait) else {
            return Ok(false);
        };
        self.wait(url, delay, reason).await.map(|()| true)
    }

    async fn wait(&self, url: &str, delay: Duration, reason: String) -> Result<(), UploadError> {
        self.progress.emit(ProgressEvent::Retrying {
            attempt: self.backoff.attempts(),
            delay,
            reason,
            url: redact(url),
        });
        tokio::select! {
            biased;
            () = self.cancel.cancelled() => Err(UploadError::Cancelled),
            () = self.clock.sleep(delay) => Ok(()),
        }
    }

    /// Sends `request` once (authorized by `credential`, asked now), unless the upload is
    /// cancelled first.
    pub(crate) async fn attempt(
        &self,
        transport: &dyn Transport,
        request: &Request,
        credential: Option<&Credential>,
    ) -> Result<Result<Response, TransportError>, UploadError> {
        let request = match credential {
            Some(credential) => credential.authorize(request.clone()).await?,
            None => request.clone(),
        };
        tokio::select! {
            biased;
            () = self.cancel.cancelled() => Err(UploadError::Cancelled),
            result = transport.send(request) => Ok(result),
        }
    }

    /// The one retry loop: sends `request` until its reply is not worth retrying, and returns
    /// that reply (the caller reads it by its [`Verdict`]). `408`, `429` and `5xx` (honouring
    /// `Retry-After`) and transport failures are retried within the budget, each retry
    /// reported. Before a session exists, a refused connection, an unknown host or a TLS
    /// failure ends at once ([`UploadError::Unreachable`]), and other transport failures after
    /// [`FIRST_CONTACT`].
    ///
    /// A request whose connection failed after it may have reached the service is sent again
    /// too: on a flaky link giving up would lose the upload, while a duplicate create costs an
    /// unused session (it expires) or, for a print job, an empty job left paused.
    pub(crate) async fn send(
        &mut self,
        transport: &dyn Transport,
        request: Request,
        credential: Option<&Credential>,
        stage: Stage,
    ) -> Result<Response, UploadError> {
        let url = request.uri().to_string();
        let started = self.clock.now();
        loop {
            let response = match self.attempt(transport, &request, credential).await? {
                Ok(response) => response,
                Err(source) => {
                    let elapsed = self.clock.now().saturating_sub(started);
                    let before = stage == Stage::BeforeSession;
                    if before
                        && (matches!(source.kind(), ErrorKind::Connect | ErrorKind::Tls)
                            || elapsed >= FIRST_CONTACT)
                    {
                        return Err(UploadError::Unreachable {
                            url: redact(&url),
                            source,
                        });
                    }
                    let Some(delay) = self.backoff.next_delay(self.clock.now(), None) else {
                        return Err(UploadError::Connection {
                            may_have_been_sent: source.may_have_been_sent(),
                            source,
                        });
                    };
                    // Before a session exists, a server that does not answer is not waited for.
                    let delay = if before {
                        delay.min(FIRST_CONTACT.saturating_sub(elapsed))
                    } else {
                        delay
                    };
                    self.wait(&url, delay, source.to_string()).await?;
                    continue;
                }
            };
            let Verdict::Retry { reason, wait } = classify(&response) else {
                return Ok(response);
            };
            let Some(delay) = self.backoff.next_delay(self.clock.now(), wait) else {
                return Err(ServiceError::new(&url, &response).into());
            };
            self.wait(&url, delay, reason).await?;
        }
    }
}

/// The retry budget (object_store's shape, plus `Retry-After`). Build it from
/// [`RetryPolicy::default`] or [`RetryPolicy::none`] and the `with_*` setters.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct RetryPolicy {
    /// First backoff (before jitter). Default 100 ms.
    pub initial_backoff: Duration,
    /// Largest backoff. Default 15 s.
    pub max_backoff: Duration,
    /// Growth per attempt. Default 2.
    pub base: u32,
    /// Failed attempts in a row (without progress) before giving up. Default 10.
    pub max_retries: u32,
    /// Longest time spent retrying without progress. Default 3 minutes.
    pub retry_timeout: Duration,
    /// Longest `Retry-After` honoured; a server asking for more ends the upload. Default 5
    /// minutes.
    pub max_retry_after: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            initial_backoff: Duration::from_millis(100),
            max_backoff: Duration::from_secs(15),
            base: 2,
            max_retries: 10,
            retry_timeout: Duration::from_secs(180),
            max_retry_after: Duration::from_secs(300),
        }
    }
}

impl RetryPolicy {
    /// No retries at all.
    pub fn none() -> Self {
        RetryPolicy::default().with_max_retries(0)
    }

    /// Failed attempts in a row before giving up.
    pub fn with_max_retries(mut self, max_retries: u32) -> Self {
        self.max_retries = max_retries;
        self
    }

    /// Longest time spent retrying without progress.
    pub fn with_retry_timeout(mut self, retry_timeout: Duration) -> Self {
        self.retry_timeout = retry_timeout;
        self
    }

    /// The first and the largest backoff, and the growth per attempt.
    pub fn with_backoff(mut self, initial: Duration, max: Duration, base: u32) -> Self {
        self.initial_backoff = initial;
        self.max_backoff = max;
        self.base = base;
        self
    }

    /// Longest `Retry-After` honoured.
    pub fn with_max_retry_after(mut self, max_retry_after: Duration) -> Self {
        self.max_retry_after = max_retry_after;
        self
    }
}

/// The state of retrying since the last progress.
#[derive(Debug)]
pub(crate) struct Backoff {
    policy: RetryPolicy,
    attempts: u32,
    since: Option<Duration>,
    rng: u64,
}

impl Backoff {
    pub(crate) fn new(policy: RetryPolicy, seed: u64) -> Self {
        Backoff {
            policy,
            attempts: 0,
            since: None,
            rng: seed | 1,
        }
    }

    /// Progress was made: the budget starts again.
    pub(crate) fn reset(&mut self) {
        self.attempts = 0;
        self.since = None;
    }

    /// The wait before the next attempt, or `None` when the budget is spent.
    /// `retry_after` (from the server) replaces the computed backoff.
    pub(crate) fn next_delay(
        &mut self,
        now: Duration,
        retry_after: Option<Duration>,
    ) -> Option<Duration> {
        let since = *self.since.get_or_insert(now);
        if self.attempts >= self.policy.max_retries
            || now.saturating_sub(since) >= self.policy.retry_timeout
        {
            return None;
        }
        self.attempts += 1;
        if let Some(wait) = retry_after {
            return (wait <= self.policy.max_retry_after).then_some(wait);
        }
        // Full jitter: uniform in [0, min(max, initial * base^(attempt-1))].
        let factor = u64::from(self.policy.base).saturating_pow(self.attempts - 1);
        let ceiling = self
            .policy
            .initial_backoff
            .saturating_mul(u32::try_from(factor).unwrap_or(u32::MAX))
            .min(self.policy.max_backoff);
        let nanos = u64::try_from(ceiling.as_nanos()).unwrap_or(u64::MAX);
        Some(Duration::from_nanos(if nanos == 0 {
            0
        } else {
            self.random() % (nanos + 1)
        }))
    }

    /// Attempts made since the last progress.
    pub(crate) fn attempts(&self) -> u32 {
        self.attempts
    }

    fn random(&mut self) -> u64 {
        // xorshift64*: jitter needs spread, not cryptographic quality.
        let mut x = self.rng;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.rng = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
}

/// Reads `Retry-After` in its seconds form (Graph sends seconds).
pub(crate) fn retry_after(headers: &graph_upload_transport::HeaderMap) -> Option<Duration> {
    headers
        .get(graph_upload_transport::header::RETRY_AFTER)?
        .to_str()
        .ok()?
        .trim()
        .parse::<u64>()
        .ok()
        .map(Duration::from_secs)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_grows_within_full_jitter_bounds_and_stops_at_the_budget() {
        let policy = RetryPolicy::default().with_max_retries(5);
        let mut backoff = Backoff::new(policy, 42);
        let ceilings = [100, 200, 400, 800, 1600];
        for ceiling in ceilings {
            let delay = backoff.next_delay(Duration::ZERO, None).unwrap();
            assert!(
                delay <= Duration::from_millis(ceiling),
                "{delay:?} > {ceiling} ms"
            );
        }
        assert_eq!(backoff.next_delay(Duration::ZERO, None), None);
        backoff.reset();
        assert!(backoff.next_delay(Duration::ZERO, None).is_some());
    }

    #[test]
    fn retry_after_replaces_the_backoff_unless_too_long() {
        let mut backoff = Backoff::new(RetryPolicy::default(), 7);
        assert_eq!(
            backoff.next_delay(Duration::ZERO, Some(Duration::from_secs(3))),
            Some(Duration::from_secs(3))
        );
        assert_eq!(
            backoff.next_delay(Duration::ZERO, Some(Duration::from_secs(3600))),
            None
        );
    }

    #[test]
    fn time_budget_ends_retrying() {
        let mut backoff = Backoff::new(RetryPolicy::default(), 1);
        assert!(backoff.next_delay(Duration::from_secs(10), None).is_some());
        assert_eq!(
            backoff.next_delay(Duration::from_secs(10 + 181), None),
            None
        );
    }

    #[test]
    fn no_retry_policy_never_waits() {
        let mut backoff = Backoff::new(RetryPolicy::none(), 1);
        assert_eq!(backoff.next_delay(Duration::ZERO, None), None);
    }
}
