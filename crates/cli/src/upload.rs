//! `graph-upload upload print|todo|drive|mail`: upload one or more files through Graph (or the
//! emulator) and print the results as JSON on stdout (one file: its object; several: one line
//! each, see `upload_run.rs`).

use crate::journal_dir;
use crate::size::Auto;
pub use crate::upload_args::*;
use crate::upload_files::{self, Directories, LocalFile, file_name};
use crate::upload_run::{self, FileTask, Plan, Printed, UploadOne};
use graph_upload::models::ConflictBehavior;
use graph_upload::transport::{
    HyperTransport, Request, ReqwestTransport, Transport, TransportConfig, header,
};
use graph_upload::{
    CancellationToken, DriveLocation, DriveOwner, EndpointProfile, LimitedTransport, OutlookItem,
    TokenProvider, UploadError, UploadSource, Uploader,
};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

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
                    // Graph's GET of an attachment carries its bytes (base64): not for a terminal.
                    if let Some(object) = value.as_object_mut() {
                        object.remove("contentBytes");
                    }
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
