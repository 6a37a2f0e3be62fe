//! Which permission each call needs, from the Permissions section of its Graph reference page,
//! checked in one place after the bearer token: `403` when the token's kind (delegated or
//! application) or its scopes do not allow the call.
//!
//! Rules are matched by method and route pattern (`{param}` segments become `*`, `/me` is
//! `/users/*`, the `/v1.0` and `/beta` prefixes are dropped), first match wins. A call no rule
//! names (the emulator's own routes, a method the route does not have) needs only a valid token.

use crate::errors::ApiError;
use crate::token_grant::{TokenGrant, TokenKind};
use axum::http::{Method, StatusCode};
use graph_upload_models::error_codes;

/// The permissions one call accepts: any scope of the column of the token's kind (an empty
/// column is Graph's "Not supported").
struct Rule {
    /// `GET`, `POST`... or `*` for every other method.
    method: &'static str,
    /// Segments; `*` is one segment, a final `**` any number (none included).
    pattern: &'static str,
    /// Least to most privileged delegated scopes.
    delegated: &'static [&'static str],
    /// Least to most privileged application scopes.
    application: &'static [&'static str],
    /// The reference page the scopes come from (for the error message and the reader).
    page: &'static str,
}

const PRINTER_READ_D: &[&str] = &[
    "Printer.Read.All",
    "Printer.ReadWrite.All",
    "Printer.FullControl.All",
];
const PRINTER_READ_A: &[&str] = &["Printer.Read.All", "Printer.ReadWrite.All"];
const SHARE_READ_D: &[&str] = &[
    "PrinterShare.ReadBasic.All",
    "PrinterShare.Read.All",
    "PrinterShare.ReadWrite.All",
];
const JOB_CREATE_D: &[&str] = &[
    "PrintJob.Create",
    "PrintJob.ReadWrite",
    "PrintJob.ReadWrite.All",
];
const JOB_CREATE_A: &[&str] = &["PrintJob.ReadWrite.All"];
const JOB_READ_D: &[&str] = &[
    "PrintJob.ReadBasic",
    "PrintJob.Read",
    "PrintJob.ReadBasic.All",
    "PrintJob.Read.All",
    "PrintJob.ReadWriteBasic",
    "PrintJob.ReadWrite",
    "PrintJob.ReadWriteBasic.All",
    "PrintJob.ReadWrite.All",
];
const JOB_READ_A: &[&str] = &[
    "PrintJob.ReadBasic.All",
    "PrintJob.Read.All",
    "PrintJob.ReadWriteBasic.All",
    "PrintJob.ReadWrite.All",
];
const CONTENT_READ_D: &[&str] = &[
    "PrintJob.Read",
    "PrintJob.Read.All",
    "PrintJob.ReadWrite",
    "PrintJob.ReadWrite.All",
];
const CONTENT_READ_A: &[&str] = &["PrintJob.Read.All", "PrintJob.ReadWrite.All"];
const TASKS_READ_D: &[&str] = &["Tasks.Read", "Tasks.ReadWrite"];
const TASKS_READ_A: &[&str] = &["Tasks.Read.All", "Tasks.ReadWrite.All"];
const TASKS_WRITE_D: &[&str] = &["Tasks.ReadWrite"];
const TASKS_WRITE_A: &[&str] = &["Tasks.ReadWrite.All"];
const FILES_READ_D: &[&str] = &[
    "Files.Read",
    "Files.ReadWrite",
    "Files.Read.All",
    "Files.ReadWrite.All",
    "Sites.Read.All",
    "Sites.ReadWrite.All",
];
const FILES_READ_A: &[&str] = &[
    "Files.Read.All",
    "Files.ReadWrite.All",
    "Sites.Read.All",
    "Sites.ReadWrite.All",
];
const FILES_WRITE_D: &[&str] = &[
    "Files.ReadWrite",
    "Files.ReadWrite.All",
    "Sites.ReadWrite.All",
];
const FILES_WRITE_A: &[&str] = &["Files.ReadWrite.All", "Sites.ReadWrite.All"];
const MAIL_READ: &[&str] = &["Mail.Read", "Mail.ReadWrite"];
const MAIL_WRITE: &[&str] = &["Mail.ReadWrite"];
const EVENTS_READ: &[&str] = &["Calendars.Read", "Calendars.ReadWrite"];
const EVENTS_WRITE: &[&str] = &["Calendars.ReadWrite"];

