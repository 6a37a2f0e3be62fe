//! One tab, driven as a user would: navigate, read the DOM, click with the mouse, type into
//! fields, take screenshots. Each page is a CDP target with its own flat session on the
//! browser's one websocket.

use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use base64::Engine as _;
use serde_json::{Value, json};
use tokio::sync::broadcast::error::RecvError;

use super::cdp::{CLOSED, Connection};
use super::console::exception_text;
use super::error::BrowserError;

/// How long a page may take to load (its `load` event) after navigation starts.
pub const LOAD_TIMEOUT: Duration = Duration::from_secs(20);

/// How often [`Page::wait_for`] re-evaluates its expression.
const POLL: Duration = Duration::from_millis(25);

/// The longest value quoted in a [`BrowserError::WaitTimeout`].
const QUOTE: usize = 300;

/// The size of the window a page is shown in, in CSS pixels, and whether it is a phone's.
/// The device pixel ratio is 1, so a screenshot's pixels are CSS pixels.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Viewport {
    /// Width in CSS pixels.
    pub width: u32,
    /// Height in CSS pixels.
    pub height: u32,
    /// A mobile device: the page's `<meta name="viewport">` is honoured (without one, a
    /// mobile page is laid out 980 px wide and scaled down, as on a real phone).
    pub mobile: bool,
}

impl Viewport {
    /// A laptop's window: 1280 × 800.
    pub const LAPTOP: Viewport = Viewport {
        width: 1280,
        height: 800,
        mobile: false,
    };
    /// A phone held upright: 390 × 844 (an iPhone 12 to 14's CSS size), mobile.
    pub const PHONE: Viewport = Viewport {
        width: 390,
        height: 844,
        mobile: true,
    };
}

/// A tab of a [`Browser`](super::Browser). Every method has a deadline: CDP answers within
/// 10 s, page loads within [`LOAD_TIMEOUT`].
pub struct Page {
    connection: Arc<Connection>,
    session: String,
    viewport: Viewport,
}

impl std::fmt::Debug for Page {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Page")
            .field("session", &self.session)
            .field("viewport", &self.viewport)
            .finish_non_exhaustive()
    }
}

impl Page {
    /// Creates a target, attaches a flat session to it and sets the viewport.
    pub(super) async fn open(
        connection: Arc<Connection>,
        viewport: Viewport,
    ) -> Result<Page, BrowserError> {
        let created = connection
            // Its own window: a second tab in one window would hide the first
            // (`document.hidden`), and pages that pause while hidden would stop.
            .call(
                None,
                "Target.createTarget",
                json!({ "url": "about:blank", "newWindow": true }),
            )
            .await?;
        let target = string_field(&created, "targetId", "Target.createTarget")?;
        let attached = connection
            .call(
                None,
                "Target.attachToTarget",
                json!({ "targetId": target, "flatten": true }),
            )
            .await?;
        let session = string_field(&attached, "sessionId", "Target.attachToTarget")?;
        let page = Page {
            connection,
            session,
            viewport,
        };
        page.call("Page.enable", json!({})).await?;
        page.call("Page.setLifecycleEventsEnabled", json!({ "enabled": true }))
            .await?;
        page.call("Runtime.enable", json!({})).await?;
        page.call(
            "Emulation.setDeviceMetricsOverride",
            json!({
                "width": viewport.width,
                "height": viewport.height,
                "deviceScaleFactor": 1,
                "mobile": viewport.mobile,
            }),
        )
        .await?;
        Ok(page)
    }

    /// The viewport the page was opened with.
    pub fn viewport(&self) -> Viewport {
        self.viewport
    }

