//! `graph-upload upload print|todo|drive|mail`: upload one or more files through Graph (or the
//! emulator) and print the results as JSON on stdout (one file: its object; several: one line
//! each, see `upload_run.rs`).

use crate::auth::AuthArgs;
use crate::journal_dir;
use crate::size::{Auto, parse_auto_parallel, parse_auto_size};
use crate::upload_files::{self, Directories, LocalFile, file_name};
use crate::upload_run::{self, FileTask, Plan, Printed, UploadOne};
use clap::{Args, Subcommand, ValueEnum};
use graph_upload::models::ConflictBehavior;
use graph_upload::transport::{
    Http2, HyperTransport, Request, ReqwestTransport, Transport, TransportConfig, header,
};
use graph_upload::{
    CancellationToken, DriveLocation, DriveOwner, EndpointProfile, LimitedTransport, OutlookItem,
    TokenProvider, UploadError, UploadSource, Uploader,
};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Which HTTP stack carries the requests.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum TransportChoice {
    /// reqwest (default).
    Reqwest,
    /// hyper 1.x.
    Hyper,
}

/// Which HTTP version carries the requests (`--http-version`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum HttpVersion {
    /// HTTP/1.1 (default): parallel fragments on parallel connections.
    #[value(name = "1.1")]
    Http1,
    /// HTTP/2 where the server offers it by ALPN (https); http:// stays HTTP/1.1.
    #[value(name = "2")]
    Http2,
    /// HTTP/2 without negotiation: h2c on http:// (the emulator speaks it), ALPN h2 alone on
    /// https.
    #[value(name = "2-prior-knowledge")]
    Http2PriorKnowledge,
}

impl From<HttpVersion> for Http2 {
    fn from(version: HttpVersion) -> Self {
        match version {
            HttpVersion::Http1 => Http2::Off,
            HttpVersion::Http2 => Http2::Prefer,
            HttpVersion::Http2PriorKnowledge => Http2::PriorKnowledge,
        }
    }
}

/// Options every upload shares.
#[derive(Debug, Args)]
pub struct CommonArgs {
    /// Graph's base URL, e.g. `https://graph.microsoft.com/v1.0` or `http://127.0.0.1:8080` (a URL
    /// without a path gets /v1.0).
    #[arg(long)]
    base_url: String,
    #[command(flatten)]
    auth: AuthArgs,
    /// The HTTP stack.
    #[arg(long, value_enum, default_value_t = TransportChoice::Reqwest)]
    transport: TransportChoice,
    /// The HTTP version: 1.1 (default), 2 (negotiated on https), or 2-prior-knowledge (h2c on
    /// http://). One connection carries the parallel fragments as HTTP/2 streams.
    #[arg(long, value_enum, default_value = "1.1")]
    http_version: HttpVersion,
    /// No progress on stderr.
    #[arg(long, short)]
    quiet: bool,
    /// Remember the session in this file: a run that was killed or interrupted (Ctrl-C) is
    /// continued by running the same command again, while the session has not expired. With
    /// several files (or a directory), a directory holding one journal per file (created if
    /// missing).
    #[arg(long, value_name = "PATH")]
    journal: Option<PathBuf>,
    /// Also trust the certificates of this PEM file (repeatable): the emulator's
    /// `DATA_DIR/cert.pem` of `serve --tls`, or a corporate proxy's CA.
    #[arg(long, value_name = "FILE")]
    ca_cert: Vec<PathBuf>,
    /// Requests in flight at once for the whole run, over all its files (each file's parallel
    /// fragments count); also the most files uploaded at once [default: 8, or print's
    /// --parallel when higher].
    #[arg(long, value_parser = clap::value_parser!(u16).range(1..=256))]
    max_in_flight: Option<u16>,
}

/// `upload` subcommands.
#[derive(Debug, Subcommand)]
pub enum UploadCommand {
    /// Upload a Universal Print document (creates the job unless --job is given, then starts it).
    ///
    /// Prints the printDocument as JSON on stdout, with the job it belongs to: `{"id", "displayName",
    /// "contentType", "size", ..., "jobId", "jobStarted"}`. Several files make one job each and
    /// print one JSON line each, with `"file"` (the local path), in the order given.
    #[command(after_help = PRINT_EXAMPLES)]
    Print(PrintArgs),
    /// Attach a file (0 to 25 MiB) to a To Do task.
    ///
    /// Prints the attachment as JSON on stdout (`{"id", "name", "contentType", "size", ...,
    /// "location"}`), or `{"location"}` alone when it cannot be read back. Several files make
    /// one attachment each and print one JSON line each, with `"file"`, in the order given.
    #[command(after_help = TODO_EXAMPLES)]
    Todo(TodoArgs),
    /// Upload a file into a OneDrive or SharePoint drive (in order, fragments under 60 MiB).
    ///
    /// Prints the driveItem as JSON on stdout (`{"id", "name", "size", "file", "parentReference",
    /// ...}`). Several files or a directory go into the folder `--path` (created if missing) and
    /// print one JSON line each, with `"file"` (the local path), in the order given.
    #[command(after_help = DRIVE_EXAMPLES)]
    Drive(DriveArgs),
    /// Attach a file (up to 150 MB) to an Outlook message or event; under 3 MB with one request.
    ///
    /// Prints the attachment as JSON on stdout (`{"id", "location", ...}`). Several files make
    /// one attachment each and print one JSON line each, with `"file"`, in the order given.
    #[command(after_help = MAIL_EXAMPLES)]
    Mail(MailArgs),
}

