//! The dashboard (`GET /_emulator/`) in a real browser: headless Chromium, driven over the
//! DevTools protocol (`graph_upload_testkit::browser`), against a real `graph-upload serve`.
//!
//! Without a valid token the page shows only its sign-in form and no data; signed in, it
//! follows an upload a paused client leaves half done (its id, received ranges, gap and the
//! fragment arriving), lists a finished print job whose download link saves the document's
//! bytes, and sets a fault rule that fires on the next request. It prints the time to first
//! render and the update latency, and saves screenshots (under `CARGO_TARGET_TMPDIR`, or
//! `GRAPH_UPLOAD_SCREENSHOTS` when set) to be looked at.
//!
//! Without Chromium each test says it is skipped and passes, unless
//! `GRAPH_UPLOAD_REQUIRE_BROWSER=1` (set by `.ci/run`, which installs Chromium).

#![cfg(unix)]
use graph_upload_testkit::browser::{Browser, Page, Viewport};
use graph_upload_testkit::emulator::{QUANTUM, last_segment, test_data};
use graph_upload_testkit::serve_process::{PrintUpload, Serve, serve_command};
use serde_json::{Value, json};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// The binary under test.
const BIN: &str = env!("CARGO_BIN_EXE_graph-upload");

const TOKEN: &str = "dashboard-test-token-3b9e1f";

/// What the page must show within: a few of its polls.
const SHOWN: Duration = Duration::from_secs(10);

fn start(data_dir: &Path) -> Serve {
    let mut command = serve_command(BIN, data_dir);
    // A started print job completes 300 ms later (default 3 s).
    command.args(["--token", TOKEN, "--job-processing-ms", "300"]);
    Serve::launch(command, Some(TOKEN))
}

async fn launch() -> Option<Browser> {
    Browser::launch().await.expect("Chromium starts")
}

/// Where screenshots go.
fn screenshots() -> PathBuf {
    let dir = std::env::var_os("GRAPH_UPLOAD_SCREENSHOTS")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_TARGET_TMPDIR")).join("dashboard"));
    std::fs::create_dir_all(&dir).expect("the screenshot directory");
    dir
}

async fn screenshot(page: &Page, name: &str) {
    let path = screenshots().join(name);
    page.screenshot(&path).await.expect("a screenshot");
    eprintln!("screenshot: {}", path.display());
}

/// The page's whole HTML, as it is now.
async fn html(page: &Page) -> String {
    page.eval("document.documentElement.outerHTML")
        .await
        .expect("the page's HTML")
        .as_str()
        .expect("a string")
        .to_owned()
}

/// `PUT` of `data[start..end]` of a `total`-byte upload to `url` (no token: the URL is
/// pre-authenticated): its status.
async fn put(serve: &Serve, url: &str, data: &[u8], start: usize, end: usize) -> u16 {
    let response = serve
        .http
        .put(url)
        .header(
            "content-range",
            format!("bytes {start}-{}/{}", end - 1, data.len()),
        )
        .body(data[start..end].to_vec())
        .send()
        .await
        .expect("PUT sent");
    response.status().as_u16()
}

/// A fragment whose first half is sent, then held: the server shows it arriving.
struct PausedPut {
    stream: tokio::net::TcpStream,
    rest: Vec<u8>,
}

impl PausedPut {
    async fn start(serve: &Serve, url: &str, data: &[u8], start: usize, end: usize) -> Self {
        let target = url.strip_prefix(&serve.base).expect("an URL of the server");
        let mut stream = tokio::net::TcpStream::connect(serve.addr)
            .await
            .expect("connect");
        let head = format!(
            "PUT {target} HTTP/1.1\r\nHost: {}\r\nContent-Length: {}\r\n\
             Content-Range: bytes {start}-{}/{}\r\n\r\n",
            serve.addr,
            end - start,
            end - 1,
            data.len()
        );
        let half = start + (end - start) / 2;
        stream.write_all(head.as_bytes()).await.expect("head");
        stream.write_all(&data[start..half]).await.expect("half");
        PausedPut {
            stream,
            rest: data[half..end].to_vec(),
        }
    }

    /// Sends the rest; the status line of the answer.
    async fn finish(mut self) -> String {
        self.stream.write_all(&self.rest).await.expect("the rest");
        let mut answer = Vec::new();
        let mut buffer = [0u8; 4096];
        while !answer.windows(4).any(|w| w == b"\r\n\r\n") {
            let read = self.stream.read(&mut buffer).await.expect("answer");
            assert!(read > 0, "closed without an answer");
            answer.extend_from_slice(&buffer[..read]);
        }
        let text = String::from_utf8_lossy(&answer);
        text.lines().next().unwrap_or_default().to_owned()
    }
}