    /// Navigates to `url` and waits for the new document's `load` event. A URL that differs
    /// from the current one only by its `#fragment` is a same-document navigation: it loads
    /// nothing, so this returns once the URL changed (the page's `hashchange` handlers run
    /// just after: [`wait_for`](Page::wait_for) what they do). HTTP redirects are followed;
    /// a document that navigates away by script before its own `load` times out.
    pub async fn goto(&self, url: &str) -> Result<(), BrowserError> {
        // Listen first: the load may be reported before the navigation's answer.
        let mut events = self.connection.subscribe();
        let navigated = self.call("Page.navigate", json!({ "url": url })).await?;
        if let Some(error) = navigated.get("errorText").and_then(Value::as_str) {
            return Err(BrowserError::Navigation {
                url: redacted(url),
                error: error.to_owned(),
            });
        }
        // Chromium omits the loader of a same-document navigation: there is no new document.
        let Some(loader) = navigated.get("loaderId").and_then(Value::as_str) else {
            return Ok(());
        };
        let frame = navigated.get("frameId").and_then(Value::as_str);
        // The `load` of this navigation's document: neither a frame's nor the old document's.
        let loaded = async {
            loop {
                let event = match events.recv().await {
                    Ok(event) => event,
                    Err(RecvError::Lagged(_)) => continue,
                    Err(RecvError::Closed) => {
                        return Err(BrowserError::Connection("closed".into()));
                    }
                };
                if event.method == CLOSED {
                    return Err(BrowserError::Connection(event.params.to_string()));
                }
                let params = &event.params;
                if event.session.as_deref() == Some(self.session.as_str())
                    && event.method == "Page.lifecycleEvent"
                    && params.get("name").and_then(Value::as_str) == Some("load")
                    && params.get("loaderId").and_then(Value::as_str) == Some(loader)
                    && params.get("frameId").and_then(Value::as_str) == frame
                {
                    return Ok(());
                }
            }
        };
        tokio::time::timeout(LOAD_TIMEOUT, loaded)
            .await
            .map_err(|_| BrowserError::Timeout {
                what: format!("the load event of {}", redacted(url)),
                after: LOAD_TIMEOUT,
            })?
    }

    /// Evaluates the JavaScript expression `js` in the page and returns its value as JSON,
    /// after awaiting it when it is a promise (`undefined` is `null`; `NaN`, `Infinity`,
    /// `-0` and bigints are their text). A thrown exception or a rejected promise is
    /// [`BrowserError::Script`] with the exception's text.
    pub async fn eval(&self, js: &str) -> Result<Value, BrowserError> {
        self.evaluate(js).await.map(|(value, _)| value)
    }