const DRIVE_EXAMPLES: &str = "\
Examples:
  # into the signed-in user's Documents folder, replacing a file of that name
  graph-upload upload drive --base-url http://127.0.0.1:8080 --token TOKEN \\
      --path /Documents/report.pdf --conflict replace report.pdf
  # into a SharePoint site's library, resumable
  graph-upload upload drive --base-url https://graph.microsoft.com/v1.0 \\
      --site SITE-ID --path /Shared/video.mp4 --journal video.journal video.mp4
  # a directory tree into /Documents/photos, 16 requests in flight, resumable per file
  graph-upload upload drive --base-url http://127.0.0.1:8080 --token TOKEN \\
      --path /Documents/photos --max-in-flight 16 --journal photos.journals ./photos";

const MAIL_EXAMPLES: &str = "\
Examples:
  graph-upload upload mail --base-url http://127.0.0.1:8080 --token TOKEN \\
      --message MESSAGE-ID slides.pptx notes.pdf
  # inline (referred to as cid:logo.png) on another user's event
  graph-upload upload mail --base-url https://graph.microsoft.com/v1.0 \\
      --user USER-ID --event EVENT-ID --inline logo.png";

const PRINT_EXAMPLES: &str = "\
Examples:
  # through the emulator (`graph-upload serve` prints its token), to a printer share
  graph-upload upload print --base-url http://127.0.0.1:8080 --token TOKEN \\
      --share 1c879027-5120-4aaf-954a-ebfd509a3bcc report.pdf
  # into an existing job's document on a printer, without starting the job; resumable
  graph-upload upload print --base-url https://graph.microsoft.com/v1.0 \\
      --printer PRINTER-ID --job JOB-ID --document DOC-ID --no-start --journal report.journal report.pdf";

const TODO_EXAMPLES: &str = "\
Examples:
  graph-upload upload todo --base-url http://127.0.0.1:8080 --token TOKEN \\
      --list b3d1f2a0-7c41-4a2e-8d6b-5e4f3c2b1a01 --task b3d1f2a0-7c41-4a2e-8d6b-5e4f3c2b1a02 notes.txt
  # several files, one attachment each, one JSON line each on stdout
  graph-upload upload todo --base-url http://127.0.0.1:8080 --token TOKEN \\
      --list LIST-ID --task TASK-ID *.csv
  # for another user, with an explicit media type
  GRAPH_UPLOAD_TOKEN=... graph-upload upload todo --base-url https://graph.microsoft.com/v1.0 \\
      --user USER-ID --list LIST-ID --task TASK-ID --content-type text/csv export.dat";

/// Options of `upload print`.
#[derive(Debug, Args)]
#[command(group(clap::ArgGroup::new("destination").required(true).args(["printer", "share"])))]
pub struct PrintArgs {
    #[command(flatten)]
    common: CommonArgs,
    /// Printer id (or --share).
    #[arg(long)]
    printer: Option<String>,
    /// Printer share id (or --printer).
    #[arg(long)]
    share: Option<String>,
    /// Existing job id (with --document).
    #[arg(long, requires = "document")]
    job: Option<String>,
    /// Existing document id of that job (with --job).
    #[arg(long, requires = "job")]
    document: Option<String>,
    /// Media type of the document (default: guessed from the file's extension, `.pdf` is
    /// application/pdf). Checked against the printer's capabilities before the job is created.
    #[arg(long)]
    content_type: Option<String>,
    /// Bytes per PUT: `auto` (adapts to the link, up to print's 10 MiB) or a fixed size in
    /// bytes or KiB/MiB/GiB, a multiple of 320 KiB (`--chunk-size` is an alias).
    #[arg(long, alias = "chunk-size", default_value = "auto", value_parser = parse_auto_size)]
    fragment_size: Auto<u64>,
    /// Fragments in flight at once: `auto` (adapts, up to print's 4) or 1 to 64.
    #[arg(long, default_value = "auto", value_parser = parse_auto_parallel)]
    parallel: Auto<usize>,
    /// Do not start the job after the upload.
    #[arg(long)]
    no_start: bool,
    /// The files to upload (one job per file).
    #[arg(required = true, value_name = "FILE")]
    files: Vec<PathBuf>,
}

