//! What kind of Graph call a request is, from its method and path alone: the unit that fault
//! rules name and that the statistics count by.

use axum::http::Method;

/// The kinds of calls fault rules can target (`docs/protocol.md` section 8), plus the rest.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum RouteKind {
    /// `createUploadSession`, and the creates around it: print jobs, To Do tasks and one-shot
    /// attachments (every `POST` but `start`, `cancel` and `abort`).
    Create,
    /// A fragment: `PUT` of a print `/uploadSessions/{id}`, of a To Do
    /// `.../attachmentSessions/{id}` (with or without `/content`) or of an Outlook
    /// `.../AttachmentSessions/{id}`.
    Put,
    /// `GET` of an upload session (`GET {uploadUrl}`).
    Status,
    /// Any `DELETE` (sessions, attachments).
    Delete,
    /// `POST .../jobs/{id}/start`.
    Start,
    /// Every other Graph call (lists, reads, `$value` and the download URLs, `cancel`, `abort`,
    /// unknown paths).
    Other,
    /// The emulator's own `/_emulator/...` routes: never faulted.
    Emulator,
}

impl RouteKind {
    /// Every kind, in the order the statistics list them.
    pub const ALL: [RouteKind; 7] = [
        RouteKind::Create,
        RouteKind::Put,
        RouteKind::Status,
        RouteKind::Delete,
        RouteKind::Start,
        RouteKind::Other,
        RouteKind::Emulator,
    ];

    /// Classifies a request by its method and path (query excluded).
    pub fn of(method: &Method, path: &str) -> RouteKind {
        if path == "/_emulator" || path.starts_with("/_emulator/") {
            return RouteKind::Emulator;
        }
        let path = path.trim_end_matches('/');
        let last = path.rsplit('/').next().unwrap_or("");
        let session = is_session(path);
        let session_content = path.strip_suffix("/content").is_some_and(is_todo_session);
        match *method {
            Method::PUT if session || session_content => RouteKind::Put,
            Method::GET if session => RouteKind::Status,
            Method::DELETE => RouteKind::Delete,
            Method::POST if last == "start" => RouteKind::Start,
            Method::POST if last == "cancel" || last == "abort" => RouteKind::Other,
            Method::POST => RouteKind::Create,
            _ => RouteKind::Other,
        }
    }

    /// The name used in fault rules and statistics.
    pub fn as_str(self) -> &'static str {
        match self {
            RouteKind::Create => "create",
            RouteKind::Put => "put",
            RouteKind::Status => "status",
            RouteKind::Delete => "delete",
            RouteKind::Start => "start",
            RouteKind::Other => "other",
            RouteKind::Emulator => "emulator",
        }
    }

    /// Its position in [`ALL`](Self::ALL).
    pub fn index(self) -> usize {
        self as usize
    }
}

/// `/uploadSessions/{id}` (print), `.../attachmentSessions/{id}` (To Do) or
/// `.../AttachmentSessions/{id}` (Outlook).
fn is_session(path: &str) -> bool {
    is_print_session(path) || is_todo_session(path) || is_outlook_session(path)
}

fn is_outlook_session(path: &str) -> bool {
    let mut segments = path.rsplit('/');
    matches!(
        (segments.next(), segments.next()),
        (Some(id), Some("AttachmentSessions")) if !id.is_empty()
    )
}

fn is_print_session(path: &str) -> bool {
    let mut segments = path.trim_start_matches('/').split('/');
    matches!(
        (segments.next(), segments.next(), segments.next()),
        (Some("uploadSessions"), Some(id), None) if !id.is_empty()
    )
}

fn is_todo_session(path: &str) -> bool {
    let mut segments = path.rsplit('/');
    matches!(
        (segments.next(), segments.next()),
        (Some(id), Some("attachmentSessions")) if !id.is_empty()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    const TASK: &str = "/v1.0/me/todo/lists/l/tasks/t";
    const OUTLOOK: &str = "/api/v2.0/Users/u/Messages/m";

    #[test]
    fn upload_calls_are_told_apart_by_method_and_path() {
        let cases = [
            (
                Method::PUT,
                "/uploadSessions/abc".to_owned(),
                RouteKind::Put,
            ),
            (
                Method::GET,
                "/uploadSessions/abc".to_owned(),
                RouteKind::Status,
            ),
            (
                Method::DELETE,
                "/uploadSessions/abc".to_owned(),
                RouteKind::Delete,
            ),
            (
                Method::PUT,
                format!("{TASK}/attachmentSessions/s/content"),
                RouteKind::Put,
            ),
            (
                Method::PUT,
                format!("{TASK}/attachmentSessions/s"),
                RouteKind::Put,
            ),
            (
                Method::GET,
                format!("{TASK}/attachmentSessions/s"),
                RouteKind::Status,
            ),
            (
                Method::POST,
                format!("{TASK}/attachments/createUploadSession"),
                RouteKind::Create,
            ),
            (
                Method::POST,
                "/v1.0/print/shares/s/jobs".to_owned(),
                RouteKind::Create,
            ),
            (
                Method::POST,
                "/beta/print/shares/s/jobs/j/start".to_owned(),
                RouteKind::Start,
            ),
            (
                Method::POST,
                "/v1.0/print/shares/s/jobs/j/cancel".to_owned(),
                RouteKind::Other,
            ),
            (
                Method::POST,
                "/v1.0/print/printers/p/jobs/j/abort".to_owned(),
                RouteKind::Other,
            ),
            (
                Method::GET,
                "/v1.0/print/shares/s/jobs/j/documents/d/$value".to_owned(),
                RouteKind::Other,
            ),
            (
                Method::PUT,
                "/v1.0/print/shares".to_owned(),
                RouteKind::Other,
            ),
            (
                Method::GET,
                "/uploadSessions/abc/extra".to_owned(),
                RouteKind::Other,
            ),
            (
                Method::PUT,
                format!("{OUTLOOK}/AttachmentSessions/s"),
                RouteKind::Put,
            ),
            (
                Method::GET,
                format!("{OUTLOOK}/AttachmentSessions/s"),
                RouteKind::Status,
            ),
            (
                Method::DELETE,
                format!("{OUTLOOK}/AttachmentSessions/s"),
                RouteKind::Delete,
            ),
            (
                Method::POST,
                "/v1.0/me/events/e/attachments/createUploadSession".to_owned(),
                RouteKind::Create,
            ),
            (
                Method::PUT,
                "/_emulator/faults".to_owned(),
                RouteKind::Emulator,
            ),
            (
                Method::GET,
                "/_emulator/stats".to_owned(),
                RouteKind::Emulator,
            ),
        ];
        for (method, path, kind) in cases {
            assert_eq!(RouteKind::of(&method, &path), kind, "{method} {path}");
        }
    }

    #[test]
    fn indexes_follow_the_list() {
        for (index, kind) in RouteKind::ALL.iter().enumerate() {
            assert_eq!(kind.index(), index);
        }
    }
}
