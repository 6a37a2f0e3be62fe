//! Prints the `PUT`s a client sends to finish an upload session.
//!
//! ```sh
//! cargo run -p graph-upload-ranges --example plan -- 4533322                 # a fresh session
//! cargo run -p graph-upload-ranges --example plan -- 4533322 72797-4533321   # resume
//! cargo run -p graph-upload-ranges --example plan -- 20000000 8388608 --max-fragment 4194304  # To Do
//! ```
//!
//! Arguments: the file size, then the session's `nextExpectedRanges` (default: the whole
//! file), and optionally `--max-fragment BYTES` (default 10 MiB, Graph's print limit).

use graph_upload_ranges::{ContentRange, FragmentSize, RangeSet};
use std::process::ExitCode;

fn main() -> ExitCode {
    match run(std::env::args().skip(1).collect()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("plan: {message}");
            eprintln!("usage: plan SIZE [NEXT_EXPECTED_RANGE...] [--max-fragment BYTES]");
            ExitCode::from(2)
        }
    }
}

fn run(mut args: Vec<String>) -> Result<(), String> {
    let mut max_fragment: u64 = 10 * 1024 * 1024;
    if let Some(at) = args.iter().position(|a| a == "--max-fragment") {
        let value = args
            .get(at + 1)
            .ok_or("--max-fragment needs a number of bytes")?;
        max_fragment = value
            .parse()
            .map_err(|_| format!("--max-fragment: {value:?} is not a number of bytes"))?;
        args.drain(at..at + 2);
    }
    let (size, expected) = args.split_first().ok_or("the file size is missing")?;
    let size: u64 = size
        .parse()
        .map_err(|_| format!("{size:?} is not a file size in bytes"))?;
    let missing = if expected.is_empty() {
        RangeSet::from(0..size)
    } else {
        RangeSet::from_expected(expected, size).map_err(|error| with_source(&error))?
    };
    let fragment = FragmentSize::graph(max_fragment).map_err(|error| error.to_string())?;
    println!(
        "{size} bytes, {} missing in {} range(s), fragments of {} bytes:",
        missing.total_len(),
        missing.len(),
        fragment.get()
    );
    if size == 0 {
        println!(
            "PUT  Content-Length: 0  Content-Range: {}",
            ContentRange::empty(0)
        );
        return Ok(());
    }
    let mut count = 0;
    for span in fragment.plan(&missing) {
        let header = ContentRange::from_range(span, size).map_err(|error| error.to_string())?;
        println!(
            "PUT  Content-Length: {:>8}  Content-Range: {header}",
            header.len()
        );
        count += 1;
    }
    println!("{count} request(s)");
    Ok(())
}

/// The error and its cause, as `ExpectedRangesError` keeps the details in `source()`.
fn with_source(error: &dyn std::error::Error) -> String {
    match error.source() {
        Some(source) => format!("{error}: {}", with_source(source)),
        None => error.to_string(),
    }
}
