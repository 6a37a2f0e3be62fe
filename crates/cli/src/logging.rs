//! Where diagnostics go: `tracing` events on stderr (never stdout, which carries the
//! commands' results and `serve`'s start-up lines), as text or one JSON object per line,
//! filtered by `--log-level` or `GRAPH_UPLOAD_LOG` (`tracing_subscriber::EnvFilter` syntax),
//! without ANSI colours unless stderr is a terminal.
//!
//! `serve` logs at `info` by default, so its request log and session events show; the other
//! commands at `warn`.

use clap::{Args, ValueEnum};
use std::io::IsTerminal;
use tracing_subscriber::EnvFilter;

/// How log lines look.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    /// `TIME LEVEL TARGET: message key=value ...`, one event per line.
    Text,
    /// One JSON object per line: `timestamp`, `level`, `target`, `message`, the event's
    /// fields, and `span` (the request an event happened in, with its `request_id`).
    Json,
}

/// The logging options every command takes.
#[derive(Debug, Args)]
pub struct LogArgs {
    /// Which events are logged on stderr: a level (`error`, `warn`, `info`, `debug`,
    /// `trace`, `off`) or EnvFilter directives such as
    /// `info,graph_upload_server::request=off` [default: `info` for serve, `warn` otherwise].
    #[arg(
        long,
        global = true,
        env = "GRAPH_UPLOAD_LOG",
        value_name = "FILTER",
        value_parser = parse_filter,
        display_order = 900
    )]
    log_level: Option<String>,
    /// How log lines look on stderr.
    #[arg(
        long,
        global = true,
        value_enum,
        default_value_t = LogFormat::Text,
        display_order = 901
    )]
    log_format: LogFormat,
}

/// Checks a filter when the command line is parsed, so a typo is a usage error.
fn parse_filter(text: &str) -> Result<String, String> {
    EnvFilter::builder()
        .parse(text)
        .map(|_| text.to_owned())
        .map_err(|error| {
            format!("not a log filter ({error}); try `info` or `warn,graph_upload_server=debug`")
        })
}

/// Installs the subscriber: `default_level` unless the user chose a filter.
pub fn init(args: &LogArgs, default_level: &str) {
    let filter = args
        .log_level
        .as_deref()
        .and_then(|text| EnvFilter::builder().parse(text).ok())
        .unwrap_or_else(|| EnvFilter::new(default_level));
    let ansi = std::io::stderr().is_terminal();
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(ansi);
    match args.log_format {
        LogFormat::Text => builder.init(),
        LogFormat::Json => builder
            .json()
            .flatten_event(true)
            .with_current_span(true)
            .with_span_list(false)
            .init(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filters_are_checked_when_parsed() {
        assert!(parse_filter("info").is_ok());
        assert!(parse_filter("warn,graph_upload_server::request=off").is_ok());
        let refused = parse_filter("info,[[[");
        assert!(
            refused
                .as_ref()
                .is_err_and(|error| error.starts_with("not a log filter")),
            "{refused:?}"
        );
    }
}
