//! `graph-upload demo`: the whole product on one machine. Starts the emulator on a free port
//! with a temporary data directory, uploads a print document, a To Do attachment and a
//! OneDrive file through it with the uploader, downloads them back, compares them by SHA-256
//! and prints the throughput.

use crate::progress_view::reporter;
use crate::size::{Auto, parse_auto_parallel, parse_auto_size, parse_size};
use crate::upload::{TransportChoice, attachment_json, print_json, transport};
use clap::Args;
use graph_upload::{DriveLocation, DriveOwner, UploadSource, Uploader, encode_path_segment};
use graph_upload_server::{CERT_FILE, ServerConfig, TlsConfig, fixtures};
use sha2::{Digest, Sha256};
use std::fs::File;
use std::io::{BufWriter, Read, Write};
use std::path::Path;
use std::time::Instant;

const MIB: f64 = 1024.0 * 1024.0;

/// Options of `graph-upload demo`.
#[derive(Debug, Args)]
pub struct DemoArgs {
    /// Size of the print document.
    #[arg(long, default_value = "64MiB", value_parser = parse_size)]
    size: u64,
    /// Size of the To Do attachment (at most 25 MiB, To Do's limit).
    #[arg(long, default_value = "20MiB", value_parser = parse_size)]
    todo_size: u64,
    /// Size of the OneDrive file.
    #[arg(long, default_value = "256MiB", value_parser = parse_size)]
    drive_size: u64,
    /// Bytes per print PUT: `auto` (adapts) or a fixed size (`--chunk-size` is an alias).
    #[arg(long, alias = "chunk-size", default_value = "auto", value_parser = parse_auto_size)]
    fragment_size: Auto<u64>,
    /// Print fragments in flight at once: `auto` (adapts, up to 4) or 1 to 64.
    #[arg(long, default_value = "auto", value_parser = parse_auto_parallel)]
    parallel: Auto<usize>,
    /// The HTTP stack.
    #[arg(long, value_enum, default_value_t = TransportChoice::Reqwest)]
    transport: TransportChoice,
    /// No progress on stderr.
    #[arg(long, short)]
    quiet: bool,
    /// Run the emulator over https (a self-signed certificate in its temporary data
    /// directory, which the client trusts as `upload --ca-cert` would).
    #[arg(long)]
    tls: bool,
}

