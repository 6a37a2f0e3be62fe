//! `--ca-cert FILE`: certificates the client trusts besides the usual roots (the emulator's
//! self-signed `DATA_DIR/cert.pem` from `serve --tls`, a corporate proxy's CA).

use graph_upload::transport::TransportConfig;
use std::path::PathBuf;

/// The transport settings with the certificates of `files` (PEM) as extra roots; errors
/// name the file.
pub fn transport_config(files: &[PathBuf]) -> Result<TransportConfig, String> {
    let mut config = TransportConfig::default();
    for file in files {
        let pem = std::fs::read(file)
            .map_err(|error| format!("--ca-cert {}: cannot read it: {error}", file.display()))?;
        config = config.add_root_certificate(pem);
    }
    Ok(config)
}

/// Names the `--ca-cert` files in an error of the transport's construction (the transport
/// numbers them from 1, in the order given).
pub fn explain(files: &[PathBuf], error: impl std::fmt::Display) -> String {
    let message = error.to_string();
    match files {
        [] => message,
        [file] => format!("--ca-cert {}: {message}", file.display()),
        files => {
            let names: Vec<String> = files.iter().map(|f| f.display().to_string()).collect();
            format!("--ca-cert ({}): {message}", names.join(", "))
        }
    }
}
