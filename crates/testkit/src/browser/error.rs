//! What can go wrong while a test drives the browser, split by whose fault it is: the
//! DevTools connection, Chromium refusing a command, the page's own script, or time running
//! out. A test usually just `expect`s; the variants let the module's own tests (and a test
//! that expects a failure) tell the cases apart.

use std::time::Duration;

/// An error from [`Browser`](super::Browser) or [`Page`](super::Page).
#[derive(Debug, thiserror::Error)]
pub enum BrowserError {
    /// The DevTools websocket could not be used: it closed (Chromium exited, or the
    /// [`Browser`](super::Browser) was dropped) or carried something that is not CDP.
    #[error("DevTools connection: {0}")]
    Connection(String),
    /// Chromium answered a command with a protocol error.
    #[error("{method} failed: {message}")]
    Protocol {
        /// The CDP method, e.g. `Page.navigate`.
        method: String,
        /// Chromium's error message.
        message: String,
    },
    /// No answer or event came within the deadline.
    #[error("timed out after {after:?} waiting for {what}")]
    Timeout {
        /// What was awaited.
        what: String,
        /// How long it was awaited.
        after: Duration,
    },
    /// [`Page::wait_for`](super::Page::wait_for) never saw a truthy value.
    #[error("wait_for `{expression}` timed out after {after:?}; last value: {last}")]
    WaitTimeout {
        /// The JavaScript expression.
        expression: String,
        /// Its last value, or the exception its last evaluation threw.
        last: String,
        /// The timeout.
        after: Duration,
    },
    /// The page's script threw (or the awaited promise rejected); the text is the
    /// exception's description, with its stack when V8 gives one.
    #[error("script threw: {0}")]
    Script(String),
    /// Navigation failed before a document loaded (`net::ERR_CONNECTION_REFUSED`, ...).
    #[error("navigating to {url} failed: {error}")]
    Navigation {
        /// The URL, without its query and fragment (they may carry a token).
        url: String,
        /// Chromium's `errorText`.
        error: String,
    },
    /// No element matches the CSS selector.
    #[error("no element matches {0:?}")]
    NoSuchElement(String),
    /// The element exists but a user could not act on it: it has no size, another element
    /// covers its centre, or it cannot take the keyboard focus.
    #[error("element {selector:?} cannot be used: {why}")]
    NotInteractable {
        /// The CSS selector.
        selector: String,
        /// Why, in a few words.
        why: String,
    },
    /// Writing a screenshot failed.
    #[error("writing the screenshot: {0}")]
    Io(#[from] std::io::Error),
}
