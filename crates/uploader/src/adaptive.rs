//! Adaptive fragment size and parallelism (`--fragment-size auto`, `--parallel auto`, the
//! default): start small, grow while the link rewards it, back off when the service pushes back.
//!
//! Why: on loopback the endpoint's largest fragments and its full parallelism win; across a
//! distant link every fragment pays a round trip, so small fragments waste it; on a flaky link a
//! failed fragment loses its bytes, so huge ones waste more. No fixed setting is right
//! everywhere, and nobody should have to tune one.
//!
//! - **Fragment size** follows the measured rate of the fragments already acknowledged, so that
//!   one fragment takes about [`TARGET_FRAGMENT_TIME`]: long enough that the round trip is a
//!   small share of it, short enough that a failure loses little. It starts at
//!   [`START_FRAGMENT_QUANTA`] quanta, grows at most [`GROWTH_PER_FRAGMENT`] times per
//!   acknowledgement, stays a multiple of the quantum and within the profile's size, and halves
//!   when a fragment fails.
//! - **Parallelism** (where the endpoint allows more than one fragment in flight) starts at
//!   [`START_PARALLEL`] and doubles after every window of as many acknowledged fragments while
//!   the window's throughput (each request's rate times the requests in flight) rises by at
//!   least [`GROWTH`] over the best so far; when it does not, it halves the distance back to the
//!   best until it is found, and stays there. A failure (`429`, `503`, a timeout, a dropped
//!   connection) halves it and starts the search again.

use crate::profile::EndpointProfile;
use std::time::Duration;

/// How long one fragment should take on the wire.
pub const TARGET_FRAGMENT_TIME: Duration = Duration::from_secs(2);
/// The first fragment, in quanta (8 × 320 KiB = 2.5 MiB).
pub const START_FRAGMENT_QUANTA: u64 = 8;
/// How much larger one fragment may be than the one before.
pub const GROWTH_PER_FRAGMENT: u64 = 4;
/// Fragments in flight at first, where the endpoint allows several.
pub const START_PARALLEL: usize = 2;
/// The rise in throughput that earns one more fragment in flight.
pub const GROWTH: f64 = 1.1;

/// The current fragment size and parallelism of one upload, and what they were chosen from.
#[derive(Debug, Clone)]
pub(crate) struct Adaptive {
    quantum: u64,
    ceiling: u64,
    fragment: u64,
    auto_fragment: bool,
    parallel: usize,
    max_parallel: usize,
    auto_parallel: bool,
    window: Window,
    /// When the parallelism last changed: fragments sent before it do not count towards the
    /// new window, as they were sent at the old one.
    changed: Duration,
    /// The best parallelism measured so far, and its throughput.
    best: Option<(usize, f64)>,
    /// The search is over: the parallelism stays until a failure.
    settled: bool,
}

/// The fragments acknowledged since the parallelism last changed (of those sent since).
#[derive(Debug, Clone, Default)]
struct Window {
    bytes: u64,
    /// Seconds they took, each from its send to its acknowledgement.
    busy: f64,
    fragments: usize,
}

impl Adaptive {
    /// The starting point for `profile`: its fixed settings, or small ones when automatic.
    pub(crate) fn new(profile: &EndpointProfile) -> Self {
        let quantum = profile.quantum.max(1);
        let ceiling = (profile.max_fragment / quantum).max(1) * quantum;
        let max_parallel = profile.parallel.max(1);
        Adaptive {
            quantum,
            ceiling,
            fragment: if profile.auto_fragment {
                (START_FRAGMENT_QUANTA * quantum).min(ceiling)
            } else {
                ceiling
            },
            auto_fragment: profile.auto_fragment,
            parallel: if profile.auto_parallel {
                START_PARALLEL.min(max_parallel)
            } else {
                max_parallel
            },
            max_parallel,
            auto_parallel: profile.auto_parallel,
            window: Window::default(),
            changed: Duration::ZERO,
            best: None,
            settled: !profile.auto_parallel || max_parallel == 1,
        }
    }

    /// The size of the next fragment: a multiple of the quantum.
    pub(crate) fn fragment(&self) -> u64 {
        self.fragment
    }

    /// How many fragments may be in flight now.
    pub(crate) fn parallel(&self) -> usize {
        self.parallel
    }

    /// A fragment of `bytes` sent at `sent` was acknowledged at `now` (both on the upload's
    /// clock). Returns whether the size or the parallelism changed.
    pub(crate) fn acknowledged(&mut self, bytes: u64, sent: Duration, now: Duration) -> bool {
        let before = (self.fragment, self.parallel);
        let elapsed = now.saturating_sub(sent).as_secs_f64();
        if self.auto_fragment {
            // A fragment acknowledged in no measurable time says only "bigger is fine".
            let fitting = if elapsed > 0.0 {
                (bytes as f64 / elapsed * TARGET_FRAGMENT_TIME.as_secs_f64()) as u64
            } else {
                u64::MAX
            };
            let wanted = fitting
                .min(self.fragment.saturating_mul(GROWTH_PER_FRAGMENT))
                .min(self.ceiling);
            self.fragment = (wanted / self.quantum).max(1) * self.quantum;
        }
        if !self.settled && sent >= self.changed {
            self.window.bytes += bytes;
            self.window.busy += elapsed;
            self.window.fragments += 1;
            if self.window.fragments >= self.parallel {
                // What the link carries at this parallelism: each request's rate, times the
                // requests in flight. (Timing the window from its start instead would count
                // the time it takes to fill, differently at each parallelism.)
                let rate = if self.window.busy > 0.0 {
                    self.parallel as f64 * self.window.bytes as f64 / self.window.busy
                } else {
                    f64::INFINITY
                };
                self.search(rate);
                self.changed = now;
                self.window = Window::default();
            }
        }
        before != (self.fragment, self.parallel)
    }

    /// One step of the search for the parallelism, after a window at `self.parallel` measured
    /// `rate`: double while throughput rises, then halve the distance back to the best one
    /// until it is found.
    fn search(&mut self, rate: f64) {
        match self.best {
            Some((best, best_rate)) if rate < best_rate * GROWTH => {
                if self.parallel.abs_diff(best) <= 1 {
                    self.parallel = best;
                    self.settled = true;
                } else {
                    self.parallel = (best + self.parallel) / 2;
                }
            }
            _ => {
                self.best = Some((self.parallel, rate));
                if self.parallel >= self.max_parallel {
                    self.settled = true;
                } else {
                    self.parallel = (self.parallel * 2).min(self.max_parallel);
                }
            }
        }
    }

    /// A fragment failed in a way that says "too much" (a `429`, a `503`, a timeout, a
    /// dropped connection): halve what is automatic, and let parallelism grow again from there.
    /// Returns whether anything changed.
    pub(crate) fn backed_off(&mut self, now: Duration) -> bool {
        let before = (self.fragment, self.parallel);
        if self.auto_fragment {
            self.fragment = ((self.fragment / 2) / self.quantum).max(1) * self.quantum;
        }
        if self.auto_parallel {
            self.parallel = (self.parallel / 2).max(1);
            self.window = Window::default();
            self.changed = now;
            self.best = None;
            self.settled = self.max_parallel == 1;
        }
        before != (self.fragment, self.parallel)
    }
}

#[cfg(test)]
mod tests;