/// Options of `upload todo`.
#[derive(Debug, Args)]
pub struct TodoArgs {
    #[command(flatten)]
    common: CommonArgs,
    /// User id (default: the signed-in user, /me).
    #[arg(long)]
    user: Option<String>,
    /// To Do list id.
    #[arg(long)]
    list: String,
    /// Task id.
    #[arg(long)]
    task: String,
    /// Media type of the attachment (default: guessed from the file's extension, else
    /// application/octet-stream).
    #[arg(long)]
    content_type: Option<String>,
    /// Bytes per PUT: `auto` (adapts to the link, up to To Do's 4 MiB) or a fixed size in
    /// bytes or KiB/MiB/GiB, a multiple of 320 KiB (`--chunk-size` is an alias).
    #[arg(long, alias = "chunk-size", default_value = "auto", value_parser = parse_auto_size)]
    fragment_size: Auto<u64>,
    /// Use an upload session even for a file under 3 MB (which otherwise goes as one request).
    #[arg(long)]
    force_session: bool,
    /// The files to upload (one attachment per file).
    #[arg(required = true, value_name = "FILE")]
    files: Vec<PathBuf>,
}

/// What `upload drive` does when the name exists.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ConflictChoice {
    /// Refuse (409 nameAlreadyExists).
    Fail,
    /// Replace the existing file's content.
    Replace,
    /// Keep both: the new file gets a free name.
    Rename,
}

impl From<ConflictChoice> for ConflictBehavior {
    fn from(choice: ConflictChoice) -> Self {
        match choice {
            ConflictChoice::Fail => ConflictBehavior::Fail,
            ConflictChoice::Replace => ConflictBehavior::Replace,
            ConflictChoice::Rename => ConflictBehavior::Rename,
        }
    }
}

/// Options of `upload drive`.
#[derive(Debug, Args)]
#[command(group(clap::ArgGroup::new("owner").args(["user", "drive", "group", "site"])))]
pub struct DriveArgs {
    #[command(flatten)]
    common: CommonArgs,
    /// Where the file goes, from the drive's root: `/Documents/report.pdf`. With several files
    /// or a directory, the folder they go into (`/Documents/photos`; a directory's files keep
    /// their paths below it, and missing folders are created).
    #[arg(long)]
    path: String,
    /// Another user's drive (default: the signed-in user's, /me/drive).
    #[arg(long)]
    user: Option<String>,
    /// A drive by id.
    #[arg(long)]
    drive: Option<String>,
    /// A group's drive.
    #[arg(long)]
    group: Option<String>,
    /// A SharePoint site's default library.
    #[arg(long)]
    site: Option<String>,
    /// When a file of that name exists (Graph's default: fail).
    #[arg(long, value_enum)]
    conflict: Option<ConflictChoice>,
    /// The item's description.
    #[arg(long)]
    description: Option<String>,
    /// Create the item only with an explicit commit after the last fragment.
    #[arg(long)]
    defer_commit: bool,
    /// Bytes per PUT: `auto` (adapts to the link, up to 61120 KiB) or a fixed size in bytes or
    /// KiB/MiB/GiB, a multiple of 320 KiB, under 60 MiB (`--chunk-size` is an alias).
    #[arg(long, alias = "chunk-size", default_value = "auto", value_parser = parse_auto_size)]
    fragment_size: Auto<u64>,
    /// The files to upload; a directory uploads the files under it, keeping their paths.
    #[arg(required = true, value_name = "FILE")]
    files: Vec<PathBuf>,
}

/// Options of `upload mail`.
#[derive(Debug, Args)]
#[command(group(clap::ArgGroup::new("item").required(true).args(["message", "event"])))]
pub struct MailArgs {
    #[command(flatten)]
    common: CommonArgs,
    /// Message id (or --event).
    #[arg(long)]
    message: Option<String>,
    /// Event id (or --message).
    #[arg(long)]
    event: Option<String>,
    /// User id (default: the signed-in user, /me).
    #[arg(long)]
    user: Option<String>,
    /// Inline attachment, referred to from the body as `cid:` and the file name.
    #[arg(long)]
    inline: bool,
    /// Media type of the attachment (default: guessed from the file's extension).
    #[arg(long)]
    content_type: Option<String>,
    /// Bytes per PUT: `auto` (adapts to the link, up to Outlook's 4 MB) or a fixed size in
    /// bytes or KiB/MiB/GiB, a multiple of 320 KiB (`--chunk-size` is an alias).
    #[arg(long, alias = "chunk-size", default_value = "auto", value_parser = parse_auto_size)]
    fragment_size: Auto<u64>,
    /// The files to upload (one attachment per file).
    #[arg(required = true, value_name = "FILE")]
    files: Vec<PathBuf>,
}

/// Why an upload command failed: one line for stderr, and whether it was interrupted (exit
/// code 130, as shells report a Ctrl-C).
#[derive(Debug)]
pub struct Failure {
    /// The line to print.
    pub message: String,
    /// Ctrl-C or SIGTERM ended it.
    pub interrupted: bool,
}

impl From<String> for Failure {
    fn from(message: String) -> Self {
        Failure {
            message,
            interrupted: false,
        }
    }
}

