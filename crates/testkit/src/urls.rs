//! URL helpers shared by the test harnesses.

/// Whether an upload URL is a To Do one (`.../attachmentSessions/{id}`).
pub fn is_todo(upload_url: &str) -> bool {
    upload_url.contains("/attachmentSessions/")
}

/// Whether an upload URL is an Outlook one (`.../AttachmentSessions/{id}?authtoken=...`).
pub fn is_outlook(upload_url: &str) -> bool {
    upload_url.contains("/AttachmentSessions/")
}

/// The same path and query on another server: `http://old/x?y` -> `{base}/x?y`.
pub fn rebase(url: &str, base: &str) -> String {
    let after_scheme = url.find("://").map_or(0, |i| i + 3);
    let path_start = url[after_scheme..]
        .find('/')
        .map_or(url.len(), |i| after_scheme + i);
    format!("{base}{}", &url[path_start..])
}
