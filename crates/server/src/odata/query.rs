//! The request's OData system query options, parsed once and checked against the
//! resource they query: an unknown option, a malformed value or an unknown property is
//! Graph's `400 BadRequest`, before any work is done.

use super::filter::{self, Expr};
use super::spec::Resource;
use crate::errors::ApiError;
use axum::http::StatusCode;

/// Graph's error code for a query it cannot run (`400 BadRequest`).
pub(crate) const BAD_REQUEST: &str = "BadRequest";

/// `400 BadRequest` with Graph's wording for a bad query.
pub(crate) fn bad_query(message: impl Into<String>) -> ApiError {
    ApiError::new(StatusCode::BAD_REQUEST, BAD_REQUEST, message)
}

/// The system query options' names without their `$`.
const OPTIONS: &[&str] = &[
    "top",
    "skip",
    "select",
    "filter",
    "orderby",
    "count",
    "expand",
    "skiptoken",
    "search",
    "format",
];

/// Whether a query parameter's name (as sent) is the `$skiptoken` option.
pub(crate) fn is_skip_token(raw_name: &str) -> bool {
    decode(raw_name)
        .trim_start_matches('$')
        .eq_ignore_ascii_case("skiptoken")
}

/// One `$orderby` key.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct OrderKey {
    /// The property path.
    pub(crate) path: Vec<String>,
    /// `desc`.
    pub(crate) descending: bool,
}

/// The options of one request on a collection.
#[derive(Debug, Clone, Default)]
pub(crate) struct ODataQuery {
    /// `$top`: the largest page the client wants.
    pub(crate) top: Option<usize>,
    /// `$skip`: items left out before the first page.
    pub(crate) skip: usize,
    /// `$select`, in the client's order (`None`: every property).
    pub(crate) select: Option<Vec<String>>,
    /// `$filter`.
    pub(crate) filter: Option<Expr>,
    /// `$orderby`.
    pub(crate) order_by: Vec<OrderKey>,
    /// `$count=true`.
    pub(crate) count: bool,
    /// `$expand`: navigation properties to inline.
    pub(crate) expand: Vec<String>,
    /// `$skiptoken`, still opaque (the pager reads it).
    pub(crate) skip_token: Option<String>,
    /// The query string's pairs, as sent (not decoded), for the next page's link.
    pub(crate) raw_pairs: Vec<(String, String)>,
}

impl ODataQuery {
    /// Parses the query string `raw` (without `?`) for a collection of `resource`;
    /// `dollar_optional` on `/beta`, where Graph also takes `top=5` for `$top=5`.
    pub(crate) fn parse(
        raw: Option<&str>,
        resource: &Resource,
        dollar_optional: bool,
    ) -> Result<ODataQuery, ApiError> {
        let mut query = ODataQuery::default();
        let mut seen: Vec<String> = Vec::new();
        for pair in raw.unwrap_or("").split('&').filter(|p| !p.is_empty()) {
            let (raw_name, raw_value) = pair.split_once('=').unwrap_or((pair, ""));
            query
                .raw_pairs
                .push((raw_name.to_owned(), raw_value.to_owned()));
            let mut name = decode(raw_name).to_ascii_lowercase();
            let value = decode(raw_value);
            if dollar_optional && OPTIONS.contains(&name.as_str()) {
                name.insert(0, '$');
            }
            if !name.starts_with('$') {
                // Graph ignores parameters that are not system query options.
                continue;
            }
            if seen.contains(&name) {
                return Err(bad_query(format!(
                    "Query option '{name}' was specified more than once, but it must be specified at most once."
                )));
            }
            seen.push(name.clone());
            query.option(&name, value.trim(), resource)?;
        }
        Ok(query)
    }

    fn option(&mut self, name: &str, value: &str, resource: &Resource) -> Result<(), ApiError> {
        match name {
            "$top" => self.top = Some(non_negative(name, value)?),
            "$skip" => self.skip = non_negative(name, value)?,
            "$count" if !resource.count => {
                return Err(bad_query(format!(
                    "$count is not supported on a collection of {}.",
                    resource.type_name
                )));
            }
            "$count" => {
                self.count = match value {
                    "true" => true,
                    "false" => false,
                    _ => {
                        return Err(bad_query(format!(
                            "'{value}' is not a valid count option: use true or false."
                        )));
                    }
                }
            }
            "$select" => self.select = Some(select(value, resource)?),
            "$filter" => {
                let expr = filter::parse(value)?;
                let mut paths = Vec::new();
                expr.paths(&mut paths);
                for path in &paths {
                    resource.check_path(path)?;
                }
                self.filter = Some(expr);
            }
            "$orderby" => {
                if !resource.order_by {
                    return Err(bad_query(format!(
                        "$orderby is not supported on a collection of {}.",
                        resource.type_name
                    )));
                }
                self.order_by = order_by(value, resource)?;
            }
            "$expand" => self.expand = expand(value, resource)?,
            "$skiptoken" => self.skip_token = Some(value.to_owned()),
            // JSON is the only format, as in Graph.
            "$format" if value == "json" || value == "application/json" => {}
            "$search" => {
                return Err(bad_query(format!(
                    "$search is not supported on a collection of {}.",
                    resource.type_name
                )));
            }
            _ => {
                return Err(bad_query(format!(
                    "The query parameter '{name}' is not supported."
                )));
            }
        }
        Ok(())
    }

