//! When and how long to wait before trying again: exponential backoff with full jitter,
//! `Retry-After` honoured, bounded by attempts and by time. Time comes from a [`Timer`] so
//! that tests of "three 503s then success" run without waiting.

use async_trait::async_trait;
use std::fmt::Debug;
use std::sync::Mutex;
use std::time::Duration;

/// The clock and the sleep of the uploader.
#[async_trait]
pub trait Timer: Send + Sync + Debug {
    /// Monotonic time since some fixed point.
    fn now(&self) -> Duration;
    /// Waits for `duration`.
    async fn sleep(&self, duration: Duration);
}

/// Tokio's clock and sleep.
#[derive(Debug, Clone, Copy)]
pub struct TokioTimer {
    start: tokio::time::Instant,
}

impl Default for TokioTimer {
    fn default() -> Self {
        TokioTimer {
            start: tokio::time::Instant::now(),
        }
    }
}

#[async_trait]
impl Timer for TokioTimer {
    fn now(&self) -> Duration {
        self.start.elapsed()
    }

    async fn sleep(&self, duration: Duration) {
        tokio::time::sleep(duration).await;
    }
}

/// A timer whose sleeps return at once and only move its clock (tests).
#[derive(Debug, Default)]
pub struct InstantTimer {
    now: Mutex<Duration>,
    slept: Mutex<Vec<Duration>>,
}

impl InstantTimer {
    /// Every sleep requested so far.
    pub fn sleeps(&self) -> Vec<Duration> {
        self.slept.lock().map(|s| s.clone()).unwrap_or_default()
    }
}

#[async_trait]
impl Timer for InstantTimer {
    fn now(&self) -> Duration {
        self.now.lock().map(|now| *now).unwrap_or_default()
    }

    async fn sleep(&self, duration: Duration) {
        if let Ok(mut now) = self.now.lock() {
            *now += duration;
        }
        if let Ok(mut slept) = self.slept.lock() {
            slept.push(duration);
        }
        tokio::task::yield_now().await;
    }
}

/// The retry budget (object_store's shape, plus `Retry-After`).
#[derive(Debug, Clone, PartialEq, Eq)]
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
        RetryPolicy {
            max_retries: 0,
            ..RetryPolicy::default()
        }
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
        let policy = RetryPolicy {
            max_retries: 5,
            ..RetryPolicy::default()
        };
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
