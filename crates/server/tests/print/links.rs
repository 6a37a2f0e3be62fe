//! printerShare.md (relationships `printer`, `jobs`: "the jobs queued for printing by the
//! printer associated with this printer share"), printer.md (relationship `shares`),
//! printer-list-jobs.md, printershare-list-jobs.md, printer-list-shares.md.

use crate::without_annotations;
use graph_upload_server::fixtures::{OXPS_PRINTER_ID, PRINTER_ID, SHARE_ID};
use graph_upload_testkit::emulator::{Emulator, PrintTarget, printer, share};

fn job_ids(list: &serde_json::Value) -> Vec<String> {
    list["value"]
        .as_array()
        .unwrap_or_else(|| panic!("a collection: {list}"))
        .iter()
        .map(|job| job["id"].as_str().unwrap().to_string())
        .collect()
}

#[tokio::test]
async fn jobs_are_visible_through_the_share_and_its_printer_both_ways() {
    let emu = Emulator::start().await;
    let through_share = emu.create_print_job(&share(SHARE_ID)).await;
    let through_printer = emu.create_print_job(&printer(PRINTER_ID)).await;
    let elsewhere = emu.create_print_job(&printer(OXPS_PRINTER_ID)).await;

    for parent in [share(SHARE_ID), printer(PRINTER_ID)] {
        let listed = job_ids(&emu.get_json(&format!("{parent}/jobs")).await);
        assert!(listed.contains(&through_share.job), "{parent}: {listed:?}");
        assert!(
            listed.contains(&through_printer.job),
            "{parent}: {listed:?}"
        );
        assert!(!listed.contains(&elsewhere.job), "{parent}: {listed:?}");
        for job in [&through_share, &through_printer] {
            let seen = PrintTarget {
                parent: parent.clone(),
                ..job.clone()
            };
            let read = emu.get_json(&seen.job_path()).await;
            assert_eq!(read["id"], job.job.as_str());
            let document = emu.get_json(&seen.document_path()).await;
            assert_eq!(document["id"], job.document.as_str());
        }
    }
    let listed = job_ids(
        &emu.get_json(&format!("{}/jobs", printer(OXPS_PRINTER_ID)))
            .await,
    );
    assert_eq!(listed, vec![elsewhere.job.clone()]);
    emu.stop().await;
}

#[tokio::test]
async fn navigation_between_a_share_and_its_printer() {
    let emu = Emulator::start().await;
    let behind = emu.get_json(&format!("{}/printer", share(SHARE_ID))).await;
    assert_eq!(behind["id"], PRINTER_ID, "{behind}");
    assert_eq!(
        without_annotations(&behind),
        without_annotations(&emu.get_json(&printer(PRINTER_ID)).await)
    );

    let shares = emu
        .get_json(&format!("{}/shares", printer(PRINTER_ID)))
        .await;
    let ids: Vec<_> = shares["value"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| &s["id"])
        .collect();
    assert_eq!(ids, vec![SHARE_ID], "{shares}");
    assert_eq!(
        without_annotations(&shares["value"][0]),
        without_annotations(&emu.get_json(&share(SHARE_ID)).await),
        "the listed share is the share"
    );
    // A printer without a share lists none; unknown parents are 404.
    let none = emu
        .get_json(&format!("{}/shares", printer(OXPS_PRINTER_ID)))
        .await;
    assert_eq!(none["value"], serde_json::json!([]));
    for path in [
        format!("{}/printer", share("00000000-0000-4000-8000-000000000000")),
        format!("{}/shares", printer("00000000-0000-4000-8000-000000000000")),
    ] {
        let reply = emu.get(&path).await;
        assert_eq!(reply.status, 404, "{path}: {}", reply.text());
    }
    emu.stop().await;
}
