//! The entry points: an [`Uploader`] bound to a Graph base URL, a token and a transport, and
//! one builder per flow.

use crate::engine::{Engine, FinalReply, Finished, UploadOutcome};
use crate::error::UploadError;
use crate::journal::{Fingerprint, Journal, JournalEntry, Saved};
use crate::profile::EndpointProfile;
use crate::progress::{ProgressEvent, ProgressFn, ProgressSink};
use crate::retry::{RetryPolicy, Timer, TokioTimer};
use crate::service::{Service, Stage};
use crate::source::UploadSource;
use crate::token::BearerToken;
use graph_upload_models::{
    AttachmentInfo, AttachmentType, AttachmentUploadSessionRequest, PrintDocument,
    PrintDocumentUploadProperties, PrintJob, PrintUploadSessionRequest, PrinterCapabilities,
    UploadSession, UploadUrl,
};
use graph_upload_transport::{Request, Response, Transport};
use std::path::PathBuf;
use std::sync::Arc;
use tokio_util::sync::CancellationToken;

/// Talks to one Graph endpoint (`https://graph.microsoft.com/v1.0`, or an emulator) with one
/// token over one transport.
#[derive(Debug, Clone)]
pub struct Uploader {
    base_url: String,
    token: BearerToken,
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
            token: BearerToken::new(token.into()),
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

