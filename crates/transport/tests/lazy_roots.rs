//! The root store is read only when an https handshake needs it, and once per process for
//! every transport with the same roots. One test in its own binary: the counter it reads is
//! process-wide, so no other test may run beside it.

#![cfg(all(feature = "reqwest", feature = "hyper"))]

use graph_upload_server::{CERT_FILE, TlsConfig};
use graph_upload_testkit::emulator::{Emulator, TOKEN};
use graph_upload_transport::{
    HyperTransport, Request, ReqwestTransport, StatusCode, Transport, TransportConfig, header,
    root_stores_read,
};
use std::sync::Arc;

fn both(config: &TransportConfig) -> [Arc<dyn Transport>; 2] {
    [
        Arc::new(ReqwestTransport::new(config.clone()).expect("reqwest")),
        Arc::new(HyperTransport::new(config.clone()).expect("hyper")),
    ]
}

async fn get_shares(transport: &dyn Transport, base: &str) -> StatusCode {
    let request = Request::get(&format!("{base}/v1.0/print/shares"))
        .and_then(|r| r.header_str(header::AUTHORIZATION, &format!("Bearer {TOKEN}")))
        .expect("a valid request");
    transport.send(request).await.expect("answered").status()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn roots_are_read_at_the_first_https_handshake_and_once_per_process() {
    let plain = Emulator::start().await;
    let tls = Emulator::start_with(|config| config.tls = Some(TlsConfig::self_signed())).await;
    let pem = std::fs::read(tls.data_dir.join(CERT_FILE)).expect("cert.pem");
    let trusting = TransportConfig::default().add_root_certificate(pem);

    // Transports that trust the emulator, used for http:// only: no root store is read.
    let first = both(&trusting);
    for transport in &first {
        assert_eq!(get_shares(&**transport, &plain.base).await, StatusCode::OK);
    }
    let defaults = both(&TransportConfig::default());
    for transport in &defaults {
        assert_eq!(get_shares(&**transport, &plain.base).await, StatusCode::OK);
    }
    assert_eq!(root_stores_read(), 0, "http:// never needs the roots");

    // The first https request of each backend reads its roots...
    for transport in &first {
        assert_eq!(get_shares(&**transport, &tls.base).await, StatusCode::OK);
    }
    assert_eq!(root_stores_read(), 2, "one store per backend's roots");
    // ...and every later transport with the same roots shares them, on a new connection too.
    for transport in both(&trusting) {
        assert_eq!(get_shares(&*transport, &tls.base).await, StatusCode::OK);
    }
    assert_eq!(root_stores_read(), 2, "shared by later transports");

    plain.stop().await;
    tls.stop().await;
}
