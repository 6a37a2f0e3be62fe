//! The Outlook flow: messages and events, `/me` and `/users/{id}`, the `201` create with its
//! `AttachmentItem`, PUTs as `application/octet-stream` without the token, the mixed-case
//! replies, the `Location` of the new attachment, the 150 MB limit.

use crate::helpers::{Q, uploader};
use graph_upload::models::{OUTLOOK_MAX_ATTACHMENT_SIZE, OUTLOOK_MIN_SESSION_SIZE};
use graph_upload::transport::Transport;
use graph_upload::{InvalidInput, LimitError, OutlookItem, UploadError, UploadSource};
use graph_upload_testkit::uploader_mocks::{
    Completion, EXPIRY, FakeSession, RangeStyle, SessionSpec, Step, all_requests,
    assert_bodies_match, assert_no_byte_twice, content_ranges, cr, pattern, puts, requests,
};
use std::sync::Arc;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

const SESSION: &str = "/api/v2.0/Users('u')/Messages('m')/AttachmentSessions('s')";

fn location(server: &MockServer) -> String {
    format!(
        "{}/api/v2.0/Users('u')/Messages('m')/Attachments('AAMkATT=')",
        server.uri()
    )
}

/// An Outlook session: `200` with start-only ranges, `201` + `Location`, `401` to a request
/// that carries `Authorization` (the URL carries its own token).
fn outlook_session(size: u64, location: &str) -> SessionSpec {
    SessionSpec {
        size,
        style: RangeStyle::StartOnlyPascal,
        completion: Completion::Location(location.into()),
        session_path: SESSION.into(),
        put_path: SESSION.into(),
        bearer: None,
        preloaded: Vec::new(),
    }
}

async fn mount_create(server: &MockServer, create_path: &str) {
    Mock::given(method("POST"))
        .and(path(format!("/v1.0{create_path}")))
        .respond_with(ResponseTemplate::new(201).set_body_json(serde_json::json!({
            "@odata.context": "https://graph.microsoft.com/v1.0/$metadata#microsoft.graph.uploadSession",
            "uploadUrl": format!("{}{SESSION}?authtoken=secret", server.uri()),
            "expirationDateTime": EXPIRY,
            "nextExpectedRanges": ["0-"]
        })))
        .expect(1)
        .mount(server)
        .await;
}

pub(crate) async fn outlook_message_upload_uses_the_201_session_octet_stream_and_the_location(
    transport: Arc<dyn Transport>,
) {
    let server = MockServer::start().await;
    let size = OUTLOOK_MIN_SESSION_SIZE + 5;
    let data = pattern(size as usize, 11);
    // The second reply as Outlook writes it: mixed case, one start value.
    let mixed = ResponseTemplate::new(200).set_body_json(serde_json::json!({
        "@odata.context": "https://outlook.office.com/api/v2.0/$metadata#Users('u')/Messages('m')/AttachmentSessions/$entity",
        "ExpirationDateTime": EXPIRY,
        "nextExpectedRanges": [format!("{}", 2 * Q)]
    }));
    let fake = FakeSession::new(outlook_session(size, &location(&server)))
        .on_put(1, Step::StoreThenReply(mixed));
    fake.mount(&server).await;
    mount_create(&server, "/me/messages/m-1/attachments/createUploadSession").await;
    let (uploader, _timer) = uploader(&server, transport);

    let uploaded = uploader
        .outlook_attachment(OutlookItem::Message("m-1".into()))
        .name("slides.pptx")
        .content_type("application/vnd.ms-powerpoint")
        .fragment_size(2 * Q)
        .upload(&UploadSource::from_bytes(data.clone()))
        .await
        .expect("the Outlook upload succeeds");

    assert_eq!(uploaded.item.location, location(&server));
    assert_eq!(uploaded.item.id, "AAMkATT=");
    let requests = requests(&server).await;
    let create: serde_json::Value = requests[0].body_json().expect("JSON body");
    assert_eq!(
        create,
        serde_json::json!({"AttachmentItem": {
            "attachmentType": "file", "name": "slides.pptx", "size": size,
            "contentType": "application/vnd.ms-powerpoint"
        }})
    );
    let puts = puts(&requests);
    assert_eq!(content_ranges(&puts)[0], cr(0..2 * Q, size));
    assert_eq!(content_ranges(&puts)[1], cr(2 * Q..4 * Q, size));
    for put in &puts {
        assert_eq!(put.query.as_deref(), Some("authtoken=secret"));
        assert_eq!(put.authorization, None, "no token on Outlook PUTs");
        assert_eq!(
            put.content_type.as_deref(),
            Some("application/octet-stream")
        );
    }
    assert_bodies_match(&puts, &data);
    assert_no_byte_twice(&puts);
}

pub(crate) async fn outlook_event_of_another_user_inline_uses_its_path_and_content_id(
    transport: Arc<dyn Transport>,
) {
    let server = MockServer::start().await;
    let size = OUTLOOK_MIN_SESSION_SIZE + 12 * Q;
    let data = pattern(size as usize, 12);
    FakeSession::new(outlook_session(size, &location(&server)))
        .mount(&server)
        .await;
    mount_create(
        &server,
        "/users/user-5/events/e-1/attachments/createUploadSession",
    )
    .await;
    let (uploader, _timer) = uploader(&server, transport);

    uploader
        .outlook_attachment(OutlookItem::Event("e-1".into()))
        .user("user-5")
        .inline("logo@1")
        .upload(&UploadSource::from_bytes(data.clone()))
        .await
        .expect("the Outlook upload succeeds");

    let requests = requests(&server).await;
    let create: serde_json::Value = requests[0].body_json().expect("JSON body");
    assert_eq!(create["AttachmentItem"]["isInline"], true);
    assert_eq!(create["AttachmentItem"]["contentId"], "logo@1");
    assert_eq!(create["AttachmentItem"]["name"], "attachment");
    let puts = puts(&requests);
    assert_eq!(
        content_ranges(&puts)[..2],
        [cr(0..8 * Q, size), cr(8 * Q..20 * Q, size)],
        "8 quanta at first, then the largest multiple of 320 KiB within 4 MB"
    );
    assert_bodies_match(&puts, &data);
}

pub(crate) async fn outlook_over_150_mb_is_refused_before_anything_is_sent(
    transport: Arc<dyn Transport>,
) {
    let server = MockServer::start().await;
    let file = tempfile::NamedTempFile::new().expect("temp file");
    file.as_file()
        .set_len(OUTLOOK_MAX_ATTACHMENT_SIZE + 1)
        .expect("size the file");
    let source = UploadSource::from_path(file.path()).expect("open the file");
    let (uploader, _timer) = uploader(&server, transport);

    let error = uploader
        .outlook_attachment(OutlookItem::Message("m".into()))
        .upload(&source)
        .await
        .expect_err("over the limit");

    assert!(
        matches!(
            error,
            UploadError::Invalid(InvalidInput::Limit(LimitError::FileOverLimit { .. }))
        ),
        "{error:?}"
    );
    assert!(all_requests(&server).await.is_empty(), "nothing sent");
}
