//! The `uploader-*` variants: the uploader itself.

use super::*;

pub(crate) async fn uploader_upload(
    base: &str,
    file: &Path,
    transport: Arc<dyn Transport>,
) -> Result<(Timed, Document), Failure> {
    let source = UploadSource::from_path(file)?;
    let uploader = Uploader::builder(format!("{base}/v1.0"))
        .token(TOKEN)
        .transport(transport)
        .build()?;
    let started = Stopwatch::start();
    let result = uploader
        .print_to_share(fixtures::SHARE_ID)
        .start_job(false)
        .profile(
            EndpointProfile::print()
                .with_max_fragment(FRAGMENT)
                .with_parallel(PARALLEL),
        )
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
