//! Network shaping: a token bucket that caps how fast one connection's bytes are read, so that
//! the emulator can look like a server behind a slow uplink (`serve --bandwidth`). Latency is
//! added by the fault layer, before each answer.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;
use tokio::time::{Instant, Sleep};

/// The largest burst: a quarter of a second's worth, at most 256 KiB, at least one byte.
fn burst_of(rate: u64) -> u64 {
    (rate / 4).clamp(1, 256 * 1024)
}

/// How many bytes a connection may read now, refilled at `rate` bytes per second.
#[derive(Debug)]
pub struct Throttle {
    rate: u64,
    burst: u64,
    tokens: f64,
    refilled: Instant,
    wait: Option<Pin<Box<Sleep>>>,
}

impl Throttle {
    /// A bucket for `rate` bytes per second (at least 1), full at the start.
    pub fn new(rate: u64) -> Self {
        let rate = rate.max(1);
        let burst = burst_of(rate);
        Throttle {
            rate,
            burst,
            tokens: burst as f64,
            refilled: Instant::now(),
            wait: None,
        }
    }

    fn refill(&mut self, now: Instant) {
        let elapsed = now.saturating_duration_since(self.refilled).as_secs_f64();
        self.tokens = (self.tokens + elapsed * self.rate as f64).min(self.burst as f64);
        self.refilled = now;
    }

    /// How many of `wanted` bytes may be read now (at least one), or `Pending` until some
    /// may (the task is woken then).
    pub fn poll_allowance(&mut self, cx: &mut Context<'_>, wanted: usize) -> Poll<usize> {
        let wanted = (wanted as u64).clamp(1, self.burst);
        loop {
            self.refill(Instant::now());
            if self.tokens >= 1.0 {
                self.wait = None;
                return Poll::Ready(self.tokens.min(wanted as f64) as usize);
            }
            // Sleep until the wanted amount is there (at most half the bucket), so that a
            // slow link is read in a few large reads rather than many one-byte ones.
            // Rounded up to the next millisecond and one more, so that the bucket surely holds
            // a byte when the timer fires; waiting for half the bucket at most leaves room for
            // that extra, which a full bucket would throw away (25 MiB/s ran 9 % slow so).
            let missing = wanted.min(self.burst / 2).max(1) as f64 - self.tokens;
            let millis = (missing * 1000.0 / self.rate as f64).ceil() as u64 + 1;
            let until = self.refilled + Duration::from_millis(millis);
            let wait = self
                .wait
                .get_or_insert_with(|| Box::pin(tokio::time::sleep_until(until)));
            if wait.deadline() != until {
                wait.as_mut().reset(until);
            }
            if wait.as_mut().poll(cx).is_pending() {
                return Poll::Pending;
            }
        }
    }

    /// Takes `read` bytes out of the bucket.
    pub fn consume(&mut self, read: usize) {
        self.tokens -= read as f64;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::task::Waker;

    #[tokio::test(start_paused = true)]
    async fn reads_are_paced_at_the_rate() {
        let mut throttle = Throttle::new(1000);
        let mut cx = Context::from_waker(Waker::noop());
        // A full bucket: a quarter second's worth at once.
        assert_eq!(throttle.poll_allowance(&mut cx, 10_000), Poll::Ready(250));
        throttle.consume(250);
        assert_eq!(throttle.poll_allowance(&mut cx, 10_000), Poll::Pending);
        tokio::time::advance(Duration::from_millis(100)).await;
        assert_eq!(throttle.poll_allowance(&mut cx, 10_000), Poll::Ready(100));
        throttle.consume(100);
        // 4,000 bytes take four seconds, whatever the read sizes.
        let start = Instant::now();
        let mut read = 0;
        while read < 4000 {
            match std::future::poll_fn(|cx| throttle.poll_allowance(cx, 4000 - read).map(Some))
                .await
            {
                Some(n) => {
                    throttle.consume(n);
                    read += n;
                }
                None => unreachable!(),
            }
        }
        let took = start.elapsed();
        assert!(
            (Duration::from_millis(3900)..=Duration::from_millis(4100)).contains(&took),
            "{took:?}"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn a_fast_link_runs_at_its_rate_not_slower() {
        // 25 MiB/s: a bucket of 256 KiB refills in 10 ms, where a millisecond of rounding per
        // wait used to cost 9 %.
        let rate = 25 * 1024 * 1024;
        let mut throttle = Throttle::new(rate);
        let start = Instant::now();
        let mut read = 0;
        while read < rate as usize {
            let n = std::future::poll_fn(|cx| throttle.poll_allowance(cx, 1024 * 1024)).await;
            throttle.consume(n);
            read += n;
        }
        let took = start.elapsed();
        assert!(
            (Duration::from_millis(980)..=Duration::from_millis(1020)).contains(&took),
            "{took:?}"
        );
    }
}