const fn rule(
    method: &'static str,
    pattern: &'static str,
    delegated: &'static [&'static str],
    application: &'static [&'static str],
    page: &'static str,
) -> Rule {
    Rule {
        method,
        pattern,
        delegated,
        application,
        page,
    }
}

/// The table. Print rules name `/print/*/*` (printers and shares alike) unless the pages
/// differ.
const RULES: &[Rule] = &[
    rule(
        "GET",
        "/print/printers",
        PRINTER_READ_D,
        PRINTER_READ_A,
        "print-list-printers",
    ),
    rule(
        "GET",
        "/print/printers/*",
        PRINTER_READ_D,
        PRINTER_READ_A,
        "printer-get",
    ),
    rule(
        "GET",
        "/print/shares",
        SHARE_READ_D,
        &[],
        "print-list-shares",
    ),
    rule(
        "GET",
        "/print/shares/*",
        SHARE_READ_D,
        &[],
        "printershare-get",
    ),
    // The navigation between a share and its printer reads the printer.
    rule(
        "GET",
        "/print/printers/*/shares",
        PRINTER_READ_D,
        PRINTER_READ_A,
        "printer-list-shares",
    ),
    rule(
        "GET",
        "/print/shares/*/printer",
        SHARE_READ_D,
        &[],
        "printershare-get",
    ),
    rule(
        "POST",
        "/print/*/*/jobs",
        JOB_CREATE_D,
        JOB_CREATE_A,
        "printer-post-jobs",
    ),
    rule(
        "POST",
        "/print/*/*/jobs/*/start",
        JOB_CREATE_D,
        JOB_CREATE_A,
        "printjob-start",
    ),
    // Cancel: delegated only ("Application: Not supported").
    rule(
        "POST",
        "/print/*/*/jobs/*/cancel",
        &[
            "PrintJob.ReadWriteBasic",
            "PrintJob.ReadWrite",
            "PrintJob.ReadWriteBasic.All",
            "PrintJob.ReadWrite.All",
        ],
        &[],
        "printjob-cancel",
    ),
    // Abort: application only ("Only applications using application permissions can abort").
    rule(
        "POST",
        "/print/*/*/jobs/*/abort",
        &[],
        &[
            "PrintJob.ReadWriteBasic.All",
            "PrintJob.ReadWrite.All",
            "PrintJob.Manage.All",
        ],
        "printjob-abort",
    ),
    rule(
        "POST",
        "/print/*/*/jobs/*/documents/*/createUploadSession",
        JOB_CREATE_D,
        JOB_CREATE_A,
        "printdocument-createuploadsession",
    ),
    rule(
        "GET",
        "/print/*/*/jobs/*/documents/*/$value",
        CONTENT_READ_D,
        CONTENT_READ_A,
        "printdocument-get (content)",
    ),
    rule(
        "GET",
        "/print/*/*/jobs/**",
        JOB_READ_D,
        JOB_READ_A,
        "printjob-get",
    ),
    rule(
        "*",
        "/print/*/*/jobs/**",
        JOB_CREATE_D,
        JOB_CREATE_A,
        "printjob-update",
    ),
    rule(
        "GET",
        "/users/*/todo/**",
        TASKS_READ_D,
        TASKS_READ_A,
        "todotask-get",
    ),
    // taskfileattachment-createuploadsession, todotask-post-attachments, taskfileattachment-delete
    // and todotask-update/delete alike: delegated Tasks.ReadWrite, application
    // Tasks.ReadWrite.All.
    rule(
        "*",
        "/users/*/todo/**",
        TASKS_WRITE_D,
        TASKS_WRITE_A,
        "todotask-update",
    ),
    rule(
        "GET",
        "/users/*/messages/**",
        MAIL_READ,
        MAIL_READ,
        "message-get",
    ),
    rule(
        "*",
        "/users/*/messages/**",
        MAIL_WRITE,
        MAIL_WRITE,
        "attachment-createuploadsession",
    ),
    rule(
        "GET",
        "/users/*/events/**",
        EVENTS_READ,
        EVENTS_READ,
        "event-get",
    ),
    rule(
        "*",
        "/users/*/events/**",
        EVENTS_WRITE,
        EVENTS_WRITE,
        "attachment-createuploadsession",
    ),
    rule(
        "GET",
        "/users/*/drive/**",
        FILES_READ_D,
        FILES_READ_A,
        "driveitem-get",
    ),
    rule(
        "*",
        "/users/*/drive/**",
        FILES_WRITE_D,
        FILES_WRITE_A,
        "driveitem-createuploadsession",
    ),
    rule(
        "GET",
        "/drives/*/**",
        FILES_READ_D,
        FILES_READ_A,
        "driveitem-get",
    ),
    rule(
        "*",
        "/drives/*/**",
        FILES_WRITE_D,
        FILES_WRITE_A,
        "driveitem-createuploadsession",
    ),
    rule(
        "GET",
        "/groups/*/drive/**",
        FILES_READ_D,
        FILES_READ_A,
        "driveitem-get",
    ),
    rule(
        "*",
        "/groups/*/drive/**",
        FILES_WRITE_D,
        FILES_WRITE_A,
        "driveitem-createuploadsession",
    ),
    rule(
        "GET",
        "/sites/*/drive/**",
        FILES_READ_D,
        FILES_READ_A,
        "driveitem-get",
    ),
    rule(
        "*",
        "/sites/*/drive/**",
        FILES_WRITE_D,
        FILES_WRITE_A,
        "driveitem-createuploadsession",
    ),
];

