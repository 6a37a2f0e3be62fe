//! Transport layers for the end-to-end tests. They wrap a real backend (reqwest or hyper) and
//! change nothing on the wire:
//!
//! - [`Recorder`] logs every request the uploader sends (method, URL, `Content-Range`, body
//!   length, whether it carried the token, the answer), so that a test can count the bytes
//!   sent; it can also hold every request after the N-th answered `PUT` at a gate, so that a
//!   test can stop the server or "kill" the client at a known point of the upload.
//! - [`SwapFirstTwoAnswers`] makes the answers to the first two `PUT`s reach the uploader in
//!   the opposite order from the one in which the server produced them (what two parallel
//!   connections can do on any network).
//! - [`ReplayFirstAfterCompletion`] makes the uploader read a `404` for a fragment while the `201`
//!   that completed the upload is still on its way.

mod recorder;
mod replay_after_completion;
mod swap_answers;

pub use recorder::{Recorder, Sent};
pub use replay_after_completion::ReplayFirstAfterCompletion;
pub use swap_answers::SwapFirstTwoAnswers;

use graph_upload_transport::{Method, Request};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

/// How long a held answer waits for an event that may never come.
const PATIENCE: Duration = Duration::from_secs(10);

/// Numbers the `PUT`s that go through a layer, from 0; other requests have no number (they go
/// straight through).
#[derive(Debug, Default)]
struct PutOrdinals(AtomicUsize);

impl PutOrdinals {
    /// The number of `request` if it is a `PUT`.
    fn next(&self, request: &Request) -> Option<usize> {
        (request.method() == Method::PUT).then(|| self.0.fetch_add(1, Ordering::SeqCst))
    }
}
