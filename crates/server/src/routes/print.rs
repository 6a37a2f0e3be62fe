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
use graph_upload_models::{PrintJobProcessingState, Printer, PrinterCapabilities, PrinterShare};
use serde_json::Value;
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

/// The printer behind a printer or share path, or `404` when the parent does not exist.
///
/// A share's jobs are those of its printer (printerShare.md: "jobs queued for printing by
/// the printer associated with this printer share"), so a job is reached through its printer
/// and through every share of that printer.
pub(crate) fn printer_of_parent(
    store: &Store,
    kind: ParentKind,
    id: &str,
) -> Result<String, ApiError> {
    let printer = match kind {
        ParentKind::Printer => store
            .get::<PrinterRecord>(Table::Printers, id)?
            .map(|printer| printer.id),
        ParentKind::Share => store
            .get::<ShareRecord>(Table::Shares, id)?
            .map(|share| share.printer_id),
    };
    printer.ok_or_else(|| ApiError::not_found(format!("no {} with id {id:?}", kind_name(kind))))
}

/// A job of that printer or share (or of the printer behind it), or `404`.
pub(crate) fn job_of(
    store: &Store,
    kind: ParentKind,
    parent: &str,
    job_id: &str,
) -> Result<JobRecord, ApiError> {
    let printer = printer_of_parent(store, kind, parent)?;
    store
        .get::<JobRecord>(Table::Jobs, job_id)?
        .filter(|job| job.printer_id == printer)
        .ok_or_else(|| job_not_found(kind, parent, job_id))
}

/// `404` for a job that does not exist on that printer or share.
pub(crate) fn job_not_found(kind: ParentKind, parent: &str, job_id: &str) -> ApiError {
    ApiError::not_found(format!(
        "no print job {job_id:?} on {} {parent:?}",
        kind_name(kind)
    ))
}

/// A printer or share as Graph answers it: `capabilities` only when `$select` names it
/// (printer-get.md), and with `$select` only the named properties (checked against the
/// reference page by the OData parser).
fn select(value: impl serde::Serialize, query: &odata::ODataQuery) -> Result<Value, ApiError> {
    let mut values = odata::to_values(vec![value])?;
    hide_capabilities(&mut values, query);
    let mut value = values.pop().unwrap_or(Value::Null);
    if let (Some(names), Some(object)) = (&query.select, value.as_object_mut()) {
        object.retain(|name, _| names.iter().any(|selected| selected == name));
    }
    Ok(value)
}

/// Leaves `capabilities` out of printers or shares unless `$select` names it.
fn hide_capabilities(values: &mut [Value], query: &odata::ODataQuery) {
    let asked = query
        .select
        .as_ref()
        .is_some_and(|names| names.iter().any(|name| name == "capabilities"));
    if asked {
        return;
    }
    for value in values {
        if let Some(object) = value.as_object_mut() {
            object.remove("capabilities");
        }
    }
}

pub(crate) async fn list_printers(
    State(state): State<Arc<AppState>>,
    OriginalUri(uri): OriginalUri,
) -> Result<Response, ApiError> {
    let query = odata::query(&uri, &odata::PRINTERS)?;
    let printers: Vec<Printer> = state.db(|store| Ok(store.list(Table::Printers)?)).await?;
    let mut printers = odata::to_values(printers)?;
    hide_capabilities(&mut printers, &query);
    odata::respond(&uri, &state.public_url, &odata::PRINTERS, &query, printers)
}

pub(crate) async fn list_shares(
    State(state): State<Arc<AppState>>,
    OriginalUri(uri): OriginalUri,
) -> Result<Response, ApiError> {
    let query = odata::query(&uri, &odata::SHARES)?;
    let shares: Vec<ShareRecord> = state.db(|store| Ok(store.list(Table::Shares)?)).await?;
    let shares: Vec<PrinterShare> = shares.into_iter().map(|s| s.share).collect();
    let mut shares = odata::to_values(shares)?;
    hide_capabilities(&mut shares, &query);
    odata::respond(&uri, &state.public_url, &odata::SHARES, &query, shares)
}

pub(crate) async fn get_parent(
    State(state): State<Arc<AppState>>,
    OriginalUri(uri): OriginalUri,
    Path(params): Path<Params>,
) -> Result<Response, ApiError> {
    let (kind, id) = parent_of(&uri, &params)?;
    let query = odata::query(
        &uri,
        match kind {
            ParentKind::Printer => &odata::PRINTERS,
            ParentKind::Share => &odata::SHARES,
        },
    )?;
    let value = state
        .db(move |store| {
            let not_found =
                || ApiError::not_found(format!("no {} with id {id:?}", kind_name(kind)));
            match kind {
                ParentKind::Printer => select(
                    store
                        .get::<PrinterRecord>(Table::Printers, &id)?
                        .ok_or_else(not_found)?,
                    &query,
                ),
                ParentKind::Share => select(
                    store
                        .get::<ShareRecord>(Table::Shares, &id)?
                        .ok_or_else(not_found)?
                        .share,
                    &query,
                ),
            }
        })
        .await?;
    Ok(Json(value).into_response())
}

/// `GET /print/shares/{id}/printer` (printerShare.md, relationship `printer`).
pub(crate) async fn share_printer(
    State(state): State<Arc<AppState>>,
    OriginalUri(uri): OriginalUri,
    Path(params): Path<Params>,
) -> Result<Response, ApiError> {
    let query = odata::query(&uri, &odata::PRINTERS)?;
    let id = param(&params, "parent")?.to_owned();
    let value = state
        .db(move |store| {
            let printer = printer_of_parent(store, ParentKind::Share, &id)?;
            let printer = store
                .get::<PrinterRecord>(Table::Printers, &printer)?
                .ok_or_else(|| ApiError::not_found(format!("no printer with id {printer:?}")))?;
            select(printer, &query)
        })
        .await?;
    Ok(Json(value).into_response())
}