/// Runs the demo; the summary goes to stdout.
pub async fn run(args: DemoArgs) -> Result<(), String> {
    let limit = graph_upload::models::TODO_MAX_ATTACHMENT_SIZE;
    if args.todo_size > limit {
        return Err(format!(
            "--todo-size is over To Do's limit of {limit} bytes (25 MiB)"
        ));
    }
    let work = tempfile::tempdir().map_err(|error| format!("no temporary directory: {error}"))?;
    let token = "demo-token";
    let data_dir = work.path().join("data");
    let mut config = ServerConfig::new(&data_dir, token);
    if args.tls {
        config.tls = Some(TlsConfig::self_signed());
    }
    let server = graph_upload_server::spawn(config, "127.0.0.1:0")
        .await
        .map_err(|error| format!("cannot start the emulator: {error}"))?;
    let ca_certs = match args.tls {
        true => vec![data_dir.join(CERT_FILE)],
        false => Vec::new(),
    };
    println!(
        "emulator listening on {} (data in {})",
        server.base_url(),
        work.path().display()
    );
    let base = format!("{}/v1.0", server.base_url());
    // One pool for the uploads and the downloads that check them (reqwest); hyper's
    // transport cannot stream a download, so that choice gets a reqwest client for them.
    let config = crate::ca_cert::transport_config(&ca_certs)?;
    let (transport, shared) = transport(args.transport, config, &ca_certs)?;
    let downloads = match shared {
        Some(client) => client,
        None => download_client(&ca_certs)?,
    };
    let uploader = Uploader::builder(&base)
        .token(token)
        .transport(std::sync::Arc::clone(&transport))
        .build()
        .map_err(|error| error.to_string())?;

    let print_file = work.path().join("document.pdf");
    write_test_file(&print_file, args.size, 1)?;
    let source = UploadSource::from_path(&print_file).map_err(|e| e.to_string())?;
    let builder = uploader
        .print_to_share(fixtures::SHARE_ID)
        .document_name("document.pdf")
        .set_fragment_size(args.fragment_size.fixed())
        .set_parallel(args.parallel.fixed())
        .on_progress(reporter("print", args.quiet, source.len()));
    let started = Instant::now();
    let result = builder
        .upload(&source)
        .await
        .map_err(|e| format!("print upload failed: {e}"))?
        .item;
    let print_seconds = started.elapsed().as_secs_f64();
    let url = format!(
        "{base}/print/shares/{}/jobs/{}/documents/{}/$value",
        encode_path_segment(fixtures::SHARE_ID),
        encode_path_segment(&result.job_id),
        encode_path_segment(&result.document.id)
    );
    verify(&downloads, &url, token, &print_file, args.size).await?;
    println!(
        "print document   {:>8.1} MiB in {:>6.2} s = {:>7.1} MiB/s, job started, bytes verified through $value",
        args.size as f64 / MIB,
        print_seconds,
        args.size as f64 / MIB / print_seconds.max(1e-9)
    );
    println!(
        "{}",
        print_json(&result).map_err(|error| error.to_string())?
    );

    let todo_file = work.path().join("attachment.bin");
    write_test_file(&todo_file, args.todo_size, 2)?;
    let source = UploadSource::from_path(&todo_file).map_err(|e| e.to_string())?;
    let builder = uploader
        .todo_attachment(fixtures::LIST_ID, fixtures::TASK_ID)
        .name("attachment.bin")
        .on_progress(reporter("todo", args.quiet, source.len()));
    let started = Instant::now();
    let location = builder
        .upload(&source)
        .await
        .map_err(|e| format!("To Do upload failed: {e}"))?
        .item
        .location;
    let todo_seconds = started.elapsed().as_secs_f64();
    verify(
        &downloads,
        &format!("{location}/$value"),
        token,
        &todo_file,
        args.todo_size,
    )
    .await?;
    println!(
        "todo attachment  {:>8.1} MiB in {:>6.2} s = {:>7.1} MiB/s, bytes verified through $value",
        args.todo_size as f64 / MIB,
        todo_seconds,
        args.todo_size as f64 / MIB / todo_seconds.max(1e-9)
    );
    println!("{}", attachment_json(&*transport, &location, token).await);

    let drive_file = work.path().join("report.bin");
    write_test_file(&drive_file, args.drive_size, 3)?;
    let source = UploadSource::from_path(&drive_file).map_err(|e| e.to_string())?;
    let started = Instant::now();
    let item = uploader
        .drive_item(DriveOwner::Me, DriveLocation::path("/Documents/report.bin"))
        .on_progress(reporter("drive", args.quiet, source.len()))
        .upload(&source)
        .await
        .map_err(|e| format!("OneDrive upload failed: {e}"))?
        .item;
    let drive_seconds = started.elapsed().as_secs_f64();
    verify(
        &downloads,
        &format!(
            "{base}/me/drive/items/{}/content",
            encode_path_segment(&item.id)
        ),
        token,
        &drive_file,
        args.drive_size,
    )
    .await?;
    println!(
        "onedrive file    {:>8.1} MiB in {:>6.2} s = {:>7.1} MiB/s, bytes verified through content",
        args.drive_size as f64 / MIB,
        drive_seconds,
        args.drive_size as f64 / MIB / drive_seconds.max(1e-9)
    );
    println!(
        "{}",
        serde_json::to_string_pretty(&item).map_err(|error| error.to_string())?
    );
    server
        .shutdown()
        .await
        .map_err(|error| format!("the emulator did not stop cleanly: {error}"))?;
    println!("demo passed");
    Ok(())
}

