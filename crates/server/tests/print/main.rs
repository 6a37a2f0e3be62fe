//! The print resources against Graph's reference pages (microsoft-graph-docs-contrib,
//! `api-reference/v1.0`): the job lifecycle and abort, printers and shares linked both ways,
//! the documented field sets, `$value`'s `302` and its download URL, and the validation of
//! `printJobConfiguration`. Each test names the page it follows.
//!
//! Each test starts its own server on `127.0.0.1:0` with a temporary data directory.

mod configuration;
mod download;
mod fields;
mod lifecycle;
mod links;

use graph_upload_server::fixtures::SHARE_ID;
use graph_upload_testkit::emulator::{Emulator, PrintTarget, share, test_data};

/// A job on the fixture share whose `size`-byte PDF is uploaded (not started).
pub(crate) async fn uploaded_job(emu: &Emulator, size: u64) -> (PrintTarget, Vec<u8>) {
    let target = emu.create_print_job(&share(SHARE_ID)).await;
    let session = emu
        .create_print_session(&target, "report.pdf", "application/pdf", size)
        .await;
    let data = test_data(size as usize, 7);
    let reply = emu
        .put_fragment(session.upload_url.as_str(), 0, &data, size)
        .await;
    assert_eq!(reply.status, 201, "last fragment: {}", reply.text());
    (target, data)
}

/// The property names of a JSON object, sorted (OData annotations such as
/// `@odata.context` are not properties).
pub(crate) fn members(value: &serde_json::Value) -> Vec<String> {
    let mut names: Vec<String> = value
        .as_object()
        .unwrap_or_else(|| panic!("an object: {value}"))
        .keys()
        .filter(|name| !name.starts_with('@'))
        .cloned()
        .collect();
    names.sort();
    names
}

/// `names`, sorted, as owned strings.
pub(crate) fn sorted(names: &[&str]) -> Vec<String> {
    let mut names: Vec<String> = names.iter().map(|n| n.to_string()).collect();
    names.sort();
    names
}

/// `value` without its OData annotations (`@odata.context`...), which depend on the path
/// a resource was read through.
pub(crate) fn without_annotations(value: &serde_json::Value) -> serde_json::Value {
    let mut value = value.clone();
    if let Some(object) = value.as_object_mut() {
        object.retain(|name, _| !name.starts_with('@'));
    }
    value
}
