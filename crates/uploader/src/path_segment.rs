//! The one place where ids and names become URL path segments. Graph's ids hold `=`, `-`, `_`
//! (To Do, Outlook), `!` (drives) and may hold `/` or `+`; names hold anything. Every segment
//! the uploader and the CLI build goes through [`encode_path_segment`].

use percent_encoding::{AsciiSet, CONTROLS, utf8_percent_encode};

/// Everything but RFC 3986's unreserved characters is encoded in a path segment, so that a
/// name holding `:`, `#`, `?`, `%` or `/` cannot end the address early.
const SEGMENT: &AsciiSet = &CONTROLS
    .add(b' ')
    .add(b'"')
    .add(b'#')
    .add(b'%')
    .add(b'/')
    .add(b':')
    .add(b'<')
    .add(b'>')
    .add(b'?')
    .add(b'[')
    .add(b'\\')
    .add(b']')
    .add(b'^')
    .add(b'`')
    .add(b'{')
    .add(b'|')
    .add(b'}')
    .add(b'&')
    .add(b'+')
    .add(b'\'')
    .add(b';')
    .add(b'=')
    .add(b'@')
    .add(b'$')
    .add(b',')
    .add(b'!')
    .add(b'*')
    .add(b'(')
    .add(b')');

/// `segment` percent-encoded for a URL path: everything but RFC 3986's unreserved characters
/// (`A-Z a-z 0-9 - . _ ~`) is encoded, so that `/`, `?`, `#`, `%`, `+`, `=` or a space in an id
/// or a name can neither end the path early nor be read differently by the server.
pub fn encode_path_segment(segment: &str) -> String {
    utf8_percent_encode(segment, SEGMENT).to_string()
}

/// Short name inside the crate.
pub(crate) fn encode(segment: &str) -> String {
    encode_path_segment(segment)
}

/// A `/`-separated path (`print/shares/{id}`) with each segment encoded and the slashes kept.
pub(crate) fn encode_segments(path: &str) -> String {
    path.split('/').map(encode).collect::<Vec<_>>().join("/")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reserved_characters_and_spaces_are_encoded() {
        assert_eq!(
            encode_path_segment("a/b=c+d?e#f%g h"),
            "a%2Fb%3Dc%2Bd%3Fe%23f%25g%20h"
        );
        assert_eq!(
            encode_path_segment("AAMkAGVtdWxhdG9yIFRvIERvIGxpc3QAA-_7774="),
            "AAMkAGVtdWxhdG9yIFRvIERvIGxpc3QAA-_7774%3D"
        );
        assert_eq!(encode_path_segment("Ab09-._~"), "Ab09-._~");
        assert_eq!(encode_path_segment("été"), "%C3%A9t%C3%A9");
        assert_eq!(encode_segments("print/shares/a=b"), "print/shares/a%3Db");
    }
}
