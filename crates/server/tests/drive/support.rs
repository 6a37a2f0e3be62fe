//! What the drive tests share: uploading a whole file in order, and checking the driveItem a
//! commit answers.

use graph_upload_testkit::emulator::{Emulator, QUANTUM};
use graph_upload_testkit::reply::Reply;
use serde_json::Value;

/// `/me/drive/root:/Documents/{name}:`.
pub fn in_documents(name: &str) -> String {
    format!("/me/drive/root:/Documents/{name}:")
}

/// Uploads `data` in order in 320 KiB fragments; every reply but the last must be `202`
/// with the rest of the file, closed, as its one missing range. Returns the last reply.
pub async fn upload(emu: &Emulator, url: &str, data: &[u8]) -> Reply {
    if data.is_empty() {
        return emu.put_empty(url).await;
    }
    let total = data.len() as u64;
    let mut offset = 0;
    loop {
        let end = (offset + QUANTUM).min(data.len());
        let reply = emu
            .put_fragment(url, offset as u64, &data[offset..end], total)
            .await;
        if end == data.len() {
            return reply;
        }
        assert_eq!(reply.status, 202, "fragment at {offset}: {}", reply.text());
        assert_eq!(
            reply.value()["nextExpectedRanges"],
            serde_json::json!([format!("{end}-{}", total - 1)]),
            "closed ranges"
        );
        offset = end;
    }
}

/// Checks a committed driveItem: `status`, its name, size, file facet, tags, timestamps and
/// parent; returns it.
#[track_caller]
pub fn assert_item(reply: &Reply, status: u16, name: &str, size: usize, parent_id: &str) -> Value {
    assert_eq!(reply.status, status, "{}", reply.text());
    let item = reply.value();
    assert!(!item["id"].as_str().unwrap_or("").is_empty(), "{item}");
    assert_eq!(item["name"], name, "{item}");
    assert_eq!(item["size"], size as u64, "{item}");
    assert!(item["file"]["mimeType"].is_string(), "{item}");
    assert!(
        item["eTag"].is_string() && item["cTag"].is_string(),
        "{item}"
    );
    assert!(item["createdDateTime"].is_string(), "{item}");
    assert!(item["lastModifiedDateTime"].is_string(), "{item}");
    assert_eq!(item["parentReference"]["id"], parent_id, "{item}");
    assert!(item["parentReference"]["driveId"].is_string(), "{item}");
    item
}