/// Runs an upload of one or more files; the JSON results go to stdout. Ctrl-C and SIGTERM
/// cancel every file.
pub async fn run(command: UploadCommand) -> Result<(), Failure> {
    let cancel = CancellationToken::new();
    let on_interrupt = cancel.clone();
    tokio::spawn(async move {
        crate::serve::shutdown_signal().await;
        on_interrupt.cancel();
    });
    match command {
        UploadCommand::Print(args) => upload_print(args, cancel).await,
        UploadCommand::Todo(args) => upload_todo(args, cancel).await,
        UploadCommand::Drive(args) => upload_drive(args, cancel).await,
        UploadCommand::Mail(args) => upload_mail(args, cancel).await,
    }
}

/// Whether the arguments make a run of several files: more than one, or a directory (its
/// output is JSON Lines whatever it holds).
fn several(files: &[PathBuf]) -> bool {
    files.len() > 1 || files.iter().any(|file| file.is_dir())
}

/// A flow's file-size check for [`upload_files::collect`], worded as the library words it.
fn size_limit(profile: EndpointProfile) -> impl Fn(u64) -> Result<(), String> {
    move |size| {
        profile
            .check(size)
            .map_err(|error| error.describe("--fragment-size"))
    }
}

/// What every run shares once its files are checked: the journal directory made, ONE
/// transport (one connection pool) under the `--max-in-flight` limit, the token provider and
/// ONE uploader over them.
struct Shared {
    plan: Plan,
    transport: Arc<dyn Transport>,
    provider: Arc<dyn TokenProvider>,
    uploader: Uploader,
}

/// `--max-in-flight` when not given: enough for one file's own `--parallel`.
const DEFAULT_MAX_IN_FLIGHT: usize = 8;

fn shared(
    common: &CommonArgs,
    label: &'static str,
    files: Vec<LocalFile>,
    several: bool,
) -> Result<Shared, Failure> {
    shared_with_default(common, label, files, several, DEFAULT_MAX_IN_FLIGHT)
}

/// [`shared`] with another default limit (print's `--parallel` may be higher than 8).
fn shared_with_default(
    common: &CommonArgs,
    label: &'static str,
    files: Vec<LocalFile>,
    several: bool,
    default_limit: usize,
) -> Result<Shared, Failure> {
    if several && let Some(directory) = &common.journal {
        journal_dir::prepare(directory)?;
    }
    let backend = common_transport(common)?;
    let limit = common.max_in_flight.map_or(default_limit, usize::from);
    let transport: Arc<dyn Transport> = Arc::new(LimitedTransport::new(backend, limit));
    let provider = common.auth.provider()?;
    let uploader = uploader(common, Arc::clone(&transport), Arc::clone(&provider))?;
    Ok(Shared {
        plan: Plan {
            label,
            files,
            several,
            quiet: common.quiet,
            max_in_flight: limit,
            journal: common.journal.clone(),
        },
        transport,
        provider,
        uploader,
    })
}

/// A flow's upload of one file as the runner takes it.
fn per_file<A, F>(args: A, upload: F) -> UploadOne
where
    A: Send + Sync + 'static,
    F: Fn(Arc<A>, FileTask) -> upload_run::Upload + Send + Sync + 'static,
{
    let args = Arc::new(args);
    Arc::new(move |task| upload(Arc::clone(&args), task))
}

/// The progress callback of `task` for a flow builder.
fn progress_of(task: &FileTask) -> impl Fn(graph_upload::ProgressEvent) + Send + Sync + 'static {
    let progress = Arc::clone(&task.progress);
    move |event| progress(event)
}

/// Checks the user's fixed fragment size before anything is sent, naming the flag.
fn check_fragment(profile: EndpointProfile, fragment_size: Auto<u64>) -> Result<(), Failure> {
    let Some(fragment_size) = fragment_size.fixed() else {
        return Ok(());
    };
    profile
        .with_max_fragment(fragment_size)
        .check_fragment()
        .map_err(|error| Failure::from(error.describe("--fragment-size")))
}

/// The media type of `file` by its extension (`report.pdf` is `application/pdf`).
fn guess_content_type(file: &Path) -> Option<String> {
    mime_guess::from_path(file).first_raw().map(str::to_owned)
}

/// `http://host:port` becomes `http://host:port/v1.0`; a URL with a path is kept.
pub fn api_base(url: &str) -> String {
    let trimmed = url.trim_end_matches('/');
    let after_scheme = trimmed.split_once("://").map_or(trimmed, |(_, rest)| rest);
    if after_scheme.contains('/') {
        trimmed.to_owned()
    } else {
        format!("{trimmed}/v1.0")
    }
}

/// The process's one transport (one connection pool) for the service at `--base-url`: the
/// uploader's requests and the CLI's own (reading an attachment back) share it.
fn common_transport(common: &CommonArgs) -> Result<Arc<dyn Transport>, String> {
    let config =
        crate::ca_cert::transport_config(&common.ca_cert)?.http2(common.http_version.into());
    Ok(transport(common.transport, config, &common.ca_cert)?.0)
}

