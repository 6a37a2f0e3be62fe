//! https (`ServerConfig::tls`): the self-signed certificate kept in the data directory and
//! reused across restarts, upload URLs that follow the scheme, what a plain-http client or a
//! silent one gets, and certificates given as PEM.

use graph_upload_server::{CERT_FILE, KEY_FILE, ServerConfig, TlsConfig};
use graph_upload_testkit::emulator::{Emulator, test_data};
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

async fn tls_emulator(adjust: impl FnOnce(&mut ServerConfig)) -> Emulator {
    Emulator::start_with(|config| {
        config.tls = Some(TlsConfig::self_signed());
        adjust(config);
    })
    .await
}

#[tokio::test]
async fn the_self_signed_certificate_is_kept_and_served_again_after_a_restart() {
    let mut emu = tls_emulator(|_| {}).await;
    assert!(emu.base.starts_with("https://127.0.0.1:"), "{}", emu.base);
    let certificate = std::fs::read(emu.data_dir.join(CERT_FILE)).unwrap();
    assert!(emu.data_dir.join(KEY_FILE).is_file());
    let size = 1000usize;
    let data = test_data(size, 3);
    let (target, session) = emu.new_print_upload(size as u64).await;
    assert!(
        session
            .upload_url
            .starts_with(&format!("{}/uploadSessions/", emu.base)),
        "upload URLs are https too"
    );
    let reply = emu
        .put_fragment(&session.upload_url, 0, &data[..500], size as u64)
        .await;
    assert_eq!(reply.status, 202, "{}", reply.text());

    emu.restart().await;
    assert_eq!(
        std::fs::read(emu.data_dir.join(CERT_FILE)).unwrap(),
        certificate,
        "the same certificate after a restart"
    );
    let url = graph_upload_testkit::urls::rebase(&session.upload_url, &emu.base);
    let reply = emu.put_fragment(&url, 500, &data[500..], size as u64).await;
    assert_eq!(reply.status, 201, "{}", reply.text());
    assert_eq!(emu.print_value(&target).await, data);
    emu.stop().await;
}

#[tokio::test]
async fn plain_http_to_the_https_port_is_closed_unanswered_and_counted() {
    let emu = tls_emulator(|_| {}).await;
    let mut stream = tokio::net::TcpStream::connect(emu.address()).await.unwrap();
    stream
        .write_all(b"GET /v1.0/print/shares HTTP/1.1\r\nHost: x\r\n\r\n")
        .await
        .unwrap();
    let mut answer = Vec::new();
    let _ = tokio::time::timeout(Duration::from_secs(10), stream.read_to_end(&mut answer))
        .await
        .expect("the emulator closes the connection");
    assert!(
        !answer.starts_with(b"HTTP/"),
        "no HTTP answer on the https port: {:?}",
        String::from_utf8_lossy(&answer)
    );
    let stats = emu.stats().await;
    assert_eq!(stats["connections"]["tlsHandshakeFailures"], 1, "{stats:#}");
    emu.stop().await;
}

#[tokio::test]
async fn a_client_that_never_finishes_its_handshake_is_closed_by_the_header_read_timeout() {
    let emu = tls_emulator(|config| config.header_read_timeout = Duration::from_millis(300)).await;
    let mut stream = tokio::net::TcpStream::connect(emu.address()).await.unwrap();
    // The first bytes of a ClientHello, then silence.
    stream
        .write_all(&[0x16, 0x03, 0x01, 0x02, 0x00])
        .await
        .unwrap();
    let mut rest = Vec::new();
    let closed = tokio::time::timeout(Duration::from_secs(10), stream.read_to_end(&mut rest)).await;
    assert!(closed.is_ok(), "the half-open handshake was not closed");
    let stats = emu.stats().await;
    assert_eq!(stats["connections"]["headerTimeouts"], 1, "{stats:#}");
    emu.stop().await;
}

#[tokio::test]
async fn a_certificate_given_as_pem_is_served_and_bad_ones_are_refused_by_name() {
    // A certificate made by a first emulator, given to a second one as files.
    let first = tls_emulator(|_| {}).await;
    let dir = tempfile::tempdir().unwrap();
    let cert = first.data_dir.join(CERT_FILE);
    let key = first.data_dir.join(KEY_FILE);
    let tls = TlsConfig::from_files(&cert, &key).unwrap();
    let second = Emulator::start_with(|config| config.tls = Some(tls)).await;
    assert_eq!(second.certificate().unwrap(), std::fs::read(&cert).unwrap());
    assert_eq!(second.open_sessions().await.len(), 0, "served over https");
    assert!(
        !second.data_dir.join(CERT_FILE).exists(),
        "nothing is generated when a certificate is given"
    );
    second.stop().await;

    let not_pem = dir.path().join("not.pem");
    std::fs::write(&not_pem, "hello").unwrap();
    let error = TlsConfig::from_files(&not_pem, &key).unwrap_err();
    assert!(
        error.to_string().contains("not.pem") && error.to_string().contains("no PEM certificate"),
        "{error}"
    );
    let error = TlsConfig::from_files(&cert, &cert).unwrap_err();
    assert!(error.to_string().contains("no PEM private key"), "{error}");
    let error = TlsConfig::from_files(&dir.path().join("missing.pem"), &key).unwrap_err();
    assert!(error.to_string().contains("missing.pem"), "{error}");
    assert!(
        !format!("{:?}", TlsConfig::from_files(&cert, &key).unwrap()).contains("PRIVATE KEY"),
        "Debug never shows the key"
    );

    // A key of another certificate: the server does not start.
    let other = tls_emulator(|_| {}).await;
    let mismatched = TlsConfig::Pem {
        certificate_chain: std::fs::read(&cert).unwrap(),
        private_key: std::fs::read(other.data_dir.join(KEY_FILE)).unwrap(),
    };
    let mut config = ServerConfig::new(dir.path().join("data"), "token");
    config.tls = Some(mismatched);
    let error = graph_upload_server::spawn(config, "127.0.0.1:0")
        .await
        .expect_err("a key that is not the certificate's");
    assert!(error.to_string().contains("do not go together"), "{error}");
    other.stop().await;
    first.stop().await;
}
