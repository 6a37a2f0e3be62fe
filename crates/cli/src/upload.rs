//! `graph-upload upload print|todo|drive|mail`: upload a file through Graph (or the emulator) and print
//! the result as JSON on stdout.

use crate::auth::AuthArgs;
use crate::progress_view::reporter;
use crate::size::parse_size;
use clap::{Args, Subcommand, ValueEnum};
use graph_upload::models::ConflictBehavior;
use graph_upload::transport::{
    Http2, HyperTransport, Request, ReqwestTransport, Transport, TransportConfig, header,
};
use graph_upload::{
    CancellationToken, DriveLocation, DriveOwner, EndpointProfile, OutlookItem, TokenProvider,
    UploadError, UploadSource, Uploader,
};
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
    /// continued by running the same command again, while the session has not expired.
    #[arg(long)]
    journal: Option<PathBuf>,
    /// Also trust the certificates of this PEM file (repeatable): the emulator's
    /// `DATA_DIR/cert.pem` of `serve --tls`, or a corporate proxy's CA.
    #[arg(long, value_name = "FILE")]
    ca_cert: Vec<PathBuf>,
}

/// `upload` subcommands.
#[derive(Debug, Subcommand)]
pub enum UploadCommand {
    /// Upload a Universal Print document (creates the job unless --job is given, then starts it).
    ///
    /// Prints the printDocument as JSON on stdout, with the job it belongs to: `{"id", "displayName",
    /// "contentType", "size", ..., "jobId", "jobStarted"}`.
    #[command(after_help = PRINT_EXAMPLES)]
    Print(PrintArgs),
    /// Attach a file (0 to 25 MiB) to a To Do task.
    ///
    /// Prints the attachment as JSON on stdout (`{"id", "name", "contentType", "size", ...,
    /// "location"}`), or `{"location"}` alone when it cannot be read back.
    #[command(after_help = TODO_EXAMPLES)]
    Todo(TodoArgs),
    /// Upload a file into a OneDrive or SharePoint drive (in order, fragments under 60 MiB).
    ///
    /// Prints the driveItem as JSON on stdout (`{"id", "name", "size", "file", "parentReference",
    /// ...}`).
    #[command(after_help = DRIVE_EXAMPLES)]
    Drive(DriveArgs),
    /// Attach a file (up to 150 MB) to an Outlook message or event; under 3 MB with one request.
    ///
    /// Prints the attachment as JSON on stdout (`{"id", "location", ...}`).
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
      --site SITE-ID --path /Shared/video.mp4 --journal video.journal video.mp4";

const MAIL_EXAMPLES: &str = "\
Examples:
  graph-upload upload mail --base-url http://127.0.0.1:8080 --token TOKEN \\
      --message MESSAGE-ID slides.pptx
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
    /// Largest fragment per PUT: bytes or KiB/MiB/GiB, a multiple of 320 KiB, at most print's
    /// 10 MiB (`--chunk-size` is an alias).
    #[arg(long, alias = "chunk-size", default_value = "10MiB", value_parser = parse_size)]
    fragment_size: u64,
    /// Fragments in flight at once.
    #[arg(long, default_value_t = 4, value_parser = clap::value_parser!(u16).range(1..=64))]
    parallel: u16,
    /// Do not start the job after the upload.
    #[arg(long)]
    no_start: bool,
    /// The file to upload.
    file: PathBuf,
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
    /// Largest fragment per PUT: bytes or KiB/MiB/GiB, a multiple of 320 KiB, at most To Do's
    /// 4 MiB (`--chunk-size` is an alias).
    #[arg(long, alias = "chunk-size", default_value = "4MiB", value_parser = parse_size)]
    fragment_size: u64,
    /// Use an upload session even for a file under 3 MB (which otherwise goes as one request).
    #[arg(long)]
    force_session: bool,
    /// The file to upload.
    file: PathBuf,
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
    /// Where the file goes, from the drive's root: `/Documents/report.pdf`.
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
    /// Largest fragment per PUT: bytes or KiB/MiB/GiB, a multiple of 320 KiB, under 60 MiB
    /// (default 61120 KiB; `--chunk-size` is an alias).
    #[arg(long, alias = "chunk-size", value_parser = parse_size)]
    fragment_size: Option<u64>,
    /// The file to upload.
    file: PathBuf,
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
    /// Largest fragment per PUT: bytes or KiB/MiB/GiB, a multiple of 320 KiB, at most
    /// Outlook's 4 MB (`--chunk-size` is an alias).
    #[arg(long, alias = "chunk-size", value_parser = parse_size)]
    fragment_size: Option<u64>,
    /// The file to upload.
    file: PathBuf,
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

/// Runs an upload; the JSON result goes to stdout. Ctrl-C and SIGTERM cancel it.
pub async fn run(command: UploadCommand) -> Result<(), Failure> {
    let cancel = CancellationToken::new();
    let on_interrupt = cancel.clone();
    tokio::spawn(async move {
        crate::serve::shutdown_signal().await;
        on_interrupt.cancel();
    });
    let json = match command {
        UploadCommand::Print(args) => upload_print(args, cancel).await?,
        UploadCommand::Todo(args) => upload_todo(args, cancel).await?,
        UploadCommand::Drive(args) => upload_drive(args, cancel).await?,
        UploadCommand::Mail(args) => upload_mail(args, cancel).await?,
    };
    println!("{json}");
    Ok(())
}

/// Checks the user's fragment size before anything is sent, naming the flag.
fn check_fragment(profile: EndpointProfile, fragment_size: u64) -> Result<(), Failure> {
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

fn file_name(file: &Path) -> String {
    file.file_name()
        .map_or_else(|| "document".into(), |n| n.to_string_lossy().into_owned())
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

async fn upload_print(args: PrintArgs, cancel: CancellationToken) -> Result<String, Failure> {
    check_fragment(EndpointProfile::print(), args.fragment_size)?;
    let source = open_source(&args.file)?;
    let content_type = args
        .content_type
        .clone()
        .or_else(|| guess_content_type(&args.file))
        .unwrap_or_else(|| "application/octet-stream".into());
    let provider = args.common.auth.provider()?;
    let uploader = uploader(&args.common, common_transport(&args.common)?, provider)?;
    let builder = match (&args.printer, &args.share) {
        (Some(printer), _) => uploader.print_to_printer(printer),
        (None, Some(share)) => uploader.print_to_share(share),
        (None, None) => return Err(Failure::from("give --printer or --share".to_string())),
    };
    let uploaded = builder
        .content_type(content_type)
        .document_name(file_name(&args.file))
        .start_job(!args.no_start)
        .parallel(usize::from(args.parallel))
        .fragment_size(args.fragment_size)
        .set_job(args.job.clone().zip(args.document.clone()))
        .set_journal(args.common.journal.clone())
        .on_progress(reporter("print", args.common.quiet, source.len()))
        .cancel_on(cancel)
        .upload(&source)
        .await
        .map_err(|error| describe(error, args.common.journal.as_deref()))?;
    print_json(&uploaded.item).map_err(|error| Failure::from(error.to_string()))
}

async fn upload_todo(args: TodoArgs, cancel: CancellationToken) -> Result<String, Failure> {
    check_fragment(EndpointProfile::todo(), args.fragment_size)?;
    let source = open_source(&args.file)?;
    let transport = common_transport(&args.common)?;
    let provider = args.common.auth.provider()?;
    let uploader = uploader(&args.common, Arc::clone(&transport), Arc::clone(&provider))?;
    let uploaded = match &args.user {
        Some(user) => uploader.todo_attachment_for_user(user, &args.list, &args.task),
        None => uploader.todo_attachment(&args.list, &args.task),
    }
    .name(file_name(&args.file))
    .set_content_type(
        args.content_type
            .clone()
            .or_else(|| guess_content_type(&args.file)),
    )
    .fragment_size(args.fragment_size)
    .force_session(args.force_session)
    .set_journal(args.common.journal.clone())
    .on_progress(reporter("todo", args.common.quiet, source.len()))
    .cancel_on(cancel)
    .upload(&source)
    .await
    .map_err(|error| describe(error, args.common.journal.as_deref()))?;
    // The provider caches: the attachment's GET does not ask Azure again.
    let token = provider
        .token()
        .await
        .map(|token| token.secret().to_owned())
        .unwrap_or_default();
    Ok(attachment_json(&*transport, &uploaded.item.location, &token).await)
}

async fn upload_drive(args: DriveArgs, cancel: CancellationToken) -> Result<String, Failure> {
    if let Some(fragment_size) = args.fragment_size {
        check_fragment(EndpointProfile::drive(), fragment_size)?;
    }
    let owner = match (&args.user, &args.drive, &args.group, &args.site) {
        (Some(user), ..) => DriveOwner::User(user.clone()),
        (_, Some(drive), ..) => DriveOwner::Drive(drive.clone()),
        (_, _, Some(group), _) => DriveOwner::Group(group.clone()),
        (_, _, _, Some(site)) => DriveOwner::Site(site.clone()),
        _ => DriveOwner::Me,
    };
    let source = open_source(&args.file)?;
    let provider = args.common.auth.provider()?;
    let uploader = uploader(&args.common, common_transport(&args.common)?, provider)?;
    let uploaded = uploader
        .drive_item(owner, DriveLocation::path(args.path.clone()))
        .set_conflict(args.conflict.map(ConflictBehavior::from))
        .set_description(args.description.clone())
        .defer_commit(args.defer_commit)
        .set_fragment_size(args.fragment_size)
        .set_journal(args.common.journal.clone())
        .on_progress(reporter("drive", args.common.quiet, source.len()))
        .cancel_on(cancel)
        .upload(&source)
        .await
        .map_err(|error| describe(error, args.common.journal.as_deref()))?;
    serde_json::to_string_pretty(&uploaded.item).map_err(|error| Failure::from(error.to_string()))
}

async fn upload_mail(args: MailArgs, cancel: CancellationToken) -> Result<String, Failure> {
    if let Some(fragment_size) = args.fragment_size {
        check_fragment(EndpointProfile::outlook(), fragment_size)?;
    }
    let item = match (&args.message, &args.event) {
        (Some(message), _) => OutlookItem::Message(message.clone()),
        (None, Some(event)) => OutlookItem::Event(event.clone()),
        (None, None) => return Err(Failure::from("give --message or --event".to_string())),
    };
    let source = open_source(&args.file)?;
    let name = file_name(&args.file);
    let provider = args.common.auth.provider()?;
    let uploader = uploader(&args.common, common_transport(&args.common)?, provider)?;
    let uploaded = uploader
        .outlook_attachment(item)
        .set_user(args.user.clone())
        .name(name.clone())
        .set_content_type(
            args.content_type
                .clone()
                .or_else(|| guess_content_type(&args.file)),
        )
        .set_inline(args.inline.then_some(name))
        .set_fragment_size(args.fragment_size)
        .set_journal(args.common.journal.clone())
        .on_progress(reporter("mail", args.common.quiet, source.len()))
        .cancel_on(cancel)
        .upload(&source)
        .await
        .map_err(|error| describe(error, args.common.journal.as_deref()))?;
    let attachment = serde_json::json!({
        "id": uploaded.item.id,
        "location": uploaded.item.location,
        "size": source.len(),
    });
    serde_json::to_string_pretty(&attachment).map_err(|error| Failure::from(error.to_string()))
}

/// `upload print`'s output: the printDocument with `jobId` and `jobStarted` beside its own
/// members, so that `size` and `id` stay where a reader of Graph's printDocument finds them.
pub fn print_json(printed: &graph_upload::PrintedDocument) -> Result<String, serde_json::Error> {
    let mut value = serde_json::to_value(&printed.document)?;
    if let serde_json::Value::Object(members) = &mut value {
        members.insert("jobId".into(), printed.job_id.clone().into());
        members.insert("jobStarted".into(), printed.started.into());
    }
    serde_json::to_string_pretty(&value)
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
    let fallback = serde_json::json!({ "location": location }).to_string();
    let Ok(request) = Request::get(location)
        .and_then(|r| r.header_str(header::AUTHORIZATION, &format!("Bearer {token}")))
    else {
        return fallback;
    };
    match transport.send(request).await {
        Ok(response) if response.status().is_success() => {
            match response.json::<serde_json::Value>() {
                Ok(mut value) => {
                    value["location"] = serde_json::Value::String(location.to_owned());
                    serde_json::to_string_pretty(&value).unwrap_or(fallback)
                }
                Err(_) => fallback,
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
            assert_eq!(args.fragment_size, 640 * 1024, "{flag}");
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
        assert_eq!(args.fragment_size, None, "the profile's default");
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
