//! What the page's script reports as going wrong, as one line of text each: `console.error`
//! (and failed `console.assert`) calls, uncaught exceptions, and the exception an evaluation
//! threw. A dashboard with a JavaScript error should fail its test, and the test's message
//! should show the error as the page's developer console would.

use serde_json::Value;

use super::cdp::Event;

/// The text of `event` when it reports an error: `Runtime.consoleAPICalled` of type `error`
/// or `assert`, or `Runtime.exceptionThrown`.
pub(super) fn error_of(event: &Event) -> Option<String> {
    match event.method.as_str() {
        "Runtime.consoleAPICalled" => {
            let kind = event.params.get("type").and_then(Value::as_str)?;
            if kind != "error" && kind != "assert" {
                return None;
            }
            let args = event.params.get("args").and_then(Value::as_array);
            let words: Vec<String> = args.into_iter().flatten().map(remote_text).collect();
            Some(format!("console.{kind}: {}", words.join(" ")))
        }
        "Runtime.exceptionThrown" => event.params.get("exceptionDetails").map(exception_text),
        _ => None,
    }
}

/// The text of a CDP `ExceptionDetails`: "Uncaught Error: boom" with V8's stack after it
/// when there is one.
pub(super) fn exception_text(details: &Value) -> String {
    let text = details.get("text").and_then(Value::as_str).unwrap_or("");
    match details.get("exception") {
        // `text` is only "Uncaught" (or "Uncaught (in promise)"); the exception says what.
        Some(exception) => format!("{text} {}", remote_text(exception))
            .trim()
            .to_owned(),
        None => text.to_owned(),
    }
}

/// A CDP `RemoteObject` as `console.log` would print it: a string as itself, an error with
/// its stack, anything else by its value or description.
fn remote_text(object: &Value) -> String {
    if let Some(text) = object.get("value").and_then(Value::as_str) {
        return text.to_owned();
    }
    if let Some(text) = object.get("description").and_then(Value::as_str) {
        return text.to_owned();
    }
    if let Some(value) = object.get("value") {
        return value.to_string();
    }
    if let Some(text) = object.get("unserializableValue").and_then(Value::as_str) {
        return text.to_owned();
    }
    object
        .get("type")
        .and_then(Value::as_str)
        .unwrap_or("?")
        .to_owned()
}
