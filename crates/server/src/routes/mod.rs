//! The HTTP surface: Graph's paths under `/v1.0`, `/beta` and no prefix, plus the print
//! and Outlook upload URLs.

mod cancel;
mod downloads;
mod drive;
mod emulator;
mod mail;
mod mail_sessions;
mod print;
mod sessions;
mod stored;
mod todo;
mod todo_tasks;

use crate::auth::{Caller, authenticate};
use crate::errors::{ApiError, graph_error_body};
use crate::request_log::RequestId;
use crate::state::AppState;
use axum::Router;
use axum::extract::{DefaultBodyLimit, MatchedPath, Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::Response;
use axum::routing::{any, get, post, put};
use bytes::Bytes;
use serde::de::DeserializeOwned;
use std::collections::HashMap;
use std::sync::Arc;

/// Largest JSON body accepted (the one-shot To Do attachment carries up to 3 MB in base64).
const MAX_JSON_BODY: usize = 8 * 1024 * 1024;

/// The whole application.
pub fn router(state: Arc<AppState>) -> Router {
    // The 405 fallback goes on each route before the bearer layer, so that the layer wraps it.
    let api = api_routes()
        .method_not_allowed_fallback(method_not_allowed)
        // Inside the bearer check's layer: it annotates answers, never errors.
        .route_layer(middleware::from_fn(crate::odata::annotate))
        .route_layer(middleware::from_fn_with_state(
            Arc::clone(&state),
            require_bearer,
        ))
        .layer(DefaultBodyLimit::max(MAX_JSON_BODY));
    Router::new()
        .nest("/v1.0", api.clone())
        .nest("/beta", api.clone())
        .merge(api)
        .route(
            "/uploadSessions/{session}",
            put(sessions::put_print)
                .get(sessions::get_print)
                .delete(sessions::delete_print)
                .post(drive::commit_session),
        )
        .route(
            "/api/v2.0/Users/{user}/{kind}/{item}/AttachmentSessions/{session}",
            put(mail_sessions::put_outlook)
                .get(mail_sessions::get_outlook)
                .delete(mail_sessions::delete_outlook),
        )
        .route(
            "/printDocuments/{job}/{document}",
            get(downloads::print_document),
        )
        .route("/downloads/{kind}/{id}", get(downloads::stored_file))
        .merge(emulator_routes(Arc::clone(&state)))
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(middleware::from_fn_with_state(
            Arc::clone(&state),
            request_ids,
        ))
        // Around every route, so that it sees every request and its placeholder for a closed
        // connection reaches the connection loop unchanged.
        .layer(middleware::from_fn_with_state(
            Arc::clone(&state),
            crate::fault_layer::inject,
        ))
        // Outermost: it names the request (its id) and logs it once answered, with whatever
        // the layers inside did (a fault, the latency).
        .layer(middleware::from_fn_with_state(
            Arc::clone(&state),
            crate::request_log::log,
        ))
        .with_state(state)
}

/// The emulator's own routes (`/_emulator/...`), behind the bearer token like Graph's, and
/// the dashboard page, which is not.
fn emulator_routes(state: Arc<AppState>) -> Router<Arc<AppState>> {
    Router::new()
        .route(
            "/_emulator/faults",
            get(emulator::get_faults)
                .put(emulator::put_faults)
                .delete(emulator::delete_faults),
        )
        .route("/_emulator/stats", get(emulator::get_stats))
        .route("/_emulator/sessions", get(emulator::get_sessions))
        .route("/_emulator/requests", get(emulator::get_requests))
        .route("/_emulator/changes", get(emulator::get_changes))
        .route("/_emulator/items", get(stored::get_items))
        .method_not_allowed_fallback(method_not_allowed)
        .route_layer(middleware::from_fn_with_state(state, require_bearer))
        // The page carries no data, so it needs no token: it asks for one and calls the
        // routes above with it.
        .merge(crate::dashboard::routes())
}

/// Graph echoes the caller's `client-request-id` (and makes one up, a GUID, when the caller
/// sent none); every error becomes Graph's error JSON
/// here, dated by the configured clock (errors raised by the framework itself, a bad path
/// encoding or a body over the limit, too), with the request id the log layer gave the
/// request (which also puts it in the `request-id` header).
async fn request_ids(State(state): State<Arc<AppState>>, request: Request, next: Next) -> Response {
    let client_request_id = request
        .headers()
        .get("client-request-id")
        .cloned()
        .or_else(|| HeaderValue::from_str(&uuid::Uuid::new_v4().to_string()).ok());
    let request_id = RequestId::of(&request);
    let mut response = graph_error_body(next.run(request).await, state.now(), &request_id).await;
    if let Some(value) = client_request_id {
        response.headers_mut().insert("client-request-id", value);
    }
    response
}

fn api_routes() -> Router<Arc<AppState>> {
    let print_parent = |rest: &str| {
        [
            format!("/print/printers/{{parent}}{rest}"),
            format!("/print/shares/{{parent}}{rest}"),
        ]
    };
    let mut api = Router::new()
        .route("/print/printers", get(print::list_printers))
        .route("/print/shares", get(print::list_shares));
    for path in print_parent("") {
        api = api.route(&path, get(print::get_parent));
    }
    for path in print_parent("/jobs") {
        api = api.route(&path, post(print::create_job).get(print::list_jobs));
    }
    for path in print_parent("/jobs/{job}") {
        api = api.route(&path, get(print::get_job));
    }
    for path in print_parent("/jobs/{job}/start") {
        api = api.route(&path, post(print::start_job));
    }
    for path in print_parent("/jobs/{job}/cancel") {
        api = api.route(&path, post(cancel::cancel_job));
    }
    // printjob-abort.md documents the printer path only.
    api = api
        .route(
            "/print/printers/{parent}/jobs/{job}/abort",
            post(cancel::abort_job),
        )
        .route(
            "/print/printers/{parent}/shares",
            get(print::printer_shares),
        )
        .route("/print/shares/{parent}/printer", get(print::share_printer));
    for path in print_parent("/jobs/{job}/documents") {
        api = api.route(&path, get(print::list_documents));
    }
    for path in print_parent("/jobs/{job}/documents/{document}") {
        api = api.route(&path, get(print::get_document));
    }
    for path in print_parent("/jobs/{job}/documents/{document}/$value") {
        api = api.route(&path, get(print::document_value));
    }
    for path in print_parent("/jobs/{job}/documents/{document}/createUploadSession") {
        api = api.route(&path, post(sessions::create_print_session));
    }
    for owner in ["/me", "/users/{user}"] {
        let lists = format!("{owner}/todo/lists");
        let task = format!("{lists}/{{list}}/tasks/{{task}}");
        api = api
            .route(&lists, get(todo::list_lists))
            .route(&format!("{lists}/{{list}}"), get(todo::get_list))
            .route(
                &format!("{lists}/{{list}}/tasks"),
                get(todo::list_tasks).post(todo_tasks::create_task),
            )
            .route(
                &task,
                get(todo::get_task)
                    .patch(todo_tasks::update_task)
                    .delete(todo_tasks::delete_task),
            )
            .route(
                &format!("{task}/attachmentSessions"),
                get(todo::list_attachment_sessions),
            )
            .route(
                &format!("{task}/attachments"),
                get(todo::list_attachments).post(todo::create_attachment),
            )
            .route(
                &format!("{task}/attachments/createUploadSession"),
                post(sessions::create_todo_session),
            )
            .route(
                &format!("{task}/attachments/{{attachment}}"),
                get(todo::get_attachment).delete(todo::delete_attachment),
            )
            .route(
                &format!("{task}/attachments/{{attachment}}/$value"),
                get(todo::attachment_value),
            )
            .route(
                &format!("{task}/attachmentSessions/{{session}}"),
                put(sessions::put_todo)
                    .get(sessions::get_todo)
                    .delete(sessions::delete_todo),
            )
            .route(
                &format!("{task}/attachmentSessions/{{session}}/content"),
                put(sessions::put_todo),
            );
    }
    for owner in [
        "/me/drive",
        "/users/{user}/drive",
        "/drives/{drive}",
        "/groups/{group}/drive",
        "/sites/{site}/drive",
    ] {
        api = api
            .route(owner, get(drive::get_drive))
            .route(&format!("{owner}/{{*rest}}"), any(drive::drive_call));
    }
    outlook_routes(api)
}

/// Outlook messages and events of `/me` and `/users/{id}`, and their attachments.
fn outlook_routes(mut api: Router<Arc<AppState>>) -> Router<Arc<AppState>> {
    for owner in ["/me", "/users/{user}"] {
        for item in [
            format!("{owner}/messages/{{message}}"),
            format!("{owner}/events/{{event}}"),
        ] {
            let attachments = format!("{item}/attachments");
            api = api
                .route(&item, get(mail::get_item))
                .route(
                    &attachments,
                    get(mail::list_attachments).post(mail::create_attachment),
                )
                .route(
                    &format!("{attachments}/createUploadSession"),
                    post(mail_sessions::create_outlook_session),
                )
                .route(
                    &format!("{attachments}/{{attachment}}"),
                    get(mail::get_attachment).delete(mail::delete_attachment),
                )
                .route(
                    &format!("{attachments}/{{attachment}}/$value"),
                    get(mail::attachment_value),
                );
        }
    }
    api
}

/// Every Graph API call needs a bearer token (checked first, also for a method the route does
/// not have: Graph answers `401` before `405`), and a scoped token the permission its
/// reference page names ([`crate::permissions`]).
async fn require_bearer(
    State(state): State<Arc<AppState>>,
    request: Request,
    next: Next,
) -> Result<Response, ApiError> {
    let header = request
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|value| value.to_str().ok());
    let config = &state.config;
    if let Caller::Granted(grant) = authenticate(header, &config.token, &config.tokens)? {
        let route = request
            .extensions()
            .get::<MatchedPath>()
            .map_or_else(|| request.uri().path(), MatchedPath::as_str);
        crate::permissions::authorize(grant, request.method(), route)?;
    }
    Ok(next.run(request).await)
}

