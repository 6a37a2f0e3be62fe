//! Project automation, run as `cargo xtask <command>` (alias in `.cargo/config.toml`).
//!
//! Kept to two dependencies so that it builds in seconds on a fresh machine.

mod ci;
mod codegen;
mod release;
mod schema;
mod workspace;

use std::process::ExitCode;

const USAGE: &str = "\
usage: cargo xtask <command>

commands:
  codegen [--check]    write crates/models/src/generated.rs from crates/models/schema/graph.json
                       (--check: exit 1 when the checked-in file is stale, write nothing)
  release --dry-run    check versions, then `cargo publish --dry-run` every publishable crate
                       in dependency order
  ci                   run .ci/run (format, lints, tests, codegen check)";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let result = match args.as_slice() {
        ["codegen"] => codegen::run(codegen::Mode::Write),
        ["codegen", "--check"] => codegen::run(codegen::Mode::Check),
        ["release", "--dry-run"] => release::dry_run(),
        ["release", ..] => Err(
            "only `release --dry-run` exists: publishing is done by hand after it passes".into(),
        ),
        ["ci"] => ci::run(),
        ["help" | "--help" | "-h"] => {
            println!("{USAGE}");
            Ok(())
        }
        _ => Err(format!("unknown command {args:?}\n\n{USAGE}")),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("xtask: {message}");
            ExitCode::FAILURE
        }
    }
}
