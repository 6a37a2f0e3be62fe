//! `AzureCredential` (feature `azure`) over an Azure Identity credential built with options,
//! the way a library user reaches another authority host: a `ClientSecretCredential` whose
//! cloud is a custom one (a fake Microsoft Entra over https on loopback) and whose HTTP client
//! trusts the fake's test CA. The uploader uploads a To Do attachment to the in-process
//! emulator with the token Entra handed out; a wrong secret is a credential error that says
//! why and never holds the secret.

use graph_upload::azure_core::cloud::{CloudConfiguration, CustomConfiguration};
use graph_upload::azure_core::credentials::Secret;
use graph_upload::azure_core::http::{ClientOptions, Transport};
use graph_upload::azure_identity::{ClientSecretCredential, ClientSecretCredentialOptions};
use graph_upload::{AzureCredential, GRAPH_SCOPE, UploadError, UploadSource};
use graph_upload_server::fixtures::{LIST_ID, TASK_ID};
use graph_upload_testkit::MIB;
use graph_upload_testkit::e2e_harness::reqwest_backend;
use graph_upload_testkit::emulator::{Emulator, TOKEN, test_data};
use graph_upload_testkit::fake_entra::FakeEntra;
use std::error::Error;
use std::sync::Arc;

const TENANT: &str = "7b795fb9-09d3-42f4-a494-38864f99ba3c";
const CLIENT_ID: &str = "4d3c2b1a-0000-4000-8000-000000000001";
const CLIENT_SECRET: &str = "client-secret~Value.0123456789";

/// A client-secret credential that asks `entra`, trusting only its CA.
fn credential(entra: &FakeEntra, secret: &str) -> AzureCredential {
    let ca = reqwest::Certificate::from_pem(entra.ca().pem().as_bytes()).expect("the CA's PEM");
    let http = reqwest::Client::builder()
        .no_proxy()
        .tls_certs_only([ca])
        .build()
        .expect("an https client");
    let mut cloud = CustomConfiguration::default();
    cloud.authority_host = entra.authority_host();
    let options = ClientSecretCredentialOptions {
        client_options: ClientOptions {
            transport: Some(Transport::new(Arc::new(http))),
            cloud: Some(Arc::new(CloudConfiguration::Custom(cloud))),
            ..ClientOptions::default()
        },
    };
    let credential = ClientSecretCredential::new(
        TENANT,
        CLIENT_ID.to_owned(),
        Secret::new(secret.to_owned()),
        Some(options),
    )
    .expect("a client-secret credential");
    AzureCredential::new(credential)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_secret_credential_with_a_custom_authority_uploads_with_entras_token() {
    let emulator = Emulator::start().await;
    let entra = FakeEntra::start(TOKEN, CLIENT_ID, CLIENT_SECRET).await;
    let uploader = emulator
        .uploader_builder(reqwest_backend())
        .token_provider(credential(&entra, CLIENT_SECRET))
        .build()
        .expect("uploader");
    let data = test_data(MIB as usize, 7);
    let uploaded = uploader
        .todo_attachment(LIST_ID, TASK_ID)
        .fragment_size(320 * 1024)
        .name("from-entra.bin")
        .upload(&UploadSource::from_bytes(data.clone()))
        .await
        .expect("the upload succeeds with Entra's token");
    assert_eq!(emulator.todo_value(&uploaded.item.id).await, data);

    // One token request for the create and four fragments: the token was cached.
    let requests = entra.requests();
    assert_eq!(requests.len(), 1, "{requests:?}");
    assert_eq!(requests[0].path, format!("/{TENANT}/oauth2/v2.0/token"));
    assert_eq!(requests[0].form("client_id"), Some(CLIENT_ID));
    assert_eq!(requests[0].form("client_secret"), Some(CLIENT_SECRET));
    assert_eq!(requests[0].form("scope"), Some(GRAPH_SCOPE));
    emulator.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wrong_secret_is_a_credential_error_with_entras_reason_and_without_the_secret() {
    let emulator = Emulator::start().await;
    let entra = FakeEntra::start(TOKEN, CLIENT_ID, CLIENT_SECRET).await;
    let wrong = "wrong-secret-9876543210";
    let uploader = emulator
        .uploader_builder(reqwest_backend())
        .token_provider(credential(&entra, wrong))
        .build()
        .expect("uploader");
    let error = uploader
        .todo_attachment(LIST_ID, TASK_ID)
        .name("never.bin")
        .upload(&UploadSource::from_bytes(vec![1u8; 10]))
        .await
        .expect_err("Entra refuses the secret");
    assert!(matches!(error, UploadError::Credential(_)), "{error:?}");
    assert!(
        error.to_string().starts_with(
            "could not get a token: the Azure credential gave no token: \
             ClientSecretCredential authentication failed. AADSTS7000215:"
        ),
        "{error}"
    );
    // Display and Debug of the error and of every source below it.
    let mut shown = format!("{error} {error:?}");
    let mut source = error.source();
    while let Some(cause) = source {
        shown.push_str(&format!(" {cause} {cause:?}"));
        source = cause.source();
    }
    assert!(!shown.contains(wrong), "{shown}");
    assert!(!shown.contains(CLIENT_SECRET), "{shown}");
    assert_eq!(entra.requests()[0].form("client_secret"), Some(wrong));
    assert!(
        emulator.todo_attachments().await.is_empty(),
        "nothing was created"
    );
    emulator.stop().await;
}
