//! Time as the uploader sees it: a monotonic clock and a sleep, injectable so that tests of
//! "three 503s then success" run without waiting. (The emulator's seam has the same name.)

use async_trait::async_trait;
use std::fmt::Debug;
use std::time::Duration;

/// The clock and the sleep of the uploader.
#[async_trait]
pub trait Clock: Send + Sync + Debug {
    /// Monotonic time since some fixed point.
    fn now(&self) -> Duration;
    /// Waits for `duration`.
    async fn sleep(&self, duration: Duration);
}

/// Tokio's clock and sleep (the default).
#[derive(Debug, Clone, Copy)]
pub struct TokioClock {
    start: tokio::time::Instant,
}

impl Default for TokioClock {
    fn default() -> Self {
        TokioClock {
            start: tokio::time::Instant::now(),
        }
    }
}

#[async_trait]
impl Clock for TokioClock {
    fn now(&self) -> Duration {
        self.start.elapsed()
    }

    async fn sleep(&self, duration: Duration) {
        tokio::time::sleep(duration).await;
    }
}

/// A clock whose sleeps return at once and only move its time (feature `test-util`).
#[cfg(feature = "test-util")]
#[derive(Debug, Default)]
pub struct InstantClock {
    now: std::sync::Mutex<Duration>,
    slept: std::sync::Mutex<Vec<Duration>>,
}

#[cfg(feature = "test-util")]
impl InstantClock {
    /// Every sleep requested so far.
    pub fn sleeps(&self) -> Vec<Duration> {
        self.slept.lock().map(|s| s.clone()).unwrap_or_default()
    }
}

#[cfg(feature = "test-util")]
#[async_trait]
impl Clock for InstantClock {
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
