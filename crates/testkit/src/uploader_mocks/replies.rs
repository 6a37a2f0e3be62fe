//! Graph's error bodies, and a responder that plays a fixed script.

use std::collections::VecDeque;
use std::sync::Mutex;
use wiremock::{Request, Respond, ResponseTemplate};

/// Graph's error body.
pub fn graph_error(code: &str, inner: &str) -> serde_json::Value {
    serde_json::json!({
        "error": {
            "code": code,
            "message": format!("test server: {code}/{inner}"),
            "innerError": {"code": inner, "request-id": "00000000-0000-0000-0000-000000000000",
                           "date": "2026-01-01T00:00:00"}
        }
    })
}

/// A reply with Graph's error body.
pub fn error_reply(status: u16, code: &str, inner: &str) -> ResponseTemplate {
    ResponseTemplate::new(status).set_body_json(graph_error(code, inner))
}

/// Plays `replies` in order, then repeats the last one.
#[derive(Debug)]
pub struct Scripted {
    replies: Mutex<VecDeque<ResponseTemplate>>,
}

impl Scripted {
    /// A responder for `replies` (at least one).
    pub fn new(replies: impl IntoIterator<Item = ResponseTemplate>) -> Self {
        let replies: VecDeque<_> = replies.into_iter().collect();
        assert!(!replies.is_empty(), "a script needs at least one reply");
        Scripted {
            replies: Mutex::new(replies),
        }
    }
}

impl Respond for Scripted {
    fn respond(&self, _request: &Request) -> ResponseTemplate {
        let mut replies = self.replies.lock().unwrap_or_else(|p| p.into_inner());
        if replies.len() > 1 {
            replies
                .pop_front()
                .unwrap_or_else(|| ResponseTemplate::new(500))
        } else {
            replies
                .front()
                .cloned()
                .unwrap_or_else(|| ResponseTemplate::new(500))
        }
    }
}
