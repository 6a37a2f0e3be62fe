//! The command line of `graph-upload upload print|todo|drive|mail`: the flags of each flow and
//! those they share, with their help and examples. `upload.rs` runs them.

use crate::auth::AuthArgs;
use crate::size::{Auto, parse_auto_parallel, parse_auto_size};
use clap::{Args, Subcommand, ValueEnum};
use graph_upload::models::ConflictBehavior;
use graph_upload::transport::Http2;
use std::path::PathBuf;

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
    pub(crate) base_url: String,
    #[command(flatten)]
    pub(crate) auth: AuthArgs,
    /// The HTTP stack.
    #[arg(long, value_enum, default_value_t = TransportChoice::Reqwest)]
    pub(crate) transport: TransportChoice,
    /// The HTTP version: 1.1 (default), 2 (negotiated on https), or 2-prior-knowledge (h2c on
    /// http://). One connection carries the parallel fragments as HTTP/2 streams.
    #[arg(long, value_enum, default_value = "1.1")]
    pub(crate) http_version: HttpVersion,
    /// No progress on stderr.
    #[arg(long, short)]
    pub(crate) quiet: bool,
    /// Remember the session in this file: a run that was killed or interrupted (Ctrl-C) is
    /// continued by running the same command again, while the session has not expired. With
    /// several files (or a directory), a directory holding one journal per file (created if
    /// missing).
    #[arg(long, value_name = "PATH")]
    pub(crate) journal: Option<PathBuf>,
    /// Also trust the certificates of this PEM file (repeatable): the emulator's
    /// `DATA_DIR/cert.pem` of `serve --tls`, or a corporate proxy's CA.
    #[arg(long, value_name = "FILE")]
    pub(crate) ca_cert: Vec<PathBuf>,
    /// Requests in flight at once for the whole run, over all its files (each file's parallel
    /// fragments count); also the most files uploaded at once [default: 8, or print's
    /// --parallel when higher].
    #[arg(long, value_parser = clap::value_parser!(u16).range(1..=256))]
    pub(crate) max_in_flight: Option<u16>,
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
      --list AAMkAGVtdWxhdG9yIFRvIERvIGxpc3QAA-_7774= --task AAMkAGVtdWxhdG9yIFRvIERvIHRhc2sAA-_7774= notes.txt
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
    pub(crate) common: CommonArgs,
    /// Printer id (or --share).
    #[arg(long)]
    pub(crate) printer: Option<String>,
    /// Printer share id (or --printer).
    #[arg(long)]
    pub(crate) share: Option<String>,
    /// Existing job id (with --document).
    #[arg(long, requires = "document")]
    pub(crate) job: Option<String>,
    /// Existing document id of that job (with --job).
    #[arg(long, requires = "job")]
    pub(crate) document: Option<String>,
    /// Media type of the document (default: guessed from the file's extension, `.pdf` is
    /// application/pdf). Checked against the printer's capabilities before the job is created.
    #[arg(long)]
    pub(crate) content_type: Option<String>,
    /// Bytes per PUT: `auto` (adapts to the link, up to print's 10 MiB) or a fixed size in
    /// bytes or KiB/MiB/GiB, a multiple of 320 KiB (`--chunk-size` is an alias).
    #[arg(long, alias = "chunk-size", default_value = "auto", value_parser = parse_auto_size)]
    pub(crate) fragment_size: Auto<u64>,
    /// Fragments in flight at once: `auto` (adapts, up to print's 4) or 1 to 64.
    #[arg(long, default_value = "auto", value_parser = parse_auto_parallel)]
    pub(crate) parallel: Auto<usize>,
    /// Do not start the job after the upload.
    #[arg(long)]
    pub(crate) no_start: bool,
    /// The files to upload (one job per file).
    #[arg(required = true, value_name = "FILE")]
    pub(crate) files: Vec<PathBuf>,
}

