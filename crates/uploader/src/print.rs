//! Universal Print: create a job (or use one), a session for its document, upload, start the
//! job. `docs/protocol.md` sections 1 and 5.

use crate::engine::Engine;
use crate::engine::Finished;
use crate::error::{InvalidInput, UploadError};
use crate::flow::{Common, default_name, flow_setters, session_of, to_json};
use crate::outcome::{PrintedDocument, UploadOutcome, Uploaded};
use crate::path_segment::{encode, encode_segments};
use crate::profile::EndpointProfile;
use crate::progress::ProgressEvent;
use crate::reply::FinalReply;
use crate::resume::{Created, Resume, complete_document};
use crate::retry::Stage;
use crate::source::UploadSource;
use crate::uploader::Uploader;
use graph_upload_models::{
    PrintDocument, PrintDocumentUploadProperties, PrintJob, PrintUploadSessionRequest,
    PrinterCapabilities, UploadSession,
};
use graph_upload_transport::Request;

/// A Universal Print document upload (build with [`Uploader::print_to_share`] or
/// [`Uploader::print_to_printer`]).
#[derive(Debug, Clone)]
#[must_use]
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

flow_setters!(PrintUpload);

impl PrintUpload {
    pub(crate) fn new(uploader: Uploader, collection: &'static str, parent_id: String) -> Self {
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
    pub fn job(self, job_id: impl Into<String>, document_id: impl Into<String>) -> Self {
        self.set_job(Some((job_id.into(), document_id.into())))
    }

    /// [`job`](Self::job), or a new job for `None`.
    pub fn set_job(mut self, job_and_document: Option<(String, String)>) -> Self {
        self.job = job_and_document;
        self
    }

    /// The document's media type (default `application/pdf`). It is checked against the
    /// printer's or share's `capabilities.contentTypes` before the job is created.
    pub fn content_type(mut self, content_type: impl Into<String>) -> Self {
        self.content_type = content_type.into();
        self
    }

    /// The document's name (default: the file name, or `document`).
    pub fn document_name(self, name: impl Into<String>) -> Self {
        self.set_document_name(Some(name.into()))
    }

    /// [`document_name`](Self::document_name), or the default for `None`.
    pub fn set_document_name(mut self, name: Option<String>) -> Self {
        self.document_name = name;
        self
    }

    /// A fixed number of fragments in flight (values below 1 mean 1). Without it the
    /// parallelism adapts to the link, up to print's 4 ([`crate::adaptive`]).
    pub fn parallel(self, parallel: usize) -> Self {
        self.set_parallel(Some(parallel))
    }

    /// [`parallel`](Self::parallel), or the adaptive parallelism for `None` (the default).
    pub fn set_parallel(mut self, parallel: Option<usize>) -> Self {
        self.common.profile = match parallel {
            Some(parallel) => self.common.profile.with_parallel(parallel),
            None => self
                .common
                .profile
                .with_auto_parallel(EndpointProfile::print().parallel),
        };
        self
    }

    /// Whether to start the job after the upload (default true).
    pub fn start_job(mut self, start: bool) -> Self {
        self.start = start;
        self
    }

    /// Creates the job if needed, uploads `source`, starts the job if asked. On failure, what
    /// this upload created is removed (see [`clean_up_on_failure`](Self::clean_up_on_failure)).
    pub async fn upload(
        self,
        source: &UploadSource,
    ) -> Result<Uploaded<PrintedDocument>, UploadError> {
        let opened = self.common.preflight(source)?;
        self.check_content_type().await?;
        let destination = format!("print/{}/{}", self.collection, self.parent_id);
        self.common
            .drive(
                &self.uploader,
                opened,
                &destination,
                async |engine, resume, created| {
                    self.run(engine, resume, source, &destination, created)
                        .await
                },
            )
            .await
    }

    async fn run(
        &self,
        engine: &Engine,
        resume: &Resume,
        source: &UploadSource,
        destination: &str,
        created: &mut Created,
    ) -> Result<Uploaded<PrintedDocument>, UploadError> {
        let prefix = format!("/{}/jobs", encode_segments(destination));
        let (job_id, document_id, upload_url, ranges) = match &resume.session {
            Some((entry, ranges)) if entry.ids.len() == 2 => {
                created.journaled = true;
                if entry.created_job {
                    created.job = Some(format!("{prefix}/{}", encode(&entry.ids[0])));
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
            Ok(Finished::Confirmed(uploaded)) => Ok(uploaded),
            Ok(Finished::Unconfirmed(counts)) => self
                .uploaded_document(&prefix, &job_id, &document_id, source.len())
                .await
                .map(|document| counts.map(|()| UploadOutcome::PrintDocument(document))),
            Err(error) => Err(error),
        };
        resume.finish(&result)?;
        let uploaded = result?;
        // The session ended with the upload: nothing of it is left to delete.
        created.session = None;
        created.journaled = false;
        let document = match uploaded.item.clone() {
            UploadOutcome::PrintDocument(document) => document,
            other => {
                return Err(UploadError::protocol(format!(
                    "the final print reply carries no printDocument: {other:?}"
                )));
            }
        };
        if self.start {
            self.uploader
                .service()
                .post_json(
                    &format!("{prefix}/{}/start", encode(&job_id)),
                    &serde_json::json!({}),
                    Stage::AfterSession,
                    &self.common.watch,
                )
                .await?;
        }
        Ok(uploaded.map(|_| PrintedDocument {
            job_id,
            document,
            started: self.start,
        }))
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
        let path = format!(
            "{prefix}/{}/documents/{}",
            encode(job_id),
            encode(document_id)
        );
        let document = complete_document(&self.uploader, &path, size, &self.common.watch)
            .await?
            .ok_or(UploadError::SessionGone)?;
        self.common
            .watch
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
        let path = format!(
            "/print/{}/{}?$select=id,capabilities",
            self.collection,
            encode(&self.parent_id)
        );
        let response = self
            .uploader
            .service()
            .send(
                Request::get,
                &path,
                None,
                Stage::BeforeSession,
                &self.common.watch,
            )
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
            Err(InvalidInput::UnsupportedContentType {
                content_type: self.content_type.clone(),
                supported,
            }
            .into())
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
                &self.common.watch,
            )
            .await?;
        let job: PrintJob = response
            .json()
            .map_err(|error| UploadError::unparsable("the created job is not a printJob", error))?;
        created.job = Some(format!("{prefix}/{}", encode(&job.id)));
        let document = job
            .documents
            .first()
            .ok_or_else(|| UploadError::protocol("the created job has no document"))?;
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
        let path = format!(
            "{prefix}/{}/documents/{}/createUploadSession",
            encode(job_id),
            encode(document_id)
        );
        let response = self
            .uploader
            .service()
            .post_json(
                &path,
                &to_json(&body)?,
                Stage::BeforeSession,
                &self.common.watch,
            )
            .await?;
        session_of(&response)
    }
}

/// Whether a printer taking `supported` accepts `content_type` (parameters ignored, case
/// ignored). OXPS is accepted by a PDF printer: the service converts it (`docs/protocol.md`
/// section 1).
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
