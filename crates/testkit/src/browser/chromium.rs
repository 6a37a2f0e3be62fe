//! Finding, starting and stopping Chromium: one headless browser per [`Browser`], with its own
//! temporary directory (profile, crash database, output), its DevTools port chosen by Chromium
//! (`--remote-debugging-port=0`) and read back from the profile's `DevToolsActivePort` file.
//! Dropping the [`Browser`] kills every process of it, waits until they are gone, then removes
//! the directory.

use std::fs::File;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use super::cdp::Connection;
use super::error::BrowserError;
use super::page::{Page, Viewport};

/// The variable naming the Chromium binary, when it is not on `PATH`.
pub const CHROMIUM_ENV: &str = "GRAPH_UPLOAD_CHROMIUM";

/// The variable that turns a missing Chromium into a failure instead of a skipped test
/// (`GRAPH_UPLOAD_REQUIRE_BROWSER=1`).
pub const REQUIRE_ENV: &str = "GRAPH_UPLOAD_REQUIRE_BROWSER";

/// The names looked up on `PATH`, in this order.
const NAMES: [&str; 3] = ["chromium", "chromium-browser", "google-chrome"];

/// How long Chromium may take to open its DevTools port (it takes a fraction of a second
/// here; a busy two-core CI machine is slower).
const STARTUP: Duration = Duration::from_secs(20);

/// How long a dropped browser's processes may take to exit after the browser process died.
const SHUTDOWN: Duration = Duration::from_secs(5);

/// How much of Chromium's output a launch error quotes.
const STDERR_TAIL: usize = 2000;

/// The command line, besides the profile and the port. Each flag keeps a test from depending
/// on the machine or from leaving something behind.
const FLAGS: &[&str] = &[
    "--headless",
    // The sandbox needs user namespaces or a setuid helper; tests run as root in containers.
    "--no-sandbox",
    "--disable-gpu",
    // No traffic to the (closed) network: updates, sync, field trials, QUIC probes, proxies.
    "--disable-quic",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-proxy-server",
    "--no-first-run",
    "--no-default-browser-check",
    "--disable-extensions",
    // Containers have a small /dev/shm.
    "--disable-dev-shm-usage",
    // No keyring over D-Bus.
    "--password-store=basic",
    "--mute-audio",
    // Screenshots and layout as on a phone or a Mac: no scrollbar takes width.
    "--hide-scrollbars",
];

/// Where Chromium is: `$GRAPH_UPLOAD_CHROMIUM` when set (a path, or a name looked up on
/// `PATH`), else the first of `chromium`, `chromium-browser`, `google-chrome` on `PATH`.
pub fn find_chromium() -> Option<PathBuf> {
    if let Some(chosen) = std::env::var_os(CHROMIUM_ENV).filter(|value| !value.is_empty()) {
        return Some(PathBuf::from(chosen));
    }
    let path = std::env::var_os("PATH")?;
    NAMES.iter().find_map(|name| {
        std::env::split_paths(&path)
            .map(|dir| dir.join(name))
            .find(|candidate| is_executable(candidate))
    })
}

/// Whether a test must fail, rather than skip, when Chromium is missing:
/// `GRAPH_UPLOAD_REQUIRE_BROWSER=1`, meant for CI (`.ci/run`), so that the browser tests
/// cannot silently stop running there.
pub fn browser_required() -> bool {
    std::env::var(REQUIRE_ENV).is_ok_and(|value| value == "1")
}

fn is_executable(path: &Path) -> bool {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        path.metadata()
            .is_ok_and(|meta| meta.is_file() && meta.permissions().mode() & 0o111 != 0)
    }
    #[cfg(not(unix))]
    {
        path.is_file()
    }
}

/// A headless Chromium and its DevTools connection. Pages made by [`Browser::new_page`] stop
/// working when it is dropped.
pub struct Browser {
    connection: Arc<Connection>,
    process: Process,
}

impl std::fmt::Debug for Browser {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Browser")
            .field("pid", &self.process.child.id())
            .field("dir", &self.process.dir.path())
            .finish_non_exhaustive()
    }
}

impl Browser {
    /// Starts the Chromium [`find_chromium`] finds. `Ok(None)` when there is none and
    /// [`browser_required`] is false: the test should return at once (this prints one line
    /// saying which test is skipped and why). `Err` when Chromium is required but missing,
    /// or when it did not start (the error quotes the end of its output).
    pub async fn launch() -> std::io::Result<Option<Browser>> {
        let Some(chromium) = find_chromium() else {
            let why = format!(
                "no Chromium: set {CHROMIUM_ENV}, or put one of {} on PATH",
                NAMES.join(", ")
            );
            if browser_required() {
                return Err(std::io::Error::new(
                    std::io::ErrorKind::NotFound,
                    format!("{REQUIRE_ENV}=1 but {why}"),
                ));
            }
            let test = std::thread::current()
                .name()
                .unwrap_or("a browser test")
                .to_owned();
            eprintln!("skipped {test}: {why} ({REQUIRE_ENV}=1 makes this a failure)");
            return Ok(None);
        };
        Browser::launch_at(&chromium).await.map(Some)
    }