/// `GET /print/printers/{id}/shares` (printer-list-shares.md).
pub(crate) async fn printer_shares(
    State(state): State<Arc<AppState>>,
    OriginalUri(uri): OriginalUri,
    Path(params): Path<Params>,
) -> Result<Response, ApiError> {
    let query = odata::query(&uri, &odata::SHARES)?;
    let id = param(&params, "parent")?.to_owned();
    let shares = state
        .db(move |store| {
            printer_of_parent(store, ParentKind::Printer, &id)?;
            let shares: Vec<ShareRecord> = store.list(Table::Shares)?;
            Ok(shares
                .into_iter()
                .filter(|share| share.printer_id == id)
                .map(|share| share.share)
                .collect::<Vec<_>>())
        })
        .await?;
    let mut shares = odata::to_values(shares)?;
    hide_capabilities(&mut shares, &query);
    odata::respond(&uri, &state.public_url, &odata::SHARES, &query, shares)
}

/// Milliseconds since the epoch, from the configured clock.
pub(crate) fn now_ms(state: &AppState) -> u64 {
    u64::try_from(state.now().as_millis()).unwrap_or(u64::MAX)
}

pub(crate) async fn create_job(
    State(state): State<Arc<AppState>>,
    OriginalUri(uri): OriginalUri,
    Path(params): Path<Params>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    let (kind, parent) = parent_of(&uri, &params)?;
    let requested: serde_json::Value = if body.iter().all(u8::is_ascii_whitespace) {
        serde_json::json!({})
    } else {
        parse_json(&headers, &body)?
    };
    let configuration = crate::print_config::job_configuration(&requested)?;
    let created = state.now().as_secs() as i64;
    let mut job = JobRecord {
        id: crate::ids::print_job_id(),
        parent_kind: kind,
        parent_id: parent.clone(),
        created,
        state: PrintJobProcessingState::Paused,
        details: vec!["uploadPending".to_string()],
        configuration,
        document: DocumentRecord::pending(uuid::Uuid::new_v4().to_string()),
        printer_id: String::new(),
        processing_until_ms: None,
    };
    job = state
        .db(move |store| {
            job.printer_id = printer_of_parent(store, kind, &parent)?;
            store.write(|tx| {
                tx.put(Table::Jobs, &job.id, &job)?;
                Ok::<_, ApiError>(())
            })?;
            Ok(job)
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

/// The jobs of a printer, or of the printer behind a share (printer-list-jobs.md,
/// printershare-list-jobs.md).
pub(crate) async fn list_jobs(
    State(state): State<Arc<AppState>>,
    OriginalUri(uri): OriginalUri,
    Path(params): Path<Params>,
) -> Result<Response, ApiError> {
    let (kind, parent) = parent_of(&uri, &params)?;
    let now = now_ms(&state);
    let query = odata::query(&uri, &odata::JOBS)?;
    let jobs = state
        .db(move |store| {
            let printer = printer_of_parent(store, kind, &parent)?;
            let jobs: Vec<JobRecord> = store.list(Table::Jobs)?;
            Ok(jobs
                .into_iter()
                .filter(|job| job.printer_id == printer)
                .map(|job| job.settled(now).to_graph())
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
    let now = now_ms(state);
    state
        .db(move |store| Ok(job_of(store, kind, &parent, &job_id)?.settled(now)))
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

/// `GET .../documents/{id}/$value`: `302 Found` to a pre-authenticated download URL
/// (printdocument-get-file.md).
pub(crate) async fn document_value(
    State(state): State<Arc<AppState>>,
    OriginalUri(uri): OriginalUri,
    Path(params): Path<Params>,
) -> Result<Response, ApiError> {
    let job = load_document(&state, &uri, &params).await?;
    if job.document.blob.is_none() {
        return Err(ApiError::not_found(
            "the document has no content yet: its upload has not completed",
        ));
    }
    Ok(super::downloads::redirect(&state, &job))
}

/// `POST .../jobs/{id}/start` (printjob-start.md): `processing`, then `completed` once the
/// configured processing time has passed.
pub(crate) async fn start_job(
    State(state): State<Arc<AppState>>,
    OriginalUri(uri): OriginalUri,
    Path(params): Path<Params>,
) -> Result<Response, ApiError> {
    let (kind, parent) = parent_of(&uri, &params)?;
    let job_id = param(&params, "job")?.to_owned();
    let now = now_ms(&state);
    let until = now
        .saturating_add(u64::try_from(state.config.job_processing.as_millis()).unwrap_or(u64::MAX));
    let status = state
        .db(move |store| {
            let printer = printer_of_parent(store, kind, &parent)?;
            store.write(|tx| {
                let mut job: JobRecord = tx
                    .get(Table::Jobs, &job_id)?
                    .filter(|job: &JobRecord| job.printer_id == printer)
                    .ok_or_else(|| job_not_found(kind, &parent, &job_id))?;
                job = job.settled(now);
                super::cancel::refuse_if_finished(&job, "be started")?;
                if job.document.uploaded.is_none() {
                    return Err(ApiError::bad_request(
                        "the job's document has not been uploaded yet: finish its upload session first",
                    )
                    .inner("uploadPending"));
                }
                if job.state != PrintJobProcessingState::Processing {
                    job.state = PrintJobProcessingState::Processing;
                    job.details.clear();
                    job.processing_until_ms = Some(until);
                }
                tx.put(Table::Jobs, &job.id, &job)?;
                Ok(job.settled(now).status())
            })
        })
        .await?;
    Ok(Json(status).into_response())
}