    /// Evaluates `js` every 25 ms until its value is truthy (in JavaScript's sense) and
    /// returns that value. Evaluations that throw count as falsy, so an element that does
    /// not exist yet can be waited for. Once `timeout` has passed (and one last evaluation,
    /// which may end a little later), [`BrowserError::WaitTimeout`] names the expression and
    /// its last value or exception.
    pub async fn wait_for(&self, js: &str, timeout: Duration) -> Result<Value, BrowserError> {
        let deadline = Instant::now() + timeout;
        loop {
            let last = match self.evaluate(js).await {
                Ok((value, true)) => return Ok(value),
                Ok((value, false)) => value.to_string(),
                Err(BrowserError::Script(thrown)) => format!("threw {thrown}"),
                // A navigation replaced the page's context between two evaluations.
                Err(BrowserError::Protocol { message, .. }) => message,
                Err(other) => return Err(other),
            };
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return Err(BrowserError::WaitTimeout {
                    expression: js.to_owned(),
                    last: quoted(&last),
                    after: timeout,
                });
            }
            tokio::time::sleep(left.min(POLL)).await;
        }
    }

    /// Clicks the first element matching the CSS `selector` as a user would: scrolls it into
    /// the middle of the viewport, then presses and releases the left mouse button at its
    /// centre, so the page sees trusted `mousedown`, `mouseup` and `click` events. Fails if
    /// nothing matches, or if the element has no size or something else covers its centre.
    pub async fn click(&self, selector: &str) -> Result<(), BrowserError> {
        let (x, y) = self.centre_of(selector).await?;
        let mut pointer = json!({ "type": "mouseMoved", "x": x, "y": y });
        self.call("Input.dispatchMouseEvent", pointer.clone())
            .await?;
        for (kind, buttons) in [("mousePressed", 1), ("mouseReleased", 0)] {
            pointer["type"] = json!(kind);
            pointer["button"] = json!("left");
            pointer["buttons"] = json!(buttons);
            pointer["clickCount"] = json!(1);
            self.call("Input.dispatchMouseEvent", pointer.clone())
                .await?;
        }
        Ok(())
    }

    /// Replaces the text of the field matching `selector` with `text` as a user would type
    /// it: focuses the field, selects what it holds and inserts `text` in its place (an empty
    /// `text` is a Backspace), so the page's `beforeinput` and `input` handlers run. Like a
    /// user who has not left the field yet, it fires no `change`: click elsewhere for that.
    pub async fn fill(&self, selector: &str, text: &str) -> Result<(), BrowserError> {
        let script = format!(
            "((selector) => {{
                const element = document.querySelector(selector);
                if (element === null) return null;
                element.scrollIntoView({{ block: 'center', inline: 'center', behavior: 'instant' }});
                element.focus();
                if (document.activeElement !== element) return 'it cannot take the focus';
                if (typeof element.select === 'function') element.select();
                else document.execCommand('selectAll');
                return '';
            }})({})",
            js_string(selector)
        );
        match self.eval(&script).await? {
            Value::String(why) if why.is_empty() => {}
            Value::String(why) => {
                return Err(BrowserError::NotInteractable {
                    selector: selector.to_owned(),
                    why,
                });
            }
            _ => return Err(BrowserError::NoSuchElement(selector.to_owned())),
        }
        if text.is_empty() {
            for kind in ["rawKeyDown", "keyUp"] {
                let key = json!({
                    "type": kind, "key": "Backspace", "code": "Backspace",
                    "windowsVirtualKeyCode": 8, "nativeVirtualKeyCode": 8,
                });
                self.call("Input.dispatchKeyEvent", key).await?;
            }
        } else {
            self.call("Input.insertText", json!({ "text": text }))
                .await?;
        }
        Ok(())
    }

    /// Writes a PNG of the whole page to `path`: the viewport, or the document's full size
    /// when it is larger (one CSS pixel per image pixel).
    pub async fn screenshot(&self, path: &Path) -> Result<(), BrowserError> {
        let metrics = self.call("Page.getLayoutMetrics", json!({})).await?;
        let content = metrics.get("cssContentSize");
        let size = |axis: &str, least: u32| {
            let css = content
                .and_then(|size| size.get(axis))
                .and_then(Value::as_f64)
                .unwrap_or(0.0);
            css.ceil().max(f64::from(least))
        };
        let clip = json!({
            "x": 0, "y": 0, "scale": 1,
            "width": size("width", self.viewport.width),
            "height": size("height", self.viewport.height),
        });
        let shot = self
            .call(
                "Page.captureScreenshot",
                json!({ "format": "png", "captureBeyondViewport": true, "clip": clip }),
            )
            .await?;
        let data = shot.get("data").and_then(Value::as_str).ok_or_else(|| {
            BrowserError::Connection("Page.captureScreenshot answered without data".into())
        })?;
        let png = base64::engine::general_purpose::STANDARD
            .decode(data)
            .map_err(|e| BrowserError::Connection(format!("screenshot data: {e}")))?;
        std::fs::write(path, png)?;
        Ok(())
    }

    /// Saves what this page downloads (a click on a link to a file, `<a download>`) into
    /// `dir`, under the name the server or the link gives, instead of refusing it as headless
    /// Chromium does by default. A download in progress is a `.crdownload` file beside it.
    pub async fn allow_downloads(&self, dir: &Path) -> Result<(), BrowserError> {
        self.connection
            .call(
                None,
                "Browser.setDownloadBehavior",
                json!({ "behavior": "allow", "downloadPath": dir.to_string_lossy() }),
            )
            .await?;
        Ok(())
    }

    /// Every `console.error` (and failed `console.assert`) and every uncaught exception the
    /// page reported so far, oldest first, including those of earlier documents in this tab.
    /// A dashboard whose script fails should fail its test: assert this is empty.
    pub async fn console_errors(&self) -> Vec<String> {
        // A round trip: whatever the page reported before its answer has been recorded.
        let _ = self
            .call("Runtime.evaluate", json!({ "expression": "0" }))
            .await;
        self.connection.console_errors(&self.session)
    }

    /// Sends `method` to this page's session.
    async fn call(&self, method: &str, params: Value) -> Result<Value, BrowserError> {
        self.connection
            .call(Some(&self.session), method, params)
            .await
    }

    /// Evaluates `js`: its value and whether JavaScript deems it truthy.
    async fn evaluate(&self, js: &str) -> Result<(Value, bool), BrowserError> {
        let answer = self
            .call(
                "Runtime.evaluate",
                json!({ "expression": js, "awaitPromise": true, "returnByValue": true }),
            )
            .await?;
        if let Some(details) = answer.get("exceptionDetails") {
            return Err(BrowserError::Script(exception_text(details)));
        }
        let result = answer.get("result").unwrap_or(&Value::Null);
        if let Some(text) = result.get("unserializableValue").and_then(Value::as_str) {
            let falsy = matches!(text, "NaN" | "-0" | "0n" | "-0n");
            return Ok((Value::String(text.to_owned()), !falsy));
        }
        let value = result.get("value").cloned().unwrap_or(Value::Null);
        let truthy = match &value {
            Value::Null => false,
            Value::Bool(b) => *b,
            Value::Number(n) => n.as_f64().is_some_and(|n| n != 0.0),
            Value::String(s) => !s.is_empty(),
            Value::Array(_) | Value::Object(_) => true,
        };
        Ok((value, truthy))
    }

    /// Scrolls the element into view and returns its centre in viewport coordinates, after
    /// checking that a click there would reach it.
    async fn centre_of(&self, selector: &str) -> Result<(f64, f64), BrowserError> {
        let script = format!(
            "((selector) => {{
                const element = document.querySelector(selector);
                if (element === null) return null;
                element.scrollIntoView({{ block: 'center', inline: 'center', behavior: 'instant' }});
                const box = element.getBoundingClientRect();
                const x = box.left + box.width / 2, y = box.top + box.height / 2;
                if (box.width === 0 || box.height === 0) return {{ x, y, why: 'it has no size' }};
                const hit = document.elementFromPoint(x, y);
                if (hit === null) return {{ x, y, why: 'its centre is outside the viewport' }};
                if (!element.contains(hit)) {{
                    const name = hit.tagName.toLowerCase() + (hit.id ? '#' + hit.id : '');
                    return {{ x, y, why: 'its centre is covered by <' + name + '>' }};
                }}
                return {{ x, y, why: '' }};
            }})({})",
            js_string(selector)
        );
        let found = self.eval(&script).await?;
        if found.is_null() {
            return Err(BrowserError::NoSuchElement(selector.to_owned()));
        }
        let why = found.get("why").and_then(Value::as_str).unwrap_or("");
        if !why.is_empty() {
            return Err(BrowserError::NotInteractable {
                selector: selector.to_owned(),
                why: why.to_owned(),
            });
        }
        let coordinate = |axis: &str| found.get(axis).and_then(Value::as_f64).unwrap_or(0.0);
        Ok((coordinate("x"), coordinate("y")))
    }
}

/// The string field `name` of a CDP answer to `method`.
fn string_field(answer: &Value, name: &str, method: &str) -> Result<String, BrowserError> {
    answer
        .get(name)
        .and_then(Value::as_str)
        .map(str::to_owned)
        .ok_or_else(|| BrowserError::Connection(format!("{method} answered without {name}")))
}

/// `text` as a JavaScript string literal (JSON's string syntax is JavaScript's).
fn js_string(text: &str) -> String {
    Value::from(text).to_string()
}

/// `url` without its query and fragment, which may carry a token (`/_emulator/#token=T`).
fn redacted(url: &str) -> String {
    match url.find(['?', '#']) {
        Some(at) => format!("{}{}…", &url[..at], &url[at..=at]),
        None => url.to_owned(),
    }
}

/// `text` cut to [`QUOTE`] characters.
fn quoted(text: &str) -> String {
    match text.char_indices().nth(QUOTE) {
        Some((at, _)) => format!("{}…", &text[..at]),
        None => text.to_owned(),
    }
}
