//! Strategies for where a case goes: Graph's paths under odd prefixes and casings, upload
//! URLs, traversal attempts and ids that are not ids.

use super::case::{Casing, Id, Target};
use crate::fixtures::{
    LIST_ID, OXPS_PRINTER_ID, PHOTO_PRINTER_ID, PRINTER_ID, SHARE_ID, TASK_ID, USER_ID,
};
use proptest::prelude::*;
use proptest::sample::select;

pub(super) const PREFIXES: &[&str] = &[
    "/v1.0",
    "/beta",
    "",
    "/V1.0",
    "/BETA",
    "/v2.0",
    "/v1.0/beta",
];

/// Graph's paths. Placeholders: `{K}` printers|shares, `{P}` its id, `{J}` job, `{D}`
/// document, `{S}` print session, `{L}` list, `{T}` task, `{A}` attachment, `{Q}` To Do
/// session, `{U}` user.
pub(super) const TEMPLATES: &[&str] = &[
    "/print/printers",
    "/print/shares",
    "/print/{K}/{P}",
    "/print/{K}/{P}/jobs",
    "/print/{K}/{P}/jobs/{J}",
    "/print/{K}/{P}/jobs/{J}/start",
    "/print/{K}/{P}/jobs/{J}/cancel",
    "/print/{K}/{P}/jobs/{J}/documents",
    "/print/{K}/{P}/jobs/{J}/documents/{D}",
    "/print/{K}/{P}/jobs/{J}/documents/{D}/$value",
    "/print/{K}/{P}/jobs/{J}/documents/{D}/createUploadSession",
    "/me/todo/lists",
    "/me/todo/lists/{L}",
    "/me/todo/lists/{L}/tasks",
    "/me/todo/lists/{L}/tasks/{T}",
    "/me/todo/lists/{L}/tasks/{T}/attachments",
    "/me/todo/lists/{L}/tasks/{T}/attachments/createUploadSession",
    "/me/todo/lists/{L}/tasks/{T}/attachments/{A}",
    "/me/todo/lists/{L}/tasks/{T}/attachments/{A}/$value",
    "/me/todo/lists/{L}/tasks/{T}/attachmentSessions/{Q}",
    "/me/todo/lists/{L}/tasks/{T}/attachmentSessions/{Q}/content",
    "/me/todo/lists/{L}/tasks/{T}/attachmentSessions",
    "/users/{U}/todo/lists",
    "/users/{U}/todo/lists/{L}/tasks/{T}/attachments",
    "/users/{U}/todo/lists/{L}/tasks/{T}/attachments/createUploadSession",
    "/users/{U}/todo/lists/{L}/tasks/{T}/attachmentSessions/{Q}",
    "/users/{U}/todo/lists/{L}/tasks/{T}/attachmentSessions/{Q}/content",
    "/uploadSessions/{S}",
    "/uploadSessions/{S}/content",
    "/",
    "/print",
    "/me/todo",
    "/print/{K}/{P}/jobs/{J}/documents/{D}/$value/extra",
];

/// Path junk, percent-encoded where a client would have to.
pub(super) const RAW_PATHS: &[&str] = &[
    "/..",
    "/../../etc/passwd",
    "/%2e%2e/%2e%2e/etc/passwd",
    "/uploadSessions/..%2F..%2Fstate.redb",
    "/uploadSessions/%2e%2e%2fupload-url.key",
    "/v1.0/print/printers/..%2F..%2F..%2Fetc%2Fpasswd/jobs",
    "/v1.0/print/../print/printers",
    "//print//printers",
    "/v1.0//print/shares",
    "/blobs",
    "/state.redb",
    "/uploadSessions/",
    "/uploadSessions",
    "/v1.0/me/todo/lists/%FF%FE/tasks",
    "/v1.0/me/todo/lists/%ZZ",
    "/v1.0/me/todo/lists/%",
    "/v1.0/me/todo/lists/%00",
    "/%C0%AE%C0%AE/%C0%AE%C0%AE/etc/passwd",
    "/v1.0/print/printers/..%5C..%5Cwindows",
    "/v1.0/%E2%80%AE/print",
];

