//! Turning a case into an HTTP request against the live state.

use super::case::{Auth, Body, Case, Casing, Id, Length, Query, Range, Target};
use super::live::Live;
use crate::fixtures::{LIST_ID, TASK_ID, USER_ID};
use crate::test_app::TOKEN;
use axum::body::Body as AxumBody;
use axum::http::{HeaderName, HeaderValue, Method, Request};

pub(super) fn cased(template: &str, casing: Casing) -> String {
    let mut out = String::with_capacity(template.len());
    let mut in_placeholder = false;
    let mut segment_start = true;
    for c in template.chars() {
        match c {
            '{' => in_placeholder = true,
            '}' => in_placeholder = false,
            _ => {}
        }
        let c = if in_placeholder || c == '}' {
            c
        } else {
            match casing {
                Casing::AsIs => c,
                Casing::Upper => c.to_ascii_uppercase(),
                Casing::Lower => c.to_ascii_lowercase(),
                Casing::Capitalized if segment_start => c.to_ascii_uppercase(),
                Casing::Capitalized => c,
            }
        };
        segment_start = c == '/';
        out.push(c);
    }
    out
}

pub(super) fn path_of(case: &Case, live: &Live, other: &Live) -> String {
    match &case.target {
        Target::Raw(path) => path.clone(),
        Target::Upload {
            todo,
            id,
            content,
            suffix,
        } => {
            let base = if *todo {
                live.todo_url.clone()
            } else {
                format!("/uploadSessions/{}", live.print_session)
            };
            let suffix = if *todo && *content {
                format!("/content{suffix}")
            } else {
                (*suffix).to_owned()
            };
            let base = match id {
                Id::Right | Id::Retired => base,
                Id::Other(other) => match base.rsplit_once('/') {
                    Some((head, _)) => format!("{head}/{other}"),
                    None => base,
                },
            };
            format!("{base}{suffix}")
        }
        Target::Route {
            prefix,
            template,
            casing,
            ids,
        } => {
            let mut path = format!("{prefix}{}", cased(template, *casing));
            let mut ids = ids.iter();
            for (placeholder, right) in [
                ("{K}", live.kind.to_owned()),
                ("{P}", live.parent.to_owned()),
                ("{J}", live.job.clone()),
                ("{D}", live.document.clone()),
                ("{S}", live.print_session.clone()),
                ("{L}", LIST_ID.to_owned()),
                ("{T}", TASK_ID.to_owned()),
                ("{A}", other.document.clone()),
                ("{Q}", live.todo_session.clone()),
                ("{U}", USER_ID.to_owned()),
            ] {
                if path.contains(placeholder) {
                    let value = match ids.next() {
                        Some(Id::Other(other)) => other.clone(),
                        Some(Id::Retired) if placeholder == "{J}" => {
                            live.retired_job.clone().unwrap_or(right)
                        }
                        _ => right,
                    };
                    path = path.replace(placeholder, &value);
                }
            }
            path
        }
    }
}

/// The `Content-Range` and the body's length it names, if it names one.
pub(super) fn range_of(case: &Case, live: &Live) -> (Option<Vec<u8>>, Option<usize>) {
    let size = match &case.target {
        Target::Upload { todo: true, .. } => live.todo_size,
        Target::Route { template, .. } if template.contains("{Q}") => live.todo_size,
        _ => live.print_size,
    };
    match &case.content_range {
        Range::None => (None, None),
        Range::Fit { .. } if size == 0 => (Some(b"bytes */0".to_vec()), Some(0)),
        Range::Fit { start, len } => {
            let start = start % size;
            let end = start.saturating_add(*len).min(size);
            let end = end.max(start + 1);
            let text = format!("bytes {start}-{}/{size}", end - 1);
            (Some(text.into_bytes()), Some((end - start) as usize))
        }
        Range::Numbers(a, b, c, unit) => (Some(format!("{unit}{a}-{b}/{c}").into_bytes()), None),
        Range::Raw(bytes) => (Some(bytes.clone()), None),
    }
}

