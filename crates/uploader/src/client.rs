//! The entry points: an [`Uploader`] bound to a Graph base URL, a token and a transport, and
//! one builder per flow.

use crate::engine::{Engine, FinalReply, UploadOutcome, fatal};
use crate::error::UploadError;
use crate::journal::{Fingerprint, Journal, JournalEntry};
use crate::profile::EndpointProfile;
use crate::progress::{ProgressFn, ProgressSink};
use crate::retry::{RetryPolicy, Timer, TokioTimer};
use crate::source::UploadSource;
use graph_upload_models::{
    AttachmentInfo, AttachmentType, AttachmentUploadSessionRequest, PrintDocument,
    PrintDocumentUploadProperties, PrintJob, PrintUploadSessionRequest, UploadSession,
};
use graph_upload_transport::{Request, Response, Transport, header};
use std::path::PathBuf;
use std::sync::Arc;
use tokio_util::sync::CancellationToken;

/// Talks to one Graph endpoint (`https://graph.microsoft.com/v1.0`, or an emulator) with one
/// token over one transport.
#[derive(Debug, Clone)]
pub struct Uploader {
    base_url: String,
    token: String,
    transport: Arc<dyn Transport>,
    retry: RetryPolicy,
    timer: Arc<dyn Timer>,
}

impl Uploader {
    /// An uploader for `base_url` (including the version: `.../v1.0`).
    pub fn new(
        base_url: impl Into<String>,
        token: impl Into<String>,
        transport: Arc<dyn Transport>,
    ) -> Self {
        Uploader {
            base_url: base_url.into().trim_end_matches('/').to_owned(),
            token: token.into(),
            transport,
            retry: RetryPolicy::default(),
            timer: Arc::new(TokioTimer::default()),
        }
    }

    /// Replaces the retry policy.
    pub fn with_retry(mut self, retry: RetryPolicy) -> Self {
        self.retry = retry;
        self
    }

    /// Replaces the clock and sleep (tests).
    pub fn with_timer(mut self, timer: Arc<dyn Timer>) -> Self {
        self.timer = timer;
        self
    }

    /// A Universal Print document upload to a printer share.
    pub fn print_to_share(&self, share_id: impl Into<String>) -> PrintUpload {
        PrintUpload::new(self.clone(), "shares", share_id.into())
    }

    /// A Universal Print document upload to a printer.
    pub fn print_to_printer(&self, printer_id: impl Into<String>) -> PrintUpload {
        PrintUpload::new(self.clone(), "printers", printer_id.into())
    }

    /// A To Do attachment upload for the signed-in user (`/me`).
    pub fn todo_attachment(
        &self,
        list_id: impl Into<String>,
        task_id: impl Into<String>,
    ) -> TodoUpload {
        TodoUpload::new(self.clone(), None, list_id.into(), task_id.into())
    }

    /// A To Do attachment upload for another user (`/users/{id}`).
    pub fn todo_attachment_for_user(
        &self,
        user_id: impl Into<String>,
        list_id: impl Into<String>,
        task_id: impl Into<String>,
    ) -> TodoUpload {
        TodoUpload::new(
            self.clone(),
            Some(user_id.into()),
            list_id.into(),
            task_id.into(),
        )
    }

    /// Uploads to a session created elsewhere, with the rules of `profile`.
    pub fn existing_session(
        &self,
        session: UploadSession,
        profile: EndpointProfile,
    ) -> SessionUpload {
        SessionUpload {
            engine: self.engine(profile),
            session,
        }
    }

    fn engine(&self, profile: EndpointProfile) -> Engine {
        Engine {
            transport: Arc::clone(&self.transport),
            token: Some(self.token.clone()),
            profile,
            retry: self.retry.clone(),
            timer: Arc::clone(&self.timer),
            progress: ProgressSink::default(),
            cancel: CancellationToken::new(),
            delete_on_cancel: true,
        }
    }

