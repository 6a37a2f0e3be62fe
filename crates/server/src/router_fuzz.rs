//! A property test of the whole HTTP surface: random methods, paths, headers and bodies sent
//! through the router in-process (huge and malformed `Content-Range`, bad JSON, odd Unicode
//! ids, `..%2F` and other traversal attempts, wrong casing, upload URLs of live sessions with
//! random fragments). Whatever arrives, the emulator never panics, never answers 5xx, answers
//! every error with Graph's error JSON, and leaves stored data alone: a print document and a
//! To Do attachment uploaded before the loop read back byte-identical through `$value` after
//! it, and no file outside the data directory is touched.
//!
//! 10,000 cases by default (`PROPTEST_CASES` overrides); one million with the workspace's
//! long-fuzz switch, best run optimised:
//!
//! ```text
//! GRAPH_UPLOAD_LONG_FUZZ=1 cargo test --release -p graph-upload-server router_fuzz
//! ```

use crate::fixtures::{
    LIST_ID, OXPS_PRINTER_ID, PHOTO_PRINTER_ID, PRINTER_ID, SHARE_ID, TASK_ID, USER_ID,
};
use crate::records::SessionRecord;
use crate::store::Table;
use crate::test_app::{Answer, PUBLIC_URL, TOKEN, TestApp, todo_task};
use axum::body::Body as AxumBody;
use axum::http::{HeaderName, HeaderValue, Method, Request};
use proptest::prelude::*;
use proptest::sample::select;
use proptest::test_runner::{Config, TestCaseError, TestRunner};
use std::collections::BTreeMap;
use std::path::Path;
use std::time::Instant;

/// The variable of the long mode (shared with the other property tests of the workspace).
const LONG_FUZZ_VAR: &str = "GRAPH_UPLOAD_LONG_FUZZ";
/// Cases in the long mode.
const LONG_CASES: u32 = 1_000_000;
/// Cases in a normal run.
const DEFAULT_CASES: u32 = 10_000;

fn cases() -> u32 {
    if std::env::var(LONG_FUZZ_VAR).ok().as_deref().map(str::trim) == Some("1") {
        return LONG_CASES;
    }
    std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(DEFAULT_CASES)
}

// ---- what a case is ------------------------------------------------------------------------