/// The method a target is made for (a coin decides between `GET` and `POST` where both
/// exist, and between `PUT`, `GET` and `DELETE` on upload URLs).
pub(super) fn natural_method(case: &Case) -> Method {
    let coin = case.live as u64
        + case.extra.len() as u64
        + u64::from(matches!(case.query, Query::Natural));
    let upload = match coin % 8 {
        0 => Method::GET,
        1 => Method::DELETE,
        _ => Method::PUT,
    };
    match &case.target {
        Target::Upload { .. } => upload,
        Target::Raw(_) => Method::GET,
        Target::Route { template, .. } => {
            let last = template.rsplit('/').next().unwrap_or("");
            match last {
                "createUploadSession" | "start" | "cancel" => Method::POST,
                "jobs" | "attachments" | "tasks" if coin.is_multiple_of(2) => Method::POST,
                "{Q}" | "{S}" | "content" => upload,
                _ => Method::GET,
            }
        }
    }
}

/// The request, or `None` when it cannot be written as HTTP (an invalid URI).
pub(super) fn request_of(case: &Case, all: &[Live]) -> Option<(Method, Request<AxumBody>)> {
    let live = &all[case.live];
    let other = &all[(case.live + 1) % all.len()];
    let path = path_of(case, live, other);
    let print_url = match &case.target {
        Target::Upload { todo, .. } => !todo,
        Target::Route { template, .. } => template.starts_with("/uploadSessions"),
        Target::Raw(_) => false,
    };
    let query = match &case.query {
        Query::Natural if !print_url => String::new(),
        Query::None => String::new(),
        Query::Natural | Query::Token => format!("?tempauthtoken={}", live.print_token),
        Query::Tampered(byte) => {
            let mut token = live.print_token.clone().into_bytes();
            if let Some(last) = token.last_mut() {
                *last = if *last == b'A' { b'B' } else { b'A' };
            }
            token.push(b'a' + byte % 26);
            format!(
                "?tempauthtoken={}",
                String::from_utf8_lossy(&token[..token.len() - 1])
            )
        }
        Query::OtherToken => format!("?tempauthtoken={}", other.print_token),
        Query::Raw(raw) => format!("?{raw}"),
    };
    let method = match &case.method {
        Some(method) => Method::from_bytes(method.as_bytes()).ok()?,
        None => natural_method(case),
    };
    let (range, fit_len) = range_of(case, live);
    let body: Vec<u8> = match &case.body {
        Body::Bytes(bytes) => bytes.clone(),
        Body::Text(text) => text.clone().into_bytes(),
        Body::Fit(byte) => vec![*byte; fit_len.unwrap_or(usize::from(*byte) * 3)],
        Body::Huge => vec![b' '; 8 * 1024 * 1024 + 1],
    };
    let mut builder = Request::builder()
        .method(method.clone())
        .uri(format!("{path}{query}"));
    let mut header = |name: &str, value: &[u8]| {
        if let (Ok(name), Ok(value)) = (
            HeaderName::from_bytes(name.as_bytes()),
            HeaderValue::from_bytes(value),
        ) {
            builder = std::mem::take(&mut builder).header(name, value);
        }
    };
    match &case.auth {
        Auth::Natural if print_url => {}
        Auth::None => {}
        Auth::Natural | Auth::Right => {
            header("authorization", format!("Bearer {TOKEN}").as_bytes())
        }
        Auth::Raw(value) => header("authorization", value),
    }
    if let Some(value) = &case.content_type {
        header("content-type", value);
    }
    if let Some(value) = &range {
        header("content-range", value);
    }
    match &case.content_length {
        Length::Match => header("content-length", body.len().to_string().as_bytes()),
        Length::Absent => {}
        Length::Number(n) => header("content-length", n.to_string().as_bytes()),
        Length::Raw(value) => header("content-length", value),
    }
    for (name, value) in &case.extra {
        header(name, value);
    }
    let request = builder.body(AxumBody::from(body)).ok()?;
    Some((method, request))
}