    /// A POST of JSON to the API with the token, with the engine's retries for 429/5xx.
    async fn post_json<T: serde::Serialize>(
        &self,
        path: &str,
        body: &T,
    ) -> Result<Response, UploadError> {
        let url = format!("{}{path}", self.base_url);
        let request = Request::post(&url)
            .map_err(|error| UploadError::BadInput {
                message: format!("{url:?} is not a usable URL: {error}"),
                graph: None,
            })?
            .json(body)?
            .header_str(header::AUTHORIZATION, &format!("Bearer {}", self.token))?;
        let response = self.send_with_retries(request).await?;
        if response.status().is_success() {
            Ok(response)
        } else if response.status().as_u16() == 404 {
            // Before a session exists, a 404 names a wrong id, not a gone session.
            let graph = response.graph_error().map(Box::new);
            Err(UploadError::BadInput {
                message: format!(
                    "{url} was not found: check the printer, share, job, document, list or task id ({})",
                    graph
                        .as_ref()
                        .map_or_else(|| "no error body".to_string(), |g| g.to_string())
                ),
                graph,
            })
        } else {
            Err(fatal(&response))
        }
    }

    async fn send_with_retries(&self, request: Request) -> Result<Response, UploadError> {
        let mut backoff = crate::retry::Backoff::new(self.retry.clone(), 0x9e37_79b9_7f4a_7c15);
        loop {
            let result = self.transport.send(request.clone()).await;
            let wait = match &result {
                Ok(response) if matches!(response.status().as_u16(), 408 | 429 | 500..=599) => {
                    crate::retry::retry_after(response.headers())
                }
                // Creating a session or a job is not idempotent, but a duplicate costs only an
                // unused session; retry only when nothing was sent.
                Err(error) if !error.may_have_been_sent() => None,
                _ => return result.map_err(UploadError::Transport),
            };
            match backoff.next_delay(self.timer.now(), wait) {
                Some(delay) => self.timer.sleep(delay).await,
                None => return result.map_err(UploadError::Transport),
            }
        }
    }
}

/// Settings every flow shares: profile overrides, progress, cancellation.
#[derive(Debug, Clone)]
struct Common {
    profile: EndpointProfile,
    progress: ProgressSink,
    cancel: CancellationToken,
    journal: Option<PathBuf>,
}

impl Common {
    fn new(profile: EndpointProfile) -> Self {
        Common {
            profile,
            progress: ProgressSink::default(),
            cancel: CancellationToken::new(),
            journal: None,
        }
    }

    /// A token cancelled before the upload starts: nothing is created, nothing is sent.
    fn check_not_cancelled(&self) -> Result<(), UploadError> {
        if self.cancel.is_cancelled() {
            Err(UploadError::Cancelled)
        } else {
            Ok(())
        }
    }

    fn engine(&self, uploader: &Uploader) -> Engine {
        let mut engine = uploader.engine(self.profile.clone());
        engine.progress = self.progress.clone();
        engine.cancel = self.cancel.clone();
        // A journal keeps the session for a later run: cancelling must not delete it.
        engine.delete_on_cancel = self.journal.is_none();
        engine
    }

    /// Opens the journal (if any) and finds a saved session of this file for `destination`
    /// that the service still has. A stale entry is cleared.
    async fn resume(
        &self,
        engine: &Engine,
        source: &UploadSource,
        destination: &str,
    ) -> Result<Resume, UploadError> {
        let Some(path) = &self.journal else {
            return Ok(Resume::default());
        };
        let file = source.path().ok_or_else(|| UploadError::BadInput {
            message: "a journal needs a file source (UploadSource::from_path)".into(),
            graph: None,
        })?;
        let journal = Journal::open(path)?;
        let fingerprint = Fingerprint::of(file)?;
        let saved = match journal.load() {
            Ok(saved) => saved,
            Err(error) => {
                tracing::warn!(%error, "ignoring an unreadable journal");
                None
            }
        };
        if let Some(entry) = saved {
            if entry.fingerprint == fingerprint && entry.destination == destination {
                match engine.session_status(&entry.upload_url).await {
                    Ok(status) => {
                        if let Some(ranges) = status.next_expected_ranges {
                            return Ok(Resume {
                                session: Some((entry.clone(), ranges)),
                                journal: Some((journal, fingerprint)),
                            });
                        }
                    }
                    Err(UploadError::SessionGone) => {}
                    Err(error) => return Err(error),
                }
            }
            journal.clear()?;
        }
        Ok(Resume {
            session: None,
            journal: Some((journal, fingerprint)),
        })
    }
}