/// `/v1.0/me/todo/lists/{list}` as `["users", "*", "todo", "lists", "*"]`.
fn normalize(route: &str) -> Vec<&str> {
    let route = route
        .strip_prefix("/v1.0")
        .or_else(|| route.strip_prefix("/beta"))
        .unwrap_or(route);
    let mut segments: Vec<&str> = Vec::new();
    for (index, segment) in route.split('/').filter(|s| !s.is_empty()).enumerate() {
        if index == 0 && segment == "me" {
            segments.extend(["users", "*"]);
        } else if segment.starts_with('{') && segment.ends_with('}') {
            segments.push("*");
        } else {
            segments.push(segment);
        }
    }
    segments
}

fn matches(pattern: &str, route: &[&str]) -> bool {
    let pattern: Vec<&str> = pattern.split('/').filter(|s| !s.is_empty()).collect();
    if let Some((&"**", head)) = pattern.split_last() {
        return route.len() >= head.len()
            && head.iter().zip(route).all(|(p, r)| *p == "*" || p == r);
    }
    pattern.len() == route.len() && pattern.iter().zip(route).all(|(p, r)| *p == "*" || p == r)
}

fn rule_for(method: &Method, route: &str) -> Option<&'static Rule> {
    let route = normalize(route);
    // A HEAD is a GET without the body: it needs what the GET needs.
    let method = if method == Method::HEAD {
        &Method::GET
    } else {
        method
    };
    RULES.iter().find(|rule| {
        (rule.method == "*" || rule.method == method.as_str()) && matches(rule.pattern, &route)
    })
}

/// Graph's 403 code for the workload a route belongs to.
fn denied_code(route: &str) -> &'static str {
    let route = normalize(route);
    match route.first().copied() {
        Some("print") => error_codes::AUTHORIZATION_REQUEST_DENIED,
        Some("users") if matches!(route.get(2).copied(), Some("todo" | "messages" | "events")) => {
            error_codes::ERROR_ACCESS_DENIED
        }
        _ => error_codes::ACCESS_DENIED,
    }
}

