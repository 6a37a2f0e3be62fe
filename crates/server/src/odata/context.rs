//! `@odata.context`: the metadata URL Graph puts on its JSON answers, built from the request's
//! own path and API version (`/v1.0` or `/beta`; no prefix is read as `/v1.0`), on Graph's
//! host, as the reference pages' examples show it.

use crate::fixtures::USER_ID;

/// Where Graph's metadata lives, as its answers name it.
const GRAPH_ROOT: &str = "https://graph.microsoft.com";

/// Path segments after which the next segment is a key (`lists/{id}` becomes `lists('id')`).
const KEYED: &[&str] = &[
    "users",
    "printers",
    "shares",
    "jobs",
    "documents",
    "lists",
    "tasks",
    "attachments",
    "attachmentSessions",
    "messages",
    "events",
    "drives",
    "items",
    "groups",
    "sites",
];

/// The context URL's base: `https://graph.microsoft.com/v1.0/$metadata#`.
fn base(path: &str) -> String {
    let version = if path.starts_with("/beta/") {
        "beta"
    } else {
        "v1.0"
    };
    format!("{GRAPH_ROOT}/{version}/$metadata#")
}

/// The entity-set path of a request path, in OData's key syntax, and whether its last
/// segment was a key.
fn entity_path(path: &str) -> (String, bool) {
    let mut segments: Vec<String> = Vec::new();
    let mut last_was_key = false;
    let raw = path
        .strip_prefix("/v1.0")
        .or_else(|| path.strip_prefix("/beta"))
        .unwrap_or(path);
    // `root:/a/b.txt:` addresses an item by path: Graph names it as the item itself.
    let raw = match raw.split_once(':') {
        Some((head, rest)) => match rest.split_once(':') {
            Some((_, tail)) => format!("{head}{tail}"),
            None => head.to_owned(),
        },
        None => raw.to_owned(),
    };
    for segment in raw.split('/').filter(|s| !s.is_empty()) {
        let previous = segments.last().map(String::as_str);
        if segment == "me" && segments.is_empty() {
            segments.push(format!("users('{USER_ID}')"));
            last_was_key = false;
        } else if !last_was_key && previous.is_some_and(|p| KEYED.contains(&p)) {
            if let Some(last) = segments.last_mut() {
                last.push_str(&format!("('{segment}')"));
            }
            last_was_key = true;
        } else {
            segments.push(segment.to_owned());
            last_was_key = false;
        }
    }
    (segments.join("/"), last_was_key)
}

/// The context of a collection answer; `select` (Graph lists the selected properties).
pub(crate) fn collection(path: &str, select: Option<&[String]>) -> String {
    let (set, _) = entity_path(path);
    match select {
        Some(names) => format!("{}{set}({})", base(path), names.join(",")),
        None => format!("{}{set}", base(path)),
    }
}

/// The context of a single-entity answer to `method` on `path` with `status`, or `None`
/// where Graph gives none (or the emulator does not know it).
pub(crate) fn entity(method: &str, path: &str, status: u16) -> Option<String> {
    let (set, keyed) = entity_path(path);
    let last = set.rsplit('/').next().unwrap_or("");
    let typed = |name: &str| Some(format!("{}microsoft.graph.{name}", base(path)));
    match (method, last) {
        ("POST", "createUploadSession") => typed("uploadSession"),
        ("POST", "start") => typed("printJobStatus"),
        ("POST", _) if status == 201 => Some(format!("{}{set}/$entity", base(path))),
        // An update answers the entity as a read does (todotask-update's example).
        ("GET" | "PATCH", _) if keyed => {
            let without_key = set.rsplit_once('(').map_or(set.as_str(), |(head, _)| head);
            Some(format!("{}{without_key}/$entity", base(path)))
        }
        ("GET", _) => Some(format!("{}{set}/$entity", base(path))),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn contexts_follow_the_reference_examples() {
        assert_eq!(
            collection("/v1.0/print/printers", None),
            "https://graph.microsoft.com/v1.0/$metadata#print/printers"
        );
        assert_eq!(
            collection(
                "/beta/me/todo/lists/L1/tasks",
                Some(&["title".into(), "id".into()])
            ),
            format!(
                "https://graph.microsoft.com/beta/$metadata#users('{USER_ID}')/todo/lists('L1')/tasks(title,id)"
            )
        );
        assert_eq!(
            entity("GET", "/v1.0/print/shares/S/jobs/J", 200).unwrap(),
            "https://graph.microsoft.com/v1.0/$metadata#print/shares('S')/jobs/$entity"
        );
        assert_eq!(
            entity("POST", "/v1.0/me/todo/lists/L/tasks", 201).unwrap(),
            format!(
                "https://graph.microsoft.com/v1.0/$metadata#users('{USER_ID}')/todo/lists('L')/tasks/$entity"
            )
        );
        assert_eq!(
            entity(
                "POST",
                "/v1.0/me/drive/root:/a/b.txt:/createUploadSession",
                200
            )
            .unwrap(),
            "https://graph.microsoft.com/v1.0/$metadata#microsoft.graph.uploadSession"
        );
        assert_eq!(
            entity("GET", "/v1.0/me/drive/root:/a/b.txt:", 200).unwrap(),
            format!(
                "https://graph.microsoft.com/v1.0/$metadata#users('{USER_ID}')/drive/root/$entity"
            )
        );
        assert_eq!(
            collection("/me/drive/items/X/children", None),
            format!(
                "https://graph.microsoft.com/v1.0/$metadata#users('{USER_ID}')/drive/items('X')/children"
            )
        );
        assert_eq!(
            entity("POST", "/v1.0/print/shares/S/jobs/J/cancel", 204),
            None
        );
    }
}
