//! Holder crate for the tests that span several crates of the workspace (`cargo test
//! --workspace` or `cargo test -p graph-upload-tests` runs them). Each file next to this one is
//! one integration test.
//!
//! Tests of one crate live with that crate (`crates/server/tests`, `crates/transport/tests`,
//! `crates/uploader/tests`, `crates/cli/tests`, ...), with their support code in the
//! `graph-upload-testkit` crate. What stays here:
//!
//! - `session_ranges.rs` checks `graph-upload-ranges` against the JSON of
//!   `graph-upload-models`. Neither crate may depend on the other, not even as a
//!   dev-dependency (they are published independently and each stands alone), so a test that
//!   needs both belongs to neither.
