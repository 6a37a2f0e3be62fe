//! Unknown printers, shares, jobs and documents, and jobs reached through the wrong parent.

use crate::scene::{UNKNOWN, not_found, print_properties};
use graph_upload_server::fixtures::{OXPS_PRINTER_ID, PRINTER_ID, SHARE_ID};
use graph_upload_testkit::emulator::{Emulator, PrintTarget, printer, share, test_data};
use reqwest::Method;
use serde_json::json;

#[tokio::test]
async fn unknown_printer() {
    let emu = Emulator::start().await;
    let parent = printer(UNKNOWN);
    not_found(&emu, Method::GET, &parent, None).await;
    not_found(&emu, Method::GET, &format!("{parent}/jobs"), None).await;
    not_found(
        &emu,
        Method::POST,
        &format!("{parent}/jobs"),
        Some(json!({})),
    )
    .await;
    emu.stop().await;
}

#[tokio::test]
async fn unknown_share() {
    let emu = Emulator::start().await;
    let parent = share(UNKNOWN);
    not_found(&emu, Method::GET, &parent, None).await;
    not_found(
        &emu,
        Method::POST,
        &format!("{parent}/jobs"),
        Some(json!({})),
    )
    .await;
    // A printer id is not a share id.
    not_found(
        &emu,
        Method::POST,
        &format!("{}/jobs", share(PRINTER_ID)),
        Some(json!({})),
    )
    .await;
    emu.stop().await;
}

#[tokio::test]
async fn unknown_job() {
    let emu = Emulator::start().await;
    let real = emu.create_print_job(&share(SHARE_ID)).await;
    let target = PrintTarget {
        job: UNKNOWN.to_string(),
        ..real.clone()
    };
    let body = print_properties("a.pdf", "application/pdf", json!(10));
    not_found(&emu, Method::GET, &target.job_path(), None).await;
    not_found(
        &emu,
        Method::GET,
        &format!("{}/documents", target.job_path()),
        None,
    )
    .await;
    not_found(&emu, Method::GET, &target.document_path(), None).await;
    not_found(
        &emu,
        Method::POST,
        &target.create_session_path(),
        Some(body),
    )
    .await;
    not_found(
        &emu,
        Method::POST,
        &format!("{}/start", target.job_path()),
        None,
    )
    .await;
    emu.stop().await;
}

#[tokio::test]
async fn job_through_another_printer_or_share() {
    let emu = Emulator::start().await;
    let real = emu.create_print_job(&share(SHARE_ID)).await;
    let body = print_properties("a.pdf", "application/pdf", json!(10));
    // The share's own printer (PRINTER_ID) reaches the job (printerShare.md: the share's jobs
    // are its printer's; tests/print/links.rs); another printer does not.
    for parent in [printer(OXPS_PRINTER_ID), printer(UNKNOWN)] {
        let target = PrintTarget {
            parent,
            ..real.clone()
        };
        not_found(&emu, Method::GET, &target.job_path(), None).await;
        not_found(
            &emu,
            Method::POST,
            &target.create_session_path(),
            Some(body.clone()),
        )
        .await;
        not_found(
            &emu,
            Method::POST,
            &format!("{}/start", target.job_path()),
            None,
        )
        .await;
    }
    emu.stop().await;
}

#[tokio::test]
async fn unknown_document() {
    let emu = Emulator::start().await;
    let real = emu.create_print_job(&share(SHARE_ID)).await;
    let other = emu.create_print_job(&share(SHARE_ID)).await;
    for document in [UNKNOWN.to_string(), other.document.clone()] {
        let target = PrintTarget {
            document,
            ..real.clone()
        };
        let body = print_properties("a.pdf", "application/pdf", json!(10));
        not_found(&emu, Method::GET, &target.document_path(), None).await;
        not_found(
            &emu,
            Method::GET,
            &format!("{}/$value", target.document_path()),
            None,
        )
        .await;
        not_found(
            &emu,
            Method::POST,
            &target.create_session_path(),
            Some(body),
        )
        .await;
    }
    emu.stop().await;
}

#[tokio::test]
async fn value_of_a_document_not_uploaded_yet() {
    let emu = Emulator::start().await;
    let (target, session) = emu.new_print_upload(100).await;
    let reply = emu
        .put_fragment(&session.upload_url, 0, &test_data(50, 3), 100)
        .await;
    assert_eq!(reply.status, 202);
    not_found(
        &emu,
        Method::GET,
        &format!("{}/$value", target.document_path()),
        None,
    )
    .await;
    emu.stop().await;
}