/// One request, with placeholders for the ids of the live sessions it may aim at.
#[derive(Debug, Clone)]
struct Case {
    /// `None`: the method the target is made for.
    method: Option<String>,
    target: Target,
    query: Query,
    auth: Auth,
    content_type: Option<Vec<u8>>,
    content_range: Range,
    content_length: Length,
    extra: Vec<(&'static str, Vec<u8>)>,
    body: Body,
    /// Which live job and sessions the placeholders name.
    live: usize,
}

#[derive(Debug, Clone)]
enum Target {
    /// One of Graph's paths (with placeholders), under a prefix, its literals cased somehow,
    /// its placeholders filled in order by `ids`.
    Route {
        prefix: &'static str,
        template: &'static str,
        casing: Casing,
        ids: Vec<Id>,
    },
    /// A live session's upload URL (To Do: `/content` or not), then `suffix`.
    Upload {
        todo: bool,
        id: Id,
        content: bool,
        suffix: &'static str,
    },
    /// A path as is.
    Raw(String),
}

#[derive(Debug, Clone, Copy)]
enum Casing {
    AsIs,
    Upper,
    Lower,
    Capitalized,
}

/// A path id: the one the live state has there, a job that finished before (canceled or
/// uploaded), or something else.
#[derive(Debug, Clone)]
enum Id {
    Right,
    Retired,
    Other(String),
}

#[derive(Debug, Clone)]
enum Query {
    /// What the target needs: the `tempauthtoken` on print upload URLs, nothing elsewhere.
    Natural,
    None,
    /// The live print session's `tempauthtoken`.
    Token,
    /// That token, changed.
    Tampered(u8),
    /// The token of the other live session.
    OtherToken,
    Raw(String),
}

#[derive(Debug, Clone)]
enum Auth {
    /// What the target needs: nothing for print upload URLs, the bearer token elsewhere.
    Natural,
    None,
    Right,
    Raw(Vec<u8>),
}

#[derive(Debug, Clone)]
enum Range {
    None,
    /// A span of the live session's size (`bytes */0` for an empty file).
    Fit {
        start: u64,
        len: u64,
    },
    Numbers(u64, u64, u64, &'static str),
    Raw(Vec<u8>),
}

#[derive(Debug, Clone)]
enum Length {
    /// The body's real length.
    Match,
    Absent,
    Number(u64),
    Raw(Vec<u8>),
}

#[derive(Debug, Clone)]
enum Body {
    Bytes(Vec<u8>),
    Text(String),
    /// As many bytes as the `Fit` range names.
    Fit(u8),
    /// Over the 8 MiB JSON limit.
    Huge,
}

// ---- strategies ----------------------------------------------------------------------------

const PREFIXES: &[&str] = &[
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
const TEMPLATES: &[&str] = &[
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
const RAW_PATHS: &[&str] = &[
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

const WEIRD_IDS: &[&str] = &[
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
const FIXTURE_IDS: &[&str] = &[
    PRINTER_ID,
    OXPS_PRINTER_ID,
    PHOTO_PRINTER_ID,
    SHARE_ID,
    LIST_ID,
    TASK_ID,
    USER_ID,
];

fn percent_encode(text: &str) -> String {
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

fn other_id() -> impl Strategy<Value = String> {
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

fn id() -> impl Strategy<Value = Id> {
    prop_oneof![
        12 => Just(Id::Right),
        2 => Just(Id::Retired),
        1 => other_id().prop_map(Id::Other),
    ]
}

fn casing() -> impl Strategy<Value = Casing> {
    prop_oneof![
        12 => Just(Casing::AsIs),
        1 => Just(Casing::Upper),
        1 => Just(Casing::Lower),
        1 => Just(Casing::Capitalized),
    ]
}

fn target() -> impl Strategy<Value = Target> {
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

fn method() -> impl Strategy<Value = Option<String>> {
    prop_oneof![
        10 => Just(None),
        4 => select(&["GET", "POST", "PUT", "DELETE"][..]).prop_map(|m| Some(m.to_owned())),
        1 => select(&["PATCH", "HEAD", "OPTIONS", "TRACE", "get", "Put", "post", "FOO"][..])
            .prop_map(|m| Some(m.to_owned())),
    ]
}

fn query() -> impl Strategy<Value = Query> {
    prop_oneof![
        12 => Just(Query::Natural),
        2 => Just(Query::None),
        2 => Just(Query::Token),
        1 => any::<u8>().prop_map(Query::Tampered),
        1 => Just(Query::OtherToken),
        1 => select(&[
            "tempauthtoken=",
            "tempauthtoken=%FF",
            "tempauthtoken=1.AAAA",
            "tempauthtoken=99999999999999999999999.x",
            "%ZZ=1",
            "$select=id",
            "a=1&a=2&tempauthtoken",
        ][..])
        .prop_map(|q| Query::Raw(q.to_owned())),
        1 => "[a-z0-9=&%.]{0,20}".prop_map(Query::Raw),
    ]
}

/// Visible ASCII, tabs and obs-text (bytes 0x80 and up, which are not text).
fn header_bytes() -> impl Strategy<Value = Vec<u8>> {
    proptest::collection::vec(
        prop_oneof![8 => 0x20u8..0x7f, 1 => Just(b'\t'), 1 => 0x80u8..=0xff],
        0..40,
    )
}

fn auth() -> impl Strategy<Value = Auth> {
    prop_oneof![
        16 => Just(Auth::Natural),
        1 => Just(Auth::Right),
        2 => Just(Auth::None),
        1 => select(&[
            "Bearer ",
            "Bearer",
            "bearer test-app-token",
            "BEARER test-app-token",
            "Bearer test-app-token ",
            "Bearer  test-app-token",
            "Bearer test-app-tokenX",
            "Basic dGVzdDp0ZXN0",
        ][..])
        .prop_map(|v| Auth::Raw(v.as_bytes().to_vec())),
        1 => header_bytes().prop_map(Auth::Raw),
    ]
}

fn content_type() -> impl Strategy<Value = Option<Vec<u8>>> {
    prop_oneof![
        4 => Just(None),
        4 => select(&[
            "application/json",
            "application/octet-stream",
            "application/json; charset=utf-8",
            "APPLICATION/JSON",
            "text/plain",
            "multipart/form-data; boundary=x",
        ][..])
        .prop_map(|v| Some(v.as_bytes().to_vec())),
        1 => header_bytes().prop_map(Some),
    ]
}

fn number() -> impl Strategy<Value = u64> {
    prop_oneof![
        3 => select(&[
            0u64, 1, 2, 9, 10, 699, 700, 999, 1000, 1001,
            327_680, 10 * 1024 * 1024, u64::MAX, u64::MAX - 1, 1 << 63, 1 << 53,
        ][..]),
        3 => 0u64..2000,
        1 => any::<u64>(),
    ]
}

fn content_range() -> impl Strategy<Value = Range> {
    prop_oneof![
        2 => Just(Range::None),
        8 => (number(), prop_oneof![6 => 1u64..400, 2 => 400u64..1000, 1 => number()])
            .prop_map(|(start, len)| Range::Fit { start, len }),
        3 => (number(), number(), number(), select(&["bytes ", "bytes=", "BYTES ", "bytes  ", "items "][..]))
            .prop_map(|(a, b, c, unit)| Range::Numbers(a, b, c, unit)),
        2 => select(&[
            "",
            "bytes",
            "bytes */0",
            "bytes */1000",
            "bytes */*",
            "bytes 0-0/",
            "bytes -1-5/10",
            "bytes 5-/10",
            "bytes 0-9/*",
            "bytes 0-9/10,bytes 10-19/20",
            "bytes 0x0-0x9/1000",
            "bytes +0-+9/1000",
            "bytes 99999999999999999999999-1/2",
            "bytes 0-99999999999999999999999/2",
            "bytes 0-18446744073709551615/18446744073709551615",
            "bytes 18446744073709551615-18446744073709551615/18446744073709551615",
            "bytes 1-0/1000",
            "bytes 0-9/1000 ",
            " bytes 0-9/1000",
        ][..])
        .prop_map(|v| Range::Raw(v.as_bytes().to_vec())),
        1 => ".{0,12}".prop_map(|v: String| Range::Raw(v.into_bytes())),
        1 => header_bytes().prop_map(Range::Raw),
    ]
}

fn content_length() -> impl Strategy<Value = Length> {
    prop_oneof![
        8 => Just(Length::Match),
        2 => Just(Length::Absent),
        2 => number().prop_map(Length::Number),
        1 => select(&["18446744073709551616", "-1", " 10 ", "1e3", "0x10", "", "10, 10"][..])
            .prop_map(|v| Length::Raw(v.as_bytes().to_vec())),
    ]
}

/// JSON bodies: the shapes Graph takes, with odd values, and broken ones.
fn json_text() -> impl Strategy<Value = String> {
    let name = prop_oneof![
        select(
            &[
                "a.pdf",
                "",
                " ",
                "../../etc/passwd",
                "..\\..\\x",
                "con",
                "\u{202e}fdp.exe"
            ][..]
        )
        .prop_map(str::to_owned),
        ".{0,20}",
    ];
    let kind = select(
        &[
            "application/pdf",
            "application/oxps",
            "image/png",
            "text/html",
            "",
            "APPLICATION/PDF",
        ][..],
    );
    let size = prop_oneof![
        number().prop_map(|n| n.to_string()),
        select(
            &[
                "-1",
                "1.5",
                "1e309",
                "\"10\"",
                "null",
                "18446744073709551616",
                "[]"
            ][..]
        )
        .prop_map(str::to_owned),
    ];
    let print = (name.clone(), kind, size.clone()).prop_map(|(name, kind, size)| {
        format!(
            r#"{{"properties": {{"documentName": {}, "contentType": "{kind}", "size": {size}}}}}"#,
            serde_json::Value::from(name)
        )
    });
    let todo = (
        name.clone(),
        select(&["file", "item", "reference", "", "FILE"][..]),
        size,
    )
        .prop_map(|(name, kind, size)| {
            format!(
                r#"{{"attachmentInfo": {{"attachmentType": "{kind}", "name": {}, "size": {size}}}}}"#,
                serde_json::Value::from(name)
            )
        });
    let one_shot = (
        name,
        prop_oneof![
            "[A-Za-z0-9+/]{0,64}={0,2}",
            Just("!!!not base64".to_owned())
        ],
    )
        .prop_map(|(name, bytes)| {
            format!(
                r##"{{"@odata.type": "#microsoft.graph.taskFileAttachment", "name": {}, "contentBytes": "{bytes}"}}"##,
                serde_json::Value::from(name)
            )
        });
    let broken = prop_oneof![
        Just("{".to_owned()),
        Just("[".repeat(10_000)),
        Just("{\"properties\": ".to_owned()),
        Just("null".to_owned()),
        Just("{\"properties\": {\"size\": 1e400}}".to_owned()),
        Just("\u{feff}{}".to_owned()),
        ".{0,40}",
    ];
    prop_oneof![
        1 => Just("{}".to_owned()),
        1 => Just(r#"{"configuration": {"copies": 2}}"#.to_owned()),
        1 => Just(r#"{"title": "t"}"#.to_owned()),
        3 => print,
        3 => todo,
        1 => one_shot,
        2 => broken,
    ]
}

fn body() -> impl Strategy<Value = Body> {
    prop_oneof![
        10 => any::<u8>().prop_map(Body::Fit),
        4 => json_text().prop_map(Body::Text),
        2 => proptest::collection::vec(any::<u8>(), 0..2048).prop_map(Body::Bytes),
        1 => (0usize..70_000).prop_map(|n| Body::Bytes(vec![b'x'; n])),
        // Rare: one case in about 2,000 sends more than 8 MiB.
        1 => prop_oneof![2000 => Just(Body::Bytes(Vec::new())), 1 => Just(Body::Huge)],
    ]
}

fn extra_headers() -> impl Strategy<Value = Vec<(&'static str, Vec<u8>)>> {
    let name = select(
        &[
            "client-request-id",
            "transfer-encoding",
            "expect",
            "range",
            "content-encoding",
            "host",
            "x-http-method-override",
            "if-match",
            "content-range",
        ][..],
    );
    let value = prop_oneof![
        select(
            &[
                "chunked",
                "100-continue",
                "bytes=0-1",
                "gzip",
                "evil.example",
                "DELETE",
                "*"
            ][..]
        )
        .prop_map(|v| v.as_bytes().to_vec()),
        header_bytes(),
    ];
    proptest::collection::vec((name, value), 0..3)
}

fn case() -> impl Strategy<Value = Case> {
    (
        method(),
        target(),
        query(),
        auth(),
        content_type(),
        content_range(),
        content_length(),
        extra_headers(),
        body(),
        0usize..LIVE,
    )
        .prop_map(
            |(
                method,
                target,
                query,
                auth,
                content_type,
                content_range,
                content_length,
                extra,
                body,
                live,
            )| Case {
                method,
                target,
                query,
                auth,
                content_type,
                content_range,
                content_length,
                extra,
                body,
                live,
            },
        )
}

// ---- the live state a case aims at ---------------------------------------------------------

/// Live jobs and sessions the placeholders name.
const LIVE: usize = 2;

/// A print job with an upload session, and a To Do upload session.
#[derive(Debug, Clone)]
struct Live {
    kind: &'static str,
    parent: &'static str,
    job: String,
    document: String,
    print_session: String,
    print_token: String,
    print_size: u64,
    /// The job this entry had before its session went.
    retired_job: Option<String>,
    todo_url: String,
    todo_session: String,
    todo_size: u64,
}

fn last_segment(path: &str) -> String {
    let path = path.split('?').next().unwrap_or(path);
    path.rsplit('/').next().unwrap_or("").to_owned()
}

async fn new_print(app: &TestApp, n: usize, live: &mut Live) {
    let (kind, parent) = if n.is_multiple_of(2) {
        ("printers", PRINTER_ID)
    } else {
        ("shares", SHARE_ID)
    };
    let (job, document) = app.print_job(&format!("/v1.0/print/{kind}/{parent}")).await;
    let answer = app
        .api(
            Method::POST,
            &format!("{job}/documents/{document}/createUploadSession"),
            Some(serde_json::json!({"properties": {
                "documentName": "live.pdf", "contentType": "application/pdf",
                "size": live.print_size}})),
        )
        .await;
    assert_eq!(answer.status, 200, "{answer:?}");
    let url = answer.json()["uploadUrl"]
        .as_str()
        .expect("uploadUrl")
        .to_owned();
    live.kind = kind;
    live.parent = parent;
    live.job = last_segment(&job);
    live.document = document;
    live.print_session = last_segment(&url);
    live.print_token = url
        .split_once("tempauthtoken=")
        .map(|(_, token)| token.to_owned())
        .expect("a tempauthtoken");
}

async fn new_todo(app: &TestApp, live: &mut Live) {
    live.todo_url = app.todo_upload(live.todo_size).await;
    live.todo_session = last_segment(&live.todo_url);
}

async fn live_state(app: &TestApp) -> Vec<Live> {
    let mut all = Vec::new();
    for (n, (print_size, todo_size)) in [(1000u64, 700u64), (0, 0)].into_iter().enumerate() {
        let mut live = Live {
            kind: "",
            parent: "",
            job: String::new(),
            document: String::new(),
            print_session: String::new(),
            print_token: String::new(),
            print_size,
            retired_job: None,
            todo_url: String::new(),
            todo_session: String::new(),
            todo_size,
        };
        new_print(app, n, &mut live).await;
        new_todo(app, &mut live).await;
        all.push(live);
    }
    all
}

/// Replaces sessions that completed or went away, so that later cases still reach live ones.
async fn refill(app: &TestApp, all: &mut [Live]) {
    for (n, live) in all.iter_mut().enumerate() {
        let session = |id: String| {
            let store = std::sync::Arc::clone(&app.state.store);
            move || store.get::<SessionRecord>(Table::Sessions, &id)
        };
        let print = tokio::task::spawn_blocking(session(live.print_session.clone()))
            .await
            .unwrap()
            .unwrap();
        if print.is_none() {
            live.retired_job = Some(live.job.clone());
            new_print(app, n, live).await;
        }
        let todo = tokio::task::spawn_blocking(session(live.todo_session.clone()))
            .await
            .unwrap()
            .unwrap();
        if todo.is_none() {
            new_todo(app, live).await;
        }
    }
}

// ---- turning a case into a request ---------------------------------------------------------

fn cased(template: &str, casing: Casing) -> String {
    let mut out = String::with_capacity(template.len());
    let mut in_placeholder = false;
    let mut segment_start = true;
    for c in template.chars() {
        match c {
            '{' => in_placeholder = true,
            '}' => in_placeholder = false,
            _ => {}
        }
        let c = if in_placeholder || c == '}' {
            c
        } else {
            match casing {
                Casing::AsIs => c,
                Casing::Upper => c.to_ascii_uppercase(),
                Casing::Lower => c.to_ascii_lowercase(),
                Casing::Capitalized if segment_start => c.to_ascii_uppercase(),
                Casing::Capitalized => c,
            }
        };
        segment_start = c == '/';
        out.push(c);
    }
    out
}

fn path_of(case: &Case, live: &Live, other: &Live) -> String {
    match &case.target {
        Target::Raw(path) => path.clone(),
        Target::Upload {
            todo,
            id,
            content,
            suffix,
        } => {
            let base = if *todo {
                live.todo_url.clone()
            } else {
                format!("/uploadSessions/{}", live.print_session)
            };
            let suffix = if *todo && *content {
                format!("/content{suffix}")
            } else {
                (*suffix).to_owned()
            };
            let base = match id {
                Id::Right | Id::Retired => base,
                Id::Other(other) => match base.rsplit_once('/') {
                    Some((head, _)) => format!("{head}/{other}"),
                    None => base,
                },
            };
            format!("{base}{suffix}")
        }
        Target::Route {
            prefix,
            template,
            casing,
            ids,
        } => {
            let mut path = format!("{prefix}{}", cased(template, *casing));
            let mut ids = ids.iter();
            for (placeholder, right) in [
                ("{K}", live.kind.to_owned()),
                ("{P}", live.parent.to_owned()),
                ("{J}", live.job.clone()),
                ("{D}", live.document.clone()),
                ("{S}", live.print_session.clone()),
                ("{L}", LIST_ID.to_owned()),
                ("{T}", TASK_ID.to_owned()),
                ("{A}", other.document.clone()),
                ("{Q}", live.todo_session.clone()),
                ("{U}", USER_ID.to_owned()),
            ] {
                if path.contains(placeholder) {
                    let value = match ids.next() {
                        Some(Id::Other(other)) => other.clone(),
                        Some(Id::Retired) if placeholder == "{J}" => {
                            live.retired_job.clone().unwrap_or(right)
                        }
                        _ => right,
                    };
                    path = path.replace(placeholder, &value);
                }
            }
            path
        }
    }
}

/// The `Content-Range` and the body's length it names, if it names one.
fn range_of(case: &Case, live: &Live) -> (Option<Vec<u8>>, Option<usize>) {
    let size = match &case.target {
        Target::Upload { todo: true, .. } => live.todo_size,
        Target::Route { template, .. } if template.contains("{Q}") => live.todo_size,
        _ => live.print_size,
    };
    match &case.content_range {
        Range::None => (None, None),
        Range::Fit { .. } if size == 0 => (Some(b"bytes */0".to_vec()), Some(0)),
        Range::Fit { start, len } => {
            let start = start % size;
            let end = start.saturating_add(*len).min(size);
            let end = end.max(start + 1);
            let text = format!("bytes {start}-{}/{size}", end - 1);
            (Some(text.into_bytes()), Some((end - start) as usize))
        }
        Range::Numbers(a, b, c, unit) => (Some(format!("{unit}{a}-{b}/{c}").into_bytes()), None),
        Range::Raw(bytes) => (Some(bytes.clone()), None),
    }
}

/// The method a target is made for (a coin decides between `GET` and `POST` where both
/// exist, and between `PUT`, `GET` and `DELETE` on upload URLs).
fn natural_method(case: &Case) -> Method {
    let coin = case.live as u64
        + case.extra.len() as u64
        + u64::from(matches!(case.query, Query::Natural));
    let upload = match coin % 8 {
        0 => Method::GET,
        1 => Method::DELETE,
        _ => Method::PUT,
    };
    match &case.target {
        Target::Upload { .. } => upload,
        Target::Raw(_) => Method::GET,
        Target::Route { template, .. } => {
            let last = template.rsplit('/').next().unwrap_or("");
            match last {
                "createUploadSession" | "start" | "cancel" => Method::POST,
                "jobs" | "attachments" | "tasks" if coin.is_multiple_of(2) => Method::POST,
                "{Q}" | "{S}" | "content" => upload,
                _ => Method::GET,
            }
        }
    }
}

/// The request, or `None` when it cannot be written as HTTP (an invalid URI).
fn request_of(case: &Case, all: &[Live]) -> Option<(Method, Request<AxumBody>)> {
    let live = &all[case.live];
    let other = &all[(case.live + 1) % all.len()];
    let path = path_of(case, live, other);
    let print_url = match &case.target {
        Target::Upload { todo, .. } => !todo,
        Target::Route { template, .. } => template.starts_with("/uploadSessions"),
        Target::Raw(_) => false,
    };
    let query = match &case.query {
        Query::Natural if !print_url => String::new(),
        Query::None => String::new(),
        Query::Natural | Query::Token => format!("?tempauthtoken={}", live.print_token),
        Query::Tampered(byte) => {
            let mut token = live.print_token.clone().into_bytes();
            if let Some(last) = token.last_mut() {
                *last = if *last == b'A' { b'B' } else { b'A' };
            }
            token.push(b'a' + byte % 26);
            format!(
                "?tempauthtoken={}",
                String::from_utf8_lossy(&token[..token.len() - 1])
            )
        }
        Query::OtherToken => format!("?tempauthtoken={}", other.print_token),
        Query::Raw(raw) => format!("?{raw}"),
    };
    let method = match &case.method {
        Some(method) => Method::from_bytes(method.as_bytes()).ok()?,
        None => natural_method(case),
    };
    let (range, fit_len) = range_of(case, live);
    let body: Vec<u8> = match &case.body {
        Body::Bytes(bytes) => bytes.clone(),
        Body::Text(text) => text.clone().into_bytes(),
        Body::Fit(byte) => vec![*byte; fit_len.unwrap_or(usize::from(*byte) * 3)],
        Body::Huge => vec![b' '; 8 * 1024 * 1024 + 1],
    };
    let mut builder = Request::builder()
        .method(method.clone())
        .uri(format!("{path}{query}"));
    let mut header = |name: &str, value: &[u8]| {
        if let (Ok(name), Ok(value)) = (
            HeaderName::from_bytes(name.as_bytes()),
            HeaderValue::from_bytes(value),
        ) {
            builder = std::mem::take(&mut builder).header(name, value);
        }
    };
    match &case.auth {
        Auth::Natural if print_url => {}
        Auth::None => {}
        Auth::Natural | Auth::Right => {
            header("authorization", format!("Bearer {TOKEN}").as_bytes())
        }
        Auth::Raw(value) => header("authorization", value),
    }
    if let Some(value) = &case.content_type {
        header("content-type", value);
    }
    if let Some(value) = &range {
        header("content-range", value);
    }
    match &case.content_length {
        Length::Match => header("content-length", body.len().to_string().as_bytes()),
        Length::Absent => {}
        Length::Number(n) => header("content-length", n.to_string().as_bytes()),
        Length::Raw(value) => header("content-length", value),
    }
    for (name, value) in &case.extra {
        header(name, value);
    }
    let request = builder.body(AxumBody::from(body)).ok()?;
    Some((method, request))
}

// ---- what every answer must be -------------------------------------------------------------

fn check_answer(method: &Method, answer: &Answer) -> Result<(), String> {
    let status = answer.status;
    if status.is_server_error() {
        return Err(format!("a {status} answer"));
    }
    if !answer.headers.contains_key("request-id") {
        return Err(format!("a {status} answer without request-id"));
    }
    if !status.is_client_error() || (method == Method::HEAD && answer.body.is_empty()) {
        return Ok(());
    }
    let content_type = answer
        .headers
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    if !content_type.starts_with("application/json") {
        return Err(format!(
            "a {status} error with Content-Type {content_type:?}"
        ));
    }
    let json: serde_json::Value = serde_json::from_slice(&answer.body)
        .map_err(|error| format!("a {status} error whose body is not JSON: {error}"))?;
    let error = &json["error"];
    let text = |value: &serde_json::Value| value.as_str().is_some_and(|s| !s.trim().is_empty());
    let inner = &error["innerError"];
    if !(text(&error["code"])
        && text(&error["message"])
        && text(&inner["request-id"])
        && text(&inner["date"]))
    {
        return Err(format!(
            "a {status} error that is not Graph's error JSON: {json}"
        ));
    }
    Ok(())
}

// ---- what must not change ------------------------------------------------------------------

/// Every file under `root` except those under `skip`: relative path -> bytes.
fn files_outside(root: &Path, skip: &Path) -> BTreeMap<String, Vec<u8>> {
    fn walk(root: &Path, dir: &Path, skip: &Path, out: &mut BTreeMap<String, Vec<u8>>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.starts_with(skip) {
                continue;
            }
            let name = path.strip_prefix(root).unwrap().display().to_string();
            if path.is_dir() {
                out.insert(format!("{name}/"), Vec::new());
                walk(root, &path, skip, out);
            } else {
                out.insert(name, std::fs::read(&path).unwrap());
            }
        }
    }
    let mut out = BTreeMap::new();
    walk(root, root, skip, &mut out);
    out
}

/// A print document and a To Do attachment the fuzzer does not know the ids of.
struct Kept {
    document_value: String,
    job: String,
    attachment_value: String,
    print_bytes: Vec<u8>,
    todo_bytes: Vec<u8>,
}

/// Uploads `data` in order in fragments of 400 bytes; the last answer.
async fn upload(app: &TestApp, url: &str, data: &[u8]) -> Answer {
    let mut at = 0;
    loop {
        let end = (at + 400).min(data.len());
        let answer = app
            .put(url, at as u64, &data[at..end], data.len() as u64)
            .await;
        if end == data.len() {
            return answer;
        }
        assert!(answer.status.is_success(), "{answer:?}");
        at = end;
    }
}

async fn keep(app: &TestApp) -> Kept {
    let print_bytes: Vec<u8> = (0..5000u32).map(|i| (i * 7 % 251) as u8).collect();
    let (job, document) = app
        .print_job(&format!("/v1.0/print/printers/{PRINTER_ID}"))
        .await;
    let document = format!("{job}/documents/{document}");
    let answer = app
        .api(
            Method::POST,
            &format!("{document}/createUploadSession"),
            Some(serde_json::json!({"properties": {
                "documentName": "kept.pdf", "contentType": "application/pdf", "size": 5000}})),
        )
        .await;
    let url = answer.json()["uploadUrl"]
        .as_str()
        .unwrap()
        .strip_prefix(PUBLIC_URL)
        .unwrap()
        .to_owned();
    assert_eq!(upload(app, &url, &print_bytes).await.status, 201);

    let todo_bytes: Vec<u8> = (0..3000u32).map(|i| (i * 13 % 253) as u8).collect();
    let url = app.todo_upload(3000).await;
    let done = upload(app, &url, &todo_bytes).await;
    assert_eq!(done.status, 201);
    let location = done.headers["location"].to_str().unwrap();
    let attachment = last_segment(location);
    Kept {
        document_value: format!("{document}/$value"),
        job,
        attachment_value: format!("{}/attachments/{attachment}/$value", todo_task()),
        print_bytes,
        todo_bytes,
    }
}

// ---- the property --------------------------------------------------------------------------

#[test]
fn random_requests_never_panic_never_fail_the_server_and_leave_stored_data_alone() {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let app = runtime.block_on(TestApp::with(|config| {
        // Sessions of any size are files; keep the largest sparse file small.
        config.print_max_size = 64 * 1024 * 1024;
        // Small enough that random fragments of the live sessions can be too large.
        config.print_max_fragment = 600;
        config.todo_max_fragment = 500;
    }));
    let root = app.dir.path().to_path_buf();
    let data_dir = root.join("data");
    std::fs::create_dir_all(root.join("etc")).unwrap();
    std::fs::write(root.join("etc").join("passwd"), b"root:x:0:0").unwrap();
    std::fs::write(root.join("sentinel.txt"), b"outside the data directory").unwrap();
    let kept = runtime.block_on(keep(&app));
    let job_before = runtime
        .block_on(app.api(Method::GET, &kept.job, None))
        .json();
    let outside_before = files_outside(&root, &data_dir);
    let live = std::cell::RefCell::new(runtime.block_on(live_state(&app)));

    let cases = cases();
    let mut runner = TestRunner::new(Config {
        cases,
        failure_persistence: None,
        ..Config::default()
    });
    let statuses = std::cell::RefCell::new(BTreeMap::<u16, u64>::new());
    let skipped = std::cell::Cell::new(0u64);
    let started = Instant::now();
    let result = runner.run(&case(), |case| {
        let Some((method, request)) = request_of(&case, &live.borrow()) else {
            skipped.set(skipped.get() + 1);
            return Ok(());
        };
        let answer = runtime.block_on(app.send(request));
        *statuses
            .borrow_mut()
            .entry(answer.status.as_u16())
            .or_default() += 1;
        if let Err(why) = check_answer(&method, &answer) {
            return Err(TestCaseError::fail(format!(
                "{why}; body: {}",
                String::from_utf8_lossy(&answer.body)
            )));
        }
        if matches!(answer.status.as_u16(), 201 | 204) {
            runtime.block_on(refill(&app, &mut live.borrow_mut()));
        }
        Ok(())
    });
    let elapsed = started.elapsed();
    eprintln!(
        "router fuzz: {cases} cases ({} not valid HTTP) in {elapsed:.1?}; answers by status: {:?}",
        skipped.get(),
        statuses.borrow()
    );
    if let Err(error) = result {
        panic!("{error}");
    }

    // Stored data is unchanged.
    let value = runtime.block_on(app.api(Method::GET, &kept.document_value, None));
    assert_eq!(value.status, 200, "{value:?}");
    assert!(value.body == kept.print_bytes, "the print document changed");
    let value = runtime.block_on(app.api(Method::GET, &kept.attachment_value, None));
    assert_eq!(value.status, 200, "{value:?}");
    assert!(value.body == kept.todo_bytes, "the attachment changed");
    let job_after = runtime
        .block_on(app.api(Method::GET, &kept.job, None))
        .json();
    assert_eq!(job_after, job_before, "the kept job changed");
    // Nothing outside the data directory was touched; inside, only the emulator's own files.
    assert!(
        files_outside(&root, &data_dir) == outside_before,
        "a file outside the data directory changed"
    );
    let mut names: Vec<String> = std::fs::read_dir(&data_dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(names, ["blobs", "state.redb", "upload-url.key"]);
    for entry in std::fs::read_dir(data_dir.join("blobs")).unwrap() {
        let entry = entry.unwrap();
        let name = entry.file_name().to_string_lossy().into_owned();
        assert!(
            uuid::Uuid::parse_str(&name).is_ok() && entry.file_type().unwrap().is_file(),
            "blobs/{name} is not a blob"
        );
    }
    // Statuses the fuzz must have reached, or it did not test much.
    let statuses = statuses.into_inner();
    if cases >= 1000 {
        for status in [200, 201, 202, 204, 400, 401, 404, 405, 409, 413, 416] {
            assert!(
                statuses.contains_key(&status),
                "no {status} answer in {cases} cases: {statuses:?}"
            );
        }
    }
}
