//! One request as a fake token source received it, decoded for assertions.

/// A request: method, path, query and form pairs (percent-decoded), headers.
#[derive(Debug, Clone, Default)]
pub struct Recorded {
    /// `GET`, `POST`...
    pub method: String,
    /// The path, without the query.
    pub path: String,
    /// The query's pairs.
    pub query: Vec<(String, String)>,
    /// Header names (lowercase) and values.
    pub headers: Vec<(String, String)>,
    /// The body's pairs when it is a form (`application/x-www-form-urlencoded`).
    pub form: Vec<(String, String)>,
}

impl Recorded {
    /// The first query value named `name`.
    pub fn query(&self, name: &str) -> Option<&str> {
        first(&self.query, name)
    }

    /// The first form value named `name`.
    pub fn form(&self, name: &str) -> Option<&str> {
        first(&self.form, name)
    }

    /// The first value of header `name` (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

fn first<'a>(pairs: &'a [(String, String)], name: &str) -> Option<&'a str> {
    pairs
        .iter()
        .find(|(n, _)| n == name)
        .map(|(_, v)| v.as_str())
}

/// `a=1&b=%20` as pairs.
pub(super) fn pairs(encoded: &[u8]) -> Vec<(String, String)> {
    form_urlencoded::parse(encoded).into_owned().collect()
}
