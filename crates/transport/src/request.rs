//! The request value a [`Transport`](crate::Transport) sends: cheap to clone, so a retry
//! sends the same method, URL, headers and bytes.

use crate::body::Body;
use crate::error::{ErrorKind, TransportError};
use http::header::{HeaderMap, HeaderName, HeaderValue};
use http::{Method, Uri};

/// An HTTP request: method, absolute URL, headers and a replayable [`Body`].
///
/// The transport adds only what HTTP needs (`Host`, `Content-Length`); in particular it never
/// adds `Authorization`: the caller decides, per endpoint, whether a request carries the token.
/// Its `Debug` output hides what may be a credential: the query string (pre-authenticated
/// upload URLs carry a token there) and the values of `Authorization` and `Cookie`.
#[derive(Clone)]
pub struct Request {
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Body,
    max_response_bytes: Option<usize>,
}

impl Request {
    /// A request to an absolute `http` or `https` URL.
    pub fn new(method: Method, url: &str) -> Result<Self, TransportError> {
        // The URL may carry a token in its query: messages show only what precedes it.
        let shown = match url.find(['?', '#']) {
            Some(at) => format!("{}?...", &url[..at]),
            None => url.to_owned(),
        };
        let uri: Uri = url.parse().map_err(|error| {
            TransportError::new(
                ErrorKind::InvalidRequest,
                false,
                format!("{shown:?} is not a valid URL"),
            )
            .with_source(error)
        })?;
        match uri.scheme_str() {
            Some("http" | "https") if uri.authority().is_some() => {}
            _ => {
                return Err(TransportError::new(
                    ErrorKind::InvalidRequest,
                    false,
                    format!("{shown:?} is not an absolute http:// or https:// URL"),
                ));
            }
        }
        Ok(Request {
            method,
            uri,
            headers: HeaderMap::new(),
            body: Body::Empty,
            max_response_bytes: None,
        })
    }

    /// `GET url`.
    pub fn get(url: &str) -> Result<Self, TransportError> {
        Request::new(Method::GET, url)
    }

    /// `PUT url`.
    pub fn put(url: &str) -> Result<Self, TransportError> {
        Request::new(Method::PUT, url)
    }

    /// `POST url`.
    pub fn post(url: &str) -> Result<Self, TransportError> {
        Request::new(Method::POST, url)
    }

    /// `DELETE url`.
    pub fn delete(url: &str) -> Result<Self, TransportError> {
        Request::new(Method::DELETE, url)
    }

    /// Adds a header (a second value of the same name is appended, not replaced).
    pub fn header(mut self, name: HeaderName, value: HeaderValue) -> Self {
        self.headers.append(name, value);
        self
    }

    /// Adds a header given as text, refusing values HTTP cannot carry (control characters).
    pub fn header_str(self, name: HeaderName, value: &str) -> Result<Self, TransportError> {
        let value = HeaderValue::from_str(value).map_err(|error| {
            TransportError::new(
                ErrorKind::InvalidRequest,
                false,
                format!("the value of header {name} is not valid"),
            )
            .with_source(error)
        })?;
        Ok(self.header(name, value))
    }

    /// Sets the body.
    pub fn body(mut self, body: impl Into<Body>) -> Self {
        self.body = body.into();
        self
    }

    /// Sets a JSON body and `Content-Type: application/json`.
    pub fn json<T: serde::Serialize + ?Sized>(self, value: &T) -> Result<Self, TransportError> {
        let bytes = serde_json::to_vec(value).map_err(|error| {
            TransportError::new(
                ErrorKind::InvalidRequest,
                false,
                "cannot encode the JSON body",
            )
            .with_source(error)
        })?;
        Ok(self
            .header(
                http::header::CONTENT_TYPE,
                HeaderValue::from_static("application/json"),
            )
            .body(bytes))
    }

    /// Overrides the transport's response size cap for this request (for example to download
    /// a document's bytes, which may be far larger than any JSON reply).
    pub fn max_response_bytes(mut self, limit: usize) -> Self {
        self.max_response_bytes = Some(limit);
        self
    }

