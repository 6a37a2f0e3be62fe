//! printdocument-get-file.md: `$value` answers `302 Found` with a pre-authenticated download
//! URL in `Location`. The emulator's URL carries a signed, expiring `tempauthtoken`, refuses
//! an `Authorization` header (so a client that forwards its token on the redirect fails),
//! and answers `401` once expired or tampered with.

use crate::uploaded_job;
use graph_upload_models::error_codes;
use graph_upload_testkit::TOKEN;
use graph_upload_testkit::emulator::{Emulator, assert_graph_error};
use std::time::Duration;

#[tokio::test]
async fn value_redirects_to_a_download_url_that_serves_the_bytes_without_the_token() {
    let emu = Emulator::start().await;
    let (target, data) = uploaded_job(&emu, 5000).await;
    let reply = emu.get(&format!("{}/$value", target.document_path())).await;
    assert_eq!(reply.status, 302, "{}", reply.text());
    assert!(reply.body.is_empty());
    let location = reply.header("location").expect("Location").to_owned();
    assert!(
        location.starts_with(&emu.base),
        "{}",
        location.split('?').next().unwrap()
    );
    assert!(
        location.contains("?tempauthtoken="),
        "a pre-authenticated URL"
    );

    let download = emu.get_download(&location).await;
    assert_eq!(download.status, 200, "{}", download.text());
    assert_eq!(download.header("content-type"), Some("application/pdf"));
    assert_eq!(download.body, data);
    // The testkit's helper does the same, without the token.
    assert_eq!(emu.print_value(&target).await, data);

    // The bearer token must not be sent to the download URL.
    let with_token = emu.send(emu.client.get(&location).bearer_auth(TOKEN)).await;
    assert_graph_error(
        &with_token,
        401,
        error_codes::INVALID_AUTHENTICATION_TOKEN,
        None,
    );
    // Without, or with another, tempauthtoken: 401.
    let bare = location.split('?').next().unwrap().to_owned();
    for url in [bare.clone(), format!("{bare}?tempauthtoken=1.AAAA")] {
        let reply = emu.get_download(&url).await;
        assert_graph_error(&reply, 401, error_codes::INVALID_AUTHENTICATION_TOKEN, None);
    }
    // The token of one document does not open another.
    let (other, _) = uploaded_job(&emu, 10).await;
    let swapped = location.replace(&target.document, &other.document);
    let reply = emu.get_download(&swapped).await;
    assert_graph_error(&reply, 401, error_codes::INVALID_AUTHENTICATION_TOKEN, None);
    emu.stop().await;
}

#[tokio::test]
async fn the_download_url_expires() {
    let (emu, clock) = Emulator::start_with_clock(|config| {
        config.download_url_ttl = Duration::from_secs(60);
    })
    .await;
    let (target, data) = uploaded_job(&emu, 100).await;
    let location = emu.print_download_url(&target).await;
    clock.advance(Duration::from_secs(59));
    assert_eq!(emu.get_download(&location).await.body, data);
    clock.advance(Duration::from_secs(1));
    let expired = emu.get_download(&location).await;
    let error = assert_graph_error(
        &expired,
        401,
        error_codes::INVALID_AUTHENTICATION_TOKEN,
        None,
    );
    assert!(
        error.error.message.contains("expired"),
        "{}",
        error.error.message
    );
    // A new `$value` gives a fresh URL.
    assert_eq!(emu.print_value(&target).await, data);
    emu.stop().await;
}

#[tokio::test]
async fn the_download_url_survives_a_restart() {
    let mut emu = Emulator::start().await;
    let (target, data) = uploaded_job(&emu, 100).await;
    let location = emu.print_download_url(&target).await;
    let path = location
        .strip_prefix(&emu.base)
        .expect("on the emulator")
        .to_owned();
    emu.restart().await;
    let reply = emu.get_download(&format!("{}{path}", emu.base)).await;
    assert_eq!(reply.status, 200, "{}", reply.text());
    assert_eq!(reply.body, data);
    emu.stop().await;
}

#[tokio::test]
async fn the_download_url_answers_a_single_range() {
    let emu = Emulator::start().await;
    let (target, data) = uploaded_job(&emu, 1000).await;
    let location = emu.print_download_url(&target).await;
    let part = emu
        .send(emu.client.get(&location).header("range", "bytes=100-199"))
        .await;
    assert_eq!(part.status, 206, "{}", part.text());
    assert_eq!(part.header("content-range"), Some("bytes 100-199/1000"));
    assert_eq!(part.body, &data[100..200]);
    let tail = emu
        .send(emu.client.get(&location).header("range", "bytes=-10"))
        .await;
    assert_eq!(tail.status, 206);
    assert_eq!(tail.body, &data[990..]);
    let outside = emu
        .send(emu.client.get(&location).header("range", "bytes=1000-"))
        .await;
    assert_graph_error(&outside, 416, error_codes::INVALID_RANGE, None);
    emu.stop().await;
}
