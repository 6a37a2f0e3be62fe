//! A fake Azure CLI: an `az` shell script in a temporary directory, to put first on a child
//! process's `PATH`. `azure_identity` runs `/bin/sh -c "cd /bin && az account
//! get-access-token -o json --scope SCOPE [--tenant T]"` and reads `accessToken` and
//! `expires_on` (epoch seconds, Azure CLI 2.54 and later) from its stdout; the fake prints
//! what the real one prints and appends its arguments to a log, one call a line.

use std::ffi::OsString;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

/// A fake `az` and the log of its calls; both are removed with this value.
pub struct FakeAz {
    dir: tempfile::TempDir,
    log: PathBuf,
}

impl FakeAz {
    /// An `az` that hands out `token`, valid for an hour.
    pub fn granting(token: &str) -> FakeAz {
        assert!(
            token
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "-._~".contains(c)),
            "the fake az prints the token unquoted in its script: {token:?}"
        );
        FakeAz::with_body(&format!(
            "now=$(date +%s)\n\
             printf '{{\"accessToken\": \"%s\", \"expiresOn\": \"2099-01-01 00:00:00.000000\", \
             \"expires_on\": %s, \"subscription\": \"00000000-0000-0000-0000-000000000000\", \
             \"tenant\": \"00000000-0000-0000-0000-000000000001\", \"tokenType\": \"Bearer\"}}\\n' \
             '{token}' \"$((now + 3600))\"\n"
        ))
    }

    /// An `az` that fails as the real one does when nobody ran `az login`.
    pub fn not_logged_in() -> FakeAz {
        FakeAz::with_body(
            "echo \"ERROR: Please run 'az login' to setup account.\" >&2\n\
             exit 1\n",
        )
    }

    fn with_body(body: &str) -> FakeAz {
        let dir = tempfile::tempdir().expect("a temp dir for the fake az");
        let log = dir.path().join("calls.log");
        let script = format!(
            "#!/bin/sh\nprintf '%s\\n' \"$*\" >> '{}'\n{body}",
            log.display()
        );
        let az = dir.path().join("az");
        std::fs::write(&az, script).expect("write the fake az");
        std::fs::set_permissions(&az, std::fs::Permissions::from_mode(0o755))
            .expect("make the fake az executable");
        FakeAz { dir, log }
    }

    /// The directory holding `az`.
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    /// `PATH` with the fake's directory first (for a child process).
    pub fn path_first(&self) -> OsString {
        let mut paths = vec![self.dir.path().to_path_buf()];
        if let Some(path) = std::env::var_os("PATH") {
            paths.extend(std::env::split_paths(&path));
        }
        std::env::join_paths(paths).expect("a PATH")
    }

    /// The arguments of each call so far, one string per call.
    pub fn calls(&self) -> Vec<String> {
        std::fs::read_to_string(&self.log)
            .unwrap_or_default()
            .lines()
            .map(str::to_owned)
            .collect()
    }
}
