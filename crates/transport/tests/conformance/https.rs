//! https against the emulator itself (`serve --tls`, in-process): with the emulator's
//! self-signed certificate as an extra root, a whole print upload goes through; without it,
//! the first request is a TLS error, not sent, that names the certificate problem.

use crate::helpers::{
    MIB, MakeTransport, assert_same_bytes, bearer, expect_error, pattern, read_print_document,
    send, temp_file, test_config,
};
use graph_upload_server::fixtures::SHARE_ID;
use graph_upload_server::{CERT_FILE, TlsConfig};
use graph_upload_testkit::emulator::Emulator;
use graph_upload_transport::{
    ErrorKind, FileSlice, Request, StatusCode, Transport, TransportConfig, TransportError, header,
};

async fn tls_emulator() -> Emulator {
    let emulator = Emulator::start_with(|config| config.tls = Some(TlsConfig::self_signed())).await;
    assert!(
        emulator.base.starts_with("https://127.0.0.1:"),
        "{}",
        emulator.base
    );
    emulator
}

pub(crate) async fn a_print_upload_over_https_succeeds_with_the_emulators_certificate_as_extra_root(
    make: MakeTransport,
) {
    let emulator = tls_emulator().await;
    let pem = std::fs::read(emulator.data_dir.join(CERT_FILE)).expect("the generated cert.pem");
    let transport = make(test_config().add_root_certificate(pem));
    let base = format!("{}/v1.0/print/shares/{SHARE_ID}", emulator.base);

    let job = send(
        &*transport,
        bearer(Request::post(&format!("{base}/jobs")).unwrap())
            .json(&serde_json::json!({}))
            .unwrap(),
    )
    .await;
    assert_eq!(job.status(), StatusCode::CREATED);
    let job: serde_json::Value = job.json().unwrap();
    let (job, document) = (
        job["id"].as_str().unwrap().to_owned(),
        job["documents"][0]["id"].as_str().unwrap().to_owned(),
    );
    let data = pattern(MIB + 1234, 7);
    let file = temp_file(&data);
    let session = send(
        &*transport,
        bearer(
            Request::post(&format!(
                "{base}/jobs/{job}/documents/{document}/createUploadSession"
            ))
            .unwrap(),
        )
        .json(&serde_json::json!({"properties": {
            "documentName": "a.pdf", "contentType": "application/pdf", "size": data.len()
        }}))
        .unwrap(),
    )
    .await;
    assert_eq!(session.status(), StatusCode::OK);
    let session: serde_json::Value = session.json().unwrap();
    let upload_url = session["uploadUrl"].as_str().unwrap().to_owned();
    assert!(
        upload_url.starts_with("https://"),
        "upload URLs follow the scheme: {}",
        upload_url.split('?').next().unwrap_or_default()
    );

    let half = 640 * 1024;
    for (start, end, status) in [
        (0, half, StatusCode::ACCEPTED),
        (half, data.len(), StatusCode::CREATED),
    ] {
        let slice = FileSlice::open(file.path(), start as u64, (end - start) as u64).unwrap();
        let answer = send(
            &*transport,
            Request::put(&upload_url)
                .unwrap()
                .header_str(
                    header::CONTENT_RANGE,
                    &format!("bytes {start}-{}/{}", end - 1, data.len()),
                )
                .unwrap()
                .body(slice),
        )
        .await;
        assert_eq!(answer.status(), status, "{:?}", answer.body());
    }
    let value = read_print_document(
        &*transport,
        &format!("{base}/jobs/{job}/documents/{document}/$value"),
    )
    .await;
    assert_same_bytes(value.body(), &data, "the document read back over https");
    emulator.stop().await;
}

pub(crate) async fn without_the_emulators_certificate_https_is_a_tls_error_naming_the_problem(
    make: MakeTransport,
) {
    let emulator = tls_emulator().await;
    let transport = make(test_config());
    let request = bearer(Request::get(&format!("{}/v1.0/print/shares", emulator.base)).unwrap());
    let error = expect_error(transport.send(request).await, "an untrusted certificate");
    assert_eq!(error.kind(), ErrorKind::Tls, "{error:?}");
    assert!(!error.may_have_been_sent(), "{error:?}");
    let shown = error.to_string();
    assert!(
        shown.contains("certificate") && shown.contains("UnknownIssuer"),
        "the message names the problem: {shown}"
    );
    emulator.stop().await;
}

/// Builds a backend, keeping only whether that worked.
pub(crate) type Build = fn(TransportConfig) -> Result<(), TransportError>;

pub(crate) fn a_root_file_without_a_certificate_fails_the_constructor(build: Build) {
    let config = test_config().add_root_certificate(b"# not a certificate\n".to_vec());
    let error = build(config).expect_err("a root file without a certificate");
    assert_eq!(error.kind(), ErrorKind::Tls, "{error:?}");
    assert!(
        error
            .to_string()
            .contains("extra root certificate 1 holds no PEM certificate"),
        "{error}"
    );
}
