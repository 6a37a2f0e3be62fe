//! Universal Print: printers, shares, jobs and their documents.

use super::{Params, param, parse_json};
use crate::errors::ApiError;
use crate::odata;
use crate::records::{DocumentRecord, JobRecord, ParentKind, PrinterRecord, ShareRecord};
use crate::state::AppState;
use crate::store::{Store, Table};
use axum::Json;
use axum::extract::{OriginalUri, Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use graph_upload_models::{
    PrintJob, PrintJobProcessingState, Printer, PrinterCapabilities, PrinterShare,
};
use std::sync::Arc;

/// Which printer or share a path names, read from the path itself.
pub(crate) fn parent_of(
    uri: &axum::http::Uri,
    params: &Params,
) -> Result<(ParentKind, String), ApiError> {
    let kind = if uri.path().contains("/print/shares/") {
        ParentKind::Share
    } else {
        ParentKind::Printer
    };
    Ok((kind, param(params, "parent")?.to_owned()))
}

/// The capabilities of a printer or share, or `404` when it does not exist.
pub(crate) fn capabilities_of(
    store: &Store,
    kind: ParentKind,
    id: &str,
) -> Result<PrinterCapabilities, ApiError> {
    let capabilities = match kind {
        ParentKind::Printer => store
            .get::<PrinterRecord>(Table::Printers, id)?
            .map(|printer| printer.capabilities),
        ParentKind::Share => store
            .get::<ShareRecord>(Table::Shares, id)?
            .map(|share| share.share.capabilities),
    };
    capabilities
        .map(Option::unwrap_or_default)
        .ok_or_else(|| ApiError::not_found(format!("no {} with id {id:?}", kind_name(kind))))
}

fn kind_name(kind: ParentKind) -> &'static str {
    match kind {
        ParentKind::Printer => "printer",
        ParentKind::Share => "printer share",
    }
}

/// A job of that printer or share, or `404`.
pub(crate) fn job_of(
    store: &Store,
    kind: ParentKind,
    parent: &str,
    job_id: &str,
) -> Result<JobRecord, ApiError> {
    store
        .get::<JobRecord>(Table::Jobs, job_id)?
        .filter(|job| job.parent_kind == kind && job.parent_id == parent)
        .ok_or_else(|| job_not_found(kind, parent, job_id))
}

/// `404` for a job that does not exist on that printer or share.
pub(crate) fn job_not_found(kind: ParentKind, parent: &str, job_id: &str) -> ApiError {
    ApiError::not_found(format!(
        "no print job {job_id:?} on {} {parent:?}",
        kind_name(kind)
    ))
}

pub(crate) async fn list_printers(
    State(state): State<Arc<AppState>>,
    OriginalUri(uri): OriginalUri,
) -> Result<Response, ApiError> {
    let query = odata::query(&uri, &odata::PRINTERS)?;
    let printers: Vec<Printer> = state.db(|store| Ok(store.list(Table::Printers)?)).await?;
    odata::respond(&uri, &state.public_url, &odata::PRINTERS, &query, printers)
}

pub(crate) async fn list_shares(
    State(state): State<Arc<AppState>>,
    OriginalUri(uri): OriginalUri,
) -> Result<Response, ApiError> {
    let query = odata::query(&uri, &odata::SHARES)?;
    let shares: Vec<ShareRecord> = state.db(|store| Ok(store.list(Table::Shares)?)).await?;
    let shares: Vec<PrinterShare> = shares.into_iter().map(|s| s.share).collect();
    odata::respond(&uri, &state.public_url, &odata::SHARES, &query, shares)
}

pub(crate) async fn get_parent(
    State(state): State<Arc<AppState>>,
    OriginalUri(uri): OriginalUri,
    Path(params): Path<Params>,
) -> Result<Response, ApiError> {
    let (kind, id) = parent_of(&uri, &params)?;
    state
        .db(move |store| {
            let not_found =
                || ApiError::not_found(format!("no {} with id {id:?}", kind_name(kind)));
            Ok(match kind {
                ParentKind::Printer => Json(
                    store
                        .get::<PrinterRecord>(Table::Printers, &id)?
                        .ok_or_else(not_found)?,
                )
                .into_response(),
                ParentKind::Share => Json(
                    store
                        .get::<ShareRecord>(Table::Shares, &id)?
                        .ok_or_else(not_found)?
                        .share,
                )
                .into_response(),
            })
        })
        .await
}

pub(crate) async fn create_job(
    State(state): State<Arc<AppState>>,
    OriginalUri(uri): OriginalUri,
    Path(params): Path<Params>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    let (kind, parent) = parent_of(&uri, &params)?;
    let requested: PrintJob = if body.iter().all(u8::is_ascii_whitespace) {
        PrintJob::default()
    } else {
        parse_json(&headers, &body)?
    };
    let created = state.now().as_secs() as i64;
    let job = JobRecord {
        id: crate::ids::print_job_id(),
        parent_kind: kind,
        parent_id: parent.clone(),
        created,
        state: PrintJobProcessingState::Paused,
        details: vec!["uploadPending".to_string()],
        configuration: requested.configuration,
        document: DocumentRecord::pending(uuid::Uuid::new_v4().to_string()),
    };
    let stored = job.clone();
    state
        .db(move |store| {
            capabilities_of(store, kind, &parent)?;
            store.write(|tx| {
                tx.put(Table::Jobs, &stored.id, &stored)?;
                Ok::<_, ApiError>(())
            })
        })
        .await?;
    let location = format!(
        "{}{}/print/{}/{}/jobs/{}",
        state.public_url,
        super::api_prefix(&uri),
        kind.segment(),
        job.parent_id,
        job.id
    );
    let mut response = (StatusCode::CREATED, Json(job.to_graph())).into_response();
    if let Ok(value) = HeaderValue::from_str(&location) {
        response.headers_mut().insert(header::LOCATION, value);
    }
    Ok(response)
}