    /// Whether `$expand` names `property`.
    pub(crate) fn expands(&self, property: &str) -> bool {
        self.expand.iter().any(|p| p == property)
    }
}

/// Percent-decodes a query component (`+` is a space, as browsers and SDKs send it).
fn decode(text: &str) -> String {
    form_urlencoded::parse(format!("x={text}").as_bytes())
        .next()
        .map(|(_, value)| value.into_owned())
        .unwrap_or_default()
}

fn non_negative(name: &str, value: &str) -> Result<usize, ApiError> {
    value.parse::<usize>().map_err(|_| {
        bad_query(format!(
            "Invalid value '{value}' for {name} query option found. The {name} query option requires a non-negative integer value."
        ))
    })
}

fn list(value: &str) -> impl Iterator<Item = &str> {
    value.split(',').map(str::trim)
}

fn select(value: &str, resource: &Resource) -> Result<Vec<String>, ApiError> {
    let mut out = Vec::new();
    for name in list(value) {
        if name == "*" {
            return Ok(resource
                .properties
                .iter()
                .map(|p| (*p).to_owned())
                .collect());
        }
        if name.is_empty() {
            return Err(bad_query("Invalid $select: an empty property name."));
        }
        resource.check_property(name)?;
        out.push(name.to_owned());
    }
    Ok(out)
}

fn order_by(value: &str, resource: &Resource) -> Result<Vec<OrderKey>, ApiError> {
    list(value)
        .map(|key| {
            let mut words = key.split_whitespace();
            let path: Vec<String> = words
                .next()
                .ok_or_else(|| bad_query("Invalid $orderby: an empty key."))?
                .split('/')
                .map(str::to_owned)
                .collect();
            let descending = match words.next() {
                None | Some("asc") => false,
                Some("desc") => true,
                Some(other) => {
                    return Err(bad_query(format!(
                        "Invalid $orderby: '{other}' is not asc or desc."
                    )));
                }
            };
            if words.next().is_some() {
                return Err(bad_query(format!("Invalid $orderby key '{key}'.")));
            }
            resource.check_path(&path)?;
            Ok(OrderKey { path, descending })
        })
        .collect()
}

fn expand(value: &str, resource: &Resource) -> Result<Vec<String>, ApiError> {
    list(value)
        .map(|name| {
            if name.contains('(') {
                return Err(bad_query(format!(
                    "$expand={name}: options inside $expand are not supported by the emulator."
                )));
            }
            if resource.expand.contains(&name) {
                Ok(name.to_owned())
            } else if resource.properties.contains(&name) {
                Err(bad_query(format!(
                    "Property '{name}' on type '{}' is not a navigation property or complex property. Only navigation properties can be expanded.",
                    resource.type_name
                )))
            } else {
                Err(resource.unknown(name))
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::odata::spec::TASKS;

    #[test]
    fn options_are_parsed_and_checked() {
        let query = ODataQuery::parse(
            Some("$top=5&%24skip=2&$select=title,%20status&$count=true&$orderby=title%20desc&$filter=status+eq+'completed'&other=1"),
            &TASKS,
            false,
        )
        .unwrap();
        assert_eq!(query.top, Some(5));
        assert_eq!(query.skip, 2);
        assert_eq!(query.select, Some(vec!["title".into(), "status".into()]));
        assert!(query.count);
        assert!(query.order_by[0].descending);
        assert!(query.filter.is_some());
        assert_eq!(query.raw_pairs.len(), 7);
    }

    #[test]
    fn beta_takes_options_without_dollar() {
        let beta = ODataQuery::parse(Some("top=3&filter=title%20eq%20'x'"), &TASKS, true).unwrap();
        assert_eq!(beta.top, Some(3));
        assert!(beta.filter.is_some());
        let v1 = ODataQuery::parse(Some("top=3"), &TASKS, false).unwrap();
        assert_eq!(v1.top, None, "v1.0 ignores it");
        assert!(ODataQuery::parse(Some("top=3&$top=4"), &TASKS, true).is_err());
        assert!(is_skip_token("%24skiptoken") && is_skip_token("skipToken"));
    }

    #[test]
    fn bad_options_are_400() {
        for raw in [
            "$top=abc",
            "$top=-1",
            "$skip=x",
            "$bogus=1",
            "$select=nope",
            "$select=title,",
            "$filter=title eq",
            "$filter=nope eq 1",
            "$orderby=title sideways",
            "$count=maybe",
            "$expand=title",
            "$expand=nope",
            "$top=1&$top=2",
        ] {
            let error = ODataQuery::parse(Some(raw), &TASKS, false).unwrap_err();
            assert_eq!(
                (error.status.as_u16(), error.code),
                (400, BAD_REQUEST),
                "{raw}"
            );
        }
    }
}
