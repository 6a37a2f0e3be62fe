//! Where a connection is in its request cycle (reading a head, busy, idle), shared by its
//! socket wrapper and its service, and whether a fault asked to close it. Over HTTP/2 the
//! connection is busy while any of its streams is.

use super::Limits;
use crate::fault_layer::AbortConnection;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU8, AtomicU64, AtomicUsize, Ordering};
use std::task::Waker;
use std::time::Duration;
use tokio::time::Instant;

/// Where a connection is in its request cycle.
const HEAD: u8 = 0;
const BUSY: u8 = 1;
const IDLE: u8 = 2;

/// No fault asked to close the connection.
const KEEP: u8 = 0;
const CLOSE: u8 = 1;
const RESET: u8 = 2;

/// A connection's phase, shared by its socket wrapper and its service (one task: relaxed
/// atomics are enough).
#[derive(Debug)]
pub(super) struct ConnState {
    epoch: Instant,
    phase: AtomicU8,
    /// Milliseconds from `epoch` to the start of the phase.
    since: AtomicU64,
    abort: AtomicU8,
    /// Requests being handled: one at most over HTTP/1.1, any number of streams over HTTP/2,
    /// where the connection is idle only once the last one is answered.
    in_flight: AtomicUsize,
    /// The connection task, as its last read left it waiting: woken when an answer is sent,
    /// so that hyper reads again and the idle limit starts (hyper would otherwise wait for
    /// the socket without a read that could time out).
    reader: Mutex<Option<Waker>>,
}

impl ConnState {
    /// A new connection is waiting for its first request head.
    pub(super) fn new() -> Self {
        ConnState {
            epoch: Instant::now(),
            phase: AtomicU8::new(HEAD),
            since: AtomicU64::new(0),
            abort: AtomicU8::new(KEEP),
            in_flight: AtomicUsize::new(0),
            reader: Mutex::new(None),
        }
    }

    fn reader(&self) -> std::sync::MutexGuard<'_, Option<Waker>> {
        self.reader
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Remembers the task a read left waiting.
    pub(super) fn waiting(&self, waker: &Waker) {
        let mut reader = self.reader();
        if !reader.as_ref().is_some_and(|known| known.will_wake(waker)) {
            *reader = Some(waker.clone());
        }
    }

    fn enter(&self, phase: u8) {
        let since = u64::try_from(self.epoch.elapsed().as_millis()).unwrap_or(u64::MAX);
        self.since.store(since, Ordering::Relaxed);
        self.phase.store(phase, Ordering::Relaxed);
    }

    /// Bytes arrived: an idle connection starts its next request head.
    pub(super) fn bytes_arrived(&self) {
        if self.phase.load(Ordering::Relaxed) == IDLE {
            self.enter(HEAD);
        }
    }

    pub(super) fn request_started(&self) {
        self.in_flight.fetch_add(1, Ordering::Relaxed);
        self.phase.store(BUSY, Ordering::Relaxed);
    }

    /// A request was answered (or, over HTTP/2, its stream reset): the connection is idle
    /// once no other request is in flight.
    pub(super) fn answer_sent(&self) {
        if self.in_flight.fetch_sub(1, Ordering::Relaxed) > 1 {
            return;
        }
        self.enter(IDLE);
        if let Some(reader) = self.reader().as_ref() {
            reader.wake_by_ref();
        }
    }

    /// When the current phase times out, and which limit that is.
    pub(super) fn deadline(&self, limits: &Limits) -> Option<(Instant, Expired)> {
        let (limit, expired) = match self.phase.load(Ordering::Relaxed) {
            HEAD => (limits.header_read, Expired::Header),
            IDLE => (limits.idle, Expired::Idle),
            _ => return None,
        };
        let since = Duration::from_millis(self.since.load(Ordering::Relaxed));
        Some((self.epoch + since + limit, expired))
    }

    /// Remembers that a fault closes the connection, and how.
    pub(super) fn abort(&self, how: AbortConnection) {
        let code = match how {
            AbortConnection::Reset => RESET,
            AbortConnection::Close => CLOSE,
        };
        self.abort.store(code, Ordering::Relaxed);
    }

    /// Whether a fault asked to close the connection with a TCP reset.
    pub(super) fn resets(&self) -> bool {
        self.abort.load(Ordering::Relaxed) == RESET
    }
}

/// Which limit closed a connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Expired {
    /// The header-read timeout.
    Header,
    /// The idle timeout.
    Idle,
}
