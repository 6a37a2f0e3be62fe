//! The fixture resources under every path prefix, and print jobs as they are created.

use crate::checks::ids;
use graph_upload_server::fixtures::{
    LIST_ID, OXPS_PRINTER_ID, PHOTO_PRINTER_ID, PRINTER_ID, SHARE_ID, TASK_ID, USER_ID,
};
use graph_upload_testkit::emulator::{Emulator, PrintTarget, TOKEN, printer, share};
use reqwest::Method;
use serde_json::json;

#[tokio::test]
async fn list_endpoints_find_the_fixtures_under_every_prefix() {
    let emu = Emulator::start().await;
    for prefix in ["/v1.0", "/beta", ""] {
        let get = |path: String| {
            let emu = &emu;
            async move {
                let reply = emu
                    .send(emu.bare(Method::GET, &path).bearer_auth(TOKEN))
                    .await;
                assert_eq!(reply.status, 200, "GET {path}: {}", reply.text());
                assert!(
                    reply
                        .header("content-type")
                        .is_some_and(|t| t.starts_with("application/json")),
                    "GET {path}"
                );
                reply.value()
            }
        };
        let printers = get(format!("{prefix}/print/printers")).await;
        let printer_ids = ids(&printers);
        for id in [PRINTER_ID, OXPS_PRINTER_ID, PHOTO_PRINTER_ID] {
            assert!(
                printer_ids.contains(&id.to_string()),
                "{prefix}: {printers}"
            );
        }
        // printer-get.md: capabilities only when `$select` asks for them.
        let main = get(format!(
            "{prefix}/print/printers/{PRINTER_ID}?$select=id,capabilities"
        ))
        .await;
        let types = main["capabilities"]["contentTypes"].as_array().unwrap();
        assert!(types.contains(&json!("application/pdf")), "{main}");
        assert!(!types.contains(&json!("application/oxps")), "{main}");

        let shares = get(format!("{prefix}/print/shares")).await;
        assert!(ids(&shares).contains(&SHARE_ID.to_string()), "{shares}");
        let one = get(format!("{prefix}/print/shares/{SHARE_ID}")).await;
        assert_eq!(one["id"], SHARE_ID);
        let one = get(format!("{prefix}/print/printers/{PHOTO_PRINTER_ID}")).await;
        assert_eq!(one["id"], PHOTO_PRINTER_ID);

        for owner in ["/me".to_string(), format!("/users/{USER_ID}")] {
            let lists = get(format!("{prefix}{owner}/todo/lists")).await;
            assert!(ids(&lists).contains(&LIST_ID.to_string()), "{lists}");
            let list = get(format!("{prefix}{owner}/todo/lists/{LIST_ID}")).await;
            assert_eq!(list["id"], LIST_ID);
            let tasks = get(format!("{prefix}{owner}/todo/lists/{LIST_ID}/tasks")).await;
            assert!(ids(&tasks).contains(&TASK_ID.to_string()), "{tasks}");
            let task = get(format!(
                "{prefix}{owner}/todo/lists/{LIST_ID}/tasks/{TASK_ID}"
            ))
            .await;
            assert_eq!(task["id"], TASK_ID);
            let attachments = get(format!(
                "{prefix}{owner}/todo/lists/{LIST_ID}/tasks/{TASK_ID}/attachments"
            ))
            .await;
            assert_eq!(attachments["value"], json!([]));
        }
    }
    emu.stop().await;
}

#[tokio::test]
async fn print_jobs_are_created_paused_with_one_empty_document() {
    let emu = Emulator::start().await;
    let configuration = json!({"configuration": {"copies": 2, "colorMode": "grayscale"}});
    for (parent, body) in [
        (share(SHARE_ID), json!({})),
        (share(SHARE_ID), configuration.clone()),
        (printer(PRINTER_ID), json!({})),
        (printer(PRINTER_ID), configuration.clone()),
    ] {
        let reply = emu.post_json(&format!("{parent}/jobs"), &body).await;
        assert_eq!(reply.status, 201, "{parent}: {}", reply.text());
        let job = reply.value();
        assert_eq!(job["status"]["state"], "paused", "{job}");
        assert_eq!(job["status"]["details"], json!(["uploadPending"]), "{job}");
        let documents = job["documents"].as_array().expect("documents");
        assert_eq!(documents.len(), 1, "{job}");
        let document = &documents[0];
        assert!(!document["id"].as_str().unwrap().is_empty());
        assert_eq!(document["displayName"], "", "{document}");
        assert_eq!(document["contentType"], "", "{document}");
        assert_eq!(document["size"], 0, "{document}");
        if body.get("configuration").is_some() {
            assert_eq!(job["configuration"], body["configuration"], "{job}");
        }

        let target = PrintTarget::from_job(&parent, &job);
        let fetched = emu.get_json(&target.job_path()).await;
        assert_eq!(fetched, job, "GET job equals the created job");
        let listed = emu.get_json(&format!("{parent}/jobs")).await;
        assert!(ids(&listed).contains(&target.job));
        let docs = emu
            .get_json(&format!("{}/documents", target.job_path()))
            .await;
        assert_eq!(docs["value"], json!([document.clone()]));
        let mut doc = emu.get_json(&target.document_path()).await;
        // A single entity carries its own @odata.context; the one inside the job does not.
        assert!(
            doc.as_object_mut()
                .unwrap()
                .remove("@odata.context")
                .is_some()
        );
        assert_eq!(&doc, document);
    }
    // An empty request body is the same as `{}`.
    let reply = emu
        .send(emu.api(Method::POST, &format!("{}/jobs", share(SHARE_ID))))
        .await;
    assert_eq!(reply.status, 201, "{}", reply.text());
    emu.stop().await;
}
