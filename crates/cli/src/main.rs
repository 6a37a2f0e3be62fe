//! `graph-upload`: run the Graph upload-session emulator, and upload files through Graph.

#![forbid(unsafe_code)]
#![deny(clippy::unwrap_used, clippy::expect_used)]

mod ca_cert;
mod demo;
mod logging;
mod progress_view;
mod serve;
mod size;
mod upload;

use clap::{Parser, Subcommand};
use std::process::ExitCode;

/// Resumable, chunked uploads through Microsoft Graph upload sessions.
#[derive(Debug, Parser)]
#[command(name = "graph-upload", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
    #[command(flatten)]
    log: logging::LogArgs,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run the local emulator of Graph's print-document and To Do-attachment upload endpoints.
    Serve(serve::ServeArgs),
    /// Upload a file through Graph (or the emulator) and print the result as JSON.
    #[command(subcommand)]
    Upload(upload::UploadCommand),
    /// Start the emulator, upload a print document and a To Do attachment through it, check
    /// them byte for byte and print the throughput.
    Demo(demo::DemoArgs),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    // The emulator's request log shows by default; a client stays quiet but for warnings
    // (and the platform verifier's error for a certificate it refuses, which the command's
    // own one-line failure says already).
    let default_level = match cli.command {
        Command::Serve(_) => "info",
        _ => "warn,rustls_platform_verifier=off",
    };
    logging::init(&cli.log, default_level);
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("graph-upload: cannot start the async runtime: {error}");
            return ExitCode::FAILURE;
        }
    };
    let result = runtime.block_on(async {
        match cli.command {
            Command::Serve(args) => serve::run(args).await.map_err(upload::Failure::from),
            Command::Upload(command) => upload::run(command).await,
            Command::Demo(args) => demo::run(args).await.map_err(upload::Failure::from),
        }
    });
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(failure) => {
            eprintln!("graph-upload: {}", failure.message);
            // 130 = 128 + SIGINT, what shells report for an interrupted command.
            ExitCode::from(if failure.interrupted { 130 } else { 1 })
        }
    }
}
