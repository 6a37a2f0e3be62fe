//! The server load run: 64 concurrent sessions.

use super::*;

/// 64 concurrent sessions of 16 MiB each, 4 MiB PUTs, straight through the transport.
pub(crate) async fn load_run(base: &str) -> Result<LoadResult, Failure> {
    const SESSIONS: usize = 64;
    const SIZE: u64 = 16 * MIB;
    const PUT: u64 = 4 * MIB;
    let transport: Arc<dyn Transport> = Arc::new(HyperTransport::new(
        TransportConfig::default().pool_max_idle_per_host(SESSIONS),
    )?);
    let payload = Bytes::from(vec![7u8; PUT as usize]);
    let api = HyperTransport::new(TransportConfig::default())?;
    let mut urls = Vec::new();
    let mut documents = Vec::new();
    for _ in 0..SESSIONS {
        let (url, document) = new_session(&api, base, SIZE).await?;
        urls.push(url);
        documents.push(document);
    }
    let started = Instant::now();
    let mut tasks = tokio::task::JoinSet::new();
    for url in urls {
        let (transport, payload) = (Arc::clone(&transport), payload.clone());
        tasks.spawn(async move {
            let mut latencies = Vec::new();
            let mut errors = 0u32;
            for start in (0..SIZE).step_by(PUT as usize) {
                let request = Request::put(&url)
                    .and_then(|r| {
                        r.header_str(
                            header::CONTENT_RANGE,
                            &format!("bytes {start}-{}/{SIZE}", start + PUT - 1),
                        )
                    })
                    .map(|r| r.body(payload.clone()));
                let Ok(request) = request else {
                    errors += 1;
                    continue;
                };
                let sent = Instant::now();
                // Every fragment is accepted, and the last one completes the document.
                let expected = if start + PUT >= SIZE { 201 } else { 202 };
                match transport.send(request).await {
                    Ok(response) if response.status().as_u16() == expected => {
                        latencies.push(sent.elapsed())
                    }
                    _ => errors += 1,
                }
            }
            (latencies, errors)
        });
    }
    let mut latencies: Vec<Duration> = Vec::new();
    let mut errors = 0;
    while let Some(result) = tasks.join_next().await {
        let (mut l, e) = result?;
        latencies.append(&mut l);
        errors += e;
    }
    let seconds = started.elapsed().as_secs_f64();
    // Outside the timed part: every document holds its 16 MiB.
    let expected = tempfile::NamedTempFile::new()?;
    std::fs::write(expected.path(), vec![7u8; SIZE as usize])?;
    for document in &documents {
        verify_stored(base, document, expected.path()).await?;
    }
    latencies.sort();
    let pick = |q: f64| {
        latencies
            .get(((latencies.len() as f64 - 1.0) * q).round() as usize)
            .copied()
            .unwrap_or_default()
    };
    Ok(LoadResult {
        mib_per_s: (SESSIONS as u64 * SIZE) as f64 / MIB as f64 / seconds,
        p50_ms: pick(0.5).as_secs_f64() * 1000.0,
        p99_ms: pick(0.99).as_secs_f64() * 1000.0,
        errors,
    })
}

/// What one load run measured.
pub(crate) struct LoadResult {
    pub(crate) mib_per_s: f64,
    pub(crate) p50_ms: f64,
    pub(crate) p99_ms: f64,
    pub(crate) errors: u32,
}
