//! Continuing a journaled session, and removing what a failed upload created: the session
//! (`DELETE`) and, for print, the job it created (`POST {job}/cancel`).

use crate::engine::Engine;
use crate::error::UploadError;
use crate::flow::Common;
use crate::journal::{Fingerprint, Journal, JournalEntry, Saved};
use crate::path_segment::{encode, encode_segments};
use crate::profile::EndpointProfile;
use crate::retry::{RetryPolicy, Stage};
use crate::service::Watch;
use crate::uploader::Uploader;
use graph_upload_models::{PrintDocument, UploadUrl};
use graph_upload_transport::Request;

/// A journal and, when one can be resumed, the saved session with its missing ranges.
#[derive(Debug, Default)]
pub(crate) struct Resume {
    pub session: Option<(JournalEntry, Vec<String>)>,
    journal: Option<(Journal, Fingerprint)>,
}

impl Common {
    /// Finds a saved session of this file for `destination` that the service still has. An
    /// entry of another file or destination is reported and its session deleted (its job
    /// cancelled, when the entry created it); an entry whose session is gone is dropped.
    pub(crate) async fn resume(
        &self,
        uploader: &Uploader,
        engine: &Engine,
        opened: Option<(Journal, Fingerprint)>,
        destination: &str,
    ) -> Result<Resume, UploadError> {
        let Some((journal, fingerprint)) = opened else {
            return Ok(Resume::default());
        };
        let progress = &self.watch.progress;
        let entry = match journal.load()? {
            Saved::Nothing => None,
            Saved::Unreadable(why) => {
                progress.warn(format!(
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
            abandon(uploader, &self.watch, &entry, Some(fingerprint.size)).await;
        } else {
            progress.warn(format!(
                "the journal {} belongs to another file or destination (session {}); deleting that session and starting a new upload",
                resume.journal_path(),
                entry.upload_url
            ));
            abandon(uploader, &self.watch, &entry, None).await;
        }
        resume.clear()?;
        Ok(resume)
    }
}

impl Resume {
    /// Whether a journal keeps the session for a later run.
    pub(crate) fn keeps(&self) -> bool {
        self.journal.is_some()
    }

    fn journal_path(&self) -> String {
        self.journal
            .as_ref()
            .map_or_else(String::new, |(journal, _)| {
                journal.path().display().to_string()
            })
    }

    pub(crate) fn save(
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
    pub(crate) fn finish<T>(&self, result: &Result<T, UploadError>) -> Result<(), UploadError> {
        if matches!(result, Ok(_) | Err(UploadError::SessionGone)) {
            self.clear()?;
        }
        Ok(())
    }
}

/// Gives up the session of a journal entry and cancels the print job the entry created.
/// `gone_with` is `None` for a session that may be alive (it is deleted), and for a session
/// that is gone the size of the file: a job whose document has all of it is left alone.
async fn abandon(uploader: &Uploader, watch: &Watch, entry: &JournalEntry, gone_with: Option<u64>) {
    let print = entry.destination.starts_with("print/");
    let profile = EndpointProfile::for_destination(&entry.destination);
    let engine = uploader.engine(profile, watch.clone());
    let mut job = match (print, entry.created_job, entry.ids.as_slice()) {
        (true, true, [job, _]) => Some(format!(
            "/{}/jobs/{}",
            encode_segments(&entry.destination),
            encode(job)
        )),
        _ => None,
    };
    if let (Some(path), Some(size), [_, document]) = (&job, gone_with, entry.ids.as_slice())
        && let Ok(Some(_)) = complete_document(
            uploader,
            &format!("{path}/documents/{}", encode(document)),
            size,
            watch,
        )
        .await
    {
        watch.progress.warn(format!(
            "the journal's session is gone but job {path} holds the whole document; it was left as is"
        ));
        job = None;
    }
    let session = gone_with.is_none().then(|| entry.upload_url.as_str());
    clean_up(uploader, &engine, session, job.as_deref()).await;
}

/// The printDocument at `path` when it holds all `size` bytes of a non-empty file: the proof
/// that an upload completed although its session is gone and its confirmation was lost.
pub(crate) async fn complete_document(
    uploader: &Uploader,
    path: &str,
    size: u64,
    watch: &Watch,
) -> Result<Option<PrintDocument>, UploadError> {
    let response = uploader
        .service()
        .send(Request::get, path, None, Stage::AfterSession, watch)
        .await?;
    Ok(match response.json::<PrintDocument>() {
        Ok(document) if response.status().is_success() && size > 0 && document.size == size => {
            Some(document)
        }
        _ => None,
    })
}

/// Deletes a session and cancels a job (`POST {job}/cancel`), one attempt each, even after a
/// cancellation; what fails is reported as a warning, since the upload's own error is what
/// the caller needs to see.
async fn clean_up(uploader: &Uploader, engine: &Engine, session: Option<&str>, job: Option<&str>) {
    if let Some(upload_url) = session
        && let Err(message) = engine.delete_session(upload_url).await
    {
        engine.watch.progress.warn(message);
    }
    let Some(job) = job else { return };
    let mut service = uploader.service().clone();
    service.retry = RetryPolicy::none();
    let watch = Watch {
        progress: engine.watch.progress.clone(),
        ..Watch::default()
    };
    let path = format!("{job}/cancel");
    let result = service
        .send(Request::post, &path, None, Stage::AfterSession, &watch)
        .await;
    let why = match result {
        Ok(response) if response.status().is_success() => return,
        Ok(response) => format!("HTTP {}", response.status().as_u16()),
        Err(error) => error.to_string(),
    };
    engine.watch.progress.warn(format!(
        "could not cancel the print job {job} ({why}); cancel it in the printer's queue"
    ));
}

/// What an upload created on the service, so that a failure can remove it.
#[derive(Debug, Default)]
pub(crate) struct Created {
    /// The job path (`/print/{collection}/{parent}/jobs/{id}`), when this upload created it.
    pub job: Option<String>,
    /// The session's upload URL, once there is one.
    pub session: Option<UploadUrl>,
    /// Whether a journal entry names them (so a later run can resume them).
    pub journaled: bool,
}

impl Created {
    /// Passes `result` through; after a failure, without a journal (and unless turned off),
    /// deletes the session and cancels the job this upload created. A journal keeps both for
    /// the next run; only a job whose session is gone, or that no journal entry names, is
    /// cancelled.
    pub(crate) async fn settle<T>(
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
