//! What every flow shares: the endpoint profile, where progress goes, what cancels it, the
//! journal and the clean-up choice; the checks made before anything is sent; and the setters
//! for them, written once for every builder.

use crate::engine::Engine;
use crate::error::{InvalidInput, UploadError};
use crate::journal::{Fingerprint, Journal};
use crate::profile::EndpointProfile;
use crate::resume::{Created, Resume};
use crate::retry::Stage;
use crate::service::Watch;
use crate::source::UploadSource;
use crate::uploader::Uploader;
use graph_upload_models::{UploadSession, UploadUrl};
use graph_upload_transport::Response;
use std::path::PathBuf;

/// Settings every flow shares.
#[derive(Debug, Clone)]
pub(crate) struct Common {
    pub profile: EndpointProfile,
    pub watch: Watch,
    pub journal: Option<PathBuf>,
    pub clean_up: bool,
}

impl Common {
    pub(crate) fn new(profile: EndpointProfile) -> Self {
        Common {
            profile,
            watch: Watch::default(),
            journal: None,
            clean_up: true,
        }
    }

    /// Everything that can be checked before a request: not cancelled yet, fragment and file
    /// size within the endpoint's limits, the journal usable (opened and locked). Nothing is
    /// sent and nothing is created when one fails.
    pub(crate) fn preflight(
        &self,
        source: &UploadSource,
    ) -> Result<Option<(Journal, Fingerprint)>, UploadError> {
        if self.watch.cancel.is_cancelled() {
            return Err(UploadError::Cancelled);
        }
        self.profile.check(source.len())?;
        let Some(path) = &self.journal else {
            return Ok(None);
        };
        let file = source.path().ok_or(InvalidInput::Unsupported(
            "a journal needs a file source (UploadSource::from_path)",
        ))?;
        let journal = Journal::open(path, file)?;
        let fingerprint = Fingerprint::of(file).map_err(UploadError::Source)?;
        Ok(Some((journal, fingerprint)))
    }

    /// Runs a flow that creates its session: resumes the journal's session when it can
    /// (`opened`, from [`preflight`](Self::preflight)), runs `run`, and after a failure
    /// removes what it created.
    pub(crate) async fn drive<T>(
        &self,
        uploader: &Uploader,
        opened: Option<(Journal, Fingerprint)>,
        destination: &str,
        run: impl AsyncFnOnce(&Engine, &Resume, &mut Created) -> Result<T, UploadError>,
    ) -> Result<T, UploadError> {
        let engine = self.engine(uploader);
        let resume = self.resume(uploader, &engine, opened, destination).await?;
        let mut created = Created::default();
        let result = run(&engine, &resume, &mut created).await;
        created
            .settle(result, self, uploader, &engine, &resume)
            .await
    }

    /// The session to upload to: the journal's, when it could be resumed, or a new one created
    /// with `POST {path}` and `body` (before a session exists), recorded in `created` and
    /// the journal. A new session that names no range (a drive may) lacks everything.
    pub(crate) async fn session(
        &self,
        uploader: &Uploader,
        resume: &Resume,
        created: &mut Created,
        destination: &str,
        path: &str,
        body: &serde_json::Value,
    ) -> Result<(UploadUrl, Vec<String>), UploadError> {
        if let Some((entry, ranges)) = &resume.session {
            created.journaled = true;
            created.session = Some(entry.upload_url.clone());
            return Ok((entry.upload_url.clone(), ranges.clone()));
        }
        let response = uploader
            .service()
            .post_json(path, body, Stage::BeforeSession, &self.watch)
            .await?;
        let session = session_of(&response)?;
        created.session = Some(session.upload_url.clone());
        resume.save(destination, &session.upload_url, Vec::new(), false)?;
        created.journaled = resume.keeps();
        let mut ranges = session.next_expected_ranges;
        if ranges.is_empty() {
            ranges = vec!["0-".into()];
        }
        Ok((session.upload_url, ranges))
    }

    /// The PUT loop of this flow. The flows clean up themselves after any failure, not only
    /// a cancellation, so the loop does not delete on cancel.
    pub(crate) fn engine(&self, uploader: &Uploader) -> Engine {
        let mut engine = uploader.engine(self.profile.clone(), self.watch.clone());
        engine.delete_on_cancel = false;
        engine
    }
}

