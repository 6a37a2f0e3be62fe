//! One Chrome DevTools Protocol connection: JSON commands `{id, method, params, sessionId?}`
//! over the browser's websocket, each answered by a message with the same `id`; messages
//! without an `id` are events.
//!
//! A reader task routes answers to their callers and fans events out to whoever listens at
//! the moment (a [`Page::goto`](super::Page::goto) waiting for its load). Console errors are
//! recorded by the reader itself, so none is lost while no one listens. Every command has a
//! deadline, and a closed connection fails every command at once instead of letting it wait.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, Weak};
use std::time::Duration;

use futures_util::stream::{SplitSink, SplitStream};
use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio::net::TcpStream;
use tokio::sync::{broadcast, oneshot};
use tokio::task::JoinHandle;
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;

use super::console;
use super::error::BrowserError;

/// How long Chromium may take to answer one command.
pub(super) const ANSWER_TIMEOUT: Duration = Duration::from_secs(10);

/// The largest message accepted: a full-page screenshot arrives as one base64 message.
const MAX_MESSAGE: usize = 256 * 1024 * 1024;

/// Events buffered per listener; a listener that falls further behind skips some.
const EVENT_BUFFER: usize = 1024;

type Socket = WebSocketStream<TcpStream>;

/// The method of the event every listener receives when the connection closes (not a CDP
/// event: its `params` is the reason, as a string).
pub(super) const CLOSED: &str = "graph-upload.connectionClosed";

/// A CDP event.
#[derive(Debug)]
pub(super) struct Event {
    /// The page session it belongs to; `None` for browser-level events.
    pub session: Option<String>,
    /// E.g. `Page.loadEventFired`.
    pub method: String,
    /// The event's parameters.
    pub params: Value,
}

/// A websocket speaking CDP, shared by the browser and its pages.
pub(super) struct Connection {
    sink: tokio::sync::Mutex<SplitSink<Socket, Message>>,
    next_id: AtomicU64,
    state: Mutex<State>,
    events: broadcast::Sender<Arc<Event>>,
    reader: Mutex<Option<JoinHandle<()>>>,
}

/// What the reader task and the callers share.
#[derive(Default)]
struct State {
    /// Commands sent and not answered yet; the answer is the `result`, or the `error` message.
    pending: HashMap<u64, oneshot::Sender<Result<Value, String>>>,
    /// Why the connection is no longer usable, once it is not.
    closed: Option<String>,
    /// Console errors and uncaught exceptions, by page session.
    console_errors: HashMap<String, Vec<String>>,
}

impl Connection {
    /// Opens `ws://127.0.0.1:{port}{path}` and starts the reader task on the current runtime.
    pub(super) async fn connect(port: u16, path: &str) -> Result<Arc<Connection>, BrowserError> {
        let url = format!("ws://127.0.0.1:{port}{path}");
        let what = format!("the DevTools websocket {url}");
        let open = async {
            let tcp = TcpStream::connect(("127.0.0.1", port)).await?;
            tcp.set_nodelay(true)?;
            let config = WebSocketConfig::default()
                .max_message_size(Some(MAX_MESSAGE))
                .max_frame_size(Some(MAX_MESSAGE));
            let (socket, _) =
                tokio_tungstenite::client_async_with_config(url.as_str(), tcp, Some(config))
                    .await
                    .map_err(std::io::Error::other)?;
            Ok::<_, std::io::Error>(socket)
        };
        let socket = tokio::time::timeout(ANSWER_TIMEOUT, open)
            .await
            .map_err(|_| BrowserError::Timeout {
                what: what.clone(),
                after: ANSWER_TIMEOUT,
            })?
            .map_err(|e| BrowserError::Connection(format!("opening {what}: {e}")))?;
        let (sink, stream) = socket.split();
        let connection = Arc::new(Connection {
            sink: tokio::sync::Mutex::new(sink),
            next_id: AtomicU64::new(1),
            state: Mutex::new(State::default()),
            events: broadcast::channel(EVENT_BUFFER).0,
            reader: Mutex::new(None),
        });
        let reader = tokio::spawn(read_loop(Arc::downgrade(&connection), stream));
        *lock(&connection.reader) = Some(reader);
        Ok(connection)
    }