/// The transport the user picked, built from `config` (which trusts the certificates of
/// `ca_certs`, named in errors), and for reqwest its client, whose pool a streamed download
/// can share.
pub fn transport(
    choice: TransportChoice,
    config: TransportConfig,
    ca_certs: &[PathBuf],
) -> Result<(Arc<dyn Transport>, Option<reqwest::Client>), String> {
    let explain = |error| crate::ca_cert::explain(ca_certs, error);
    Ok(match choice {
        TransportChoice::Reqwest => {
            let transport = ReqwestTransport::new(config).map_err(explain)?;
            let client = transport.client().clone();
            (Arc::new(transport), Some(client))
        }
        TransportChoice::Hyper => (
            Arc::new(HyperTransport::new(config).map_err(explain)?),
            None,
        ),
    })
}

fn open_source(file: &Path) -> Result<UploadSource, String> {
    UploadSource::from_path(file)
        .map_err(|error| format!("cannot read {}: {error}", file.display()))
}

/// The one line printed for a failed upload. When a journal holds the session, every failure
/// that a later run can continue says so.
fn describe(error: UploadError, journal: Option<&Path>) -> Failure {
    let interrupted = matches!(error, UploadError::Cancelled);
    // The journal exists only while it names a session (it was checked to be ours before the
    // first request); input errors are not cured by running the same command again.
    let keeps = journal.filter(|journal| {
        journal.is_file()
            && !matches!(
                error,
                UploadError::Journal(_) | UploadError::Invalid(_) | UploadError::SessionGone
            )
    });
    let message = match (error, keeps) {
        (UploadError::Cancelled, None) => {
            "cancelled: what the upload created was removed".to_string()
        }
        (UploadError::Cancelled, Some(journal)) => format!(
            "interrupted: {} keeps the session; run the same command again to resume",
            journal.display()
        ),
        (error, Some(journal)) => format!(
            "{error}; {} keeps the session: run the same command again to resume",
            journal.display()
        ),
        (error, None) => error.to_string(),
    };
    Failure {
        message,
        interrupted,
    }
}

async fn upload_print(args: PrintArgs, cancel: CancellationToken) -> Result<(), Failure> {
    check_fragment(EndpointProfile::print(), args.fragment_size)?;
    let several = several(&args.files);
    if several && args.job.is_some() {
        return Err(Failure::from(
            "--job and --document name one document: give one file with them".to_string(),
        ));
    }
    let files = upload_files::collect(
        &args.files,
        Directories::Refuse("print"),
        size_limit(EndpointProfile::print()),
    )?;
    if args.printer.is_none() && args.share.is_none() {
        return Err(Failure::from("give --printer or --share".to_string()));
    }
    // One file's --parallel is never cut by the default limit; an explicit one rules.
    let default_limit = DEFAULT_MAX_IN_FLIGHT.max(args.parallel.fixed().unwrap_or(0));
    let shared = shared_with_default(&args.common, "print", files, several, default_limit)?;
    let uploader = shared.uploader;
    let upload = per_file(args, move |args, task| {
        let uploader = uploader.clone();
        Box::pin(async move { print_one(&args, &uploader, task).await })
    });
    upload_run::run(shared.plan, cancel, upload).await
}

async fn print_one(
    args: &PrintArgs,
    uploader: &Uploader,
    task: FileTask,
) -> Result<Printed, Failure> {
    let file = &task.file.path;
    let source = open_source(file)?;
    let content_type = args
        .content_type
        .clone()
        .or_else(|| guess_content_type(file))
        .unwrap_or_else(|| "application/octet-stream".into());
    let builder = match (&args.printer, &args.share) {
        (Some(printer), _) => uploader.print_to_printer(printer),
        (None, Some(share)) => uploader.print_to_share(share),
        (None, None) => return Err(Failure::from("give --printer or --share".to_string())),
    };
    let uploaded = builder
        .content_type(content_type)
        .document_name(file_name(file))
        .start_job(!args.no_start)
        .set_parallel(args.parallel.fixed())
        .set_fragment_size(args.fragment_size.fixed())
        .set_job(args.job.clone().zip(args.document.clone()))
        .set_journal(task.journal.clone())
        .on_progress(progress_of(&task))
        .cancel_on(task.cancel.clone())
        .upload(&source)
        .await
        .map_err(|error| describe(error, task.journal.as_deref()))?;
    let value = print_value(&uploaded.item).map_err(|error| Failure::from(error.to_string()))?;
    Ok(Printed {
        value,
        pretty: true,
    })
}

