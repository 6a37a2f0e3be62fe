//! The `uploadUrl` of a session: a bearer credential in URL form, so it never prints.

use serde::{Deserialize, Serialize};
use std::fmt;

/// An upload session's URL. For print it is pre-authenticated (its query string carries a
/// temporary token), so `Debug` and `Display` show it with the query replaced by `?...`;
/// [`as_str`](Self::as_str) gives the URL to send requests to.
#[derive(Clone, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(transparent)]
pub struct UploadUrl(String);

impl UploadUrl {
    /// Wraps a URL as received from the service.
    pub fn new(url: impl Into<String>) -> Self {
        UploadUrl(url.into())
    }

    /// The URL exactly as given: the one to send requests to. Never print it.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The URL without its secret: the query string (and fragment) become `?...`.
    pub fn redacted(&self) -> String {
        redact(&self.0)
    }
}

/// `url` with its query string and fragment replaced by `?...`, for messages and logs.
pub fn redact(url: &str) -> String {
    match url.find(['?', '#']) {
        Some(at) => format!("{}?...", &url[..at]),
        None => url.to_owned(),
    }
}

/// Reads as the URL for requests (`&url` works where a `&str` is wanted); printing the
/// `UploadUrl` itself stays redacted.
impl std::ops::Deref for UploadUrl {
    type Target = str;

    fn deref(&self) -> &str {
        &self.0
    }
}

impl AsRef<str> for UploadUrl {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl From<String> for UploadUrl {
    fn from(url: String) -> Self {
        UploadUrl(url)
    }
}

impl From<&str> for UploadUrl {
    fn from(url: &str) -> Self {
        UploadUrl(url.to_owned())
    }
}

impl fmt::Display for UploadUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.redacted())
    }
}

impl fmt::Debug for UploadUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "UploadUrl({:?})", self.redacted())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_query_never_prints_but_is_kept_for_requests() {
        let url = UploadUrl::new("https://print.example/uploadSessions/5?tempauthtoken=SECRET");
        for shown in [format!("{url}"), format!("{url:?}"), url.redacted()] {
            assert!(!shown.contains("SECRET"), "{shown}");
            assert!(
                shown.contains("https://print.example/uploadSessions/5?..."),
                "{shown}"
            );
        }
        assert!(url.as_str().ends_with("tempauthtoken=SECRET"));
        let json = serde_json::to_string(&url).unwrap();
        assert_eq!(
            json,
            "\"https://print.example/uploadSessions/5?tempauthtoken=SECRET\""
        );
        assert_eq!(serde_json::from_str::<UploadUrl>(&json).unwrap(), url);
    }

    #[test]
    fn a_url_without_query_is_shown_whole_and_a_fragment_is_hidden() {
        assert_eq!(redact("http://h/a/b"), "http://h/a/b");
        assert_eq!(redact("http://h/a#frag"), "http://h/a?...");
        assert_eq!(redact("http://h/a?x=1#f"), "http://h/a?...");
    }
}