/// A journal and, when one can be resumed, the saved session with its missing ranges.
#[derive(Debug, Default)]
struct Resume {
    session: Option<(JournalEntry, Vec<String>)>,
    journal: Option<(Journal, Fingerprint)>,
}

impl Resume {
    fn save(
        &self,
        destination: &str,
        upload_url: &str,
        ids: Vec<String>,
    ) -> Result<(), UploadError> {
        if let Some((journal, fingerprint)) = &self.journal {
            journal.save(&JournalEntry {
                version: 1,
                fingerprint: fingerprint.clone(),
                destination: destination.to_owned(),
                upload_url: upload_url.to_owned(),
                ids,
            })?;
        }
        Ok(())
    }

    /// The upload is over (confirmed, or its session is gone): forget it. Other failures keep
    /// the journal so that the next run resumes.
    fn finish<T>(&self, result: &Result<T, UploadError>) -> Result<(), UploadError> {
        if let Some((journal, _)) = &self.journal
            && matches!(result, Ok(_) | Err(UploadError::SessionGone))
        {
            journal.clear()?;
        }
        Ok(())
    }
}

/// The setters both flow builders share (they keep them in a `common: Common` field).
macro_rules! common_setters {
    ($builder:ty) => {
        impl $builder {
            /// Overrides the endpoint profile (chunk size, parallelism...).
            pub fn profile(mut self, profile: EndpointProfile) -> Self {
                self.common.profile = profile;
                self
            }

            /// Reports progress to `callback`.
            pub fn on_progress(mut self, callback: ProgressFn) -> Self {
                self.common.progress = ProgressSink(Some(callback));
                self
            }

            /// Cancels the upload when `token` is cancelled (in-flight requests are dropped,
            /// then the session is deleted, unless a journal keeps it for a later run).
            pub fn cancel_on(mut self, token: CancellationToken) -> Self {
                self.common.cancel = token;
                self
            }

            /// Remembers the session in a journal file, so that a later run (after a crash or
            /// a kill) with the same file continues it while it has not expired. The journal
            /// is locked against a second process and removed once the upload is confirmed.
            pub fn journal(mut self, path: impl Into<PathBuf>) -> Self {
                self.common.journal = Some(path.into());
                self
            }
        }
    };
}

common_setters!(PrintUpload);
common_setters!(TodoUpload);

/// The result of a print upload.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PrintResult {
    /// The job the document belongs to.
    pub job_id: String,
    /// The document as the service returned it.
    pub document: PrintDocument,
    /// Whether the job was started after the upload.
    pub started: bool,
}

/// A Universal Print document upload (build with [`Uploader::print_to_share`] or
/// [`Uploader::print_to_printer`]).
#[derive(Debug, Clone)]
pub struct PrintUpload {
    uploader: Uploader,
    collection: &'static str,
    parent_id: String,
    job: Option<(String, String)>,
    document_name: Option<String>,
    content_type: String,
    start: bool,
    common: Common,
}

impl PrintUpload {
    fn new(uploader: Uploader, collection: &'static str, parent_id: String) -> Self {
        PrintUpload {
            uploader,
            collection,
            parent_id,
            job: None,
            document_name: None,
            content_type: "application/pdf".into(),
            start: true,
            common: Common::new(EndpointProfile::print()),
        }
    }

    /// Uploads into an existing job's document instead of creating a job.
    pub fn job(mut self, job_id: impl Into<String>, document_id: impl Into<String>) -> Self {
        self.job = Some((job_id.into(), document_id.into()));
        self
    }

    /// The document's media type (default `application/pdf`).
    pub fn content_type(mut self, content_type: impl Into<String>) -> Self {
        self.content_type = content_type.into();
        self
    }

