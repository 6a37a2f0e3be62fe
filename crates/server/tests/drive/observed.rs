//! Drive calls as the emulator's own routes see them: fault rules count drive creates, PUTs,
//! status GETs and DELETEs by their kind, and `/_emulator/sessions` lists drive sessions.

use crate::support::in_documents;
use graph_upload_server::FaultRule;
use graph_upload_server::fixtures::{USER_DOCUMENTS_ID, USER_DRIVE_ID};
use graph_upload_testkit::emulator::{Emulator, test_data};

#[tokio::test]
async fn fault_rules_and_the_session_list_see_drive_calls() {
    let rules = FaultRule::parse_list(
        br#"[{"route": "create", "every": 2, "status": 503},
             {"route": "put", "every": 2, "status": 503},
             {"route": "status", "every": 2, "status": 503},
             {"route": "delete", "every": 2, "status": 503}]"#,
    )
    .expect("fault rules");
    let emu = Emulator::start_with(|config| {
        config.faults = rules;
        config.fault_seed = Some(1);
    })
    .await;
    let path = in_documents("faulty.bin");
    // Every second call of each kind fails.
    let session = emu.create_drive_session(&path, None).await;
    assert_eq!(emu.create_drive_session_raw(&path, None).await.status, 503);
    let url = &session.upload_url;
    let data = test_data(1000, 9);
    assert_eq!(
        emu.put_fragment(url, 0, &data[..500], 1000).await.status,
        202
    );
    assert_eq!(
        emu.put_fragment(url, 500, &data[500..], 1000).await.status,
        503
    );
    assert_eq!(emu.get_status(url).await.status, 200);
    assert_eq!(emu.get_status(url).await.status, 503);
    let listed = emu.open_sessions().await;
    assert_eq!(listed.len(), 1, "{listed:?}");
    assert_eq!(listed[0]["kind"], "drive");
    assert_eq!(
        listed[0]["ownerPath"],
        format!("/drives/{USER_DRIVE_ID}/items/{USER_DOCUMENTS_ID}:/faulty.bin:")
    );
    assert_eq!(listed[0]["bytesReceived"], 500);
    assert_eq!(
        listed[0]["nextExpectedRanges"],
        serde_json::json!(["500-999"])
    );
    assert_eq!(emu.delete_session(url).await.status, 204);
    let stats = emu.stats().await;
    assert!(stats.to_string().contains("503"), "{stats}");
    emu.stop().await;
}