/// The file's name for a source read from disk, else `fallback`.
pub(crate) fn default_name(source: &UploadSource, fallback: &str) -> String {
    source.path().and_then(|path| path.file_name()).map_or_else(
        || fallback.to_owned(),
        |name| name.to_string_lossy().into_owned(),
    )
}

/// A request body as JSON.
pub(crate) fn to_json(body: &impl serde::Serialize) -> Result<serde_json::Value, UploadError> {
    serde_json::to_value(body)
        .map_err(|error| UploadError::unparsable("the request body cannot be encoded", error))
}

/// Reads the `uploadSession` a `createUploadSession` answered.
pub(crate) fn session_of(response: &Response) -> Result<UploadSession, UploadError> {
    response.json().map_err(|error| {
        UploadError::unparsable("createUploadSession did not answer an uploadSession", error)
    })
}

/// `on_progress` and `cancel_on`, for every builder (each keeps a `common: Common` field).
macro_rules! watch_setters {
    ($builder:ty) => {
        impl $builder {
            /// Reports progress to `callback`. It runs on the upload's task: keep it short.
            pub fn on_progress(
                mut self,
                callback: impl Fn($crate::ProgressEvent) + Send + Sync + 'static,
            ) -> Self {
                self.common.watch.progress =
                    $crate::progress::ProgressSink(Some(std::sync::Arc::new(callback)));
                self
            }

            /// Cancels the upload when `token` is cancelled (in-flight requests are dropped,
            /// then what the upload created is removed, unless a journal keeps it for a later
            /// run).
            pub fn cancel_on(mut self, token: $crate::CancellationToken) -> Self {
                self.common.watch.cancel = token;
                self
            }
        }
    };
}

/// The setters of the flows that create their session (print, To Do). Each option has a
/// `set_` form taking an `Option` (smithy-rs' builders), so callers with optional settings
/// need no `if let` ladder.
macro_rules! flow_setters {
    ($builder:ty) => {
        $crate::flow::watch_setters!($builder);

        impl $builder {
            /// Overrides the endpoint profile (fragment size, parallelism...). It is checked
            /// against the endpoint's limits before anything is sent.
            pub fn profile(mut self, profile: $crate::EndpointProfile) -> Self {
                self.common.profile = profile;
                self
            }

            /// A fixed fragment size per PUT (rounded down to the quantum when planning);
            /// checked against the endpoint's limit before anything is sent. Without it the
            /// size adapts to the link ([`crate::adaptive`]).
            pub fn fragment_size(self, bytes: u64) -> Self {
                self.set_fragment_size(Some(bytes))
            }

            /// [`fragment_size`](Self::fragment_size), or the adaptive size for `None` (the
            /// default).
            pub fn set_fragment_size(mut self, bytes: Option<u64>) -> Self {
                self.common.profile = match bytes {
                    Some(bytes) => self.common.profile.with_max_fragment(bytes),
                    None => self.common.profile.with_auto_fragment(),
                };
                self
            }

            /// Remembers the session in a journal file, so that a later run (after a crash or
            /// a kill) with the same file continues it while it has not expired. The journal
            /// is locked against a second process and removed once the upload is confirmed.
            /// An existing file there that is not a graph-upload journal, or the file being
            /// uploaded, is refused before anything is sent.
            pub fn journal(self, path: impl Into<std::path::PathBuf>) -> Self {
                self.set_journal(Some(path.into()))
            }

            /// [`journal`](Self::journal), or none for `None`.
            pub fn set_journal(mut self, path: Option<std::path::PathBuf>) -> Self {
                self.common.journal = path;
                self
            }

            /// Whether a failed or cancelled upload removes what it created (default true):
            /// deletes its session and, for print, cancels the job it created. A journal keeps
            /// them for a resume either way.
            pub fn clean_up_on_failure(mut self, clean_up: bool) -> Self {
                self.common.clean_up = clean_up;
                self
            }
        }
    };
}

pub(crate) use {flow_setters, watch_setters};