async fn not_found() -> ApiError {
    ApiError::not_found("no Graph resource at this path in the emulator")
}

async fn method_not_allowed() -> ApiError {
    ApiError::new(
        axum::http::StatusCode::METHOD_NOT_ALLOWED,
        graph_upload_models::error_codes::NOT_ALLOWED,
        "this method is not allowed on this resource",
    )
}

/// Path parameters by name.
pub(crate) type Params = HashMap<String, String>;

/// A path parameter the route guarantees.
pub(crate) fn param<'a>(params: &'a Params, name: &str) -> Result<&'a str, ApiError> {
    params
        .get(name)
        .map(String::as_str)
        .ok_or_else(|| ApiError::internal(format!("route has no {name} parameter")))
}

/// Graph's code for a body whose media type it cannot read (`415`).
const REQUEST_BODY_READ: &str = "RequestBodyRead";

/// Parses a JSON body, answering Graph's `400 invalidRequest` with serde's reason, and
/// `415 RequestBodyRead` for a body sent as another media type (`text/plain`, a form). A
/// body without `Content-Type` is read as JSON: Microsoft's SDKs always send
/// `application/json`, and the emulator stays lenient with hand-written calls.
pub(crate) fn parse_json<T: DeserializeOwned>(
    headers: &HeaderMap,
    body: &Bytes,
) -> Result<T, ApiError> {
    if let Some(content_type) = headers.get(header::CONTENT_TYPE) {
        let text = content_type.to_str().unwrap_or("");
        if !is_json_media_type(text) {
            return Err(ApiError::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                REQUEST_BODY_READ,
                format!(
                    "A supported MIME type could not be found that matches the content type of the request: {text:?}. Send application/json."
                ),
            ));
        }
    }
    serde_json::from_slice(body).map_err(|error| {
        ApiError::bad_request(format!(
            "the request body is not valid JSON for this call: {error}"
        ))
    })
}

/// `application/json` or a `+json` type, with any parameters.
fn is_json_media_type(text: &str) -> bool {
    let essence = text
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    essence == "application/json"
        || (essence.starts_with("application/") && essence.ends_with("+json"))
}

/// `/v1.0`, `/beta` or empty: the API version the client used, kept in URLs we hand back.
pub(crate) fn api_prefix(uri: &axum::http::Uri) -> &'static str {
    let path = uri.path();
    if path.starts_with("/v1.0/") {
        "/v1.0"
    } else if path.starts_with("/beta/") {
        "/beta"
    } else {
        ""
    }
}