/// The client that downloads the results to check them, trusting `ca_certs` (the emulator's
/// certificate with `--tls`). It streams, unlike the uploader's transports, which read whole
/// bodies: the check stays in bounded memory at any size.
fn download_client(ca_certs: &[std::path::PathBuf]) -> Result<reqwest::Client, String> {
    let mut roots = Vec::new();
    for path in ca_certs {
        let pem = std::fs::read(path)
            .map_err(|error| format!("cannot read {}: {error}", path.display()))?;
        roots.extend(
            reqwest::Certificate::from_pem_bundle(&pem)
                .map_err(|error| format!("{}: {error}", path.display()))?,
        );
    }
    // Redirects are followed by hand, without the token (see `verify`).
    let mut builder = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none());
    if !roots.is_empty() {
        builder = builder.tls_certs_merge(roots);
    }
    builder.build().map_err(|error| error.to_string())
}

/// Writes `size` pseudo-random bytes, 1 MiB at a time.
fn write_test_file(path: &Path, size: u64, seed: u64) -> Result<(), String> {
    let file =
        File::create(path).map_err(|error| format!("cannot create {}: {error}", path.display()))?;
    let mut out = BufWriter::new(file);
    let mut state = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    let mut block = vec![0u8; 1024 * 1024];
    let mut left = size;
    while left > 0 {
        for word in block.chunks_mut(8) {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            word.copy_from_slice(&state.to_le_bytes()[..word.len()]);
        }
        let n = left.min(block.len() as u64) as usize;
        out.write_all(&block[..n])
            .map_err(|error| error.to_string())?;
        left -= n as u64;
    }
    out.flush().map_err(|error| error.to_string())
}

/// Downloads `url` and compares it with the file by SHA-256, hashing both as they stream, so
/// that memory stays bounded whatever the size (`demo --size 4GiB`).
async fn verify(
    client: &reqwest::Client,
    url: &str,
    token: &str,
    file: &Path,
    size: u64,
) -> Result<(), String> {
    let mut response = client
        .get(url)
        .bearer_auth(token)
        .send()
        .await
        .map_err(|error| format!("downloading {url} failed: {}", error.without_url()))?;
    // A print document's `$value` answers `302` to a pre-authenticated download URL: it is
    // followed WITHOUT the bearer token, and its query (a credential) is never shown.
    if response.status().is_redirection() {
        let location = response
            .headers()
            .get(reqwest::header::LOCATION)
            .and_then(|value| value.to_str().ok())
            .ok_or_else(|| format!("{url} redirected without a Location"))?
            .to_owned();
        response = client.get(&location).send().await.map_err(|error| {
            format!(
                "following the redirect of {url} failed: {}",
                error.without_url()
            )
        })?;
    }
    if !response.status().is_success() {
        return Err(format!(
            "downloading {url} answered HTTP {}",
            response.status()
        ));
    }
    let mut downloaded = Sha256::new();
    let mut received = 0u64;
    while let Some(bytes) = response
        .chunk()
        .await
        .map_err(|error| format!("downloading {url} failed: {}", error.without_url()))?
    {
        received += bytes.len() as u64;
        downloaded.update(&bytes);
    }
    if received != size {
        return Err(format!("{url} returned {received} bytes, expected {size}"));
    }
    let mut original = Sha256::new();
    let mut reader = File::open(file).map_err(|error| error.to_string())?;
    let mut block = vec![0u8; 1024 * 1024];
    loop {
        let n = reader.read(&mut block).map_err(|error| error.to_string())?;
        if n == 0 {
            break;
        }
        original.update(&block[..n]);
    }
    if downloaded.finalize() != original.finalize() {
        return Err(format!("{url} differs from the uploaded file (SHA-256)"));
    }
    Ok(())
}
