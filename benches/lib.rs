//! Support for the workspace's criterion benchmarks; run them with
//! `cargo bench -p graph-upload-benches`.

#![forbid(unsafe_code)]

pub mod sink_server;