    /// The method.
    pub fn method(&self) -> &Method {
        &self.method
    }

    /// The URL.
    pub fn uri(&self) -> &Uri {
        &self.uri
    }

    /// The headers set by the caller.
    pub fn headers(&self) -> &HeaderMap {
        &self.headers
    }

    /// The headers, to change them in place (for layers such as authentication).
    pub fn headers_mut(&mut self) -> &mut HeaderMap {
        &mut self.headers
    }

    /// The body.
    pub fn body_ref(&self) -> &Body {
        &self.body
    }

    /// This request's response cap, if it overrides the transport's.
    pub fn response_limit(&self) -> Option<usize> {
        self.max_response_bytes
    }

    /// Splits the request for a backend.
    pub(crate) fn into_parts(self) -> (Method, Uri, HeaderMap, Body, Option<usize>) {
        (
            self.method,
            self.uri,
            self.headers,
            self.body,
            self.max_response_bytes,
        )
    }
}

impl std::fmt::Debug for Request {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let uri = format!(
            "{}://{}{}{}",
            self.uri.scheme_str().unwrap_or(""),
            self.uri.authority().map_or("", |a| a.as_str()),
            self.uri.path(),
            if self.uri.query().is_some() {
                "?..."
            } else {
                ""
            }
        );
        let headers: Vec<(&str, &str)> = self
            .headers
            .iter()
            .map(|(name, value)| {
                let secret = name == http::header::AUTHORIZATION
                    || name == http::header::COOKIE
                    || name == http::header::PROXY_AUTHORIZATION;
                let shown = if secret {
                    "<redacted>"
                } else {
                    value.to_str().unwrap_or("<binary>")
                };
                (name.as_str(), shown)
            })
            .collect();
        f.debug_struct("Request")
            .field("method", &self.method)
            .field("uri", &uri)
            .field("headers", &headers)
            .field("body", &self.body)
            .field("max_response_bytes", &self.max_response_bytes)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_output_hides_the_query_and_credentials() {
        let request = Request::put("https://print.example/uploadSessions/1?tempauthtoken=SECRET")
            .unwrap()
            .header_str(http::header::AUTHORIZATION, "Bearer TOKEN")
            .unwrap()
            .header_str(http::header::CONTENT_RANGE, "bytes 0-9/10")
            .unwrap();
        let shown = format!("{request:?}");
        assert!(
            !shown.contains("SECRET") && !shown.contains("TOKEN"),
            "{shown}"
        );
        assert!(
            shown.contains("https://print.example/uploadSessions/1?..."),
            "{shown}"
        );
        assert!(shown.contains("bytes 0-9/10"), "{shown}");
        let error = Request::get("ftp://host/x?tempauthtoken=SECRET").unwrap_err();
        assert!(
            !format!("{error} {error:?}").contains("SECRET"),
            "{error:?}"
        );
    }

    #[test]
    fn relative_or_non_http_urls_are_refused_before_sending() {
        for url in ["/print/printers", "ftp://host/x", "not a url", ""] {
            let error = Request::get(url).unwrap_err();
            assert_eq!(error.kind(), ErrorKind::InvalidRequest, "{url}");
            assert!(!error.may_have_been_sent());
        }
        assert!(
            Request::put("https://print.print.microsoft.com/uploadSessions/1?tempauthtoken=x")
                .is_ok()
        );
    }

    #[test]
    fn header_values_with_control_characters_are_refused() {
        let request = Request::get("http://127.0.0.1/").unwrap();
        let error = request
            .header_str(http::header::AUTHORIZATION, "Bearer a\nb")
            .unwrap_err();
        assert_eq!(error.kind(), ErrorKind::InvalidRequest);
    }

    #[test]
    fn json_body_sets_content_type() {
        let request = Request::post("http://127.0.0.1/x")
            .unwrap()
            .json(&serde_json::json!({"a": 1}))
            .unwrap();
        assert_eq!(
            request.headers()[http::header::CONTENT_TYPE],
            "application/json"
        );
        assert_eq!(request.body_ref().len(), 7);
    }
}
