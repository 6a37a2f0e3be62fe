//! `--shaped`: every flow across links that look real, against the bound the endpoint's rules
//! allow on that link and against the raw loop, in one run.
//!
//! The emulator shapes the link itself (`ServerConfig::latency`, `serve --latency`: a delay
//! before every answer, one round trip per request; `ServerConfig::bandwidth`,
//! `serve --bandwidth`: each connection's upload capped). The bound of a flow on a link of
//! round trip `L` and per-connection rate `B`, for a file of `S` bytes sent in fragments of at
//! most `F` (the endpoint's limit per request), `n = ceil(S / F)` of them, after `c` requests
//! that set the session up (print: create the job, create the session; the others: create the
//! session):
//!
//! - in order (To Do, drive, Outlook): `T = (c + n) L + S / B`;
//! - `P` fragments in parallel (print, `P = 4`): `T = c L + max((S / B + n L) / P, F / B + L)`,
//!   every connection busy all the time;
//!
//! and the bound is `S / T`. Nothing that follows the endpoint's rules beats it on that link.

use super::*;
use graph_upload::models::{
    DRIVE_MAX_FRAGMENT_SIZE, OUTLOOK_MAX_FRAGMENT_SIZE, PRINT_MAX_FRAGMENT_SIZE,
    TODO_MAX_FRAGMENT_SIZE,
};
use graph_upload::ranges::GRAPH_QUANTUM;
use graph_upload::transport::{FileSlice, Http2};

/// A shaped link.
pub(crate) struct Link {
    pub(crate) name: &'static str,
    pub(crate) round_trip: Duration,
    /// Bytes per second, per connection.
    pub(crate) rate: u64,
}

/// The links measured: a nearby and a distant Graph, both behind a 25 MiB/s uplink.
pub(crate) const LINKS: [Link; 2] = [
    Link {
        name: "20 ms, 25 MiB/s per connection",
        round_trip: Duration::from_millis(20),
        rate: 25 * MIB,
    },
    Link {
        name: "80 ms, 25 MiB/s per connection",
        round_trip: Duration::from_millis(80),
        rate: 25 * MIB,
    },
];

/// Each flow and its file: a few seconds on these links.
pub(crate) const SHAPED_FLOWS: [(&str, u64); 4] = [
    ("print", 320 * MIB),
    ("drive", 128 * MIB),
    ("outlook", 100 * MIB),
    ("todo", graph_upload::models::TODO_MAX_ATTACHMENT_SIZE),
];

/// The variants: the raw loop at the endpoint's largest fragment and parallelism, the uploader
/// as it comes (adaptive, HTTP/1.1), the uploader fixed at the raw loop's settings, and the
/// uploader as it comes over HTTP/2 (h2c: one connection for every fragment in flight).
pub(crate) const SHAPED_VARIANTS: [&str; 4] =
    ["raw", "uploader-auto", "uploader-fixed", "uploader-h2"];

/// The endpoint's largest fragment (a multiple of the quantum), how many may be in flight, and
/// how many requests set a session up.
pub(crate) fn rules(flow: &str) -> (u64, usize, u32) {
    let largest = |limit: u64| limit / GRAPH_QUANTUM * GRAPH_QUANTUM;
    match flow {
        "print" => (largest(PRINT_MAX_FRAGMENT_SIZE), 4, 2),
        "drive" => (largest(DRIVE_MAX_FRAGMENT_SIZE), 1, 1),
        "outlook" => (largest(OUTLOOK_MAX_FRAGMENT_SIZE), 1, 1),
        _ => (largest(TODO_MAX_FRAGMENT_SIZE), 1, 1),
    }
}

/// The bound, MiB/s, of `flow` for a file of `size` bytes on `link` (the module's formula).
pub(crate) fn bound(flow: &str, size: u64, link: &Link) -> f64 {
    let (fragment, parallel, setup) = rules(flow);
    let round_trip = link.round_trip.as_secs_f64();
    let rate = link.rate as f64;
    let fragments = size.div_ceil(fragment) as f64;
    let wire = size as f64 / rate;
    let seconds = if parallel == 1 {
        (f64::from(setup) + fragments) * round_trip + wire
    } else {
        f64::from(setup) * round_trip
            + ((wire + fragments * round_trip) / parallel as f64)
                .max(fragment.min(size) as f64 / rate + round_trip)
    };
    size as f64 / MIB as f64 / seconds
}

/// The uploader's profile for `variant`: `None` (its default, adaptive) or fixed at the raw
/// loop's settings.
fn profile_of(variant: &str, flow: &str) -> Option<EndpointProfile> {
    if variant != "uploader-fixed" {
        return None;
    }
    let (fragment, parallel, _) = rules(flow);
    let profile = match flow {
        "print" => EndpointProfile::print(),
        "drive" => EndpointProfile::drive(),
        "outlook" => EndpointProfile::outlook(),
        _ => EndpointProfile::todo(),
    };
    Some(profile.with_max_fragment(fragment).with_parallel(parallel))
}