async fn upload_todo(args: TodoArgs, cancel: CancellationToken) -> Result<(), Failure> {
    check_fragment(EndpointProfile::todo(), args.fragment_size)?;
    let several = several(&args.files);
    let files = upload_files::collect(
        &args.files,
        Directories::Refuse("todo"),
        size_limit(EndpointProfile::todo()),
    )?;
    let shared = shared(&args.common, "todo", files, several)?;
    let (uploader, transport, provider) = (shared.uploader, shared.transport, shared.provider);
    let upload = per_file(args, move |args, task| {
        let uploader = uploader.clone();
        let transport = Arc::clone(&transport);
        let provider = Arc::clone(&provider);
        Box::pin(async move { todo_one(&args, &uploader, &*transport, &*provider, task).await })
    });
    upload_run::run(shared.plan, cancel, upload).await
}

async fn todo_one(
    args: &TodoArgs,
    uploader: &Uploader,
    transport: &dyn Transport,
    provider: &dyn TokenProvider,
    task: FileTask,
) -> Result<Printed, Failure> {
    let file = &task.file.path;
    let source = open_source(file)?;
    let uploaded = match &args.user {
        Some(user) => uploader.todo_attachment_for_user(user, &args.list, &args.task),
        None => uploader.todo_attachment(&args.list, &args.task),
    }
    .name(file_name(file))
    .set_content_type(
        args.content_type
            .clone()
            .or_else(|| guess_content_type(file)),
    )
    .set_fragment_size(args.fragment_size.fixed())
    .force_session(args.force_session)
    .set_journal(task.journal.clone())
    .on_progress(progress_of(&task))
    .cancel_on(task.cancel.clone())
    .upload(&source)
    .await
    .map_err(|error| describe(error, task.journal.as_deref()))?;
    // The provider caches: the attachment's GET does not ask Azure again.
    let token = provider
        .token()
        .await
        .map(|token| token.secret().to_owned())
        .unwrap_or_default();
    Ok(attachment_value(transport, &uploaded.item.location, &token).await)
}

/// Where each file goes in a drive: `--path` itself for one file; for several, `--path` is
/// the folder and each file keeps its path below its directory argument. Every destination is
/// checked (names, and no two files to one place) before anything is sent.
fn drive_destinations(
    args: &DriveArgs,
    owner: &DriveOwner,
    files: &[LocalFile],
    several: bool,
) -> Result<Vec<String>, Failure> {
    let folder = args.path.trim_end_matches('/');
    let mut seen: HashMap<String, &Path> = HashMap::new();
    let mut destinations = Vec::with_capacity(files.len());
    for file in files {
        let destination = if several {
            format!("{folder}/{}", file.relative)
        } else {
            args.path.clone()
        };
        DriveLocation::path(destination.clone())
            .address(owner)
            .map_err(|error| Failure::from(format!("{}: {error}", file.path.display())))?;
        // Drives compare names without case.
        if let Some(other) = seen.insert(destination.to_lowercase(), &file.path) {
            return Err(Failure::from(format!(
                "{} and {} would both be uploaded to {destination}",
                other.display(),
                file.path.display()
            )));
        }
        destinations.push(destination);
    }
    Ok(destinations)
}

async fn upload_drive(args: DriveArgs, cancel: CancellationToken) -> Result<(), Failure> {
    check_fragment(EndpointProfile::drive(), args.fragment_size)?;
    let owner = match (&args.user, &args.drive, &args.group, &args.site) {
        (Some(user), ..) => DriveOwner::User(user.clone()),
        (_, Some(drive), ..) => DriveOwner::Drive(drive.clone()),
        (_, _, Some(group), _) => DriveOwner::Group(group.clone()),
        (_, _, _, Some(site)) => DriveOwner::Site(site.clone()),
        _ => DriveOwner::Me,
    };
    let several = several(&args.files);
    let files = upload_files::collect(
        &args.files,
        Directories::Expand,
        size_limit(EndpointProfile::drive()),
    )?;
    let destinations = drive_destinations(&args, &owner, &files, several)?;
    let shared = shared(&args.common, "drive", files, several)?;
    if several {
        // The folders the files go into, made once each before the uploads start.
        let folders = destinations
            .iter()
            .filter_map(|destination| destination.rsplit_once('/').map(|(folder, _)| folder));
        shared
            .uploader
            .ensure_drive_folders(&owner, folders, &cancel)
            .await
            .map_err(|error| describe(error, None))?;
    }
    let by_file: HashMap<PathBuf, String> = shared
        .plan
        .files
        .iter()
        .map(|file| file.path.clone())
        .zip(destinations)
        .collect();
    let uploader = shared.uploader;
    let upload = per_file(args, move |args, task| {
        let uploader = uploader.clone();
        let owner = owner.clone();
        let destination = by_file.get(&task.file.path).cloned().unwrap_or_default();
        Box::pin(async move { drive_one(&args, &uploader, owner, destination, task).await })
    });
    upload_run::run(shared.plan, cancel, upload).await
}

