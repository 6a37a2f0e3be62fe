//! The limits of Outlook sessions: the 3 MB floor and 150 MB ceiling at creation, the 4 MB
//! fragment, `Content-Type: application/octet-stream`, the pre-authenticated URL, in-order
//! fragments. Every refusal leaves nothing behind.

use crate::{FRAGMENT, MIN, assert_outlook_done, assert_outlook_progress};
use graph_upload_models::error_codes;
use graph_upload_testkit::emulator::{
    Emulator, TOKEN, assert_graph_error, event_path, message_path, test_data,
};
use serde_json::json;

fn session_body(size: u64) -> serde_json::Value {
    json!({"AttachmentItem": {"attachmentType": "file", "name": "f.bin", "size": size}})
}

#[tokio::test]
async fn sizes_below_3_mb_and_over_150_mb_get_no_session() {
    let emu = Emulator::start().await;
    for item in [message_path(), event_path()] {
        let before = emu.snapshot().await;
        for size in [0, 1, MIN as u64 - 1] {
            let reply = emu
                .create_outlook_session_raw(&item, &session_body(size))
                .await;
            assert_graph_error(
                &reply,
                400,
                "ErrorAttachmentSizeShouldNotBeLessThanMinimumSize",
                None,
            );
        }
        for size in [150_000_001, u64::MAX] {
            let reply = emu
                .create_outlook_session_raw(&item, &session_body(size))
                .await;
            assert_graph_error(&reply, 413, "ErrorMessageSizeExceeded", None);
        }
        assert_eq!(emu.snapshot().await, before);
        assert!(emu.open_sessions().await.is_empty());
    }
    // Both bounds are inside.
    for (item, size) in [(message_path(), MIN as u64), (event_path(), 150_000_000)] {
        let reply = emu
            .create_outlook_session_raw(&item, &session_body(size))
            .await;
        assert_eq!(reply.status, 201, "{size}: {}", reply.text());
    }
    assert_eq!(emu.open_sessions().await.len(), 2);
    emu.stop().await;
}

#[tokio::test]
async fn fragments_need_octet_stream_and_no_authorization_and_the_token() {
    let emu = Emulator::start().await;
    let data = test_data(MIN, 21);
    let total = data.len() as u64;
    let session = emu
        .create_outlook_session(&message_path(), "a.bin", total)
        .await;
    let url = session.upload_url.as_str().to_string();
    let range = format!("bytes 0-999/{total}");
    let put = |content_type: Option<&str>| {
        let request = emu
            .client
            .put(&url)
            .header("content-range", &range)
            .body(data[..1000].to_vec());
        match content_type {
            Some(value) => request.header("content-type", value),
            None => request,
        }
    };
    for content_type in [None, Some("text/plain"), Some("application/json")] {
        let reply = emu.send(put(content_type)).await;
        assert_graph_error(&reply, 415, error_codes::NOT_SUPPORTED, None);
    }
    // A bearer token on the pre-authenticated URL is refused; so is a URL without its
    // authtoken, or with another session's.
    let with_bearer = put(Some("application/octet-stream")).bearer_auth(TOKEN);
    assert_graph_error(
        &emu.send(with_bearer).await,
        401,
        error_codes::INVALID_AUTHENTICATION_TOKEN,
        None,
    );
    let bare = url.split('?').next().unwrap().to_string();
    let no_token = emu
        .client
        .put(&bare)
        .header("content-type", "application/octet-stream")
        .header("content-range", &range)
        .body(data[..1000].to_vec());
    assert_graph_error(
        &emu.send(no_token).await,
        401,
        error_codes::INVALID_AUTHENTICATION_TOKEN,
        None,
    );
    let other = emu
        .create_outlook_session(&message_path(), "b.bin", total)
        .await;
    let other_token = other
        .upload_url
        .as_str()
        .split('?')
        .nth(1)
        .unwrap()
        .to_string();
    assert_graph_error(
        &emu.send(emu.client.get(format!("{bare}?{other_token}")))
            .await,
        401,
        error_codes::INVALID_AUTHENTICATION_TOKEN,
        None,
    );
    // Nothing was stored; the parameters may carry a charset.
    assert_eq!(emu.missing(&url).await, ["0"]);
    let reply = emu
        .send(put(Some("Application/Octet-Stream; charset=binary")))
        .await;
    assert_outlook_progress(&reply, 1000);
    emu.stop().await;
}

#[tokio::test]
async fn fragments_are_at_most_4_mb_and_in_order() {
    let emu = Emulator::start().await;
    let data = test_data(FRAGMENT + 2_000_000, 22);
    let total = data.len() as u64;
    let session = emu
        .create_outlook_session(&event_path(), "big.bin", total)
        .await;
    let url = session.upload_url.as_str().to_string();
    assert_graph_error(
        &emu.put_fragment(&url, 0, &data[..FRAGMENT + 1], total)
            .await,
        413,
        error_codes::MAX_FRAGMENT_LENGTH_EXCEEDED,
        None,
    );
    // Not where the next fragment starts.
    assert_graph_error(
        &emu.put_fragment(&url, 1000, &data[1000..2000], total).await,
        416,
        error_codes::INVALID_RANGE,
        Some(error_codes::FRAGMENT_OUT_OF_ORDER),
    );
    assert_eq!(emu.missing(&url).await, ["0"]);
    // Exactly 4 MB is accepted; sending it again overlaps.
    assert_outlook_progress(
        &emu.put_fragment(&url, 0, &data[..FRAGMENT], total).await,
        FRAGMENT as u64,
    );
    assert_graph_error(
        &emu.put_fragment(&url, 0, &data[..FRAGMENT], total).await,
        416,
        error_codes::INVALID_RANGE,
        Some(error_codes::FRAGMENT_OVERLAP),
    );
    // A range whose total is not the declared size.
    assert_graph_error(
        &emu.put_fragment(&url, FRAGMENT as u64, &data[FRAGMENT..], total + 1)
            .await,
        400,
        error_codes::INVALID_REQUEST,
        Some(error_codes::FRAGMENT_LENGTH_MISMATCH),
    );
    let last = emu
        .put_fragment(&url, FRAGMENT as u64, &data[FRAGMENT..], total)
        .await;
    let id = assert_outlook_done(&last, &event_path());
    assert_eq!(emu.outlook_value(&event_path(), &id).await, data);
    emu.stop().await;
}