/// Runs every flow on every link, `rounds` times with the variants in a rotating order, and
/// prints one table per link.
pub(crate) async fn shaped_table(
    work: &Path,
    data_root: &Path,
    rounds: usize,
    verbose: bool,
) -> Result<(), Failure> {
    let mut files = Vec::new();
    for (flow, size) in SHAPED_FLOWS {
        let file = work.join(format!("shaped-{flow}.bin"));
        write_payload(&file, size)?;
        files.push(file);
    }
    let began = Instant::now();
    // samples[link][flow][variant]: MiB/s of each run.
    let mut samples = vec![vec![vec![Vec::new(); SHAPED_VARIANTS.len()]; SHAPED_FLOWS.len()]; 2];
    let mut run = 0;
    for round in 0..rounds {
        for (l, link) in LINKS.iter().enumerate() {
            for (f, (flow, _)) in SHAPED_FLOWS.iter().enumerate() {
                for step in 0..SHAPED_VARIANTS.len() {
                    let v = (round + step) % SHAPED_VARIANTS.len();
                    run += 1;
                    let dir = data_root.join(format!("shaped-{run}"));
                    let speed = shaped_run(SHAPED_VARIANTS[v], flow, link, &dir, &files[f]).await?;
                    if verbose {
                        println!(
                            "{:7.1} s  round {round} {} {flow} {}: {speed:.1} MiB/s",
                            began.elapsed().as_secs_f64(),
                            link.name,
                            SHAPED_VARIANTS[v]
                        );
                    }
                    samples[l][f][v].push(speed);
                }
            }
        }
    }
    for (l, link) in LINKS.iter().enumerate() {
        println!(
            "\n{}, {rounds} rounds, MiB/s median (min..max)\n\n| flow (file) | bound | raw | uploader, adaptive | adaptive / bound | adaptive / raw | uploader, fixed at raw's settings | fixed / bound | uploader, adaptive, HTTP/2 | HTTP/2 / HTTP/1.1 |",
            link.name
        );
        println!("|---|---|---|---|---|---|---|---|---|---|");
        for (f, (flow, size)) in SHAPED_FLOWS.iter().enumerate() {
            let limit = bound(flow, *size, link);
            let cell = |runs: &Vec<f64>| {
                let (low, high) = min_max(runs);
                format!("{:.1} ({low:.1}..{high:.1})", median(runs.clone()))
            };
            let [raw, auto, fixed, h2] = [0, 1, 2, 3].map(|v| median(samples[l][f][v].clone()));
            println!(
                "| {flow} ({:.0} MiB) | {limit:.1} | {} | {} | {:.2} | {:.2} | {} | {:.2} | {} | {:.2} |",
                *size as f64 / MIB as f64,
                cell(&samples[l][f][0]),
                cell(&samples[l][f][1]),
                auto / limit,
                auto / raw,
                cell(&samples[l][f][2]),
                fixed / limit,
                cell(&samples[l][f][3]),
                h2 / auto
            );
        }
    }
    Ok(())
}

/// One run of `variant` for `flow` on `link`, against a fresh emulator in `dir`: MiB/s, the
/// bytes checked through the service's download outside the timed part.
async fn shaped_run(
    variant: &str,
    flow: &str,
    link: &Link,
    dir: &Path,
    file: &Path,
) -> Result<f64, Failure> {
    let mut config = ServerConfig::new(dir, TOKEN);
    config.latency = link.round_trip;
    config.bandwidth = Some(link.rate);
    let server = graph_upload_server::spawn(config, "127.0.0.1:0").await?;
    let base = server.base_url();
    let config = if variant == "uploader-h2" {
        TransportConfig::default().http2(Http2::PriorKnowledge)
    } else {
        TransportConfig::default()
    };
    let transport: Arc<dyn Transport> = Arc::new(ReqwestTransport::new(config)?);
    let (timed, path) = if variant == "raw" {
        raw_flow(flow, &base, file, transport).await?
    } else {
        flow_upload(flow, &base, file, transport, profile_of(variant, flow)).await?
    };
    verify_download(&base, &path, file).await?;
    server.shutdown().await?;
    std::fs::remove_dir_all(dir)?;
    Ok(std::fs::metadata(file)?.len() as f64 / MIB as f64 / timed.seconds)
}