async fn drive_one(
    args: &DriveArgs,
    uploader: &Uploader,
    owner: DriveOwner,
    destination: String,
    task: FileTask,
) -> Result<Printed, Failure> {
    let source = open_source(&task.file.path)?;
    let uploaded = uploader
        .drive_item(owner, DriveLocation::path(destination))
        .set_conflict(args.conflict.map(ConflictBehavior::from))
        .set_description(args.description.clone())
        .defer_commit(args.defer_commit)
        .set_fragment_size(args.fragment_size.fixed())
        .set_journal(task.journal.clone())
        .on_progress(progress_of(&task))
        .cancel_on(task.cancel.clone())
        .upload(&source)
        .await
        .map_err(|error| describe(error, task.journal.as_deref()))?;
    let value =
        serde_json::to_value(&uploaded.item).map_err(|error| Failure::from(error.to_string()))?;
    Ok(Printed {
        value,
        pretty: true,
    })
}

async fn upload_mail(args: MailArgs, cancel: CancellationToken) -> Result<(), Failure> {
    check_fragment(EndpointProfile::outlook(), args.fragment_size)?;
    if args.message.is_none() && args.event.is_none() {
        return Err(Failure::from("give --message or --event".to_string()));
    }
    let several = several(&args.files);
    let files = upload_files::collect(
        &args.files,
        Directories::Refuse("mail"),
        size_limit(EndpointProfile::outlook()),
    )?;
    let shared = shared(&args.common, "mail", files, several)?;
    let uploader = shared.uploader;
    let upload = per_file(args, move |args, task| {
        let uploader = uploader.clone();
        Box::pin(async move { mail_one(&args, &uploader, task).await })
    });
    upload_run::run(shared.plan, cancel, upload).await
}

async fn mail_one(
    args: &MailArgs,
    uploader: &Uploader,
    task: FileTask,
) -> Result<Printed, Failure> {
    let item = match (&args.message, &args.event) {
        (Some(message), _) => OutlookItem::Message(message.clone()),
        (None, Some(event)) => OutlookItem::Event(event.clone()),
        (None, None) => return Err(Failure::from("give --message or --event".to_string())),
    };
    let file = &task.file.path;
    let source = open_source(file)?;
    let name = file_name(file);
    let uploaded = uploader
        .outlook_attachment(item)
        .set_user(args.user.clone())
        .name(name.clone())
        .set_content_type(
            args.content_type
                .clone()
                .or_else(|| guess_content_type(file)),
        )
        .set_inline(args.inline.then_some(name))
        .set_fragment_size(args.fragment_size.fixed())
        .set_journal(task.journal.clone())
        .on_progress(progress_of(&task))
        .cancel_on(task.cancel.clone())
        .upload(&source)
        .await
        .map_err(|error| describe(error, task.journal.as_deref()))?;
    Ok(Printed {
        value: serde_json::json!({
            "id": uploaded.item.id,
            "location": uploaded.item.location,
            "size": source.len(),
        }),
        pretty: true,
    })
}

/// `upload print`'s output: the printDocument with `jobId` and `jobStarted` beside its own
/// members, so that `size` and `id` stay where a reader of Graph's printDocument finds them.
pub fn print_json(printed: &graph_upload::PrintedDocument) -> Result<String, serde_json::Error> {
    serde_json::to_string_pretty(&print_value(printed)?)
}

/// [`print_json`] before it is written out.
fn print_value(
    printed: &graph_upload::PrintedDocument,
) -> Result<serde_json::Value, serde_json::Error> {
    let mut value = serde_json::to_value(&printed.document)?;
    if let serde_json::Value::Object(members) = &mut value {
        members.insert("jobId".into(), printed.job_id.clone().into());
        members.insert("jobStarted".into(), printed.started.into());
    }
    Ok(value)
}

/// The uploader for the common options, with the token from `provider`.
fn uploader(
    common: &CommonArgs,
    transport: Arc<dyn Transport>,
    provider: Arc<dyn TokenProvider>,
) -> Result<Uploader, Failure> {
    Uploader::builder(api_base(&common.base_url))
        .token_provider(provider)
        .transport(transport)
        .build()
        .map_err(|error| Failure::from(error.to_string()))
}

/// The attachment as JSON (GET its Location); its URL alone if that fails.
pub async fn attachment_json(transport: &dyn Transport, location: &str, token: &str) -> String {
    let printed = attachment_value(transport, location, token).await;
    let text = if printed.pretty {
        serde_json::to_string_pretty(&printed.value)
    } else {
        serde_json::to_string(&printed.value)
    };
    text.unwrap_or_else(|_| serde_json::json!({ "location": location }).to_string())
}

