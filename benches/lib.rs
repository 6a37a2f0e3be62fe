//! Support for the workspace's criterion benchmarks; run them with
//! `cargo bench -p graph-upload-benches`.

#![forbid(unsafe_code)]

pub mod payload;
pub mod sink_server;

use graph_upload_transport::{HyperTransport, ReqwestTransport, Transport, TransportConfig};
use std::sync::Arc;

/// Both backends with the default configuration, named, for side-by-side benchmarks.
pub fn both_transports() -> Vec<(&'static str, Arc<dyn Transport>)> {
    let config = TransportConfig::default();
    let reqwest = ReqwestTransport::new(config.clone()).unwrap_or_else(|e| panic!("{e}"));
    let hyper = HyperTransport::new(config).unwrap_or_else(|e| panic!("{e}"));
    vec![("reqwest", Arc::new(reqwest)), ("hyper", Arc::new(hyper))]
}