    fn service(&self) -> Service {
        Service {
            base_url: self.base_url.clone(),
            token: self.token.clone(),
            transport: Arc::clone(&self.transport),
            retry: self.retry.clone(),
            timer: Arc::clone(&self.timer),
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
}

/// Settings every flow shares: profile overrides, progress, cancellation, journal, clean-up.
#[derive(Debug, Clone)]
struct Common {
    profile: EndpointProfile,
    progress: ProgressSink,
    cancel: CancellationToken,
    journal: Option<PathBuf>,
    clean_up: bool,
}

impl Common {
    fn new(profile: EndpointProfile) -> Self {
        Common {
            profile,
            progress: ProgressSink::default(),
            cancel: CancellationToken::new(),
            journal: None,
            clean_up: true,
        }
    }

    /// Everything that can be checked before a request: not cancelled yet, chunk and file size
    /// within the endpoint's limits, the journal usable (opened and locked). Nothing is sent
    /// and nothing is created when one fails.
    fn preflight(
        &self,
        source: &UploadSource,
    ) -> Result<Option<(Journal, Fingerprint)>, UploadError> {
        if self.cancel.is_cancelled() {
            return Err(UploadError::Cancelled);
        }
        self.profile.check(source.len())?;
        let Some(path) = &self.journal else {
            return Ok(None);
        };
        let file = source.path().ok_or_else(|| UploadError::BadInput {
            message: "a journal needs a file source (UploadSource::from_path)".into(),
            graph: None,
        })?;
        let journal = Journal::open(path, file)?;
        let fingerprint = Fingerprint::of(file)?;
        Ok(Some((journal, fingerprint)))
    }

    fn engine(&self, uploader: &Uploader) -> Engine {
        let mut engine = uploader.engine(self.profile.clone());
        engine.progress = self.progress.clone();
        engine.cancel = self.cancel.clone();
        // The flows clean up themselves, after any failure, not only a cancellation.
        engine.delete_on_cancel = false;
        engine
    }

    /// Finds a saved session of this file for `destination` that the service still has. An
    /// entry of another file or destination is reported and its session deleted (its job
    /// cancelled, when the entry created it); an entry whose session is gone is dropped.
    async fn resume(
        &self,
        uploader: &Uploader,
        engine: &Engine,
        opened: Option<(Journal, Fingerprint)>,
        destination: &str,
    ) -> Result<Resume, UploadError> {
        let Some((journal, fingerprint)) = opened else {
            return Ok(Resume::default());
        };
        let entry = match journal.load()? {
            Saved::Nothing => None,
            Saved::Unreadable(why) => {
                self.progress.warn(format!(
                    "the journal {} cannot be read ({why}); starting a new upload",
                    journal.path().display()
                ));
                None
            }
            Saved::Entry(entry) => Some(entry),
        };
        let mut resume = Resume {
            session: None,
            journal: Some((journal, fingerprint.clone())),
        };
        let Some(entry) = entry else {
            return Ok(resume);
        };
        if entry.fingerprint == fingerprint && entry.destination == destination {
            match engine.session_status(entry.upload_url.as_str()).await {
                Ok(status) => {
                    if let Some(ranges) = status.next_expected_ranges {
                        resume.session = Some((entry, ranges));
                        return Ok(resume);
                    }
                }
                Err(UploadError::SessionGone) => {}
                Err(error) => return Err(error),
            }
            // Gone: expired, or completed by a run that died before it heard so. Its job is
            // cancelled only when it lacks the document.
            abandon(uploader, &self.progress, &entry, Some(fingerprint.size)).await;
        } else {
            self.progress.warn(format!(
                "the journal {} belongs to another file or destination (session {}); deleting that session and starting a new upload",
                resume.journal_path(),
                entry.upload_url
            ));
            abandon(uploader, &self.progress, &entry, None).await;
        }
        resume.clear()?;
        Ok(resume)
    }
}

/// Gives up the session of a journal entry and cancels the print job the entry created.
/// `gone_with` is `None` for a session that may be alive (it is deleted), and for a session
/// that is gone the size of the file: a job whose document has all of it is left alone.
async fn abandon(
    uploader: &Uploader,
    progress: &ProgressSink,
    entry: &JournalEntry,
    gone_with: Option<u64>,
) {
    let print = entry.destination.starts_with("print/");
    let profile = if print {
        EndpointProfile::print()
    } else {
        EndpointProfile::todo()
    };
    let mut engine = uploader.engine(profile);
    engine.progress = progress.clone();
    if print {
        engine.token = None;
    }
    let mut job = match (print, entry.created_job, entry.ids.as_slice()) {
        (true, true, [job, _]) => Some(format!("/{}/jobs/{job}", entry.destination)),
        _ => None,
    };
    if let (Some(path), Some(size), [_, document]) = (&job, gone_with, entry.ids.as_slice())
        && let Ok(Some(_)) = complete_document(
            uploader,
            &format!("{path}/documents/{document}"),
            size,
            progress,
        )
        .await
    {
        progress.warn(format!(
            "the journal's session is gone but job {path} holds the whole document; it was left as is"
        ));
        job = None;
    }
    let session = gone_with.is_none().then(|| entry.upload_url.as_str());
    clean_up(uploader, &engine, session, job.as_deref()).await;
}

/// The printDocument at `path` when it holds all `size` bytes of a non-empty file: the proof
/// that an upload completed although its session is gone and its confirmation was lost.
async fn complete_document(
    uploader: &Uploader,
    path: &str,
    size: u64,
    progress: &ProgressSink,
) -> Result<Option<PrintDocument>, UploadError> {
    let service = uploader.service();
    let request = service.request(Request::get, path)?;
    let response = service.send(request, Stage::AfterSession, progress).await?;
    Ok(match response.json::<PrintDocument>() {
        Ok(document) if response.status().is_success() && size > 0 && document.size == size => {
            Some(document)
        }
        _ => None,
    })
}

/// Deletes a session and cancels a job (`POST {job}/cancel`), one attempt each; what fails is
/// reported as a warning, since the upload's own error is what the caller needs to see.
async fn clean_up(uploader: &Uploader, engine: &Engine, session: Option<&str>, job: Option<&str>) {
    if let Some(upload_url) = session
        && let Err(message) = engine.delete_session(upload_url).await
    {
        engine.progress.warn(message);
    }
    if let Some(job) = job {
        let service = uploader.service();
        let path = format!("{job}/cancel");
        let result = match service.request(Request::post, &path) {
            Ok(request) => service
                .transport
                .send(request)
                .await
                .map_err(|error| error.to_string())
                .and_then(|response| {
                    if response.status().is_success() {
                        Ok(())
                    } else {
                        Err(format!("HTTP {}", response.status().as_u16()))
                    }
                }),
            Err(error) => Err(error.to_string()),
        };
        if let Err(why) = result {
            engine.progress.warn(format!(
                "could not cancel the print job {job} ({why}); cancel it in the printer's queue"
            ));
        }
    }
}

/// A journal and, when one can be resumed, the saved session with its missing ranges.
#[derive(Debug, Default)]
struct Resume {
    session: Option<(JournalEntry, Vec<String>)>,
    journal: Option<(Journal, Fingerprint)>,
}

impl Resume {
    /// Whether a journal keeps the session for a later run.
    fn keeps(&self) -> bool {
        self.journal.is_some()
    }

    fn journal_path(&self) -> String {
        self.journal
            .as_ref()
            .map_or_else(String::new, |(journal, _)| {
                journal.path().display().to_string()
            })
    }

    fn save(
        &self,
        destination: &str,
        upload_url: &UploadUrl,
        ids: Vec<String>,
        created_job: bool,
    ) -> Result<(), UploadError> {
        if let Some((journal, fingerprint)) = &self.journal {
            journal.save(&JournalEntry {
                fingerprint: fingerprint.clone(),
                destination: destination.to_owned(),
                upload_url: upload_url.clone(),
                ids,
                created_job,
            })?;
        }
        Ok(())
    }

    fn clear(&self) -> Result<(), UploadError> {
        if let Some((journal, _)) = &self.journal {
            journal.clear()?;
        }
        Ok(())
    }

    /// The upload is over (confirmed, or its session is gone): forget it. Other failures keep
    /// the journal so that the next run resumes.
    fn finish<T>(&self, result: &Result<T, UploadError>) -> Result<(), UploadError> {
        if matches!(result, Ok(_) | Err(UploadError::SessionGone)) {
            self.clear()?;
        }
        Ok(())
    }
}

/// What an upload created on the service, so that a failure can remove it.
#[derive(Debug, Default)]
struct Created {
    /// The job path (`/print/{collection}/{parent}/jobs/{id}`), when this upload created it.
    job: Option<String>,
    /// The session's upload URL, once there is one.
    session: Option<UploadUrl>,
    /// Whether a journal entry names them (so a later run can resume them).
    journaled: bool,
}

impl Created {
    /// Passes `result` through; after a failure, without a journal (and unless turned off),
    /// deletes the session and cancels the job this upload created. A journal keeps both for
    /// the next run; only a job whose session is gone, or that no journal entry names, is
    /// cancelled.
    async fn settle<T>(
        &self,
        result: Result<T, UploadError>,
        common: &Common,
        uploader: &Uploader,
        engine: &Engine,
        resume: &Resume,
    ) -> Result<T, UploadError> {
        let Err(error) = &result else {
            return result;
        };
        if !common.clean_up {
            return result;
        }
        let gone = matches!(error, UploadError::SessionGone);
        if resume.keeps() && self.journaled && !gone {
            return result;
        }
        let session = self
            .session
            .as_ref()
            .map(UploadUrl::as_str)
            .filter(|_| !gone && !resume.keeps());
        clean_up(uploader, engine, session, self.job.as_deref()).await;
        result
    }
}

/// The setters both flow builders share (they keep them in a `common: Common` field).
macro_rules! common_setters {
    ($builder:ty) => {
        impl $builder {
            /// Overrides the endpoint profile (chunk size, parallelism...). It is checked
            /// against the endpoint's limits before anything is sent.
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
            /// then what the upload created is removed, unless a journal keeps it for a later
            /// run).
            pub fn cancel_on(mut self, token: CancellationToken) -> Self {
                self.common.cancel = token;
                self
            }

            /// Remembers the session in a journal file, so that a later run (after a crash or
            /// a kill) with the same file continues it while it has not expired. The journal
            /// is locked against a second process and removed once the upload is confirmed.
            /// An existing file there that is not a graph-upload journal, or the file being
            /// uploaded, is refused before anything is sent.
            pub fn journal(mut self, path: impl Into<PathBuf>) -> Self {
                self.common.journal = Some(path.into());
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

    /// The document's media type (default `application/pdf`). It is checked against the
    /// printer's or share's `capabilities.contentTypes` before the job is created.
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

    /// Creates the job if needed, uploads `source`, starts the job if asked. On failure, what
    /// this upload created is removed (see [`clean_up_on_failure`](Self::clean_up_on_failure)).
    pub async fn upload(self, source: &UploadSource) -> Result<PrintResult, UploadError> {
        let opened = self.common.preflight(source)?;
        let destination = format!("print/{}/{}", self.collection, self.parent_id);
        // The print upload URL is pre-authenticated: never send the token to it.
        let engine = Engine {
            token: None,
            ..self.common.engine(&self.uploader)
        };
        self.check_content_type().await?;
        let resume = self
            .common
            .resume(&self.uploader, &engine, opened, &destination)
            .await?;
        let mut created = Created::default();
        let result = self
            .run(&engine, &resume, source, &destination, &mut created)
            .await;
        created
            .settle(result, &self.common, &self.uploader, &engine, &resume)
            .await
    }

    async fn run(
        &self,
        engine: &Engine,
        resume: &Resume,
        source: &UploadSource,
        destination: &str,
        created: &mut Created,
    ) -> Result<PrintResult, UploadError> {
        let prefix = format!("/{destination}/jobs");
        let (job_id, document_id, upload_url, ranges) = match &resume.session {
            Some((entry, ranges)) if entry.ids.len() == 2 => {
                created.journaled = true;
                if entry.created_job {
                    created.job = Some(format!("{prefix}/{}", entry.ids[0]));
                }
                created.session = Some(entry.upload_url.clone());
                (
                    entry.ids[0].clone(),
                    entry.ids[1].clone(),
                    entry.upload_url.clone(),
                    ranges.clone(),
                )
            }
            _ => {
                let (job_id, document_id) = self.job_and_document(&prefix, created).await?;
                let session = self
                    .create_session(&prefix, &job_id, &document_id, source)
                    .await?;
                created.session = Some(session.upload_url.clone());
                resume.save(
                    destination,
                    &session.upload_url,
                    vec![job_id.clone(), document_id.clone()],
                    created.job.is_some(),
                )?;
                created.journaled = resume.keeps();
                (
                    job_id,
                    document_id,
                    session.upload_url,
                    session.next_expected_ranges,
                )
            }
        };
        let result = match engine
            .upload_until_finished(
                upload_url.as_str(),
                source,
                &ranges,
                FinalReply::PrintDocument,
            )
            .await
        {
            Ok(Finished::Confirmed(outcome)) => Ok(outcome),
            Ok(Finished::Unconfirmed) => self
                .uploaded_document(&prefix, &job_id, &document_id, source.len())
                .await
                .map(UploadOutcome::PrintDocument),
            Err(error) => Err(error),
        };
        resume.finish(&result)?;
        let outcome = result?;
        // The session ended with the upload: nothing of it is left to delete.
        created.session = None;
        created.journaled = false;
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
                .service()
                .post_json(
                    &format!("{prefix}/{job_id}/start"),
                    &serde_json::json!({}),
                    Stage::AfterSession,
                    &self.common.progress,
                )
                .await?;
        }
        Ok(PrintResult {
            job_id,
            document,
            started: self.start,
        })
    }

    /// The document, when the service holds all of its bytes: the session ended while the
    /// request that completed it lost its answer. `SessionGone` when it does not.
    async fn uploaded_document(
        &self,
        prefix: &str,
        job_id: &str,
        document_id: &str,
        size: u64,
    ) -> Result<PrintDocument, UploadError> {
        let path = format!("{prefix}/{job_id}/documents/{document_id}");
        let document = complete_document(&self.uploader, &path, size, &self.common.progress)
            .await?
            .ok_or(UploadError::SessionGone)?;
        self.common
            .progress
            .emit(ProgressEvent::Completed { total: size });
        Ok(document)
    }

    /// Refuses a media type the printer or share does not take, before the job exists. When
    /// the capabilities cannot be read, the service decides (and a failure is cleaned up).
    async fn check_content_type(&self) -> Result<(), UploadError> {
        #[derive(serde::Deserialize)]
        struct WithCapabilities {
            capabilities: Option<PrinterCapabilities>,
        }
        let service = self.uploader.service();
        let path = format!(
            "/print/{}/{}?$select=id,capabilities",
            self.collection, self.parent_id
        );
        let request = service.request(Request::get, &path)?;
        let response = service
            .send(request, Stage::BeforeSession, &self.common.progress)
            .await?;
        if !response.status().is_success() {
            // Reading a printer needs `Printer.Read`, which a token allowed to print may lack;
            // a wrong id fails at the job's creation anyway.
            return Ok(());
        }
        let Ok(WithCapabilities {
            capabilities: Some(capabilities),
        }) = response.json::<WithCapabilities>()
        else {
            return Ok(());
        };
        let supported = capabilities.content_types;
        if supported.is_empty() || accepts(&supported, &self.content_type) {
            Ok(())
        } else {
            Err(UploadError::UnsupportedContentType {
                content_type: self.content_type.clone(),
                supported,
            })
        }
    }

    /// The job and document to fill: the given ones, or a new job's.
    async fn job_and_document(
        &self,
        prefix: &str,
        created: &mut Created,
    ) -> Result<(String, String), UploadError> {
        if let Some(ids) = self.job.clone() {
            return Ok(ids);
        }
        let response = self
            .uploader
            .service()
            .post_json(
                prefix,
                &serde_json::json!({}),
                Stage::BeforeSession,
                &self.common.progress,
            )
            .await?;
        let job: PrintJob = response.json().map_err(|error| {
            UploadError::Protocol(format!("the created job is not a printJob: {error}"))
        })?;
        created.job = Some(format!("{prefix}/{}", job.id));
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
        let response = self
            .uploader
            .service()
            .post_json(&path, &body, Stage::BeforeSession, &self.common.progress)
            .await?;
        session_of(&response)
    }
}

/// Whether a printer taking `supported` accepts `content_type` (parameters ignored, case
/// ignored). OXPS is accepted by a PDF printer: the service converts it (PROTOCOL.md 1).
fn accepts(supported: &[String], content_type: &str) -> bool {
    let essence = |value: &str| {
        value
            .split(';')
            .next()
            .unwrap_or("")
            .trim()
            .to_ascii_lowercase()
    };
    let wanted = essence(content_type);
    let has = |kind: &str| supported.iter().any(|s| essence(s) == kind);
    has(&wanted) || (wanted == "application/oxps" && has("application/pdf"))
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

    /// Creates the session and uploads `source`; returns the attachment's URL. On failure the
    /// session is deleted (see [`clean_up_on_failure`](Self::clean_up_on_failure)).
    pub async fn upload(self, source: &UploadSource) -> Result<String, UploadError> {
        let opened = self.common.preflight(source)?;
        let owner = match &self.user {
            Some(user) => format!("/users/{user}"),
            None => "/me".to_string(),
        };
        let destination = format!("todo{owner}/{}/{}", self.list_id, self.task_id);
        let engine = self.common.engine(&self.uploader);
        let resume = self
            .common
            .resume(&self.uploader, &engine, opened, &destination)
            .await?;
        let mut created = Created::default();
        let result = self
            .run(&engine, &resume, source, &owner, &destination, &mut created)
            .await;
        created
            .settle(result, &self.common, &self.uploader, &engine, &resume)
            .await
    }

    async fn run(
        &self,
        engine: &Engine,
        resume: &Resume,
        source: &UploadSource,
        owner: &str,
        destination: &str,
        created: &mut Created,
    ) -> Result<String, UploadError> {
        let (upload_url, ranges) = match &resume.session {
            Some((entry, ranges)) => {
                created.journaled = true;
                created.session = Some(entry.upload_url.clone());
                (entry.upload_url.clone(), ranges.clone())
            }
            None => {
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
                let response = self
                    .uploader
                    .service()
                    .post_json(&path, &body, Stage::BeforeSession, &self.common.progress)
                    .await?;
                let session = session_of(&response)?;
                created.session = Some(session.upload_url.clone());
                resume.save(destination, &session.upload_url, Vec::new(), false)?;
                created.journaled = resume.keeps();
                (session.upload_url, session.next_expected_ranges)
            }
        };
        let result = engine
            .upload(upload_url.as_str(), source, &ranges, FinalReply::Location)
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
        self.engine.profile.check(source.len())?;
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

#[cfg(test)]
mod tests {
    use super::accepts;

    #[test]
    fn content_types_match_by_essence_and_oxps_goes_to_a_pdf_printer() {
        let pdf = ["application/pdf".to_string(), "image/png".to_string()];
        assert!(accepts(&pdf, "application/pdf"));
        assert!(accepts(&pdf, "Application/PDF; charset=binary"));
        assert!(accepts(&pdf, "application/oxps"));
        assert!(!accepts(&pdf, "text/plain"));
        let oxps_only = ["application/oxps".to_string()];
        assert!(accepts(&oxps_only, "application/oxps"));
        assert!(!accepts(&oxps_only, "application/pdf"));
        let photo = ["image/jpeg".to_string()];
        assert!(!accepts(&photo, "application/oxps"));
    }
}
