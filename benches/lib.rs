//! Holder crate for the workspace's criterion benchmarks; run them with `cargo bench -p graph-upload-benches`.