    /// The document's name (default: the file name, or `document`).
    pub fn document_name(mut self, name: impl Into<String>) -> Self {
        self.document_name = Some(name.into());
        self
    }

    /// Whether to start the job after the upload (default true).
    pub fn start_job(mut self, start: bool) -> Self {
        self.start = start;
        self
    }

    /// Creates the job if needed, uploads `source`, starts the job if asked.
    pub async fn upload(self, source: &UploadSource) -> Result<PrintResult, UploadError> {
        self.common.check_not_cancelled()?;
        let prefix = format!("/print/{}/{}/jobs", self.collection, self.parent_id);
        let destination = format!("print/{}/{}", self.collection, self.parent_id);
        // The print upload URL is pre-authenticated: never send the token to it.
        let engine = Engine {
            token: None,
            ..self.common.engine(&self.uploader)
        };
        let resume = self.common.resume(&engine, source, &destination).await?;
        let (job_id, upload_url, ranges) = match &resume.session {
            Some((entry, ranges)) if entry.ids.len() == 2 => (
                entry.ids[0].clone(),
                entry.upload_url.clone(),
                ranges.clone(),
            ),
            _ => {
                let (job_id, document_id) = self.job_and_document(&prefix).await?;
                let session = self
                    .create_session(&prefix, &job_id, &document_id, source)
                    .await?;
                resume.save(
                    &destination,
                    &session.upload_url,
                    vec![job_id.clone(), document_id],
                )?;
                (job_id, session.upload_url, session.next_expected_ranges)
            }
        };
        let result = engine
            .upload(&upload_url, source, &ranges, FinalReply::PrintDocument)
            .await;
        resume.finish(&result)?;
        let outcome = result?;
        let document = match outcome {
            UploadOutcome::PrintDocument(document) => document,
            other => {
                return Err(UploadError::Protocol(format!(
                    "the final print reply carries no printDocument: {other:?}"
                )));
            }
        };
        if self.start {
            self.uploader
                .post_json(&format!("{prefix}/{job_id}/start"), &serde_json::json!({}))
                .await?;
        }
        Ok(PrintResult {
            job_id,
            document,
            started: self.start,
        })
    }
}

impl PrintUpload {
    /// The job and document to fill: the given ones, or a new job's.
    async fn job_and_document(&self, prefix: &str) -> Result<(String, String), UploadError> {
        if let Some(ids) = self.job.clone() {
            return Ok(ids);
        }
        let response = self
            .uploader
            .post_json(prefix, &serde_json::json!({}))
            .await?;
        let job: PrintJob = response.json().map_err(|error| {
            UploadError::Protocol(format!("the created job is not a printJob: {error}"))
        })?;
        let document = job
            .documents
            .first()
            .ok_or_else(|| UploadError::Protocol("the created job has no document".into()))?;
        Ok((job.id.clone(), document.id.clone()))
    }

    async fn create_session(
        &self,
        prefix: &str,
        job_id: &str,
        document_id: &str,
        source: &UploadSource,
    ) -> Result<UploadSession, UploadError> {
        let body = PrintUploadSessionRequest {
            properties: PrintDocumentUploadProperties {
                document_name: self
                    .document_name
                    .clone()
                    .unwrap_or_else(|| default_name(source, "document")),
                content_type: self.content_type.clone(),
                size: source.len(),
            },
        };
        let path = format!("{prefix}/{job_id}/documents/{document_id}/createUploadSession");
        let response = self.uploader.post_json(&path, &body).await?;
        session_of(&response)
    }
}

/// The file's name for a source read from disk, else `fallback`.
fn default_name(source: &UploadSource, fallback: &str) -> String {
    source.path().and_then(|path| path.file_name()).map_or_else(
        || fallback.to_owned(),
        |name| name.to_string_lossy().into_owned(),
    )
}

/// Reads the `uploadSession` a `createUploadSession` answered.
fn session_of(response: &Response) -> Result<UploadSession, UploadError> {
    response.json().map_err(|error| {
        UploadError::Protocol(format!(
            "createUploadSession did not answer an uploadSession: {error}"
        ))
    })
}