    /// Sends `method` with `params` (to a page when `session` is given) and waits for the
    /// answer's `result`.
    pub(super) async fn call(
        &self,
        session: Option<&str>,
        method: &str,
        params: Value,
    ) -> Result<Value, BrowserError> {
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        let (answer_tx, answer_rx) = oneshot::channel();
        {
            let mut state = lock(&self.state);
            if let Some(why) = &state.closed {
                return Err(BrowserError::Connection(why.clone()));
            }
            state.pending.insert(id, answer_tx);
        }
        let mut message = json!({ "id": id, "method": method, "params": params });
        if let Some(session) = session {
            message["sessionId"] = Value::from(session);
        }
        let exchange = async {
            self.sink
                .lock()
                .await
                .send(Message::text(message.to_string()))
                .await
                .map_err(|e| BrowserError::Connection(format!("sending {method}: {e}")))?;
            match answer_rx.await {
                Ok(Ok(result)) => Ok(result),
                Ok(Err(message)) => Err(BrowserError::Protocol {
                    method: method.to_owned(),
                    message,
                }),
                Err(_) => Err(BrowserError::Connection(self.closed_reason())),
            }
        };
        let outcome = tokio::time::timeout(ANSWER_TIMEOUT, exchange).await;
        lock(&self.state).pending.remove(&id);
        outcome.map_err(|_| BrowserError::Timeout {
            what: format!("the answer to {method}"),
            after: ANSWER_TIMEOUT,
        })?
    }

    /// A receiver of every event from now on. Subscribe before sending the command whose
    /// events you await, so that none slips by in between.
    pub(super) fn subscribe(&self) -> broadcast::Receiver<Arc<Event>> {
        self.events.subscribe()
    }

    /// The console errors recorded so far for `session`.
    pub(super) fn console_errors(&self, session: &str) -> Vec<String> {
        lock(&self.state)
            .console_errors
            .get(session)
            .cloned()
            .unwrap_or_default()
    }

    /// Stops the reader and fails every waiting and future command with `why`.
    pub(super) fn close(&self, why: &str) {
        if let Some(reader) = lock(&self.reader).take() {
            reader.abort();
        }
        self.mark_closed(why.to_owned());
    }

    fn closed_reason(&self) -> String {
        lock(&self.state)
            .closed
            .clone()
            .unwrap_or_else(|| "closed".to_owned())
    }
}

/// Reads messages until the websocket ends, then fails whatever still waits.
async fn read_loop(connection: Weak<Connection>, mut stream: SplitStream<Socket>) {
    let why = loop {
        let text = match stream.next().await {
            Some(Ok(Message::Text(text))) => text,
            Some(Ok(Message::Close(_))) | None => break "Chromium closed the connection".into(),
            Some(Ok(_)) => continue,
            Some(Err(e)) => break format!("reading from Chromium: {e}"),
        };
        let Some(connection) = connection.upgrade() else {
            return;
        };
        match serde_json::from_str::<Value>(text.as_str()) {
            Ok(message) => connection.dispatch(message),
            Err(e) => break format!("Chromium sent something that is not JSON: {e}"),
        }
    };
    if let Some(connection) = connection.upgrade() {
        connection.mark_closed(why);
    }
}

impl Connection {
    /// Routes one incoming message: an answer to its caller, an event to the listeners (and
    /// console errors to their page's record).
    fn dispatch(&self, mut message: Value) {
        if let Some(id) = message.get("id").and_then(Value::as_u64) {
            let answer = match message.get_mut("error") {
                Some(error) => Err(error
                    .get("message")
                    .and_then(Value::as_str)
                    .map_or_else(|| error.to_string(), str::to_owned)),
                None => Ok(message
                    .get_mut("result")
                    .map(Value::take)
                    .unwrap_or(Value::Null)),
            };
            if let Some(caller) = lock(&self.state).pending.remove(&id) {
                let _ = caller.send(answer);
            }
            return;
        }
        let Some(method) = message.get("method").and_then(Value::as_str) else {
            return;
        };
        let event = Event {
            session: message
                .get("sessionId")
                .and_then(Value::as_str)
                .map(str::to_owned),
            method: method.to_owned(),
            params: message
                .get_mut("params")
                .map(Value::take)
                .unwrap_or(Value::Null),
        };
        if let (Some(session), Some(error)) = (&event.session, console::error_of(&event)) {
            lock(&self.state)
                .console_errors
                .entry(session.clone())
                .or_default()
                .push(error);
        }
        // No listener is the usual case, not an error.
        let _ = self.events.send(Arc::new(event));
    }

    /// Records why the connection closed, drops every waiting caller's sender and tells every
    /// event listener, so that each sees the connection error at once.
    fn mark_closed(&self, why: String) {
        {
            let mut state = lock(&self.state);
            if state.closed.is_some() {
                return;
            }
            state.closed = Some(why.clone());
            state.pending.clear();
        }
        let _ = self.events.send(Arc::new(Event {
            session: None,
            method: CLOSED.to_owned(),
            params: Value::String(why),
        }));
    }
}

/// Locks `mutex`, also after a panic elsewhere (the data stays consistent: every critical
/// section is a single map or option update).
fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}
