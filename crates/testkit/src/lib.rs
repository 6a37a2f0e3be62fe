//! Test support shared by the integration tests of the graph-upload workspace (not published).
//!
//! Each crate's tests dev-depend on this crate and `use graph_upload_testkit::...` what they
//! need, instead of including support files by path. An integration test of the server
//! that uses the [`emulator`] harness links the one non-test build of the server library, the
//! same one this crate links, so the dev-dependency loop is harmless.
//!
//! Helpers fail a test the way a test fails: they panic with a message that says what was
//! expected (so, unlike the library crates, this one uses `expect`).
//!
//! The uploader's harnesses (`e2e_harness`, `e2e_transport`, `uploader_mocks`) are behind
//! the `uploader` feature, so the server's and the transport's tests do not build the uploader;
//! the headless-Chromium driver (`browser`) is behind the `browser` feature.

#![deny(missing_docs)]

/// The bearer token every test server accepts and every test client sends: the in-process
/// emulator, the uploader's mock sessions and its end-to-end harness.
pub const TOKEN: &str = "graph-upload-test-token";

/// One mebibyte.
pub const MIB: u64 = 1024 * 1024;

// Shared by every kind of test.
pub mod refused_port;
pub mod reply;
pub mod rng;
pub mod urls;

// The emulator in-process (`crates/server/tests`), and a server that misbehaves on purpose
// (`crates/transport/tests`).
pub mod emulator;
pub mod raw_server;

// The real `graph-upload` binary (`crates/cli/tests`).
pub mod chaos_proxy;
pub mod child_guard;
pub mod fragments;
pub mod serve_process;
pub mod spans;

// Fake Azure token sources: the CLI's `--auth` tests and the uploader's `AzureCredential`.
pub mod fake_entra;

// A headless Chromium (the dashboard's browser test in `crates/cli/tests`).
#[cfg(feature = "browser")]
pub mod browser;

// The uploader's tests (`crates/uploader/tests`).
#[cfg(feature = "uploader")]
pub mod e2e_harness;
#[cfg(feature = "uploader")]
pub mod e2e_transport;
#[cfg(feature = "uploader")]
pub mod uploader_mocks;
