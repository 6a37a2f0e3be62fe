//! `printJobConfiguration` checked against its documented schema (printJobConfiguration.md,
//! enums.md, integerRange.md, printMargin.md): every property known, of its type, enums
//! among their values. Graph answers `400` naming the property; a valid configuration is
//! stored and echoed as given.

use crate::errors::ApiError;
use serde_json::{Map, Value};

/// What a property of the configuration must be.
#[derive(Clone, Copy)]
enum Kind {
    /// Int32, non-negative here (copies, dpi, pages per sheet).
    Int,
    Bool,
    String,
    /// One of these values.
    Enum(&'static str, &'static [&'static str]),
    /// A list of enum values.
    EnumList(&'static str, &'static [&'static str]),
    /// `integerRange` collection: `[{"start": n, "end": n}]`.
    Ranges,
    /// `printMargin`: `{"top", "bottom", "left", "right"}`, Int32 each.
    Margin,
}

const COLOR_MODES: &[&str] = &[
    "blackAndWhite",
    "grayscale",
    "color",
    "auto",
    "unknownFutureValue",
];
const DUPLEX_MODES: &[&str] = &[
    "flipOnLongEdge",
    "flipOnShortEdge",
    "oneSided",
    "unknownFutureValue",
];
const FEED_ORIENTATIONS: &[&str] = &["longEdgeFirst", "shortEdgeFirst", "unknownFutureValue"];
const FINISHINGS: &[&str] = &[
    "none",
    "staple",
    "punch",
    "cover",
    "bind",
    "saddleStitch",
    "stitchEdge",
    "stapleTopLeft",
    "stapleBottomLeft",
    "stapleTopRight",
    "stapleBottomRight",
    "stitchLeftEdge",
    "stitchTopEdge",
    "stitchRightEdge",
    "stitchBottomEdge",
    "stapleDualLeft",
    "stapleDualTop",
    "stapleDualRight",
    "stapleDualBottom",
    "unknownFutureValue",
];
/// enums.md writes `counterClockwise...`, Graph's metadata `counterclockwise...`: both read.
const MULTIPAGE_LAYOUTS: &[&str] = &[
    "clockwiseFromTopLeft",
    "counterClockwiseFromTopLeft",
    "counterclockwiseFromTopLeft",
    "counterClockwiseFromTopRight",
    "counterclockwiseFromTopRight",
    "clockwiseFromTopRight",
    "counterClockwiseFromBottomLeft",
    "counterclockwiseFromBottomLeft",
    "clockwiseFromBottomLeft",
    "counterClockwiseFromBottomRight",
    "counterclockwiseFromBottomRight",
    "clockwiseFromBottomRight",
    "unknownFutureValue",
];
const ORIENTATIONS: &[&str] = &[
    "portrait",
    "landscape",
    "reverseLandscape",
    "reversePortrait",
    "unknownFutureValue",
];
const QUALITIES: &[&str] = &["low", "medium", "high", "unknownFutureValue"];
const SCALINGS: &[&str] = &[
    "auto",
    "shrinkToFit",
    "fill",
    "fit",
    "none",
    "unknownFutureValue",
];

/// The properties of printJobConfiguration.md, with `fitPdfToPage` of its JSON
/// representation.
const PROPERTIES: &[(&str, Kind)] = &[
    ("pageRanges", Kind::Ranges),
    ("quality", Kind::Enum("printQuality", QUALITIES)),
    ("dpi", Kind::Int),
    (
        "feedOrientation",
        Kind::Enum("printerFeedOrientation", FEED_ORIENTATIONS),
    ),
    ("orientation", Kind::Enum("printOrientation", ORIENTATIONS)),
    ("duplexMode", Kind::Enum("printDuplexMode", DUPLEX_MODES)),
    ("copies", Kind::Int),
    ("colorMode", Kind::Enum("printColorMode", COLOR_MODES)),
    ("inputBin", Kind::String),
    ("outputBin", Kind::String),
    ("mediaSize", Kind::String),
    ("margin", Kind::Margin),
    ("mediaType", Kind::String),
    ("finishings", Kind::EnumList("printFinishing", FINISHINGS)),
    ("pagesPerSheet", Kind::Int),
    (
        "multipageLayout",
        Kind::Enum("printMultipageLayout", MULTIPAGE_LAYOUTS),
    ),
    ("collate", Kind::Bool),
    ("scaling", Kind::Enum("printScaling", SCALINGS)),
    ("fitPdfToPage", Kind::Bool),
];

fn invalid(path: &str, why: impl std::fmt::Display) -> ApiError {
    ApiError::bad_request(format!("invalid value for property '{path}': {why}"))
}

/// Checks the body of a job creation (a printJob: only `configuration` may be given, and
/// `@odata.type`) and returns the configuration to store.
pub(crate) fn job_configuration(body: &Value) -> Result<Option<Value>, ApiError> {
    let object = body
        .as_object()
        .ok_or_else(|| ApiError::bad_request("the request body must be a printJob object"))?;
    for name in object.keys() {
        if name != "configuration" && name != "@odata.type" {
            return Err(ApiError::bad_request(format!(
                "property '{name}' does not exist on type 'microsoft.graph.printJob' or \
                 cannot be set when a job is created"
            )));
        }
    }
    match object.get("configuration") {
        None | Some(Value::Null) => Ok(None),
        Some(configuration) => {
            check(configuration)?;
            Ok(Some(configuration.clone()))
        }
    }
}

/// Checks a printJobConfiguration.
pub(crate) fn check(configuration: &Value) -> Result<(), ApiError> {
    let object = configuration.as_object().ok_or_else(|| {
        invalid(
            "configuration",
            "a printJobConfiguration object is expected",
        )
    })?;
    for (name, value) in object {
        if name == "@odata.type" {
            continue;
        }
        let path = format!("configuration.{name}");
        let Some((_, kind)) = PROPERTIES.iter().find(|(known, _)| known == name) else {
            return Err(ApiError::bad_request(format!(
                "property '{path}' does not exist on type \
                 'microsoft.graph.printJobConfiguration'"
            )));
        };
        if !value.is_null() {
            check_value(&path, *kind, value)?;
        }
    }
    Ok(())
}

fn check_value(path: &str, kind: Kind, value: &Value) -> Result<(), ApiError> {
    match kind {
        Kind::Int => int(path, value).map(|_| ()),
        Kind::Bool if value.is_boolean() => Ok(()),
        Kind::Bool => Err(invalid(path, "a Boolean is expected")),
        Kind::String if value.is_string() => Ok(()),
        Kind::String => Err(invalid(path, "a String is expected")),
        Kind::Enum(name, values) => enum_value(path, name, values, value),
        Kind::EnumList(name, values) => {
            let items = value
                .as_array()
                .ok_or_else(|| invalid(path, format!("a collection of {name} is expected")))?;
            for item in items {
                enum_value(path, name, values, item)?;
            }
            Ok(())
        }
        Kind::Ranges => {
            let items = value
                .as_array()
                .ok_or_else(|| invalid(path, "a collection of integerRange is expected"))?;
            for item in items {
                let range = members(path, item, "integerRange", &["start", "end"])?;
                let start = range.get("start").map(|v| int(path, v)).transpose()?;
                let end = range.get("end").map(|v| int(path, v)).transpose()?;
                if let (Some(start), Some(end)) = (start, end)
                    && start > end
                {
                    return Err(invalid(path, format!("start {start} is after end {end}")));
                }
            }
            Ok(())
        }
        Kind::Margin => {
            let margin = members(
                path,
                value,
                "printMargin",
                &["top", "bottom", "left", "right"],
            )?;
            for value in margin.values() {
                int(path, value)?;
            }
            Ok(())
        }
    }
}

/// An object with only these members (and `@odata.type`).
fn members(
    path: &str,
    value: &Value,
    type_name: &str,
    known: &[&str],
) -> Result<Map<String, Value>, ApiError> {
    let object = value
        .as_object()
        .ok_or_else(|| invalid(path, format!("a {type_name} object is expected")))?;
    let mut kept = Map::new();
    for (name, member) in object {
        if name == "@odata.type" {
            continue;
        }
        if !known.contains(&name.as_str()) {
            return Err(ApiError::bad_request(format!(
                "property '{path}.{name}' does not exist on type 'microsoft.graph.{type_name}'"
            )));
        }
        kept.insert(name.clone(), member.clone());
    }
    Ok(kept)
}

/// An Int32 that is not negative.
fn int(path: &str, value: &Value) -> Result<i64, ApiError> {
    value
        .as_i64()
        .filter(|n| (0..=i64::from(i32::MAX)).contains(n))
        .ok_or_else(|| {
            invalid(
                path,
                format!("a non-negative Int32 is expected, not {value}"),
            )
        })
}

fn enum_value(path: &str, name: &str, values: &[&str], value: &Value) -> Result<(), ApiError> {
    match value.as_str() {
        Some(text) if values.contains(&text) => Ok(()),
        _ => Err(invalid(
            path,
            format!("{value} is not a {name} value ({})", values.join(", ")),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn the_documented_example_is_valid() {
        let configuration = json!({
            "@odata.type": "microsoft.graph.printJobConfiguration",
            "pageRanges": [{"start": 1, "end": 3}], "quality": "high", "dpi": 600,
            "feedOrientation": "longEdgeFirst", "orientation": "landscape",
            "duplexMode": "flipOnLongEdge", "copies": 2, "colorMode": "color",
            "inputBin": "tray-1", "outputBin": "top", "mediaSize": "A4",
            "margin": {"top": 0, "bottom": 0, "left": 0, "right": 0},
            "mediaType": "stationery", "finishings": ["staple"], "pagesPerSheet": 1,
            "multipageLayout": "clockwiseFromTopLeft", "collate": true, "scaling": "fit",
            "fitPdfToPage": false
        });
        assert!(check(&configuration).is_ok());
    }

    #[test]
    fn errors_name_the_property() {
        for (bad, named) in [
            (json!({"copies": "2"}), "configuration.copies"),
            (
                json!({"duplexMode": "sideways"}),
                "configuration.duplexMode",
            ),
            (json!({"staples": 2}), "configuration.staples"),
            (
                json!({"finishings": ["glitter"]}),
                "configuration.finishings",
            ),
            (
                json!({"margin": {"top": 1, "middle": 2}}),
                "configuration.margin.middle",
            ),
            (
                json!({"pageRanges": [{"start": 3, "end": 1}]}),
                "configuration.pageRanges",
            ),
            (json!({"collate": "yes"}), "configuration.collate"),
            (json!({"copies": -1}), "configuration.copies"),
        ] {
            let error = check(&bad).unwrap_err();
            assert_eq!(error.status, 400, "{bad}");
            assert!(error.message.contains(named), "{bad}: {}", error.message);
        }
    }
}