/// A To Do attachment upload (build with [`Uploader::todo_attachment`]).
#[derive(Debug, Clone)]
pub struct TodoUpload {
    uploader: Uploader,
    user: Option<String>,
    list_id: String,
    task_id: String,
    name: Option<String>,
    content_type: Option<String>,
    common: Common,
}

impl TodoUpload {
    fn new(uploader: Uploader, user: Option<String>, list_id: String, task_id: String) -> Self {
        TodoUpload {
            uploader,
            user,
            list_id,
            task_id,
            name: None,
            content_type: None,
            common: Common::new(EndpointProfile::todo()),
        }
    }

    /// The attachment's name (default: the file name, or `attachment`).
    pub fn name(mut self, name: impl Into<String>) -> Self {
        self.name = Some(name.into());
        self
    }

    /// The attachment's media type.
    pub fn content_type(mut self, content_type: impl Into<String>) -> Self {
        self.content_type = Some(content_type.into());
        self
    }

    /// Creates the session and uploads `source`; returns the attachment's URL.
    pub async fn upload(self, source: &UploadSource) -> Result<String, UploadError> {
        self.common.check_not_cancelled()?;
        let limit = graph_upload_models::TODO_MAX_ATTACHMENT_SIZE;
        if source.len() > limit {
            return Err(UploadError::TooLarge {
                message: format!(
                    "{} bytes is over To Do's {limit}-byte attachment limit",
                    source.len()
                ),
                graph: None,
            });
        }
        let owner = match &self.user {
            Some(user) => format!("/users/{user}"),
            None => "/me".to_string(),
        };
        let path = format!(
            "{owner}/todo/lists/{}/tasks/{}/attachments/createUploadSession",
            self.list_id, self.task_id
        );
        let body = AttachmentUploadSessionRequest {
            attachment_info: AttachmentInfo {
                attachment_type: AttachmentType::File,
                name: self
                    .name
                    .clone()
                    .unwrap_or_else(|| default_name(source, "attachment")),
                size: source.len(),
                content_type: self.content_type.clone(),
            },
        };
        let destination = format!("todo{owner}/{}/{}", self.list_id, self.task_id);
        let engine = self.common.engine(&self.uploader);
        let resume = self.common.resume(&engine, source, &destination).await?;
        let (upload_url, ranges) = match &resume.session {
            Some((entry, ranges)) => (entry.upload_url.clone(), ranges.clone()),
            None => {
                let response = self.uploader.post_json(&path, &body).await?;
                let session = session_of(&response)?;
                resume.save(&destination, &session.upload_url, Vec::new())?;
                (session.upload_url, session.next_expected_ranges)
            }
        };
        let result = engine
            .upload(&upload_url, source, &ranges, FinalReply::Location)
            .await;
        resume.finish(&result)?;
        match result? {
            UploadOutcome::Attachment { location } => Ok(location),
            other => Err(UploadError::Protocol(format!(
                "the final To Do reply has no Location: {other:?}"
            ))),
        }
    }
}

/// An upload to a session created elsewhere.
#[derive(Debug, Clone)]
pub struct SessionUpload {
    engine: Engine,
    session: UploadSession,
}

impl SessionUpload {
    /// Reports progress to `callback`.
    pub fn on_progress(mut self, callback: ProgressFn) -> Self {
        self.engine.progress = ProgressSink(Some(callback));
        self
    }

    /// Cancels the upload when `token` is cancelled.
    pub fn cancel_on(mut self, token: CancellationToken) -> Self {
        self.engine.cancel = token;
        self
    }

    /// Uploads `source`; the token is sent to the upload URL only if the profile says so.
    pub async fn upload(self, source: &UploadSource) -> Result<UploadOutcome, UploadError> {
        self.engine
            .upload(
                &self.session.upload_url,
                source,
                &self.session.next_expected_ranges,
                FinalReply::Any,
            )
            .await
    }
}