/// Options of `upload todo`.
#[derive(Debug, Args)]
pub struct TodoArgs {
    #[command(flatten)]
    pub(crate) common: CommonArgs,
    /// User id (default: the signed-in user, /me).
    #[arg(long)]
    pub(crate) user: Option<String>,
    /// To Do list id.
    #[arg(long)]
    pub(crate) list: String,
    /// Task id.
    #[arg(long)]
    pub(crate) task: String,
    /// Media type of the attachment (default: guessed from the file's extension, else
    /// application/octet-stream).
    #[arg(long)]
    pub(crate) content_type: Option<String>,
    /// Bytes per PUT: `auto` (adapts to the link, up to To Do's 4 MiB) or a fixed size in
    /// bytes or KiB/MiB/GiB, a multiple of 320 KiB (`--chunk-size` is an alias).
    #[arg(long, alias = "chunk-size", default_value = "auto", value_parser = parse_auto_size)]
    pub(crate) fragment_size: Auto<u64>,
    /// Use an upload session even for a file under 3 MB (which otherwise goes as one request).
    #[arg(long)]
    pub(crate) force_session: bool,
    /// The files to upload (one attachment per file).
    #[arg(required = true, value_name = "FILE")]
    pub(crate) files: Vec<PathBuf>,
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
    pub(crate) common: CommonArgs,
    /// Where the file goes, from the drive's root: `/Documents/report.pdf`. With several files
    /// or a directory, the folder they go into (`/Documents/photos`; a directory's files keep
    /// their paths below it, and missing folders are created).
    #[arg(long)]
    pub(crate) path: String,
    /// Another user's drive (default: the signed-in user's, /me/drive).
    #[arg(long)]
    pub(crate) user: Option<String>,
    /// A drive by id.
    #[arg(long)]
    pub(crate) drive: Option<String>,
    /// A group's drive.
    #[arg(long)]
    pub(crate) group: Option<String>,
    /// A SharePoint site's default library.
    #[arg(long)]
    pub(crate) site: Option<String>,
    /// When a file of that name exists (Graph's default: fail).
    #[arg(long, value_enum)]
    pub(crate) conflict: Option<ConflictChoice>,
    /// The item's description.
    #[arg(long)]
    pub(crate) description: Option<String>,
    /// Create the item only with an explicit commit after the last fragment.
    #[arg(long)]
    pub(crate) defer_commit: bool,
    /// Bytes per PUT: `auto` (adapts to the link, up to 61120 KiB) or a fixed size in bytes or
    /// KiB/MiB/GiB, a multiple of 320 KiB, under 60 MiB (`--chunk-size` is an alias).
    #[arg(long, alias = "chunk-size", default_value = "auto", value_parser = parse_auto_size)]
    pub(crate) fragment_size: Auto<u64>,
    /// The files to upload; a directory uploads the files under it, keeping their paths.
    #[arg(required = true, value_name = "FILE")]
    pub(crate) files: Vec<PathBuf>,
}

/// Options of `upload mail`.
#[derive(Debug, Args)]
#[command(group(clap::ArgGroup::new("item").required(true).args(["message", "event"])))]
pub struct MailArgs {
    #[command(flatten)]
    pub(crate) common: CommonArgs,
    /// Message id (or --event).
    #[arg(long)]
    pub(crate) message: Option<String>,
    /// Event id (or --message).
    #[arg(long)]
    pub(crate) event: Option<String>,
    /// User id (default: the signed-in user, /me).
    #[arg(long)]
    pub(crate) user: Option<String>,
    /// Inline attachment, referred to from the body as `cid:` and the file name.
    #[arg(long)]
    pub(crate) inline: bool,
    /// Media type of the attachment (default: guessed from the file's extension).
    #[arg(long)]
    pub(crate) content_type: Option<String>,
    /// Bytes per PUT: `auto` (adapts to the link, up to Outlook's 4 MB) or a fixed size in
    /// bytes or KiB/MiB/GiB, a multiple of 320 KiB (`--chunk-size` is an alias).
    #[arg(long, alias = "chunk-size", default_value = "auto", value_parser = parse_auto_size)]
    pub(crate) fragment_size: Auto<u64>,
    /// The files to upload (one attachment per file).
    #[arg(required = true, value_name = "FILE")]
    pub(crate) files: Vec<PathBuf>,
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
}
