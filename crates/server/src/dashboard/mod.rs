//! The dashboard: `GET /_emulator/` serves one page (HTML, CSS and a little JavaScript, all
//! embedded in the binary, nothing fetched from elsewhere) that shows the open upload
//! sessions, what was stored, the last requests and the fault rules, and replaces the rules.
//!
//! The page carries no data and needs no token. It asks for the bearer token (or reads it
//! from the URL fragment, `/_emulator/#token=T`, which never reaches the server or its log),
//! keeps it in the tab's `sessionStorage`, and reads the JSON routes (`/_emulator/sessions`,
//! `items`, `requests`, `stats`, `faults`) with it each time `/_emulator/changes` says the
//! app made a request (or a second passed). Its Content-Security-Policy allows only
//! its own script and style and calls to its own origin, and it writes every value as text,
//! never as HTML, so that a file named like markup stays a name.

use axum::Router;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;

const PAGE: &str = include_str!("index.html");
const SCRIPT: &str = include_str!("dashboard.js");
const STYLE: &str = include_str!("dashboard.css");

/// Only what the page itself is, and calls back to the emulator.
const CONTENT_SECURITY_POLICY: &str = "default-src 'none'; script-src 'self'; \
     style-src 'self'; connect-src 'self'; img-src 'self' data:; base-uri 'none'; \
     form-action 'none'; frame-ancestors 'none'";

/// The page and its two assets, none behind the bearer token.
pub(crate) fn routes<S: Clone + Send + Sync + 'static>() -> Router<S> {
    Router::new()
        .route(
            "/_emulator",
            get(|| async { Redirect::permanent("/_emulator/") }),
        )
        .route(
            "/_emulator/",
            get(|| async { asset(PAGE, "text/html; charset=utf-8") }),
        )
        .route(
            "/_emulator/dashboard.js",
            get(|| async { asset(SCRIPT, "text/javascript; charset=utf-8") }),
        )
        .route(
            "/_emulator/dashboard.css",
            get(|| async { asset(STYLE, "text/css; charset=utf-8") }),
        )
}

fn asset(body: &'static str, content_type: &'static str) -> Response {
    let mut response = (StatusCode::OK, body).into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    // The page changes with the binary: always ask again (a 200 of a few kilobytes).
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CONTENT_SECURITY_POLICY),
    );
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    // Download links carry their credential in the query: never send it on as a referrer.
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    response
}
