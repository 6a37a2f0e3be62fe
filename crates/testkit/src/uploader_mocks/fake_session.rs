//! One Graph upload session as a `wiremock` responder.

use super::received::header;
use super::replies::error_reply;
use super::session_spec::{Completion, RangeStyle, SessionSpec, Step};
use graph_upload_ranges::{ContentRange, RangeSet};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use wiremock::{Request, Respond, ResponseTemplate};

/// What the session holds and how far its script has gone.
#[derive(Debug)]
struct SessionState {
    spec: SessionSpec,
    received: RangeSet,
    completed: bool,
    deleted: bool,
    puts: usize,
    gets: usize,
    deletes: usize,
    on_put: HashMap<usize, Step>,
    on_get: HashMap<usize, Step>,
}

impl SessionState {
    /// The status body (of a fragment's reply or a `GET`) as the session is now.
    fn status_body(&self) -> serde_json::Value {
        self.spec.style.status_body(&self.received, self.spec.size)
    }
}

/// One fake upload session (cheap to clone: the clones share the state).
#[derive(Debug, Clone)]
pub struct FakeSession {
    state: Arc<Mutex<SessionState>>,
}

impl FakeSession {
    /// A session as `spec` describes.
    pub fn new(spec: SessionSpec) -> Self {
        let mut received = RangeSet::new();
        for span in &spec.preloaded {
            received.insert(span.clone());
        }
        FakeSession {
            state: Arc::new(Mutex::new(SessionState {
                spec,
                received,
                completed: false,
                deleted: false,
                puts: 0,
                gets: 0,
                deletes: 0,
                on_put: HashMap::new(),
                on_get: HashMap::new(),
            })),
        }
    }

    /// Scripts the `ordinal`-th PUT (1-based).
    pub fn on_put(self, ordinal: usize, step: Step) -> Self {
        self.lock().on_put.insert(ordinal, step);
        self
    }

    /// Scripts the `ordinal`-th GET (1-based).
    pub fn on_get(self, ordinal: usize, step: Step) -> Self {
        self.lock().on_get.insert(ordinal, step);
        self
    }

    /// Mounts the session on `server` (every request whose path starts with the session
    /// path).
    pub async fn mount(&self, server: &wiremock::MockServer) {
        let prefix = self.lock().spec.session_path.clone();
        let under_prefix = move |request: &Request| {
            let path = request.url.path();
            path.strip_prefix(prefix.as_str())
                .is_some_and(|rest| rest.is_empty() || rest.starts_with('/'))
        };
        wiremock::Mock::given(under_prefix)
            .respond_with(self.clone())
            .mount(server)
            .await;
    }

    /// The `nextExpectedRanges` of the session as it is now, in its style.
    pub fn expected_ranges(&self) -> Vec<String> {
        let state = self.lock();
        state.spec.style.ranges(&state.received, state.spec.size)
    }

    /// Whether the last byte arrived.
    pub fn completed(&self) -> bool {
        self.lock().completed
    }

    /// Whether a DELETE arrived.
    pub fn deleted(&self) -> bool {
        self.lock().deleted
    }

    /// What the server holds.
    pub fn received(&self) -> RangeSet {
        self.lock().received.clone()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, SessionState> {
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

impl Respond for FakeSession {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        let mut state = self.lock();
        let path = request.url.path().to_string();
        let authorization = header(request, "authorization");
        match &state.spec.bearer {
            Some(token) if authorization.as_deref() != Some(&format!("Bearer {token}")) => {
                return error_reply(401, "InvalidAuthenticationToken", "missingToken");
            }
            None if authorization.is_some() => {
                // The emulator's answer to a client leaking its token to the print URL.
                return error_reply(401, "unauthenticated", "tokenSentToUploadUrl");
            }
            _ => {}
        }
        if state.completed || state.deleted {
            return error_reply(404, "itemNotFound", "sessionGone");
        }
        match request.method.as_str() {
            "PUT" if path == state.spec.put_path => {
                state.puts += 1;
                let ordinal = state.puts;
                match state.on_put.remove(&ordinal) {
                    None => put(&mut state, request),
                    Some(Step::Reply(template)) => template,
                    Some(Step::StoreThenReply(template)) => {
                        let _ = put(&mut state, request);
                        template
                    }
                    Some(Step::StoreThenDelay(delay)) => put(&mut state, request).set_delay(delay),
                    Some(Step::StoreThenForget(span)) => {
                        let _ = put(&mut state, request);
                        state.received.subtract(span);
                        if state.completed {
                            state.completed = false;
                        }
                        progress_reply(&state)
                    }
                }
            }
            "GET" if path == state.spec.session_path => {
                state.gets += 1;
                let ordinal = state.gets;
                match state.on_get.remove(&ordinal) {
                    Some(Step::Reply(template)) => template,
                    Some(other) => panic!("GET steps can only be replies: {other:?}"),
                    None => ResponseTemplate::new(200).set_body_json(state.status_body()),
                }
            }
            "DELETE" if path == state.spec.session_path => {
                state.deletes += 1;
                state.deleted = true;
                ResponseTemplate::new(204)
            }
            _ => error_reply(400, "invalidRequest", "wrongMethodOrPath"),
        }
    }
}

/// The normal handling of a fragment, as the emulator does it.
fn put(state: &mut SessionState, request: &Request) -> ResponseTemplate {
    let size = state.spec.size;
    let Some(content_range) = header(request, "content-range") else {
        return error_reply(400, "invalidRequest", "missingContentRange");
    };
    let Ok(range) = content_range.parse::<ContentRange>() else {
        return error_reply(400, "invalidRequest", "badContentRange");
    };
    if range.total() != Some(size) || range.len() != request.body.len() as u64 {
        return error_reply(400, "invalidRequest", "fragmentLengthMismatch");
    }
    match range.span() {
        None if size == 0 => {
            state.completed = true;
            return completion(state);
        }
        None => return error_reply(400, "invalidRequest", "emptyFragment"),
        Some(span) => {
            if state.received.overlaps(&span) {
                return error_reply(416, "invalidRange", "fragmentOverlap");
            }
            if state.spec.style == RangeStyle::StartOnlyPascal {
                let next = state
                    .received
                    .missing(size)
                    .as_slice()
                    .first()
                    .map(|s| s.start);
                if next != Some(span.start) {
                    return error_reply(416, "invalidRange", "fragmentOutOfOrder");
                }
            }
            state.received.insert(span);
        }
    }
    if state.received.missing(size).is_empty() {
        state.completed = true;
        completion(state)
    } else {
        progress_reply(state)
    }
}

/// The reply to an accepted fragment that does not complete the session.
fn progress_reply(state: &SessionState) -> ResponseTemplate {
    ResponseTemplate::new(state.spec.style.progress_status()).set_body_json(state.status_body())
}

/// The reply to the fragment that completes the session.
fn completion(state: &SessionState) -> ResponseTemplate {
    match &state.spec.completion {
        Completion::PrintDocument(document) => {
            ResponseTemplate::new(201).set_body_json(document.clone())
        }
        Completion::Location(location) => {
            ResponseTemplate::new(201).insert_header("Location", location.as_str())
        }
    }
}
