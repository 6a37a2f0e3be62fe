//! Shared configuration of the property tests.
//!
//! Default runs are short (a few hundred to a thousand cases per property, a few seconds
//! in debug). Set `GRAPH_UPLOAD_LONG_FUZZ=1` for the long mode, one million cases per
//! property; run it optimised:
//!
//! ```text
//! GRAPH_UPLOAD_LONG_FUZZ=1 cargo test --release -p graph-upload-ranges --tests
//! ```
//!
//! Outside the long mode, proptest's own `PROPTEST_CASES` is honoured when set.

use proptest::test_runner::Config as ProptestConfig;

/// The variable that switches the long mode on when it is `1`.
pub const LONG_FUZZ_VAR: &str = "GRAPH_UPLOAD_LONG_FUZZ";

/// Cases per property in the long mode.
pub const LONG_CASES: u32 = 1_000_000;

/// How many cases to run, given the value of [`LONG_FUZZ_VAR`] (if set), the value of
/// `PROPTEST_CASES` (if set and valid) and the property's default.
pub fn cases(long_fuzz: Option<&str>, proptest_cases: Option<u32>, default: u32) -> u32 {
    if long_fuzz.map(str::trim) == Some("1") {
        LONG_CASES
    } else {
        proptest_cases.unwrap_or(default)
    }
}

/// The proptest configuration for a property whose short run has `default_cases` cases.
pub fn config(default_cases: u32) -> ProptestConfig {
    let long_fuzz = std::env::var(LONG_FUZZ_VAR).ok();
    let proptest_cases = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.trim().parse().ok());
    ProptestConfig {
        cases: cases(long_fuzz.as_deref(), proptest_cases, default_cases),
        ..ProptestConfig::default()
    }
}
