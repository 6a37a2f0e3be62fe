//! `--flows`: every flow at the largest file its service allows (print and drive 1 GiB,
//! Outlook 150 MB, To Do 25 MiB), through the uploader with its default profile, each run in
//! its own process so that its peak RSS is its own; checked through the service's download
//! outside the timed part.

use super::*;
use graph_upload::{DriveLocation, DriveOwner, OutlookItem};

/// Each flow and its file size.
pub(crate) const FLOWS: [(&str, u64); 4] = [
    ("print", 1024 * MIB),
    ("drive", 1024 * MIB),
    ("outlook", graph_upload::models::OUTLOOK_MAX_ATTACHMENT_SIZE),
    ("todo", graph_upload::models::TODO_MAX_ATTACHMENT_SIZE),
];

/// One upload of `flow` to the emulator at `base` through `transport`, with `profile` or the
/// flow's default (adaptive): its time, and the path that downloads it.
pub(crate) async fn flow_upload(
    flow: &str,
    base: &str,
    file: &Path,
    transport: Arc<dyn Transport>,
    profile: Option<EndpointProfile>,
) -> Result<(Timed, String), Failure> {
    let source = UploadSource::from_path(file)?;
    let uploader = Uploader::builder(format!("{base}/v1.0"))
        .token(TOKEN)
        .transport(transport)
        .build()?;
    macro_rules! with_profile {
        ($builder:expr) => {
            match profile {
                Some(profile) => $builder.profile(profile),
                None => $builder,
            }
        };
    }
    let started = Stopwatch::start();
    let path = match flow {
        "print" => {
            let printed = with_profile!(uploader.print_to_share(fixtures::SHARE_ID))
                .start_job(false)
                .upload(&source)
                .await?
                .item;
            format!(
                "/v1.0/print/shares/{}/jobs/{}/documents/{}/$value",
                fixtures::SHARE_ID,
                printed.job_id,
                printed.document.id
            )
        }
        "drive" => {
            let item = with_profile!(
                uploader.drive_item(DriveOwner::Me, DriveLocation::path("/Documents/bench.bin"))
            )
            .upload(&source)
            .await?
            .item;
            format!("/v1.0/me/drive/items/{}/content", item.id)
        }
        "outlook" => {
            let attachment = with_profile!(
                uploader.outlook_attachment(OutlookItem::Message(fixtures::MESSAGE_ID.into()))
            )
            .upload(&source)
            .await?
            .item;
            format!(
                "/v1.0/me/messages/{}/attachments/{}/$value",
                fixtures::MESSAGE_ID,
                attachment.id
            )
        }
        "todo" => {
            let attachment =
                with_profile!(uploader.todo_attachment(fixtures::LIST_ID, fixtures::TASK_ID))
                    .upload(&source)
                    .await?
                    .item;
            format!(
                "/v1.0/me/todo/lists/{}/tasks/{}/attachments/{}/$value",
                fixtures::LIST_ID,
                fixtures::TASK_ID,
                attachment.id
            )
        }
        other => return Err(format!("unknown flow {other}").into()),
    };
    Ok((started.stop(), path))
}

/// Runs every flow `rounds` times, interleaved, and prints one table: MiB/s (median, min..max)
/// and the client's peak RSS (the highest).
pub(crate) async fn flows_table(
    work: &Path,
    data_root: &Path,
    rounds: usize,
) -> Result<(), Failure> {
    let mut files = Vec::new();
    for (flow, size) in FLOWS {
        let file = work.join(format!("{flow}.bin"));
        write_payload(&file, size)?;
        files.push(file);
    }
    let mut samples: Vec<Vec<Sample>> = vec![Vec::new(); FLOWS.len()];
    for round in 0..rounds {
        for (index, (flow, _)) in FLOWS.iter().enumerate() {
            let dir = data_root.join(format!("flow-{flow}-{round}"));
            samples[index].push(measure(&format!("flow-{flow}"), &dir, &files[index]).await?);
        }
    }
    println!("\n| flow (largest file) | MiB/s, median (min..max) | client peak RSS MiB |");
    println!("|---|---|---|");
    for (index, (flow, size)) in FLOWS.iter().enumerate() {
        let speeds: Vec<f64> = samples[index].iter().map(|s| s.mib_per_s).collect();
        let (low, high) = min_max(&speeds);
        let rss = samples[index]
            .iter()
            .map(|s| s.peak_rss_kib)
            .max()
            .unwrap_or(0);
        println!(
            "| {flow} ({:.0} MiB) | {:.0} ({low:.0}..{high:.0}) | {:.1} |",
            *size as f64 / MIB as f64,
            median(speeds),
            rss as f64 / 1024.0
        );
    }
    Ok(())
}
