//! The print upload URL's own credentials (`tempauthtoken`): tampered, rewritten, another
//! session's, missing; a bearer sent to it.

use crate::scene::{Scene, UNKNOWN, intruder};
use graph_upload_models::error_codes::INVALID_AUTHENTICATION_TOKEN;
use graph_upload_testkit::emulator::{Emulator, TOKEN, assert_graph_error};

#[tokio::test]
async fn bearer_sent_to_the_print_upload_url() {
    let scene = Scene::print(Emulator::start().await).await;
    let emu = &scene.emu;
    for value in [format!("Bearer {TOKEN}"), "Bearer other".to_string()] {
        let reply = emu
            .send(
                emu.put_request(&scene.url, "bytes 2048-3071/4096", intruder(1024))
                    .header("authorization", &value),
            )
            .await;
        assert_graph_error(&reply, 401, INVALID_AUTHENTICATION_TOKEN, None);
        let reply = emu
            .send(emu.client.get(&scene.url).header("authorization", &value))
            .await;
        assert_graph_error(&reply, 401, INVALID_AUTHENTICATION_TOKEN, None);
        let reply = emu
            .send(
                emu.client
                    .delete(&scene.url)
                    .header("authorization", &value),
            )
            .await;
        assert_graph_error(&reply, 401, INVALID_AUTHENTICATION_TOKEN, None);
    }
    scene.assert_unchanged().await;
    scene.finish_and_compare().await;
    scene.stop().await;
}

/// The upload URL with its `tempauthtoken` replaced by `token` (`None`: no query at all).
fn with_token(url: &str, token: Option<&str>) -> String {
    let base = url.split('?').next().unwrap();
    match token {
        Some(token) => format!("{base}?tempauthtoken={token}"),
        None => base.to_string(),
    }
}

fn token_of(url: &str) -> String {
    url.split("tempauthtoken=")
        .nth(1)
        .expect("tempauthtoken")
        .to_string()
}

/// PUT, GET and DELETE on `url` answer 401 and the scene is unchanged.
async fn refused_upload_url(scene: &Scene, url: &str) {
    let emu = &scene.emu;
    let reply = emu
        .send(emu.put_request(url, "bytes 2048-3071/4096", intruder(1024)))
        .await;
    assert_graph_error(&reply, 401, INVALID_AUTHENTICATION_TOKEN, None);
    assert_graph_error(
        &emu.get_status(url).await,
        401,
        INVALID_AUTHENTICATION_TOKEN,
        None,
    );
    assert_graph_error(
        &emu.delete_session(url).await,
        401,
        INVALID_AUTHENTICATION_TOKEN,
        None,
    );
    scene.assert_unchanged().await;
}

#[tokio::test]
async fn tampered_tempauthtoken() {
    let scene = Scene::print(Emulator::start().await).await;
    let token = token_of(&scene.url);
    let (expiry, tag) = token.split_once('.').unwrap();
    let flipped_tag = {
        let mut chars: Vec<char> = tag.chars().collect();
        chars[0] = if chars[0] == 'A' { 'B' } else { 'A' };
        chars.into_iter().collect::<String>()
    };
    let later: u64 = expiry.parse::<u64>().unwrap() + 3600;
    for bad in [
        format!("{expiry}.{flipped_tag}"),
        format!("{later}.{tag}"),
        format!("{expiry}.{}", &tag[..tag.len() - 1]),
        format!("{expiry}.{tag}A"),
        format!("{expiry}{tag}"),
        expiry.to_string(),
        tag.to_string(),
        "garbage".to_string(),
    ] {
        refused_upload_url(&scene, &with_token(&scene.url, Some(&bad))).await;
    }
    scene.finish_and_compare().await;
    scene.stop().await;
}

#[tokio::test]
async fn tempauthtoken_with_its_expiry_rewritten() {
    // The same number written another way is still a different token: the URL must be used
    // exactly as given.
    let scene = Scene::print(Emulator::start().await).await;
    let token = token_of(&scene.url);
    let (expiry, tag) = token.split_once('.').unwrap();
    for bad in [format!("0{expiry}.{tag}"), format!("%2B{expiry}.{tag}")] {
        refused_upload_url(&scene, &with_token(&scene.url, Some(&bad))).await;
    }
    scene.finish_and_compare().await;
    scene.stop().await;
}

#[tokio::test]
async fn tempauthtoken_of_another_session() {
    let scene = Scene::print(Emulator::start().await).await;
    let (_, other) = scene.emu.new_print_upload(10).await;
    let snapshot = scene.emu.snapshot().await;
    let url = with_token(&scene.url, Some(&token_of(&other.upload_url)));
    let emu = &scene.emu;
    let reply = emu
        .send(emu.put_request(&url, "bytes 2048-3071/4096", intruder(1024)))
        .await;
    assert_graph_error(&reply, 401, INVALID_AUTHENTICATION_TOKEN, None);
    assert_graph_error(
        &emu.get_status(&url).await,
        401,
        INVALID_AUTHENTICATION_TOKEN,
        None,
    );
    assert_graph_error(
        &emu.delete_session(&url).await,
        401,
        INVALID_AUTHENTICATION_TOKEN,
        None,
    );
    assert_eq!(emu.status_value(&scene.url).await, scene.status);
    assert_eq!(emu.snapshot().await, snapshot);
    scene.finish_and_compare().await;
    scene.stop().await;
}

#[tokio::test]
async fn tempauthtoken_missing() {
    let scene = Scene::print(Emulator::start().await).await;
    refused_upload_url(&scene, &with_token(&scene.url, None)).await;
    refused_upload_url(&scene, &with_token(&scene.url, Some(""))).await;
    let other_param = format!(
        "{}?token={}",
        with_token(&scene.url, None),
        token_of(&scene.url)
    );
    refused_upload_url(&scene, &other_param).await;
    scene.finish_and_compare().await;
    scene.stop().await;
}

#[tokio::test]
async fn unknown_print_session_with_a_foreign_token() {
    // A session id that does not exist cannot have a valid token: 401 before anything else.
    let scene = Scene::print(Emulator::start().await).await;
    let url = format!(
        "{}/uploadSessions/{UNKNOWN}?tempauthtoken={}",
        scene.emu.base,
        token_of(&scene.url)
    );
    refused_upload_url(&scene, &url).await;
    scene.stop().await;
}