pub(crate) async fn list_jobs(
    State(state): State<Arc<AppState>>,
    OriginalUri(uri): OriginalUri,
    Path(params): Path<Params>,
) -> Result<Response, ApiError> {
    let (kind, parent) = parent_of(&uri, &params)?;
    let query = odata::query(&uri, &odata::JOBS)?;
    let jobs = state
        .db(move |store| {
            capabilities_of(store, kind, &parent)?;
            let jobs: Vec<JobRecord> = store.list(Table::Jobs)?;
            Ok(jobs
                .into_iter()
                .filter(|job| job.parent_kind == kind && job.parent_id == parent)
                .map(|job| job.to_graph())
                .collect::<Vec<_>>())
        })
        .await?;
    let mut jobs = odata::to_values(jobs)?;
    // `documents` is a navigation property: a list carries it only when expanded.
    if !query.expands("documents") {
        for job in &mut jobs {
            if let Some(object) = job.as_object_mut() {
                object.remove("documents");
            }
        }
    }
    odata::respond(&uri, &state.public_url, &odata::JOBS, &query, jobs)
}

async fn load_job(
    state: &AppState,
    uri: &axum::http::Uri,
    params: &Params,
) -> Result<JobRecord, ApiError> {
    let (kind, parent) = parent_of(uri, params)?;
    let job_id = param(params, "job")?.to_owned();
    state
        .db(move |store| job_of(store, kind, &parent, &job_id))
        .await
}

/// The job whose document the path names, or `404` when the document is not that job's.
async fn load_document(
    state: &AppState,
    uri: &axum::http::Uri,
    params: &Params,
) -> Result<JobRecord, ApiError> {
    let job = load_job(state, uri, params).await?;
    let id = param(params, "document")?;
    if job.document.id == id {
        Ok(job)
    } else {
        Err(ApiError::not_found(format!(
            "no document {id:?} in job {:?}",
            job.id
        )))
    }
}

pub(crate) async fn get_job(
    State(state): State<Arc<AppState>>,
    OriginalUri(uri): OriginalUri,
    Path(params): Path<Params>,
) -> Result<Response, ApiError> {
    let job = load_job(&state, &uri, &params).await?;
    Ok(Json(job.to_graph()).into_response())
}

pub(crate) async fn list_documents(
    State(state): State<Arc<AppState>>,
    OriginalUri(uri): OriginalUri,
    Path(params): Path<Params>,
) -> Result<Response, ApiError> {
    let query = odata::query(&uri, &odata::DOCUMENTS)?;
    let job = load_job(&state, &uri, &params).await?;
    odata::respond(
        &uri,
        &state.public_url,
        &odata::DOCUMENTS,
        &query,
        vec![job.document.to_graph()],
    )
}

pub(crate) async fn get_document(
    State(state): State<Arc<AppState>>,
    OriginalUri(uri): OriginalUri,
    Path(params): Path<Params>,
) -> Result<Response, ApiError> {
    let job = load_document(&state, &uri, &params).await?;
    Ok(Json(job.document.to_graph()).into_response())
}

pub(crate) async fn document_value(
    State(state): State<Arc<AppState>>,
    OriginalUri(uri): OriginalUri,
    Path(params): Path<Params>,
) -> Result<Response, ApiError> {
    let job = load_document(&state, &uri, &params).await?;
    let Some(blob) = job.document.blob.as_deref() else {
        return Err(ApiError::not_found(
            "the document has no content yet: its upload has not completed",
        ));
    };
    super::todo::stream_blob(&state, blob, &job.document.content_type, job.document.size).await
}

pub(crate) async fn start_job(
    State(state): State<Arc<AppState>>,
    OriginalUri(uri): OriginalUri,
    Path(params): Path<Params>,
) -> Result<Response, ApiError> {
    let (kind, parent) = parent_of(&uri, &params)?;
    let job_id = param(&params, "job")?.to_owned();
    let status = state
        .db(move |store| {
            store.write(|tx| {
                let mut job: JobRecord = tx
                    .get(Table::Jobs, &job_id)?
                    .filter(|job: &JobRecord| job.parent_kind == kind && job.parent_id == parent)
                    .ok_or_else(|| job_not_found(kind, &parent, &job_id))?;
                super::cancel::refuse_if_finished(&job, "be started")?;
                if job.document.uploaded.is_none() {
                    return Err(ApiError::bad_request(
                        "the job's document has not been uploaded yet: finish its upload session first",
                    )
                    .inner("uploadPending"));
                }
                job.state = PrintJobProcessingState::Processing;
                job.details.clear();
                tx.put(Table::Jobs, &job.id, &job)?;
                Ok(job.status())
            })
        })
        .await?;
    Ok(Json(status).into_response())
}