    /// Starts the Chromium at `chromium` (a path, or a name looked up on `PATH`).
    pub async fn launch_at(chromium: &Path) -> std::io::Result<Browser> {
        let dir = tempfile::Builder::new()
            .prefix("graph-upload-chromium.")
            .tempdir()?;
        let profile = dir.path().join("profile");
        std::fs::create_dir(&profile)?;
        let log_path = dir.path().join("chromium.log");
        let log = File::create(&log_path)?;
        let child = Command::new(chromium)
            // The crash handler is a process outside the browser's tree (and
            // `--disable-crashpad-for-testing` makes the network service crash): with its
            // database in the directory, its command line names the directory too.
            .env("BREAKPAD_DUMP_LOCATION", dir.path().join("crashes"))
            .args(FLAGS)
            .arg(format!("--user-data-dir={}", profile.display()))
            .arg("--remote-debugging-port=0")
            .arg("about:blank")
            .stdin(Stdio::null())
            .stdout(log.try_clone()?)
            .stderr(log)
            .spawn()
            .map_err(|e| {
                std::io::Error::new(e.kind(), format!("starting {}: {e}", chromium.display()))
            })?;
        let mut process = Process {
            child,
            profile,
            log: log_path,
            dir,
        };
        let (port, path) = process.devtools_address().await?;
        let connection = Connection::connect(port, &path)
            .await
            .map_err(|e| process.failure(&e.to_string()))?;
        Ok(Browser {
            connection,
            process,
        })
    }

    /// Opens a new tab (a CDP target with its own session) showing `about:blank`, with the
    /// window size and device of `viewport`.
    pub async fn new_page(&self, viewport: Viewport) -> Result<Page, BrowserError> {
        Page::open(Arc::clone(&self.connection), viewport).await
    }

    /// The browser's temporary directory, removed on drop. It holds the profile
    /// (`--user-data-dir`), the crash database and Chromium's output (`chromium.log`), so
    /// every process of this browser, crash handler included, names it on its command line.
    pub fn temp_dir(&self) -> &Path {
        self.process.dir.path()
    }

    /// The browser process's id.
    pub fn pid(&self) -> u32 {
        self.process.child.id()
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        // Fail what pages still wait for now, rather than at their timeouts.
        self.connection.close("the Browser was dropped");
    }
}

/// The browser process and its directory; killed and removed on drop.
struct Process {
    child: Child,
    profile: PathBuf,
    log: PathBuf,
    // Removed last, when every process that may write to it is gone.
    dir: tempfile::TempDir,
}

impl Process {
    /// Waits for Chromium to write `DevToolsActivePort`: the port on the first line, the
    /// browser's websocket path on the second.
    async fn devtools_address(&mut self) -> std::io::Result<(u16, String)> {
        let file = self.profile.join("DevToolsActivePort");
        let deadline = Instant::now() + STARTUP;
        loop {
            if let Ok(text) = std::fs::read_to_string(&file) {
                let mut lines = text.lines();
                if let (Some(Ok(port)), Some(path)) =
                    (lines.next().map(str::parse::<u16>), lines.next())
                    && path.starts_with("/devtools/browser/")
                {
                    return Ok((port, path.to_owned()));
                }
            }
            if let Ok(Some(status)) = self.child.try_wait() {
                return Err(self.failure(&format!("Chromium exited at start-up ({status})")));
            }
            if Instant::now() >= deadline {
                return Err(self.failure(&format!(
                    "Chromium wrote no DevToolsActivePort within {STARTUP:?}"
                )));
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// A launch error: `what`, then the end of Chromium's output.
    fn failure(&self, what: &str) -> std::io::Error {
        let output = std::fs::read(&self.log).unwrap_or_default();
        if output.is_empty() {
            return std::io::Error::other(format!("{what}; Chromium printed nothing"));
        }
        let tail = String::from_utf8_lossy(&output[output.len().saturating_sub(STDERR_TAIL)..]);
        std::io::Error::other(format!("{what}; Chromium's output ends with:\n{tail}"))
    }
}

impl Drop for Process {
    fn drop(&mut self) {
        // SIGKILL: Chromium needs no clean shutdown, its profile is thrown away.
        let _ = self.child.kill();
        let _ = self.child.wait();
        // The renderers, zygotes, utility processes and crash handlers notice the browser's
        // death and exit a moment later; a launcher script that did not `exec` would leave
        // the whole browser running. Kill whatever still names this browser's (unique)
        // directory on its command line, and wait until nothing does, so that the directory
        // can go and a test can check that nothing is left.
        let marker = self.dir.path().as_os_str().as_encoded_bytes().to_vec();
        let deadline = Instant::now() + SHUTDOWN;
        loop {
            let left = processes_naming(&marker);
            if left.is_empty() || Instant::now() >= deadline {
                break;
            }
            for pid in left {
                let pid = i32::try_from(pid)
                    .ok()
                    .and_then(rustix::process::Pid::from_raw);
                if let Some(pid) = pid {
                    let _ = rustix::process::kill_process(pid, rustix::process::Signal::KILL);
                }
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

/// The ids of the live processes whose command line contains `marker` (Linux's `/proc`;
/// elsewhere none are found, and dropping a browser does not wait).
fn processes_naming(marker: &[u8]) -> Vec<u32> {
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    entries
        .filter_map(|entry| entry.ok()?.file_name().to_str()?.parse::<u32>().ok())
        .filter(|pid| {
            // A zombie's command line is empty: it counts as gone.
            std::fs::read(format!("/proc/{pid}/cmdline"))
                .is_ok_and(|cmdline| cmdline.windows(marker.len()).any(|w| w == marker))
        })
        .collect()
}
