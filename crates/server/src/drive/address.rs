//! What the part of a drive path after `/drive/` (or `/drives/{id}/`) names: an item by id or
//! by path, and what is asked of it (`root:/Documents/a.pdf:/createUploadSession`).

use crate::errors::ApiError;

/// Where a path starts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Base {
    /// `root`.
    Root,
    /// `items/{id}`.
    Item(String),
}

/// What is asked of the item.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// The item itself.
    Item,
    /// `/children`.
    Children,
    /// `/content`.
    Content,
    /// `/createUploadSession`.
    CreateUploadSession,
}

/// A parsed drive address.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Address {
    /// Where it starts.
    pub base: Base,
    /// Names below the base (`root:/a/b:` gives `["a", "b"]`), each checked.
    pub path: Vec<String>,
    /// What is asked.
    pub action: Action,
}

/// Parses `rest`, the path after the drive; `None` when it names nothing a drive has (`404`).
pub fn parse(rest: &str) -> Result<Option<Address>, ApiError> {
    let (base, remainder) = if let Some(after) = rest.strip_prefix("root") {
        (Base::Root, after)
    } else if let Some(after) = rest.strip_prefix("items/") {
        let end = after.find([':', '/']).unwrap_or(after.len());
        let id = &after[..end];
        if id.is_empty() {
            return Ok(None);
        }
        let base = if id == "root" {
            Base::Root
        } else {
            Base::Item(id.to_owned())
        };
        (base, &after[end..])
    } else {
        return Ok(None);
    };
    let (path, suffix) = match remainder.strip_prefix(':') {
        Some(relative) => {
            // `:/{path}:{suffix}`, or `:/{path}` without the closing colon (GET only).
            let (text, suffix) = match relative.find(':') {
                Some(end) => (&relative[..end], &relative[end + 1..]),
                None => (relative, ""),
            };
            let Some(text) = text.strip_prefix('/') else {
                return Err(ApiError::bad_request(format!(
                    "a drive path is written `root:/{{path}}:`; {rest:?} has no `/` after the colon"
                )));
            };
            let segments = text
                .split('/')
                .map(|segment| check_name(segment).map(str::to_owned))
                .collect::<Result<Vec<_>, _>>()?;
            (segments, suffix)
        }
        None => (Vec::new(), remainder),
    };
    let action = match suffix {
        "" => Action::Item,
        "/children" => Action::Children,
        "/content" => Action::Content,
        "/createUploadSession" => Action::CreateUploadSession,
        _ => return Ok(None),
    };
    Ok(Some(Address { base, path, action }))
}

/// Characters OneDrive and SharePoint refuse in names.
const FORBIDDEN: &[char] = &['"', '*', ':', '<', '>', '?', '/', '\\', '|'];

/// A name as a drive accepts it: not empty, not `.` or `..`, none of `"*:<>?/\|` nor control
/// characters, no leading or trailing space, at most 255 characters; else `400`.
pub fn check_name(name: &str) -> Result<&str, ApiError> {
    let refuse = |why: &str| {
        Err(ApiError::bad_request(format!(
            "{name:?} is not a valid item name: {why}"
        )))
    };
    if name.is_empty() {
        return refuse("a path has an empty segment");
    }
    if name == "." || name == ".." {
        return refuse("`.` and `..` do not name items");
    }
    if name
        .chars()
        .any(|c| FORBIDDEN.contains(&c) || c.is_control())
    {
        return refuse("names may not contain \" * : < > ? / \\ | or control characters");
    }
    if name.trim() != name {
        return refuse("names may not start or end with a space");
    }
    if name.chars().count() > 255 {
        return refuse("names are at most 255 characters");
    }
    Ok(name)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn address(rest: &str) -> Address {
        parse(rest).unwrap().unwrap()
    }

    #[test]
    fn paths_and_ids_parse_with_their_action() {
        assert_eq!(
            address("root:/Documents/a b.pdf:/createUploadSession"),
            Address {
                base: Base::Root,
                path: vec!["Documents".into(), "a b.pdf".into()],
                action: Action::CreateUploadSession,
            }
        );
        assert_eq!(address("root").action, Action::Item);
        assert_eq!(address("root/children").action, Action::Children);
        assert_eq!(address("root:/Documents").path, ["Documents"]);
        let by_id = address("items/abc:/x.txt:/content");
        assert_eq!(by_id.base, Base::Item("abc".into()));
        assert_eq!(by_id.path, ["x.txt"]);
        assert_eq!(by_id.action, Action::Content);
        assert_eq!(address("items/root/children").base, Base::Root);
        assert_eq!(address("items/abc").path, Vec::<String>::new());
    }

    #[test]
    fn unknown_shapes_are_not_found_and_bad_names_are_refused() {
        for rest in [
            "",
            "item/abc",
            "items/",
            "root/nothing",
            "rootx",
            "items/a/b/c",
        ] {
            assert_eq!(parse(rest).unwrap(), None, "{rest}");
        }
        for rest in [
            "root:/../x:",
            "root:/./x:",
            "root:/a//b:",
            "root:/:",
            "root:Documents:",
            "root:/a\u{1}b:",
            "root:/a|b:",
            "root:/ a:",
        ] {
            let error = parse(rest).unwrap_err();
            assert_eq!(error.status, 400, "{rest}");
        }
    }
}
