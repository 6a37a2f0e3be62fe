//! What every topic uses: the binary under test, a temporary directory, byte slices.

use std::ops::Range;

/// The binary under test.
pub(crate) const BIN: &str = env!("CARGO_BIN_EXE_graph-upload");

/// The shares collection.
pub(crate) const SHARES: &str = "/v1.0/print/shares";

/// A temporary directory for one test.
pub(crate) fn tempdir() -> tempfile::TempDir {
    tempfile::tempdir().expect("temp dir")
}

/// The bytes of `span`.
pub(crate) fn slice(bytes: &[u8], span: &Range<u64>) -> Vec<u8> {
    bytes[span.start as usize..span.end as usize].to_vec()
}
