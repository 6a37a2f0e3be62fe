//! Process-level tests of `graph-upload serve`: the start-up contract (first stdout line, the
//! generated token, the data directory, bad listen addresses), and crashes: every fragment the
//! server acknowledged survives `kill -9`, and SIGTERM/SIGINT stop it gracefully.
//!
//! Every test runs the real binary on `127.0.0.1:0` with a temporary data directory; the
//! testkit's `Serve` kills its process when dropped, so a failing test leaves nothing running.
//! Unix only: the tests send signals with kill(1).

#![cfg(unix)]

mod common;
mod kill9_acknowledged;
mod kill9_random;
mod signals;
mod startup;
