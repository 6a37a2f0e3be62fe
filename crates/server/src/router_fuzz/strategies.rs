//! Strategies for the rest of a case: methods, query strings, credentials, headers and
//! bodies, well-formed, odd and broken.

use super::case::{Auth, Body, Case, LIVE, Length, Query, Range};
use super::paths::target;
use proptest::prelude::*;
use proptest::sample::select;

pub(super) fn method() -> impl Strategy<Value = Option<String>> {
    prop_oneof![
        10 => Just(None),
        4 => select(&["GET", "POST", "PUT", "DELETE"][..]).prop_map(|m| Some(m.to_owned())),
        1 => select(&["PATCH", "HEAD", "OPTIONS", "TRACE", "get", "Put", "post", "FOO"][..])
            .prop_map(|m| Some(m.to_owned())),
    ]
}

pub(super) fn query() -> impl Strategy<Value = Query> {
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
pub(super) fn header_bytes() -> impl Strategy<Value = Vec<u8>> {
    proptest::collection::vec(
        prop_oneof![8 => 0x20u8..0x7f, 1 => Just(b'\t'), 1 => 0x80u8..=0xff],
        0..40,
    )
}

pub(super) fn auth() -> impl Strategy<Value = Auth> {
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

pub(super) fn content_type() -> impl Strategy<Value = Option<Vec<u8>>> {
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

pub(super) fn number() -> impl Strategy<Value = u64> {
    prop_oneof![
        3 => select(&[
            0u64, 1, 2, 9, 10, 699, 700, 999, 1000, 1001,
            327_680, 10 * 1024 * 1024, u64::MAX, u64::MAX - 1, 1 << 63, 1 << 53,
        ][..]),
        3 => 0u64..2000,
        1 => any::<u64>(),
    ]
}

pub(super) fn content_range() -> impl Strategy<Value = Range> {
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

pub(super) fn content_length() -> impl Strategy<Value = Length> {
    prop_oneof![
        8 => Just(Length::Match),
        2 => Just(Length::Absent),
        2 => number().prop_map(Length::Number),
        1 => select(&["18446744073709551616", "-1", " 10 ", "1e3", "0x10", "", "10, 10"][..])
            .prop_map(|v| Length::Raw(v.as_bytes().to_vec())),
    ]
}

/// JSON bodies: the shapes Graph takes, with odd values, and broken ones.
pub(super) fn json_text() -> impl Strategy<Value = String> {
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

pub(super) fn body() -> impl Strategy<Value = Body> {
    prop_oneof![
        10 => any::<u8>().prop_map(Body::Fit),
        4 => json_text().prop_map(Body::Text),
        2 => proptest::collection::vec(any::<u8>(), 0..2048).prop_map(Body::Bytes),
        1 => (0usize..70_000).prop_map(|n| Body::Bytes(vec![b'x'; n])),
        // Rare: one case in about 2,000 sends more than 8 MiB.
        1 => prop_oneof![2000 => Just(Body::Bytes(Vec::new())), 1 => Just(Body::Huge)],
    ]
}

pub(super) fn extra_headers() -> impl Strategy<Value = Vec<(&'static str, Vec<u8>)>> {
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

prop_compose! {
    /// One whole case.
    pub(super) fn case()(
        method in method(),
        target in target(),
        query in query(),
        auth in auth(),
        content_type in content_type(),
        content_range in content_range(),
        content_length in content_length(),
        extra in extra_headers(),
        body in body(),
        live in 0usize..LIVE,
    ) -> Case {
        Case {
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
        }
    }
}
