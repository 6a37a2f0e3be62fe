//! Running one variant in a child process, and checking what it stored.

use super::*;

pub(crate) async fn run_variant(
    variant: &str,
    target: &str,
    file: &Path,
) -> Result<Timed, Failure> {
    let (timed, document) = match variant {
        "raw" => raw_upload(target, file).await?,
        "disk" => return disk_write(Path::new(target), file),
        "uploader-reqwest" | "uploader-auto" => {
            uploader_upload(
                target,
                file,
                Arc::new(ReqwestTransport::new(TransportConfig::default())?),
                variant == "uploader-reqwest",
            )
            .await?
        }
        "uploader-hyper" => {
            uploader_upload(
                target,
                file,
                Arc::new(HyperTransport::new(TransportConfig::default())?),
                true,
            )
            .await?
        }
        flow if flow.starts_with("flow-") => {
            let transport = Arc::new(ReqwestTransport::new(TransportConfig::default())?);
            let (timed, path) =
                flow_upload(&flow["flow-".len()..], target, file, transport, None).await?;
            // Outside the timed part: the service gives back the file, byte for byte.
            verify_download(target, &path, file).await?;
            return Ok(timed);
        }
        other => return Err(format!("unknown variant {other}").into()),
    };
    // Outside the timed part: what the emulator stored is the file, byte for byte.
    verify_stored(target, &document, file).await?;
    Ok(timed)
}

/// A print job and its document.
pub(crate) struct Document {
    pub(crate) job_id: String,
    pub(crate) document_id: String,
}

/// Streams `GET .../documents/{id}/$value` and compares it with the file block by block
/// (so that checking a 1 GiB upload does not hold it in memory).
pub(crate) async fn verify_stored(
    base: &str,
    document: &Document,
    file: &Path,
) -> Result<(), Failure> {
    let path = format!(
        "/v1.0/print/shares/{}/jobs/{}/documents/{}/$value",
        fixtures::SHARE_ID,
        document.job_id,
        document.document_id
    );
    verify_download(base, &path, file).await
}

/// `GET url` on a new HTTP/1.1 connection, with the bearer token when `bearer`.
async fn get(url: &str, bearer: bool) -> Result<hyper::Response<hyper::body::Incoming>, Failure> {
    let uri: hyper::Uri = url.parse()?;
    let authority = uri.authority().ok_or("no authority")?.to_string();
    let stream = tokio::net::TcpStream::connect(&authority).await?;
    let (mut sender, connection) =
        hyper::client::conn::http1::handshake(hyper_util::rt::TokioIo::new(stream)).await?;
    tokio::spawn(connection);
    let mut request = hyper::Request::get(uri.path_and_query().ok_or("no path")?.as_str())
        .header("host", authority.as_str());
    if bearer {
        request = request.header("authorization", format!("Bearer {TOKEN}"));
    }
    Ok(sender
        .send_request(request.body(http_body_util::Empty::<Bytes>::new())?)
        .await?)
}

/// Streams `GET {base}{path}` (with the token) and compares it with the file block by block.
/// A `302` (a print document's `$value`) is followed to its pre-authenticated `Location`
/// without the token.
pub(crate) async fn verify_download(base: &str, path: &str, file: &Path) -> Result<(), Failure> {
    use std::os::unix::fs::FileExt;
    let mut response = get(&format!("{base}{path}"), true).await?;
    if response.status() == hyper::StatusCode::FOUND {
        let location = response
            .headers()
            .get(hyper::header::LOCATION)
            .and_then(|value| value.to_str().ok())
            .ok_or("a 302 without Location")?
            .to_owned();
        response = get(&location, false).await?;
    }
    if response.status() != hyper::StatusCode::OK {
        return Err(format!("$value answered {}", response.status()).into());
    }
    let source = std::fs::File::open(file)?;
    let size = source.metadata()?.len();
    let mut body = response.into_body();
    let mut offset = 0u64;
    let mut expected = Vec::new();
    while let Some(frame) = body.frame().await {
        let Ok(data) = frame?.into_data() else {
            continue;
        };
        expected.resize(data.len(), 0);
        source.read_exact_at(&mut expected, offset)?;
        if data[..] != expected[..] {
            return Err(format!("$value differs from the file near byte {offset}").into());
        }
        offset += data.len() as u64;
    }
    if offset != size {
        return Err(format!("$value has {offset} bytes, the file {size}").into());
    }
    Ok(())
}

/// Creates a print job and session with plain requests; returns the upload URL and the
/// document.
pub(crate) async fn new_session(
    transport: &HyperTransport,
    base: &str,
    size: u64,
) -> Result<(String, Document), Failure> {
    let bearer = format!("Bearer {TOKEN}");
    let jobs = format!("{base}/v1.0/print/shares/{}/jobs", fixtures::SHARE_ID);
    let job = transport
        .send(
            Request::post(&jobs)?
                .json(&serde_json::json!({}))?
                .header_str(header::AUTHORIZATION, &bearer)?,
        )
        .await?;
    let job: serde_json::Value = job.json()?;
    let job_id = job["id"].as_str().ok_or("no job id")?;
    let document_id = job["documents"][0]["id"].as_str().ok_or("no document id")?;
    let body = serde_json::json!({"properties": {"documentName": "bench.bin", "contentType": "application/pdf", "size": size}});
    let session = transport
        .send(
            Request::post(&format!(
                "{jobs}/{job_id}/documents/{document_id}/createUploadSession"
            ))?
            .json(&body)?
            .header_str(header::AUTHORIZATION, &bearer)?,
        )
        .await?;
    let session: serde_json::Value = session.json()?;
    let url = session["uploadUrl"]
        .as_str()
        .ok_or("no uploadUrl")?
        .to_owned();
    Ok((
        url,
        Document {
            job_id: job_id.to_owned(),
            document_id: document_id.to_owned(),
        },
    ))
}