pub(super) const WEIRD_IDS: &[&str] = &[
    "",
    ".",
    "..",
    "%2e%2e",
    "..%2F..%2F..%2Fetc%2Fpasswd",
    "..%2F..%2Fstate.redb",
    "..%5C..%5Cupload-url.key",
    "%2F",
    "a%2Fb",
    "%00",
    "%FF%FE",
    "%F0%9F%92%A9",
    "%E2%80%AE",
    "%C3%A9t%C3%A9",
    "%ZZ",
    "%",
    "~",
    ";",
    "id;x=1",
    "%3F",
    "%23",
    "%20",
    "$value",
    "createUploadSession",
    "state.redb",
    "upload-url.key",
    "blobs",
    "00000000-0000-0000-0000-000000000000",
    "FFFFFFFF-FFFF-FFFF-FFFF-FFFFFFFFFFFF",
];

/// Valid ids in the wrong places.
pub(super) const FIXTURE_IDS: &[&str] = &[
    PRINTER_ID,
    OXPS_PRINTER_ID,
    PHOTO_PRINTER_ID,
    SHARE_ID,
    LIST_ID,
    TASK_ID,
    USER_ID,
];

pub(super) fn percent_encode(text: &str) -> String {
    text.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

pub(super) fn other_id() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => select(WEIRD_IDS).prop_map(str::to_owned),
        2 => "[A-Za-z0-9._~%!$&'()*+,;=:@-]{0,24}",
        1 => any::<u128>().prop_map(|n| uuid::Uuid::from_u128(n).to_string()),
        2 => select(FIXTURE_IDS).prop_map(str::to_owned),
        1 => select(FIXTURE_IDS).prop_map(str::to_uppercase),
        1 => (1usize..3000).prop_map(|n| "a".repeat(n)),
        2 => ".{0,8}".prop_map(|text| percent_encode(&text)),
    ]
}

pub(super) fn id() -> impl Strategy<Value = Id> {
    prop_oneof![
        12 => Just(Id::Right),
        2 => Just(Id::Retired),
        1 => other_id().prop_map(Id::Other),
    ]
}

pub(super) fn casing() -> impl Strategy<Value = Casing> {
    prop_oneof![
        12 => Just(Casing::AsIs),
        1 => Just(Casing::Upper),
        1 => Just(Casing::Lower),
        1 => Just(Casing::Capitalized),
    ]
}

pub(super) fn target() -> impl Strategy<Value = Target> {
    let prefix = prop_oneof![
        10 => select(&PREFIXES[..3]),
        1 => select(&PREFIXES[3..]),
    ];
    let template = prop_oneof![
        3 => select(TEMPLATES),
        1 => select(&[
            "/print/{K}/{P}/jobs/{J}/start",
            "/print/{K}/{P}/jobs/{J}/cancel",
            "/print/{K}/{P}/jobs/{J}/documents/{D}/createUploadSession",
            "/me/todo/lists/{L}/tasks/{T}/attachments/createUploadSession",
        ][..]),
    ];
    let route = (
        prefix,
        template,
        casing(),
        proptest::collection::vec(id(), 6),
    )
        .prop_map(|(prefix, template, casing, ids)| Target::Route {
            prefix,
            template,
            casing,
            ids,
        });
    let upload = (
        any::<bool>(),
        prop_oneof![8 => Just(Id::Right), 1 => other_id().prop_map(Id::Other)],
        any::<bool>(),
        prop_oneof![
            12 => Just(""),
            1 => select(&["/", "/..", "/content", "/content/content", "/%2e%2e", ";x", "/$value"][..]),
        ],
    )
        .prop_map(|(todo, id, content, suffix)| Target::Upload {
            todo,
            id,
            content,
            suffix,
        });
    prop_oneof![
        5 => route,
        4 => upload,
        1 => select(RAW_PATHS).prop_map(|p| Target::Raw(p.to_owned())),
    ]
}
