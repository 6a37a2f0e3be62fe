//! Holder crate for tests that span several crates of the workspace (`cargo test --workspace`
//! runs them). Each file next to this one is one integration test.
