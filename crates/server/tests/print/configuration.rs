//! printJobConfiguration.md (with enums.md, integerRange.md, printMargin.md), via
//! printer-post-jobs.md / printershare-post-jobs.md: a valid configuration is stored and
//! echoed; a wrong type, an unknown enum value or an unknown property answers `400` with
//! Graph's error body naming the property.

use graph_upload_models::error_codes;
use graph_upload_server::fixtures::{PRINTER_ID, SHARE_ID};
use graph_upload_testkit::emulator::{Emulator, assert_graph_error, printer, share};
use serde_json::json;

#[tokio::test]
async fn a_valid_configuration_is_stored_and_echoed() {
    let emu = Emulator::start().await;
    let configuration = json!({
        "pageRanges": [{"start": 1, "end": 2}], "quality": "high", "dpi": 600,
        "feedOrientation": "longEdgeFirst", "orientation": "landscape",
        "duplexMode": "flipOnLongEdge", "copies": 2, "colorMode": "blackAndWhite",
        "inputBin": "tray-1", "outputBin": "top", "mediaSize": "A4",
        "margin": {"top": 0, "bottom": 0, "left": 0, "right": 0}, "mediaType": "stationery",
        "finishings": ["staple", "punch"], "pagesPerSheet": 2,
        "multipageLayout": "clockwiseFromTopLeft", "collate": true, "scaling": "fit",
        "fitPdfToPage": false
    });
    for parent in [share(SHARE_ID), printer(PRINTER_ID)] {
        let reply = emu
            .post_json(
                &format!("{parent}/jobs"),
                &json!({"configuration": configuration}),
            )
            .await;
        assert_eq!(reply.status, 201, "{}", reply.text());
        let created = reply.value();
        assert_eq!(created["configuration"], configuration);
        let read = emu
            .get_json(&format!(
                "{parent}/jobs/{}",
                created["id"].as_str().unwrap()
            ))
            .await;
        assert_eq!(read["configuration"], configuration);
    }
    emu.stop().await;
}

#[tokio::test]
async fn invalid_configurations_are_refused_naming_the_property() {
    let emu = Emulator::start().await;
    let path = format!("{}/jobs", share(SHARE_ID));
    let before = emu.get_json(&path).await["value"].as_array().unwrap().len();
    for (configuration, named) in [
        (json!({"copies": "2"}), "configuration.copies"),
        (json!({"copies": 1.5}), "configuration.copies"),
        (
            json!({"duplexMode": "sideways"}),
            "configuration.duplexMode",
        ),
        (json!({"colorMode": 1}), "configuration.colorMode"),
        (
            json!({"orientation": "Portrait"}),
            "configuration.orientation",
        ),
        (json!({"finishings": "staple"}), "configuration.finishings"),
        (
            json!({"finishings": ["glitter"]}),
            "configuration.finishings",
        ),
        (json!({"margin": {"top": "1"}}), "configuration.margin"),
        (
            json!({"margin": {"middle": 1}}),
            "configuration.margin.middle",
        ),
        (
            json!({"pageRanges": [{"start": 5, "end": 2}]}),
            "configuration.pageRanges",
        ),
        (
            json!({"pageRanges": [{"first": 1}]}),
            "configuration.pageRanges.first",
        ),
        (json!({"collate": "true"}), "configuration.collate"),
        (json!({"staples": 2}), "configuration.staples"),
        (json!("duplex"), "configuration"),
    ] {
        let reply = emu
            .post_json(&path, &json!({"configuration": configuration}))
            .await;
        let error = assert_graph_error(&reply, 400, error_codes::INVALID_REQUEST, None);
        assert!(
            error.error.message.contains(&format!("'{named}'")),
            "{configuration}: {}",
            error.error.message
        );
    }
    // Unknown properties of the job itself.
    let reply = emu
        .post_json(&path, &json!({"configuration": {}, "priority": 1}))
        .await;
    let error = assert_graph_error(&reply, 400, error_codes::INVALID_REQUEST, None);
    assert!(
        error.error.message.contains("'priority'"),
        "{}",
        error.error.message
    );
    let after = emu.get_json(&path).await["value"].as_array().unwrap().len();
    assert_eq!(after, before, "no job was created by a refused request");
    emu.stop().await;
}
