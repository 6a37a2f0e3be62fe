//! The Graph emulator against bad input, over plain HTTP (and a raw TCP stream for requests
//! reqwest will not send: lying `Content-Length`, chunked bodies, bodies cut short, literal
//! `..` segments). Each case checks the exact status and Graph error JSON (code, and the inner
//! code where `docs/protocol.md` section 4 names one) and that the stored data did not change:
//! the session's `GET {uploadUrl}` answer, the files under the data directory and the
//! resources the API lists. Where a rejected fragment carried different bytes over a range
//! already received, the upload is then finished and `$value` must equal the original file.
//!
//! Each test starts its own server on `127.0.0.1:0` with a temporary data directory.

mod bearer;
mod content_length;
mod content_range;
mod create_session;
mod fragments;
mod http;
mod json_calls;
mod odd_ids;
mod scene;
mod sessions_over;
mod unknown_print;
mod unknown_todo;
mod upload_url_token;
