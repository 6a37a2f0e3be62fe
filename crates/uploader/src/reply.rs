//! Reading the replies to PUTs: how each moves the upload on, and what the final one says.

use crate::error::{ServiceError, UploadError};
use crate::outcome::UploadOutcome;
use crate::retry::{Verdict, classify};
use graph_upload_models::{DriveItem, PrintDocument, UploadSessionStatus};
use graph_upload_ranges::RangeSet;
use graph_upload_transport::Response;
use std::time::Duration;

/// How the session is finished: what kind of final reply to expect.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum FinalReply {
    PrintDocument,
    Location,
    /// A drive: the driveItem; with a deferred commit, a `202` that lists nothing missing
    /// ends the PUTs ([`UploadOutcome::Other`] with status `202`: commit next).
    DriveItem {
        deferred: bool,
    },
    Any,
}

/// The status of the [`UploadOutcome::Other`] that stands for "every byte is there, commit
/// the drive upload" (a deferred commit).
pub(crate) const COMMIT_PENDING: u16 = 202;

impl FinalReply {
    /// The outcome of a deferred drive commit's session holding every byte, if this is one.
    pub(crate) fn commit_pending(self) -> Option<UploadOutcome> {
        (self == FinalReply::DriveItem { deferred: true }).then(|| UploadOutcome::Other {
            status: COMMIT_PENDING,
            body: String::new(),
        })
    }
}

/// How a reply to a PUT moves the upload on.
#[derive(Debug)]
pub(crate) enum Reply {
    Done(UploadOutcome),
    Progress(Vec<String>),
    Resync,
    Retry(String, Option<Duration>),
}

/// Reads a reply to a PUT to `url`, by the one classifier.
pub(crate) fn read(
    url: &str,
    response: &Response,
    reply: FinalReply,
) -> Result<Reply, UploadError> {
    match classify(response) {
        Verdict::Done if response.status().as_u16() == 201 => {
            Ok(Reply::Done(outcome(response, reply)?))
        }
        Verdict::Done => {
            let parsed: UploadSessionStatus = if response.body().is_empty() {
                UploadSessionStatus::default()
            } else {
                response.json().map_err(|error| {
                    UploadError::unparsable(
                        &format!("a {} reply is not an upload status", response.status()),
                        error,
                    )
                })?
            };
            let accepted = response.status().as_u16() == COMMIT_PENDING;
            match (parsed.next_expected_ranges, reply.commit_pending()) {
                (Some(ranges), Some(pending)) if ranges.is_empty() && accepted => {
                    Ok(Reply::Done(pending))
                }
                (None, Some(pending)) if accepted => Ok(Reply::Done(pending)),
                (Some(ranges), _) => Ok(Reply::Progress(ranges)),
                (None, _) => Ok(Reply::Done(outcome(response, reply)?)),
            }
        }
        Verdict::Resync => Ok(Reply::Resync),
        Verdict::Gone => Err(UploadError::SessionGone),
        Verdict::Retry { reason, wait } => Ok(Reply::Retry(reason, wait)),
        Verdict::Refused => Err(ServiceError::new(url, response).into()),
    }
}

fn outcome(response: &Response, reply: FinalReply) -> Result<UploadOutcome, UploadError> {
    let location = response.header_str("location").map(str::to_owned);
    let other = || UploadOutcome::Other {
        status: response.status().as_u16(),
        body: String::from_utf8_lossy(response.body()).into_owned(),
    };
    match (reply, location) {
        (FinalReply::Location | FinalReply::Any, Some(location)) => {
            Ok(UploadOutcome::Attachment { location })
        }
        (FinalReply::PrintDocument, _) => match response.json::<PrintDocument>() {
            Ok(document) if !document.id.is_empty() => Ok(UploadOutcome::PrintDocument(document)),
            Ok(_) => Err(UploadError::protocol(format!(
                "the upload ended with HTTP {} but the reply carries no printDocument id",
                response.status()
            ))),
            Err(error) => Err(UploadError::unparsable(
                "the final reply is not a printDocument",
                error,
            )),
        },
        (FinalReply::DriveItem { .. }, _) => match response.json::<DriveItem>() {
            Ok(item) if !item.id.is_empty() => Ok(UploadOutcome::DriveItem(Box::new(item))),
            Ok(_) => Err(UploadError::protocol(format!(
                "the upload ended with HTTP {} but the reply carries no driveItem id",
                response.status()
            ))),
            Err(error) => Err(UploadError::unparsable(
                "the final reply is not a driveItem",
                error,
            )),
        },
        (FinalReply::Any, None) => match response.json::<PrintDocument>() {
            // A session created elsewhere: recognise a printDocument by its id.
            Ok(document) if !document.id.is_empty() => Ok(UploadOutcome::PrintDocument(document)),
            _ => Ok(other()),
        },
        (FinalReply::Location, None) => Ok(other()),
    }
}

/// The server's `nextExpectedRanges` as the set of missing bytes.
pub(crate) fn missing_from(ranges: &[String], size: u64) -> Result<RangeSet, UploadError> {
    RangeSet::from_expected(ranges, size).map_err(|error| {
        UploadError::protocol(format!(
            "nextExpectedRanges {ranges:?} do not fit a {size}-byte file: {error}"
        ))
    })
}
