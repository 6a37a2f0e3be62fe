//! The `uploader-*` variants: the uploader itself.

use super::*;

/// The uploader's print flow, fixed at the raw loop's 10 MiB and 4 in parallel, or with its
/// default (adaptive) profile when `fixed` is false.
pub(crate) async fn uploader_upload(
    base: &str,
    file: &Path,
    transport: Arc<dyn Transport>,
    fixed: bool,
) -> Result<(Timed, Document), Failure> {
    let source = UploadSource::from_path(file)?;
    let uploader = Uploader::builder(format!("{base}/v1.0"))
        .token(TOKEN)
        .transport(transport)
        .build()?;
    let started = Stopwatch::start();
    let profile = if fixed {
        EndpointProfile::print()
            .with_max_fragment(FRAGMENT)
            .with_parallel(PARALLEL)
    } else {
        EndpointProfile::print()
    };
    let result = uploader
        .print_to_share(fixtures::SHARE_ID)
        .start_job(false)
        .profile(profile)
        .upload(&source)
        .await?
        .item;
    let timed = started.stop();
    Ok((
        timed,
        Document {
            job_id: result.job_id,
            document_id: result.document.id,
        },
    ))
}
