//! Small files: one `POST .../attachments` carrying the bytes as base64 `contentBytes`, where
//! Graph refuses a session (Outlook under 3 MB) or one is not worth it (To Do under 3 MB).
//! `docs/protocol.md` section 3 and PROTOCOL.md section 7.

use crate::error::UploadError;
use crate::flow::Common;
use crate::outcome::Uploaded;
use crate::progress::ProgressEvent;
use crate::retry::Stage;
use crate::source::UploadSource;
use crate::uploader::Uploader;
use base64::Engine as _;
use serde::de::DeserializeOwned;

/// What the one-shot create answered: the attachment and where it lives.
#[derive(Debug)]
pub(crate) struct Attached<T> {
    /// The attachment as the service returned it.
    pub attachment: T,
    /// `Location` of the reply, when the service sent one.
    pub location: Option<String>,
}

/// Posts `attachment` (a JSON object without its bytes) to `{base}{path}` with `source`'s
/// bytes as `contentBytes`, through the one retry loop, reporting progress as one fragment.
/// The caller has checked the size: the file (at most 3 MB) is held in memory once, with its
/// base64 text.
pub(crate) async fn attach<T>(
    uploader: &Uploader,
    common: &Common,
    path: &str,
    mut attachment: serde_json::Value,
    source: &UploadSource,
) -> Result<Uploaded<Attached<T>>, UploadError>
where
    T: DeserializeOwned,
{
    let progress = &common.watch.progress;
    let size = source.len();
    if common.watch.cancel.is_cancelled() {
        return Err(UploadError::Cancelled);
    }
    let bytes = source.read_all().await.map_err(UploadError::Source)?;
    if let Some(object) = attachment.as_object_mut() {
        object.insert(
            "contentBytes".into(),
            base64::engine::general_purpose::STANDARD
                .encode(&bytes)
                .into(),
        );
    }
    drop(bytes);
    progress.emit(ProgressEvent::FragmentStarted(0..size));
    let response = uploader
        .service()
        .post_json(path, &attachment, Stage::BeforeSession, &common.watch)
        .await?;
    let parsed: T = response.json().map_err(|error| {
        UploadError::unparsable("the created attachment is not an attachment", error)
    })?;
    progress.emit(ProgressEvent::FragmentAcknowledged {
        span: 0..size,
        acknowledged: size,
        total: size,
    });
    progress.emit(ProgressEvent::Completed { total: size });
    Ok(Uploaded {
        item: Attached {
            attachment: parsed,
            location: response.header_str("location").map(str::to_owned),
        },
        bytes_sent: size,
        bytes_resent: 0,
    })
}