/// The text the page shows as a session's received ranges (`null` while it is not listed).
fn received_of(id: &str) -> String {
    format!("document.querySelector('[data-session-id=\"{id}\"] .received b')?.textContent ?? null")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_a_valid_token_the_page_shows_only_the_sign_in_form() {
    let Some(browser) = launch().await else {
        return;
    };
    let dir = tempfile::tempdir().expect("temp dir");
    let serve = start(&dir.path().join("data"));
    let data = test_data(2 * QUANTUM, 1);
    let upload = serve.create_print_upload(data.len() as u64).await;
    assert_eq!(
        put(&serve, &upload.upload_url, &data, 0, QUANTUM).await,
        202
    );
    let id = last_segment(&upload.upload_url);
    assert_eq!(
        serve.dashboard,
        format!("{}/_emulator/", serve.base),
        "a given token is not in the printed URL"
    );

    let page = browser.new_page(Viewport::LAPTOP).await.expect("a page");
    page.goto(&serve.dashboard)
        .await
        .expect("the dashboard loads");
    page.wait_for(
        "document.body.dataset.state === 'signed-out' && !document.getElementById('sign-in').hidden \
         && document.getElementById('app').hidden",
        SHOWN,
    )
    .await
    .expect("the sign-in form, alone");
    // Nothing is fetched without a token: after what would be two polls, still no data.
    tokio::time::sleep(Duration::from_secs(2)).await;
    let shown = html(&page).await;
    assert!(
        !shown.contains(&id),
        "a session id without a token: {shown}"
    );
    screenshot(&page, "signed-out.png").await;

    // A wrong token, as a URL fragment: refused, forgotten, and the form says why.
    page.goto(&format!("{}#token=not-the-token", serve.dashboard))
        .await
        .expect("a fragment");
    let refused = page
        .wait_for(
            "document.getElementById('sign-in-error').textContent",
            SHOWN,
        )
        .await
        .expect("the refusal is shown");
    assert!(
        refused.as_str().unwrap_or_default().contains("refused"),
        "{refused}"
    );
    assert_eq!(
        page.eval("[location.hash, sessionStorage.length, document.body.dataset.state]")
            .await
            .unwrap(),
        json!(["", 0, "signed-out"]),
        "the token left the URL and is not kept"
    );
    let shown = html(&page).await;
    assert!(
        !shown.contains(&id),
        "a session id with a wrong token: {shown}"
    );
    assert!(
        !shown.contains("not-the-token"),
        "the token stays in the page"
    );
    assert_eq!(page.console_errors().await, Vec::<String>::new());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn signed_in_it_follows_an_upload_links_the_stored_document_and_sets_faults() {
    let Some(browser) = launch().await else {
        return;
    };
    let dir = tempfile::tempdir().expect("temp dir");
    let serve = start(&dir.path().join("data"));
    let page = browser.new_page(Viewport::LAPTOP).await.expect("a page");

    // Signed in by the fragment, which then leaves the address bar.
    let opened = Instant::now();
    page.goto(&format!("{}#token={TOKEN}", serve.dashboard))
        .await
        .expect("the dashboard loads");
    let first_render = page
        .wait_for("document.documentElement.dataset.firstRenderMs", SHOWN)
        .await
        .expect("a first render");
    let first_render_ms: f64 = first_render.as_str().unwrap().parse().unwrap();
    let first_render_wall = opened.elapsed();
    assert_eq!(page.eval("location.hash").await.unwrap(), json!(""));
    assert_eq!(
        page.eval("document.body.dataset.state").await.unwrap(),
        json!("signed-in")
    );

    // A print upload that a client leaves half done: fragment by fragment, then paused.
    let size = 10 * QUANTUM;
    let data = test_data(size, 2);
    let upload: PrintUpload = serve.create_print_upload(size as u64).await;
    let id = last_segment(&upload.upload_url);
    let mut latencies = Vec::new();
    for fragment in 0..4 {
        // At another moment of the page's refresh cycle each time (a fragment right after a
        // render waits longest).
        tokio::time::sleep(Duration::from_millis(40 * fragment as u64)).await;
        let (start, end) = (fragment * QUANTUM, (fragment + 1) * QUANTUM);
        assert_eq!(
            put(&serve, &upload.upload_url, &data, start, end).await,
            202
        );
        let accepted = Instant::now();
        let wanted = json!(format!("0-{}", end - 1));
        page.wait_for(&format!("({}) === {wanted}", received_of(&id)), SHOWN)
            .await
            .unwrap_or_else(|e| panic!("fragment {fragment} shown: {e}"));
        latencies.push(accepted.elapsed());
    }
    // Out of order, leaving a gap; then a fragment half sent and held.
    assert_eq!(
        put(&serve, &upload.upload_url, &data, 7 * QUANTUM, 8 * QUANTUM).await,
        202
    );
    let gap = json!(format!(
        "0-{}, {}-{}",
        4 * QUANTUM - 1,
        7 * QUANTUM,
        8 * QUANTUM - 1
    ));
    page.wait_for(&format!("({}) === {gap}", received_of(&id)), SHOWN)
        .await
        .expect("the gap shown");
    let paused =
        PausedPut::start(&serve, &upload.upload_url, &data, 4 * QUANTUM, 5 * QUANTUM).await;
    page.wait_for(
        &format!(
            "document.querySelectorAll('[data-session-id=\"{id}\"] .bar .received').length === 2 \
             && document.querySelectorAll('[data-session-id=\"{id}\"] .bar .in-flight').length === 1"
        ),
        SHOWN,
    )
    .await
    .expect("two received pieces and the fragment arriving");
    let card = page
        .eval(&format!(
            "document.querySelector('[data-session-id=\"{id}\"]').innerText"
        ))
        .await
        .unwrap();
    let card = card.as_str().unwrap();
    for shown in [
        id.as_str(),
        "a.pdf",
        &format!("/jobs/{}/documents/{}", upload.job_id, upload.document_id),
        "1.56 MiB of 3.13 MiB (50.0%)",
    ] {
        assert!(card.contains(shown), "{shown:?} not in the card:\n{card}");
    }
    screenshot(&page, "upload-laptop.png").await;
    let phone = browser.new_page(Viewport::PHONE).await.expect("a phone");
    phone
        .goto(&format!("{}#token={TOKEN}", serve.dashboard))
        .await
        .expect("the dashboard on a phone");
    phone
        .wait_for(
            &format!("document.querySelector('[data-session-id=\"{id}\"] .in-flight')"),
            SHOWN,
        )
        .await
        .expect("the session on a phone");
    let overflow = phone
        .eval("document.documentElement.scrollWidth - window.innerWidth")
        .await
        .unwrap();
    assert_eq!(overflow, json!(0), "the page is wider than the phone");
    screenshot(&phone, "upload-phone.png").await;
    assert_eq!(paused.finish().await, "HTTP/1.1 202 Accepted");

    // The rest, then the job started: it completes and its document can be downloaded.
    for fragment in [5, 6, 8] {
        let (start, end) = (fragment * QUANTUM, (fragment + 1) * QUANTUM);
        assert_eq!(
            put(&serve, &upload.upload_url, &data, start, end).await,
            202
        );
    }
    assert_eq!(
        put(&serve, &upload.upload_url, &data, 9 * QUANTUM, size).await,
        201
    );
    let (status, _) = serve
        .post_json(
            &format!(
                "/v1.0/print/shares/{}/jobs/{}/start",
                graph_upload_server::fixtures::SHARE_ID,
                upload.job_id
            ),
            &json!({}),
        )
        .await;
    assert_eq!(status, 200);
    let row = format!("tr[data-item-id=\"{}\"]", upload.job_id);
    page.wait_for(
        &format!(
            "document.querySelector('{row}')?.innerText.includes('completed (completedSuccessfully)') \
             && !document.querySelector('[data-session-id=\"{id}\"]')"
        ),
        SHOWN,
    )
    .await
    .expect("the job completed and its session gone");
    let downloads = dir.path().join("downloads");
    std::fs::create_dir_all(&downloads).unwrap();
    page.allow_downloads(&downloads).await.expect("downloads");
    page.click(&format!("{row} a"))
        .await
        .expect("the link clicked");
    let saved = downloads.join("a.pdf");
    let deadline = Instant::now() + SHOWN;
    while std::fs::metadata(&saved).map(|m| m.len()).unwrap_or(0) != size as u64 {
        assert!(
            Instant::now() < deadline,
            "the download did not arrive: {:?}",
            std::fs::read_dir(&downloads).unwrap().collect::<Vec<_>>()
        );
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    assert!(std::fs::read(&saved).unwrap() == data, "the bytes uploaded");
    // The download is the newest request (its token hidden); once it is listed, the page
    // below it stops moving.
    page.wait_for(
        "document.querySelector('#request-table tbody tr')?.innerText.includes('/printDocuments/')",
        SHOWN,
    )
    .await
    .expect("the download among the last requests");
    let listed = page
        .eval("document.querySelector('#request-table tbody tr').innerText")
        .await
        .unwrap();
    let listed = listed.as_str().unwrap();
    assert!(
        listed.contains("?...") && !listed.contains("tempauthtoken"),
        "{listed}"
    );

    // A fault rule set from the page fires on the next request.
    let rule = r#"[{"route": "status", "every": 1, "status": 503, "retryAfter": 1}]"#;
    page.fill("#fault-rules", rule)
        .await
        .expect("the rules typed");
    page.click("#fault-replace").await.expect("replace clicked");
    page.wait_for(
        "document.getElementById('fault-result').textContent === '1 rule(s) in force' \
         && document.querySelectorAll('#fault-table tbody tr').length === 1",
        SHOWN,
    )
    .await
    .expect("the rule in force");
    let (status, body) = serve.get("/_emulator/faults").await;
    assert_eq!(status, 200);
    let rules: Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(rules, serde_json::from_str::<Value>(rule).unwrap());
    let todo = serve.create_todo_upload("notes.txt", 10).await;
    let response = serve
        .http
        .get(&todo.upload_url)
        .bearer_auth(TOKEN)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 503, "the next status request");
    page.wait_for(
        "document.querySelector('#fault-table tbody tr .fired')?.textContent === '1' \
         && document.querySelector('#request-table tbody tr')?.innerText.includes('fault 0')",
        SHOWN,
    )
    .await
    .expect("the rule fired once, on the newest request");
    screenshot(&page, "faults-laptop.png").await;

    // A bad rule is refused with the reason; the rule in force stays.
    page.fill("#fault-rules", r#"[{"route": "nowhere", "every": 1}]"#)
        .await
        .unwrap();
    page.click("#fault-replace").await.unwrap();
    let refused = page
        .wait_for(
            "document.getElementById('fault-result').className === 'result bad' \
             && document.getElementById('fault-result').textContent",
            SHOWN,
        )
        .await
        .expect("the refusal shown");
    assert!(
        refused.as_str().unwrap().starts_with("refused: "),
        "{refused}"
    );
    let (_, body) = serve.get("/_emulator/faults").await;
    assert_eq!(serde_json::from_slice::<Value>(&body).unwrap(), rules);

    // A name written like markup stays text.
    let name = "<img src=x onerror=\"document.title='owned'\">.txt";
    let (status, _) = serve
        .post_json(
            &format!(
                "/v1.0/me/todo/lists/{}/tasks/{}/attachments",
                graph_upload_server::fixtures::LIST_ID,
                graph_upload_server::fixtures::TASK_ID
            ),
            &json!({"@odata.type": "#microsoft.graph.taskFileAttachment", "name": name,
                    "contentBytes": "aGk=", "contentType": "text/plain"}),
        )
        .await;
    assert_eq!(status, 201);
    let shown = page
        .wait_for(
            &format!(
                "[...document.querySelectorAll('#item-table a')].some(a => a.textContent === {})",
                json!(name)
            ),
            SHOWN,
        )
        .await;
    assert!(shown.is_ok(), "the name as text: {shown:?}");
    assert_eq!(
        page.eval("[document.querySelectorAll('main img').length, document.title]")
            .await
            .unwrap(),
        json!([0, "graph-upload emulator"])
    );
    assert_eq!(page.console_errors().await, Vec::<String>::new());
    assert_eq!(phone.console_errors().await, Vec::<String>::new());

    latencies.sort();
    eprintln!(
        "dashboard: first render {first_render_ms:.0} ms after navigation ({:.0} ms wall, \
         page load included); update latency after an accepted fragment: median {:.0} ms, \
         max {:.0} ms over {} fragments",
        first_render_wall.as_secs_f64() * 1000.0,
        latencies[latencies.len() / 2].as_secs_f64() * 1000.0,
        latencies[latencies.len() - 1].as_secs_f64() * 1000.0,
        latencies.len()
    );
    // The page waits on `/_emulator/changes`: a fragment shows within a refresh (0.1 s at
    // most between two), with room for a loaded CI machine.
    assert!(
        latencies[latencies.len() - 1] < Duration::from_secs(5),
        "{latencies:?}"
    );
}

/// Retakes the screenshots of the README and `docs/emulator.md` against a real `serve`: files
/// of every kind uploaded with the CLI, a fault rule that fails every 4th fragment, and a
/// print upload left half done with a fragment arriving. Run by hand when the page changes:
/// `cargo test -p graph-upload-cli --test dashboard -- --ignored readme_screenshots`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "writes docs/images: run by hand when the page changes"]
async fn readme_screenshots() {
    use graph_upload_server::fixtures::{LIST_ID, MESSAGE_ID, SHARE_ID, TASK_ID};
    let browser = Browser::launch()
        .await
        .expect("Chromium starts")
        .expect("Chromium is needed to take the screenshots");
    let dir = tempfile::tempdir().expect("temp dir");
    let serve = start(&dir.path().join("data"));
    let file = |name: &str, size: usize| {
        let path = dir.path().join(name);
        std::fs::write(&path, test_data(size, 3)).expect("a file to upload");
        path.to_string_lossy().into_owned()
    };
    let uploads: [Vec<String>; 4] = [
        vec![
            "print".into(),
            "--share".into(),
            SHARE_ID.into(),
            file("quarterly-report.pdf", 6_000_000),
        ],
        vec![
            "todo".into(),
            "--list".into(),
            LIST_ID.into(),
            "--task".into(),
            TASK_ID.into(),
            file("minutes.docx", 180_000),
        ],
        vec![
            "drive".into(),
            "--path".into(),
            "/Documents/site-photo.jpg".into(),
            file("site-photo.jpg", 2_400_000),
        ],
        vec![
            "mail".into(),
            "--message".into(),
            MESSAGE_ID.into(),
            file("budget.xlsx", 4_200_000),
        ],
    ];
    for args in uploads {
        let status = std::process::Command::new(BIN)
            .arg("upload")
            .args(&args)
            .args(["--base-url", &serve.base, "--token", TOKEN])
            .stdout(std::process::Stdio::null())
            .status()
            .expect("graph-upload upload");
        assert!(status.success(), "upload {args:?}");
    }
    let response = serve
        .api(reqwest::Method::PUT, "/_emulator/faults")
        .header("content-type", "application/json")
        .body(r#"[{"route": "put", "every": 4, "status": 503, "retryAfter": 1}]"#)
        .send()
        .await
        .expect("fault rules");
    assert_eq!(response.status().as_u16(), 200);

    // A print upload left half done: fragments in order, a later run, one arriving.
    let (status, job) = serve
        .post_json(&format!("/v1.0/print/shares/{SHARE_ID}/jobs"), &json!({}))
        .await;
    assert_eq!(status, 201);
    let size = 24 * QUANTUM;
    let (status, session) = serve
        .post_json(
            &format!(
                "/v1.0/print/shares/{SHARE_ID}/jobs/{}/documents/{}/createUploadSession",
                job["id"].as_str().unwrap(),
                job["documents"][0]["id"].as_str().unwrap()
            ),
            &json!({"properties": {"documentName": "annual-accounts-2026.pdf",
                    "contentType": "application/pdf", "size": size}}),
        )
        .await;
    assert_eq!(status, 200);
    let url = session["uploadUrl"].as_str().unwrap().to_owned();
    let data = test_data(size, 4);
    for fragment in (0..8).chain(14..17) {
        let (start, end) = (fragment * QUANTUM, (fragment + 1) * QUANTUM);
        // The rule fails every 4th: send that one again, as a client would.
        if put(&serve, &url, &data, start, end).await == 503 {
            assert_eq!(put(&serve, &url, &data, start, end).await, 202);
        }
    }
    let paused = PausedPut::start(&serve, &url, &data, 8 * QUANTUM, 11 * QUANTUM).await;
    let id = last_segment(&url);
    let images = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/images");
    for (viewport, name) in [
        (Viewport::LAPTOP, "dashboard.png"),
        (Viewport::PHONE, "dashboard-phone.png"),
    ] {
        let page = browser.new_page(viewport).await.expect("a page");
        page.goto(&format!("{}#token={TOKEN}", serve.dashboard))
            .await
            .expect("the dashboard");
        page.wait_for(
            &format!(
                "document.querySelector('[data-session-id=\"{id}\"] .in-flight') \
                 && document.querySelectorAll('#item-table tbody tr').length === 5"
            ),
            SHOWN,
        )
        .await
        .expect("the scene shown");
        page.screenshot(&images.join(name))
            .await
            .expect("a screenshot");
        assert_eq!(page.console_errors().await, Vec::<String>::new());
    }
    assert_eq!(paused.finish().await, "HTTP/1.1 202 Accepted");
}