/// [`attachment_json`] before it is written out: the attachment with its `location`
/// (indented), else `{"location"}` alone (one line).
async fn attachment_value(transport: &dyn Transport, location: &str, token: &str) -> Printed {
    let fallback = Printed {
        value: serde_json::json!({ "location": location }),
        pretty: false,
    };
    let Ok(request) = Request::get(location)
        .and_then(|r| r.header_str(header::AUTHORIZATION, &format!("Bearer {token}")))
    else {
        return fallback;
    };
    match transport.send(request).await {
        Ok(response) if response.status().is_success() => {
            match response.json::<serde_json::Value>() {
                Ok(mut value) if value.is_object() => {
                    value["location"] = serde_json::Value::String(location.to_owned());
                    Printed {
                        value,
                        pretty: true,
                    }
                }
                _ => fallback,
            }
        }
        _ => fallback,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chunk_size_is_an_alias_of_fragment_size() {
        #[derive(clap::Parser)]
        struct Upload {
            #[command(subcommand)]
            command: UploadCommand,
        }
        for flag in ["--fragment-size", "--chunk-size"] {
            let parsed = <Upload as clap::Parser>::try_parse_from([
                "upload",
                "todo",
                "--base-url",
                "http://h",
                "--token",
                "t",
                "--list",
                "l",
                "--task",
                "t",
                flag,
                "640KiB",
                "f.bin",
            ])
            .unwrap_or_else(|error| panic!("{flag}: {error}"));
            let UploadCommand::Todo(args) = parsed.command else {
                panic!("{flag}: not todo");
            };
            assert_eq!(args.fragment_size, Auto(Some(640 * 1024)), "{flag}");
        }
    }

    #[derive(clap::Parser)]
    struct Upload {
        #[command(subcommand)]
        command: UploadCommand,
    }

    fn parse(args: &[&str]) -> Result<UploadCommand, clap::Error> {
        let mut all = vec!["upload"];
        all.extend_from_slice(args);
        all.extend_from_slice(&["--base-url", "http://h", "--token", "t"]);
        <Upload as clap::Parser>::try_parse_from(all).map(|upload| upload.command)
    }

    #[test]
    fn drive_takes_a_path_one_owner_and_a_conflict_behaviour() {
        let UploadCommand::Drive(args) = parse(&[
            "drive",
            "--path",
            "/Documents/report.pdf",
            "--site",
            "S",
            "--conflict",
            "rename",
            "--defer-commit",
            "r.pdf",
        ])
        .expect("parses") else {
            panic!("not drive");
        };
        assert_eq!(args.path, "/Documents/report.pdf");
        assert_eq!(args.site.as_deref(), Some("S"));
        assert_eq!(args.conflict, Some(ConflictChoice::Rename));
        assert!(args.defer_commit);
        assert_eq!(args.fragment_size, Auto(None), "adapts by default");
        assert!(
            parse(&["drive", "--path", "/a", "--user", "u", "--drive", "d", "f"]).is_err(),
            "one owner at most"
        );
        assert!(parse(&["drive", "f"]).is_err(), "--path is required");
        assert!(
            parse(&["drive", "--path", "/a", "--conflict", "keep", "f"]).is_err(),
            "fail, replace or rename"
        );
    }

    #[test]
    fn mail_takes_exactly_one_of_message_and_event() {
        let UploadCommand::Mail(args) = parse(&[
            "mail", "--event", "E", "--user", "U", "--inline", "logo.png",
        ])
        .expect("parses") else {
            panic!("not mail");
        };
        assert_eq!(args.event.as_deref(), Some("E"));
        assert_eq!(args.user.as_deref(), Some("U"));
        assert!(args.inline);
        assert!(parse(&["mail", "f"]).is_err(), "a message or an event");
        assert!(parse(&["mail", "--message", "M", "--event", "E", "f"]).is_err());
        let UploadCommand::Todo(todo) =
            parse(&["todo", "--list", "l", "--task", "t", "--force-session", "f"]).expect("parses")
        else {
            panic!("not todo");
        };
        assert!(todo.force_session);
    }

    #[test]
    fn every_flow_takes_several_files_and_one_limit_for_the_run() {
        let UploadCommand::Drive(args) = parse(&[
            "drive",
            "--path",
            "/Documents/photos",
            "--max-in-flight",
            "16",
            "a.jpg",
            "photos",
        ])
        .expect("parses") else {
            panic!("not drive");
        };
        assert_eq!(
            args.files,
            [PathBuf::from("a.jpg"), PathBuf::from("photos")]
        );
        assert_eq!(args.common.max_in_flight, Some(16));
        let UploadCommand::Todo(todo) =
            parse(&["todo", "--list", "l", "--task", "t", "a", "b", "c"]).expect("parses")
        else {
            panic!("not todo");
        };
        assert_eq!(todo.files.len(), 3);
        assert_eq!(
            todo.common.max_in_flight, None,
            "the default is chosen per flow"
        );
        assert!(
            parse(&["todo", "--list", "l", "--task", "t"]).is_err(),
            "a file at least"
        );
        assert!(
            parse(&["mail", "--message", "m", "--max-in-flight", "0", "f"]).is_err(),
            "at least one request in flight"
        );
    }

    #[test]
    fn a_bare_host_gets_the_v1_prefix() {
        assert_eq!(
            api_base("http://127.0.0.1:8080"),
            "http://127.0.0.1:8080/v1.0"
        );
        assert_eq!(
            api_base("http://127.0.0.1:8080/"),
            "http://127.0.0.1:8080/v1.0"
        );
        assert_eq!(
            api_base("https://graph.microsoft.com/beta"),
            "https://graph.microsoft.com/beta"
        );
    }
}
