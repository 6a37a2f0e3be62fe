//! The documented properties, no more and none missing: printer.md, printerShare.md,
//! printerCapabilities.md (only with `$select`, printer-get.md), printerStatus.md,
//! printJob.md, printJobStatus.md, printDocument.md, userIdentity.md.

use crate::{members, sorted, uploaded_job};
use graph_upload_server::fixtures::{PRINTER_ID, SHARE_ID, USER_ID};
use graph_upload_testkit::emulator::{Emulator, assert_graph_error, printer, share};
use serde_json::json;

/// printerBase's properties, less `capabilities` (returned only with `$select`).
const BASE: [&str; 8] = [
    "id",
    "displayName",
    "manufacturer",
    "model",
    "isAcceptingJobs",
    "defaults",
    "location",
    "status",
];

/// printerCapabilities.md, every property.
const CAPABILITIES: [&str; 26] = [
    "bottomMargins",
    "collation",
    "colorModes",
    "contentTypes",
    "copiesPerJob",
    "dpis",
    "duplexModes",
    "feedOrientations",
    "finishings",
    "inputBins",
    "isColorPrintingSupported",
    "isPageRangeSupported",
    "leftMargins",
    "mediaColors",
    "mediaSizes",
    "mediaTypes",
    "multipageLayouts",
    "orientations",
    "outputBins",
    "pagesPerSheet",
    "qualities",
    "queueBufferSizeInBytes",
    "rightMargins",
    "scalings",
    "supportsFitPdfToPage",
    "topMargins",
];

#[tokio::test]
async fn printers_and_shares_have_the_documented_properties() {
    let emu = Emulator::start().await;
    let mut expected_printer = BASE.to_vec();
    expected_printer.extend([
        "registeredDateTime",
        "isShared",
        "hasPhysicalDevice",
        "lastSeenDateTime",
        "releaseMechanisms",
    ]);
    let one = emu.get_json(&printer(PRINTER_ID)).await;
    assert_eq!(members(&one), sorted(&expected_printer), "{one}");
    let listed = emu.get_json("/print/printers").await;
    for item in listed["value"].as_array().unwrap() {
        assert_eq!(members(item), sorted(&expected_printer), "{item}");
    }
    assert_eq!(
        members(&one["status"]),
        sorted(&["state", "details", "description"]),
        "printerStatus.md"
    );
    assert_eq!(one["status"]["state"], "idle");
    assert_eq!(one["isAcceptingJobs"], true);

    let mut expected_share = BASE.to_vec();
    expected_share.extend(["allowAllUsers", "createdDateTime"]);
    let one = emu.get_json(&share(SHARE_ID)).await;
    assert_eq!(members(&one), sorted(&expected_share), "{one}");
    let listed = emu.get_json("/print/shares").await;
    for item in listed["value"].as_array().unwrap() {
        assert_eq!(members(item), sorted(&expected_share), "{item}");
    }
    emu.stop().await;
}

#[tokio::test]
async fn capabilities_come_complete_and_only_with_select() {
    let emu = Emulator::start().await;
    for path in [printer(PRINTER_ID), share(SHARE_ID)] {
        let plain = emu.get_json(&path).await;
        assert!(plain.get("capabilities").is_none(), "{plain}");
        let selected = emu.get_json(&format!("{path}?$select=capabilities")).await;
        assert_eq!(members(&selected), sorted(&["capabilities"]), "{selected}");
        let capabilities = &selected["capabilities"];
        assert_eq!(
            members(capabilities),
            sorted(&CAPABILITIES),
            "{capabilities}"
        );
        assert_eq!(capabilities["copiesPerJob"], json!({"start": 1, "end": 99}));
        assert!(
            capabilities["contentTypes"]
                .as_array()
                .unwrap()
                .contains(&json!("application/pdf"))
        );
        let two = emu
            .get_json(&format!("{path}?$select=id,displayName"))
            .await;
        assert_eq!(members(&two), sorted(&["id", "displayName"]), "{two}");
    }
    let listed = emu
        .get_json("/print/printers?$select=id,capabilities")
        .await;
    for item in listed["value"].as_array().unwrap() {
        assert_eq!(members(item), sorted(&["id", "capabilities"]), "{item}");
    }
    let bad = emu
        .get(&format!("{}?$select=colour", printer(PRINTER_ID)))
        .await;
    // The OData parser's refusal: Graph's `BadRequest` for a query option.
    let error = assert_graph_error(&bad, 400, "BadRequest", None);
    assert!(
        error.error.message.contains("colour"),
        "{}",
        error.error.message
    );
    emu.stop().await;
}

#[tokio::test]
async fn jobs_and_documents_have_the_documented_properties() {
    let emu = Emulator::start().await;
    let (target, data) = uploaded_job(&emu, 321).await;
    let job = emu.get_json(&target.job_path()).await;
    assert_eq!(
        members(&job),
        sorted(&[
            "id",
            "createdDateTime",
            "createdBy",
            "status",
            "configuration",
            "redirectedTo",
            "redirectedFrom",
            "isFetchable",
            "documents",
        ]),
        "{job}"
    );
    assert_eq!(job["redirectedTo"], serde_json::Value::Null);
    assert_eq!(job["redirectedFrom"], serde_json::Value::Null);
    assert_eq!(job["createdBy"]["id"], USER_ID, "{job}");
    assert_eq!(
        members(&job["status"]),
        sorted(&["state", "description", "details", "isAcquiredByPrinter"]),
        "printJobStatus.md"
    );
    let document_fields = sorted(&["id", "displayName", "contentType", "size"]);
    assert_eq!(members(&job["documents"][0]), document_fields, "{job}");
    let document = emu.get_json(&target.document_path()).await;
    assert_eq!(members(&document), document_fields, "{document}");
    assert_eq!(document["displayName"], "report.pdf");
    assert_eq!(document["size"], data.len());
    let listed = emu
        .get_json(&format!("{}/documents", target.job_path()))
        .await;
    assert_eq!(members(&listed["value"][0]), document_fields, "{listed}");
    emu.stop().await;
}
