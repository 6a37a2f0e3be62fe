//! Test doubles for the uploader's protocol tests (`crates/uploader/tests/protocol`):
//!
//! - [`FakeSession`]: a `wiremock` responder that acts as one Graph upload session
//!   ([`SessionSpec`] says which: print's `202` with closed or open camelCase ranges, or To
//!   Do's `200` with PascalCase start-only ranges). It keeps the received byte ranges, answers
//!   every `PUT` from its `Content-Range`, `GET` with the status and `DELETE` with `204`,
//!   finishes with print's `201` printDocument or To Do's `201` + `Location`, and then forgets
//!   the session (`404`). Single requests can be scripted by their ordinal ([`Step`]: a `503`
//!   for the second `PUT`, a `416` after storing the bytes, a reply held back past the
//!   client's timeout, bytes the server "loses" again...).
//! - [`Scripted`]: a responder that plays a fixed list of replies, the last one forever; and
//!   Graph's error bodies ([`error_reply`]).
//! - [`DropProxy`]: a loopback HTTP/1.1 proxy in front of a mock server that hangs up on
//!   chosen `PUT`s without answering (before or after forwarding them), which `wiremock`
//!   cannot do: the client sees a dropped connection that "may have been sent".
//! - Reading back what a mock server received ([`requests`], [`puts`], [`transcript`]...) and
//!   comparing the `PUT`s with the file ([`assert_bodies_match`], [`assert_reassembles`],
//!   [`assert_no_byte_twice`]).

mod checks;
mod drop_proxy;
mod fake_session;
mod received;
mod replies;
mod session_spec;

pub use crate::TOKEN;
pub use checks::{assert_bodies_match, assert_no_byte_twice, assert_reassembles};
pub use drop_proxy::{DropMode, DropProxy};
pub use fake_session::FakeSession;
pub use received::{
    SeenPut, all_requests, content_ranges, count, cr, is_capability_read, puts, requests,
    transcript,
};
pub use replies::{Scripted, error_reply, graph_error};
pub use session_spec::{Completion, RangeStyle, SessionSpec, Step, print_document};

/// An expiry far in the future, in Graph's format.
pub const EXPIRY: &str = "2030-01-01T00:00:00.0000000Z";

/// `len` deterministic pseudo-random bytes for the seed (see [`crate::rng::test_data`]).
pub fn pattern(len: usize, seed: u8) -> Vec<u8> {
    crate::rng::test_data(len, u64::from(seed))
}