/// Whether `grant` may call `method` on the route pattern `route` (axum's matched path).
pub(crate) fn authorize(grant: &TokenGrant, method: &Method, route: &str) -> Result<(), ApiError> {
    let Some(rule) = rule_for(method, route) else {
        return Ok(());
    };
    let accepted = match grant.kind {
        TokenKind::Delegated => rule.delegated,
        TokenKind::Application => rule.application,
    };
    if grant.has_any(accepted) {
        return Ok(());
    }
    let message = if accepted.is_empty() {
        format!(
            "Access is denied: this call does not support {} permissions ({}); token {:?}.",
            grant.kind.as_str(),
            rule.page,
            grant.name
        )
    } else {
        format!(
            "Access is denied: this call needs one of the {} permissions {} ({}); token {:?} has {}.",
            grant.kind.as_str(),
            accepted.join(", "),
            rule.page,
            grant.name,
            if grant.scopes.is_empty() {
                "none".to_string()
            } else {
                grant.scopes.join(", ")
            }
        )
    };
    Err(ApiError::new(
        StatusCode::FORBIDDEN,
        denied_code(route),
        message,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn grant(kind: TokenKind, scopes: &[&str]) -> TokenGrant {
        TokenGrant::new("t", "secret", kind, scopes.iter().copied())
    }

    #[test]
    fn routes_find_their_rules() {
        let find = |method: Method, route: &str| rule_for(&method, route).map(|r| r.page);
        assert_eq!(
            find(
                Method::POST,
                "/v1.0/print/printers/{parent}/jobs/{job}/abort"
            ),
            Some("printjob-abort")
        );
        assert_eq!(
            find(Method::POST, "/print/printers/{printer}/jobs/{id}/cancel"),
            Some("printjob-cancel")
        );
        assert_eq!(
            find(Method::GET, "/beta/me/todo/lists/{list}/tasks/{task}"),
            Some("todotask-get")
        );
        assert_eq!(
            find(
                Method::PATCH,
                "/users/{user}/todo/lists/{list}/tasks/{task}"
            ),
            Some("todotask-update")
        );
        assert_eq!(
            find(Method::PUT, "/me/drive/{*rest}"),
            Some("driveitem-createuploadsession")
        );
        assert_eq!(find(Method::GET, "/me/drive"), Some("driveitem-get"));
        assert_eq!(find(Method::HEAD, "/me/drive"), Some("driveitem-get"));
        assert_eq!(find(Method::GET, "/_emulator/stats"), None);
    }

    #[test]
    fn kind_and_scopes_decide() {
        let abort = "/print/printers/{parent}/jobs/{job}/abort";
        let cancel = "/print/printers/{parent}/jobs/{job}/cancel";
        let all = ["PrintJob.ReadWrite.All"];
        let delegated = grant(TokenKind::Delegated, &all);
        let application = grant(TokenKind::Application, &all);
        assert!(authorize(&application, &Method::POST, abort).is_ok());
        assert!(authorize(&delegated, &Method::POST, cancel).is_ok());
        let denied = authorize(&delegated, &Method::POST, abort).unwrap_err();
        assert_eq!(
            (denied.status, denied.code),
            (StatusCode::FORBIDDEN, "Authorization_RequestDenied")
        );
        assert!(!denied.message.contains("secret"));
        assert!(authorize(&application, &Method::POST, cancel).is_err());
        let reader = grant(TokenKind::Delegated, &["Tasks.Read"]);
        let task = "/me/todo/lists/{list}/tasks/{task}";
        assert!(authorize(&reader, &Method::GET, task).is_ok());
        let denied = authorize(&reader, &Method::DELETE, task).unwrap_err();
        assert_eq!(denied.code, "ErrorAccessDenied");
        assert!(authorize(&reader, &Method::GET, "/_emulator/stats").is_ok());
    }
}
