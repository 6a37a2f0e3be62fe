//! An upload to a session created elsewhere (by another Graph call or another program), with
//! the rules of a given endpoint profile.

use crate::engine::Engine;
use crate::error::UploadError;
use crate::flow::watch_setters;
use crate::outcome::{UploadOutcome, Uploaded};
use crate::reply::FinalReply;
use crate::service::Watch;
use crate::source::UploadSource;
use graph_upload_models::UploadSession;

/// An upload to a session created elsewhere (build with
/// [`Uploader::existing_session`](crate::Uploader::existing_session)).
#[derive(Debug, Clone)]
#[must_use]
pub struct SessionUpload {
    engine: Engine,
    session: UploadSession,
    common: Settings,
}

/// The part of [`Common`](crate::flow::Common) an existing session has: progress and
/// cancellation.
#[derive(Debug, Clone, Default)]
struct Settings {
    watch: Watch,
}

watch_setters!(SessionUpload);

impl SessionUpload {
    pub(crate) fn new(engine: Engine, session: UploadSession) -> Self {
        SessionUpload {
            engine,
            session,
            common: Settings::default(),
        }
    }

    /// Uploads `source`; the token is sent to the upload URL only if the profile says so. A
    /// cancelled upload deletes the session.
    pub async fn upload(
        mut self,
        source: &UploadSource,
    ) -> Result<Uploaded<UploadOutcome>, UploadError> {
        self.engine.profile.check(source.len())?;
        self.engine.watch = self.common.watch;
        self.engine
            .upload(
                self.session.upload_url.as_str(),
                source,
                &self.session.next_expected_ranges,
                FinalReply::Any,
            )
            .await
    }
}