/// The raw loop of any flow: inside the timed part it creates the session with plain requests,
/// then PUTs the endpoint's largest fragments straight from the file (print: 4 workers taking
/// the next fragment; the others: one after the other), nothing else. Returns the time and the
/// path that downloads the result.
async fn raw_flow(
    flow: &str,
    base: &str,
    file: &Path,
    transport: Arc<dyn Transport>,
) -> Result<(Timed, String), Failure> {
    let size = std::fs::metadata(file)?.len();
    let file = Arc::new(std::fs::File::open(file)?);
    let (fragment, parallel, _) = rules(flow);
    let bearer = format!("Bearer {TOKEN}");
    let started = Stopwatch::start();
    let (upload_url, put_suffix, download) = match flow {
        "print" => {
            let api = HyperTransport::new(TransportConfig::default())?;
            let (url, document) = new_session(&api, base, size).await?;
            let download = format!(
                "/v1.0/print/shares/{}/jobs/{}/documents/{}/$value",
                fixtures::SHARE_ID,
                document.job_id,
                document.document_id
            );
            (url, "", Download::Known(download))
        }
        "drive" => {
            let create =
                format!("{base}/v1.0/me/drive/root:/Documents/bench.bin:/createUploadSession");
            let body =
                serde_json::json!({"item": {"@microsoft.graph.conflictBehavior": "replace"}});
            (
                create_session(&*transport, &create, &body, &bearer).await?,
                "",
                Download::DriveItem,
            )
        }
        "outlook" => {
            let create = format!(
                "{base}/v1.0/me/messages/{}/attachments/createUploadSession",
                fixtures::MESSAGE_ID
            );
            let body = serde_json::json!({"AttachmentItem": {"attachmentType": "file", "name": "bench.bin", "size": size}});
            let prefix = format!("/v1.0/me/messages/{}/attachments", fixtures::MESSAGE_ID);
            (
                create_session(&*transport, &create, &body, &bearer).await?,
                "",
                Download::Located(prefix),
            )
        }
        _ => {
            let tasks = format!(
                "/v1.0/me/todo/lists/{}/tasks/{}/attachments",
                fixtures::LIST_ID,
                fixtures::TASK_ID
            );
            let create = format!("{base}{tasks}/createUploadSession");
            let body = serde_json::json!({"attachmentInfo": {"attachmentType": "file", "name": "bench.bin", "size": size}});
            (
                create_session(&*transport, &create, &body, &bearer).await?,
                "/content",
                Download::Located(tasks),
            )
        }
    };
    let put_url = format!("{upload_url}{put_suffix}");
    let next = Arc::new(std::sync::atomic::AtomicU64::new(0));
    let mut workers = tokio::task::JoinSet::new();
    for _ in 0..parallel {
        let (transport, file, next, put_url, bearer) = (
            Arc::clone(&transport),
            Arc::clone(&file),
            Arc::clone(&next),
            put_url.clone(),
            bearer.clone(),
        );
        let (token, typed) = (flow == "todo", flow == "todo" || flow == "outlook");
        workers.spawn(async move {
            let mut last = None;
            loop {
                let start = next.fetch_add(fragment, std::sync::atomic::Ordering::SeqCst);
                if start >= size {
                    return Ok::<_, Failure>(last);
                }
                let end = (start + fragment).min(size);
                let mut request = Request::put(&put_url)?
                    .header_str(
                        header::CONTENT_RANGE,
                        &format!("bytes {start}-{}/{size}", end - 1),
                    )?
                    .body(FileSlice::new(Arc::clone(&file), start, end - start)?);
                if token {
                    request = request.header_str(header::AUTHORIZATION, &bearer)?;
                }
                if typed {
                    request =
                        request.header_str(header::CONTENT_TYPE, "application/octet-stream")?;
                }
                let response = transport.send(request).await?;
                match response.status().as_u16() {
                    201 => last = Some(response),
                    200 | 202 => {}
                    status => return Err(format!("raw {start}-{end} answered {status}").into()),
                }
            }
        });
    }
    let mut created = None;
    while let Some(result) = workers.join_next().await {
        if let Some(response) = result?? {
            created = Some(response);
        }
    }
    let timed = started.stop();
    let created = created.ok_or("no PUT of the raw loop answered 201")?;
    let path = match download {
        Download::Known(path) => path,
        Download::DriveItem => {
            let item: serde_json::Value = created.json()?;
            format!(
                "/v1.0/me/drive/items/{}/content",
                item["id"].as_str().ok_or("no item id")?
            )
        }
        Download::Located(prefix) => {
            let location = created.header_str("location").ok_or("no Location")?;
            let id = location.rsplit('/').next().ok_or("no attachment id")?;
            format!("{prefix}/{id}/$value")
        }
    };
    Ok((timed, path))
}

/// Where the raw loop's result is downloaded from.
enum Download {
    /// A path known from the start (print).
    Known(String),
    /// `/me/drive/items/{id}/content`, the id from the last answer's driveItem.
    DriveItem,
    /// This prefix, the attachment id from the last answer's `Location`, then `/$value`.
    Located(String),
}

/// `POST create` with `body` and the token; the session's `uploadUrl`.
async fn create_session(
    transport: &dyn Transport,
    create: &str,
    body: &serde_json::Value,
    bearer: &str,
) -> Result<String, Failure> {
    let response = transport
        .send(
            Request::post(create)?
                .json(body)?
                .header_str(header::AUTHORIZATION, bearer)?,
        )
        .await?;
    if !response.status().is_success() {
        return Err(format!("{create} answered {}", response.status()).into());
    }
    let session: serde_json::Value = response.json()?;
    Ok(session["uploadUrl"]
        .as_str()
        .ok_or("no uploadUrl")?
        .to_owned())
}
