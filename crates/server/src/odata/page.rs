//! Runs a parsed query over a collection's items and renders the page: filter, order,
//! count, the page (`$skip`, `$skiptoken`, `$top` and the server's page size), `$select`,
//! then `@odata.context`, `@odata.count`, `@odata.nextLink` and `value`.

use super::context;
use super::filter::{Scalar, lookup};
use super::query::{ODataQuery, OrderKey, bad_query, is_skip_token};
use super::spec::Resource;
use crate::errors::ApiError;
use axum::Json;
use axum::http::Uri;
use axum::response::{IntoResponse, Response};
use base64::Engine as _;
use serde::Serialize;
use serde_json::{Map, Value};
use std::cmp::Ordering;

/// What a `$skiptoken` of the emulator starts with once decoded.
const TOKEN_TAG: &str = "graph-upload-emulator:v1:";

/// The items of a collection, as JSON objects (for the call sites that add expansions).
pub(crate) fn to_values<T: Serialize>(items: Vec<T>) -> Result<Vec<Value>, ApiError> {
    items
        .into_iter()
        .map(|item| {
            serde_json::to_value(item)
                .map_err(|error| ApiError::internal(format!("cannot render an item: {error}")))
        })
        .collect()
}

/// The answer to a `GET` on a collection of `resource` at `uri` (the original request URI)
/// holding `items`, under `query`; links point at `public_url`.
pub(crate) fn respond<T: Serialize>(
    uri: &Uri,
    public_url: &str,
    resource: &Resource,
    query: &ODataQuery,
    items: Vec<T>,
) -> Result<Response, ApiError> {
    let mut items = to_values(items)?;
    if let Some(filter) = &query.filter {
        items.retain(|item| filter.matches(item));
    }
    if !query.order_by.is_empty() {
        items.sort_by(|a, b| order(&query.order_by, a, b));
    }
    let total = items.len();
    let offset = match &query.skip_token {
        Some(token) => decode_token(token)?,
        None => 0,
    };
    let start = query.skip.saturating_add(offset).min(total);
    let size = query
        .top
        .map_or(resource.page_size, |top| top.min(resource.page_size));
    let end = start.saturating_add(size).min(total);
    let mut body = Map::new();
    body.insert(
        "@odata.context".into(),
        Value::String(context::collection(uri.path(), query.select.as_deref())),
    );
    if query.count {
        body.insert("@odata.count".into(), Value::from(total));
    }
    if end < total && size > 0 {
        body.insert(
            "@odata.nextLink".into(),
            Value::String(next_link(uri, public_url, query, offset + (end - start))),
        );
    }
    let page: Vec<Value> = items
        .drain(start..end)
        .map(|item| select(item, query.select.as_deref()))
        .collect();
    body.insert("value".into(), Value::Array(page));
    Ok(Json(Value::Object(body)).into_response())
}

fn order(keys: &[OrderKey], a: &Value, b: &Value) -> Ordering {
    for key in keys {
        let (x, y) = (
            Scalar::of(lookup(a, &key.path)),
            Scalar::of(lookup(b, &key.path)),
        );
        let ordering = x.compare(&y).unwrap_or(Ordering::Equal);
        let ordering = if key.descending {
            ordering.reverse()
        } else {
            ordering
        };
        if ordering != Ordering::Equal {
            return ordering;
        }
    }
    Ordering::Equal
}

/// Keeps the selected properties, `id` (Graph always returns it) and the annotations.
fn select(item: Value, names: Option<&[String]>) -> Value {
    match (item, names) {
        (Value::Object(map), Some(names)) => Value::Object(
            map.into_iter()
                .filter(|(key, _)| {
                    key == "id" || key.starts_with('@') || names.iter().any(|n| n == key)
                })
                .collect(),
        ),
        (item, _) => item,
    }
}

/// The next page's link: the same path and options, and a token for `offset` (items
/// already delivered after `$skip`).
fn next_link(uri: &Uri, public_url: &str, query: &ODataQuery, offset: usize) -> String {
    let mut pairs: Vec<String> = query
        .raw_pairs
        .iter()
        .filter(|(name, _)| !is_skip_token(name))
        .map(|(name, value)| format!("{name}={value}"))
        .collect();
    pairs.push(format!("$skiptoken={}", encode_token(offset)));
    format!(
        "{}{}?{}",
        public_url.trim_end_matches('/'),
        uri.path(),
        pairs.join("&")
    )
}

fn encode_token(offset: usize) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(format!("{TOKEN_TAG}{offset}"))
}

fn decode_token(token: &str) -> Result<usize, ApiError> {
    base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(token)
        .ok()
        .and_then(|bytes| String::from_utf8(bytes).ok())
        .and_then(|text| text.strip_prefix(TOKEN_TAG)?.parse::<usize>().ok())
        .ok_or_else(|| {
            bad_query("The $skiptoken is not valid: pass the @odata.nextLink unchanged.")
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_round_trip_and_others_are_refused() {
        assert_eq!(decode_token(&encode_token(123)).unwrap(), 123);
        for bad in [
            "",
            "abc",
            "!!",
            &base64::engine::general_purpose::URL_SAFE_NO_PAD.encode("other:5"),
        ] {
            assert!(decode_token(bad).is_err(), "{bad}");
        }
    }
}
