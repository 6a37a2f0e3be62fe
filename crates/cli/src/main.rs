//! `graph-upload`: run the Graph upload-session emulator, and upload files through Graph.

#![forbid(unsafe_code)]
#![cfg_attr(not(test), deny(clippy::unwrap_used, clippy::expect_used))]

mod auth;
mod ca_cert;
mod demo;
mod journal_dir;
mod logging;
mod progress_view;
mod serve;
mod size;
mod upload;
mod upload_args;
mod upload_files;
mod upload_run;

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
    #[command(after_help = SERVE_EXAMPLES)]
    Serve(serve::ServeArgs),
    /// Upload a file through Graph (or the emulator) and print the result as JSON.
    #[command(subcommand, after_help = UPLOAD_EXAMPLES)]
    Upload(upload::UploadCommand),
    /// Start the emulator, upload a print document and a To Do attachment through it, check
    /// them byte for byte and print the throughput.
    #[command(after_help = DEMO_EXAMPLES)]
    Demo(demo::DemoArgs),
    /// Print a completion script for a shell.
    #[command(after_help = COMPLETIONS_EXAMPLES)]
    Completions {
        /// The shell.
        shell: clap_complete::Shell,
    },
}

const SERVE_EXAMPLES: &str = "\
Examples:
  graph-upload serve                                   # 127.0.0.1:8080, ./graph-upload-data
  graph-upload serve --listen 127.0.0.1:0 --data-dir /tmp/graph --token secret
  graph-upload serve --latency 40 --bandwidth 10MiB --faults faults.json --fault-seed 7";

const UPLOAD_EXAMPLES: &str = "\
Examples:
  graph-upload upload print --base-url http://127.0.0.1:8080 --token TOKEN --share SHARE-ID report.pdf
  graph-upload upload todo --base-url http://127.0.0.1:8080 --token TOKEN --list LIST-ID --task TASK-ID notes.txt
  graph-upload upload drive --base-url http://127.0.0.1:8080 --token TOKEN --path /Documents/report.pdf report.pdf
  graph-upload upload mail --base-url http://127.0.0.1:8080 --token TOKEN --message MESSAGE-ID slides.pptx";

const DEMO_EXAMPLES: &str = "\
Examples:
  graph-upload demo
  graph-upload demo --size 4GiB --fragment-size 5MiB --parallel 8 --transport hyper";

const COMPLETIONS_EXAMPLES: &str = "\
Examples:
  graph-upload completions bash > ~/.local/share/bash-completion/completions/graph-upload
  graph-upload completions zsh > ~/.zfunc/_graph-upload
  graph-upload completions fish > ~/.config/fish/completions/graph-upload.fish";

fn main() -> ExitCode {
    let cli = Cli::parse();
    if let Command::Completions { shell } = cli.command {
        let mut command = <Cli as clap::CommandFactory>::command();
        clap_complete::generate(shell, &mut command, "graph-upload", &mut std::io::stdout());
        return ExitCode::SUCCESS;
    }
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
            Command::Completions { .. } => Ok(()),
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
