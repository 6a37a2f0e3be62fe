//! Outlook attachments in the emulator (`docs/protocol.md` section 7): upload sessions on
//! messages and events for `/me` and `/users/{id}`, their limits, mixed-case replies,
//! `Location`, fixed expiry, listing and `$value`, the one-shot POST, To Do's one-shot POST
//! and its limit, and bad input. Each test starts its own server on `127.0.0.1:0`.

mod bad_input;
mod limits;
mod one_shot;
mod sessions;

use graph_upload_testkit::reply::Reply;
use serde_json::json;

/// 3 MB, the smallest Outlook session.
pub(crate) const MIN: usize = 3_000_000;
/// 4 MB, the largest Outlook fragment.
pub(crate) const FRAGMENT: usize = 4_000_000;

/// Checks an Outlook progress reply: `200`, exactly Outlook's mixed-case members, one start.
#[track_caller]
pub(crate) fn assert_outlook_progress(reply: &Reply, next: u64) {
    assert_eq!(reply.status, 200, "{}", reply.text());
    assert_eq!(
        reply.keys(),
        ["@odata.context", "ExpirationDateTime", "nextExpectedRanges"],
        "{}",
        reply.text()
    );
    assert_eq!(
        reply.value()["nextExpectedRanges"],
        json!([next.to_string()]),
        "{}",
        reply.text()
    );
}

/// Checks an Outlook completion: `201`, no body, `Location` ending in the attachment's id;
/// returns the id.
#[track_caller]
pub(crate) fn assert_outlook_done(reply: &Reply, item: &str) -> String {
    assert_eq!(reply.status, 201, "{}", reply.text());
    assert!(reply.body.is_empty(), "{}", reply.text());
    let location = reply.header("location").expect("Location").to_string();
    assert!(
        location.contains(&format!("{item}/attachments/")) || {
            // `/me/...` items are answered under `/users/{id}/...`.
            let tail = item.trim_start_matches("/me");
            location.contains(&format!("{tail}/attachments/"))
        },
        "{location}"
    );
    graph_upload_testkit::emulator::last_segment(&location)
}
