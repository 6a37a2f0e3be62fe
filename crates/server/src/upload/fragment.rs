//! A fragment's headers, checked before any byte of its body is read: `Content-Range` against
//! the session's size, `Content-Length` against the range, the length against the limit.

use crate::config::ServerConfig;
use crate::errors::ApiError;
use crate::records::SessionRecord;
use axum::http::{HeaderMap, header};
use graph_upload_ranges::ContentRange;
use std::ops::Range;

/// A fragment's headers, checked before any byte of its body is read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fragment {
    /// The bytes it carries; `None` for the empty PUT of a 0-byte file (`bytes */0`).
    pub span: Option<Range<u64>>,
}

/// Validates `Content-Range` and `Content-Length` against the session's size and limit.
pub fn check_headers(
    headers: &HeaderMap,
    size: u64,
    max_fragment: u64,
) -> Result<Fragment, ApiError> {
    let range_text = headers
        .get(header::CONTENT_RANGE)
        .ok_or_else(|| {
            ApiError::bad_request(
                "the Content-Range header is missing: send `Content-Range: bytes {start}-{end}/{total}`",
            )
        })?
        .to_str()
        .map_err(|_| ApiError::bad_request("the Content-Range header is not text"))?;
    let range: ContentRange = range_text.parse().map_err(|error| {
        ApiError::bad_request(format!(
            "Content-Range {range_text:?} is not valid ({error}); expected `bytes {{start}}-{{end}}/{{total}}`"
        ))
    })?;
    let total = range.total().ok_or_else(|| {
        ApiError::bad_request(format!(
            "Content-Range {range_text:?} has no total: the total must be the declared size {size}"
        ))
    })?;
    if total != size {
        return Err(ApiError::length_mismatch(format!(
            "Content-Range total {total} differs from the declared size {size}"
        )));
    }
    let length = content_length(headers)?;
    let span = range.span();
    let expected = span.as_ref().map_or(0, |s| s.end - s.start);
    if span.is_none() && size != 0 {
        return Err(ApiError::bad_request(format!(
            "Content-Range {range_text:?} names no bytes; only a 0-byte upload may send `bytes */0`"
        )));
    }
    if length != expected {
        return Err(ApiError::length_mismatch(format!(
            "Content-Length {length} differs from the {expected} bytes of Content-Range {range_text:?}"
        )));
    }
    if expected > max_fragment {
        return Err(ApiError::too_large(format!(
            "the fragment has {expected} bytes; this session accepts at most {max_fragment} per request"
        )));
    }
    Ok(Fragment { span })
}

fn content_length(headers: &HeaderMap) -> Result<u64, ApiError> {
    let Some(value) = headers.get(header::CONTENT_LENGTH) else {
        // HTTP/1.1: a request without Content-Length or Transfer-Encoding has no body.
        if headers.contains_key(header::TRANSFER_ENCODING) {
            return Err(ApiError::bad_request(
                "the Content-Length header is missing: fragments must declare their length",
            ));
        }
        return Ok(0);
    };
    value
        .to_str()
        .ok()
        .and_then(|text| text.trim().parse().ok())
        .ok_or_else(|| ApiError::bad_request("the Content-Length header is not a number"))
}

/// The largest fragment a session accepts per request.
pub fn max_fragment(config: &ServerConfig, session: &SessionRecord) -> u64 {
    if session.is_outlook() {
        graph_upload_models::OUTLOOK_MAX_FRAGMENT_SIZE
    } else if session.is_todo() {
        config.todo_max_fragment
    } else if session.is_drive() {
        config.drive_max_fragment
    } else {
        config.print_max_fragment
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn headers(pairs: &[(&str, &str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.insert(
                axum::http::HeaderName::from_bytes(name.as_bytes()).unwrap(),
                HeaderValue::from_str(value).unwrap(),
            );
        }
        map
    }

    #[test]
    fn valid_fragment_headers_give_the_span() {
        let fragment = check_headers(
            &headers(&[("content-range", "bytes 0-9/100"), ("content-length", "10")]),
            100,
            50,
        )
        .unwrap();
        assert_eq!(fragment.span, Some(0..10));
        let fragment = check_headers(
            &headers(&[
                ("content-range", "bytes=90-99/100"),
                ("content-length", "10"),
            ]),
            100,
            50,
        )
        .unwrap();
        assert_eq!(fragment.span, Some(90..100));
    }

    #[test]
    fn bad_fragment_headers_get_graph_statuses_and_codes() {
        type Case<'a> = (&'a [(&'a str, &'a str)], u16, Option<&'a str>);
        let cases: &[Case<'_>] = &[
            (&[("content-length", "10")], 400, None),
            (
                &[("content-range", "bytes 0-9"), ("content-length", "10")],
                400,
                None,
            ),
            (
                &[("content-range", "0-9/100"), ("content-length", "10")],
                400,
                None,
            ),
            (
                &[("content-range", "bytes 9-0/100"), ("content-length", "10")],
                400,
                None,
            ),
            (
                &[("content-range", "bytes 0-9/*"), ("content-length", "10")],
                400,
                None,
            ),
            (
                &[("content-range", "bytes 0-9/101"), ("content-length", "10")],
                400,
                Some("fragmentLengthMismatch"),
            ),
            (
                &[("content-range", "bytes 0-9/100"), ("content-length", "9")],
                400,
                Some("fragmentLengthMismatch"),
            ),
            (
                &[("content-range", "bytes 0-9/100")],
                400,
                Some("fragmentLengthMismatch"),
            ),
            (
                &[
                    ("content-range", "bytes 0-9/100"),
                    ("transfer-encoding", "chunked"),
                ],
                400,
                None,
            ),
            (
                &[("content-range", "bytes */100"), ("content-length", "0")],
                400,
                None,
            ),
            (
                &[
                    ("content-range", "bytes 0-99/100"),
                    ("content-length", "100"),
                ],
                413,
                None,
            ),
        ];
        for (pairs, status, inner) in cases {
            let error = check_headers(&headers(pairs), 100, 50).unwrap_err();
            assert_eq!(error.status.as_u16(), *status, "{pairs:?}: {error}");
            assert_eq!(error.inner_code, *inner, "{pairs:?}");
        }
    }

    #[test]
    fn empty_upload_is_bytes_star_slash_zero() {
        let fragment = check_headers(
            &headers(&[("content-range", "bytes */0"), ("content-length", "0")]),
            0,
            50,
        )
        .unwrap();
        assert_eq!(fragment.span, None);
    }
}
