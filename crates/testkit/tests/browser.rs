//! The headless-Chromium driver against a tiny site served from loopback by the test itself:
//! navigation (with fragments and redirects), evaluation, a user's clicks and typing,
//! waiting, console errors, screenshots, and a dropped browser leaving no process behind.
//!
//! Without Chromium each test prints why and returns, unless `GRAPH_UPLOAD_REQUIRE_BROWSER=1`.

use std::net::SocketAddr;
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use graph_upload_testkit::browser::{Browser, BrowserError, Viewport};
use graph_upload_testkit::refused_port::RefusedPort;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// A form whose script shows the URL's fragment, counts `input` events and greets on click;
/// a button sits under a fixed banner, where no click can reach it.
const FORM: &str = r#"<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>browser test page</title>
<style>
  body { margin: 0; font: 16px sans-serif; }
  main { padding: 80px 16px; }
  #banner { position: fixed; left: 0; top: 0; width: 200px; height: 60px; background: #c33; }
  #under { position: fixed; left: 20px; top: 10px; }
</style></head>
<body>
<main>
  <p>Fragment: <output id="fragment"></output></p>
  <label>Name <input id="name" autocomplete="off"></label>
  <button id="greet" type="button">Greet</button>
  <p id="greeting"></p>
</main>
<button id="under" type="button">Under the banner</button><div id="banner"></div>
<script>
  const fragment = document.getElementById('fragment');
  const show = () => { fragment.textContent = decodeURIComponent(location.hash.slice(1)); };
  show();
  addEventListener('hashchange', show);
  let inputs = 0;
  document.getElementById('name').addEventListener('input', () => { inputs += 1; });
  document.getElementById('greet').addEventListener('click', (event) => {
    const name = document.getElementById('name').value;
    document.getElementById('greeting').textContent =
      `Hello, ${name}! (${inputs} input events, trusted: ${event.isTrusted})`;
  });
</script>
</body></html>"#;

/// A page much taller than any viewport, with a button at its very end.
const TALL: &str = r#"<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>body { margin: 0; } #spacer { height: 3000px; background: linear-gradient(#fff, #36c); }</style>
</head><body><div id="spacer"></div>
<button id="far" type="button" onclick="this.textContent = 'clicked at ' + Math.round(scrollY)">Far</button>
</body></html>"#;

/// Serves [`FORM`] at `/`, [`TALL`] at `/tall`, a `302` from `/moved` to `/?from=moved#moved`,
/// and `404` elsewhere, on a loopback port; the server's tasks end with the test's runtime.
async fn serve_site() -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind loopback");
    let addr = listener.local_addr().expect("local address");
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            tokio::spawn(answer(stream));
        }
    });
    addr
}

/// Reads one request head and answers it (`Connection: close`).
async fn answer(mut stream: TcpStream) {
    let mut head = Vec::new();
    let mut buffer = [0u8; 4096];
    while !head.windows(4).any(|w| w == b"\r\n\r\n") {
        let read = tokio::time::timeout(Duration::from_secs(10), stream.read(&mut buffer)).await;
        match read {
            Ok(Ok(n)) if n > 0 => head.extend_from_slice(&buffer[..n]),
            _ => return,
        }
    }
    let head = String::from_utf8_lossy(&head);
    let path = head.split_whitespace().nth(1).unwrap_or("/");
    let (status, extra, body) = match path.split('?').next().unwrap_or("/") {
        "/" => ("200 OK", "", FORM),
        "/tall" => ("200 OK", "", TALL),
        "/moved" => ("302 Found", "Location: /?from=moved#moved\r\n", ""),
        _ => ("404 Not Found", "", "not here"),
    };
    let response = format!(
        "HTTP/1.1 {status}\r\n{extra}Content-Type: text/html; charset=utf-8\r\n\
         Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    let _ = stream.write_all(response.as_bytes()).await;
    let _ = stream.shutdown().await;
}

/// A browser, or `None` when the test must skip (the reason is printed).
async fn launch() -> Option<Browser> {
    let started = Instant::now();
    let browser = Browser::launch()
        .await
        .unwrap_or_else(|e| panic!("launch Chromium: {e}"))?;
    eprintln!("Chromium launched in {:?}", started.elapsed());
    Some(browser)
}

/// The text of the element matching `selector`.
fn text_of(selector: &str) -> String {
    format!("document.querySelector('{selector}').textContent")
}

#[tokio::test]
async fn goto_and_eval_read_the_fragment_also_when_only_the_fragment_changes() {
    let site = serve_site().await;
    let started = Instant::now();
    let Some(browser) = launch().await else {
        return;
    };
    let page = browser.new_page(Viewport::LAPTOP).await.expect("a page");
    page.goto(&format!("http://{site}/#first"))
        .await
        .expect("load the page");
    eprintln!("launch to first loaded page: {:?}", started.elapsed());
    // The page's own script read the fragment at load.
    assert_eq!(page.eval(&text_of("#fragment")).await.unwrap(), "first");

    // Same document, new fragment: no load event, yet goto returns and the handler runs.
    page.goto(&format!("http://{site}/#second"))
        .await
        .expect("same-document navigation");
    assert_eq!(page.eval("location.hash").await.unwrap(), "#second");
    page.wait_for(
        &format!("{} === 'second'", text_of("#fragment")),
        Duration::from_secs(5),
    )
    .await
    .expect("the hashchange handler shows the new fragment");

    // A new document again (another path), then back to one with a fragment.
    page.goto(&format!("http://{site}/tall")).await.unwrap();
    assert!(
        page.eval("document.getElementById('far') !== null")
            .await
            .unwrap()
            == true
    );
    page.goto(&format!("http://{site}/#third")).await.unwrap();
    assert_eq!(page.eval(&text_of("#fragment")).await.unwrap(), "third");
    assert!(page.console_errors().await.is_empty());
}

#[tokio::test]
async fn goto_follows_redirects_and_reports_failed_navigations_without_the_query() {
    let site = serve_site().await;
    let Some(browser) = launch().await else {
        return;
    };
    let page = browser.new_page(Viewport::LAPTOP).await.expect("a page");

    page.goto(&format!("http://{site}/moved"))
        .await
        .expect("a redirected navigation loads its target");
    assert_eq!(page.eval("location.search").await.unwrap(), "?from=moved");
    assert_eq!(page.eval(&text_of("#fragment")).await.unwrap(), "moved");

    let refused = RefusedPort::bind();
    let url = format!(
        "http://{}/x?tempauthtoken=SECRET#token=SECRET",
        refused.addr()
    );
    let error = page.goto(&url).await.expect_err("nothing listens there");
    let message = error.to_string();
    assert!(
        matches!(error, BrowserError::Navigation { .. }),
        "{message}"
    );
    assert!(message.contains("ERR_CONNECTION_REFUSED"), "{message}");
    assert!(
        !message.contains("SECRET"),
        "the query and fragment leaked: {message}"
    );
}

#[tokio::test]
async fn fill_and_click_act_as_a_user_so_the_pages_own_handlers_run() {
    let site = serve_site().await;
    let Some(browser) = launch().await else {
        return;
    };
    let page = browser.new_page(Viewport::LAPTOP).await.expect("a page");
    page.goto(&format!("http://{site}/")).await.unwrap();

    page.fill("#name", "Ada")
        .await
        .expect("type into the field");
    page.click("#greet").await.expect("click the button");
    assert_eq!(
        page.eval(&text_of("#greeting")).await.unwrap(),
        "Hello, Ada! (1 input events, trusted: true)"
    );

    // Filling again replaces what the field held, as select-all and typing would.
    page.fill("#name", "Grace Hopper").await.unwrap();
    page.click("#greet").await.unwrap();
    assert_eq!(
        page.eval(&text_of("#greeting")).await.unwrap(),
        "Hello, Grace Hopper! (2 input events, trusted: true)"
    );
    page.fill("#name", "").await.expect("clear the field");
    assert_eq!(
        page.eval("document.getElementById('name').value")
            .await
            .unwrap(),
        ""
    );

    let missing = page.click("#nothing").await.expect_err("no such element");
    assert!(
        matches!(missing, BrowserError::NoSuchElement(_)),
        "{missing}"
    );
    let covered = page
        .click("#under")
        .await
        .expect_err("the banner covers it");
    assert!(
        covered.to_string().contains("covered by <div#banner>"),
        "{covered}"
    );
    let unfocusable = page.fill("#greeting", "x").await.expect_err("a paragraph");
    assert!(
        matches!(unfocusable, BrowserError::NotInteractable { .. }),
        "{unfocusable}"
    );

    // An element far below the fold is scrolled to before the click.
    page.goto(&format!("http://{site}/tall")).await.unwrap();
    page.click("#far").await.expect("click below the fold");
    let clicked = page.eval(&text_of("#far")).await.unwrap();
    let scrolled: u32 = clicked
        .as_str()
        .and_then(|text| text.strip_prefix("clicked at "))
        .and_then(|y| y.parse().ok())
        .unwrap_or_else(|| panic!("the button's handler did not run: {clicked}"));
    assert!(scrolled > 2000, "the page was not scrolled: {clicked}");
    assert!(page.console_errors().await.is_empty());
}

#[tokio::test]
async fn wait_for_returns_the_first_truthy_value_or_times_out_naming_the_expression() {
    let site = serve_site().await;
    let Some(browser) = launch().await else {
        return;
    };
    let page = browser.new_page(Viewport::LAPTOP).await.expect("a page");
    page.goto(&format!("http://{site}/")).await.unwrap();

    // Falsy (and throwing) evaluations until a timer sets the value.
    page.eval("setTimeout(() => { window.ready = { rows: 3 }; }, 200); 0")
        .await
        .unwrap();
    let ready = page
        .wait_for("window.ready.rows", Duration::from_secs(5))
        .await
        .expect("the timer fires");
    assert_eq!(ready, 3);

    page.eval("window.count = 0").await.unwrap();
    let started = Instant::now();
    let error = page
        .wait_for("window.count", Duration::from_millis(300))
        .await
        .expect_err("count stays 0");
    let waited = started.elapsed();
    assert!(
        waited >= Duration::from_millis(250) && waited < Duration::from_secs(3),
        "{waited:?}"
    );
    let message = error.to_string();
    assert!(
        matches!(error, BrowserError::WaitTimeout { .. }),
        "{message}"
    );
    assert!(message.contains("`window.count`"), "{message}");
    assert!(message.contains("last value: 0"), "{message}");

    let error = page
        .wait_for("window.nothing.here", Duration::from_millis(200))
        .await
        .expect_err("never defined");
    assert!(error.to_string().contains("TypeError"), "{error}");
}

#[tokio::test]
async fn eval_returns_values_and_thrown_exceptions_as_errors() {
    let site = serve_site().await;
    let Some(browser) = launch().await else {
        return;
    };
    let page = browser.new_page(Viewport::LAPTOP).await.expect("a page");
    page.goto(&format!("http://{site}/")).await.unwrap();

    assert_eq!(page.eval("1 + 1").await.unwrap(), 2);
    assert_eq!(
        page.eval("undefined").await.unwrap(),
        serde_json::Value::Null
    );
    assert_eq!(
        page.eval("Promise.resolve({ a: [1, 'x'] })").await.unwrap(),
        serde_json::json!({ "a": [1, "x"] })
    );
    assert_eq!(page.eval("0 / 0").await.unwrap(), "NaN");

    let thrown = page
        .eval("throw new Error('boom')")
        .await
        .expect_err("a thrown exception");
    assert!(matches!(thrown, BrowserError::Script(_)), "{thrown}");
    assert!(thrown.to_string().contains("Error: boom"), "{thrown}");
    let rejected = page
        .eval("new Promise((_, reject) => setTimeout(() => reject(new RangeError('later')), 10))")
        .await
        .expect_err("a rejected promise");
    assert!(
        rejected.to_string().contains("RangeError: later"),
        "{rejected}"
    );
    let syntax = page.eval("1 +").await.expect_err("not JavaScript");
    assert!(syntax.to_string().contains("SyntaxError"), "{syntax}");
    // Errors of evaluations are the caller's, not the page's.
    assert!(page.console_errors().await.is_empty());
}

#[tokio::test]
async fn console_errors_collects_console_error_and_uncaught_exceptions() {
    let site = serve_site().await;
    let Some(browser) = launch().await else {
        return;
    };
    let page = browser.new_page(Viewport::LAPTOP).await.expect("a page");
    page.goto(&format!("http://{site}/")).await.unwrap();
    assert!(page.console_errors().await.is_empty());

    page.eval("console.log('fine'); console.warn('careful'); console.error('bad thing', 42)")
        .await
        .unwrap();
    assert_eq!(page.console_errors().await, ["console.error: bad thing 42"]);

    // Thrown by a timer, outside any evaluation: only the page saw it.
    page.eval("setTimeout(() => { throw new TypeError('uncaught here'); }, 0); 0")
        .await
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(5);
    let errors = loop {
        let errors = page.console_errors().await;
        if errors.len() > 1 || Instant::now() > deadline {
            break errors;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    assert_eq!(errors.len(), 2, "{errors:?}");
    assert!(
        errors[1].starts_with("Uncaught TypeError: uncaught here"),
        "{errors:?}"
    );
}

#[tokio::test]
async fn screenshots_are_pngs_of_the_viewport_or_of_the_whole_page() {
    let site = serve_site().await;
    let Some(browser) = launch().await else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    for (name, viewport) in [("laptop", Viewport::LAPTOP), ("phone", Viewport::PHONE)] {
        let page = browser.new_page(viewport).await.expect("a page");
        page.goto(&format!("http://{site}/")).await.unwrap();
        assert_eq!(page.eval("innerWidth").await.unwrap(), viewport.width);
        let phone_layout = page.eval("matchMedia('(max-width: 600px)').matches");
        assert_eq!(phone_layout.await.unwrap(), viewport.mobile);

        let path = dir.path().join(format!("{name}.png"));
        page.screenshot(&path).await.expect("a screenshot");
        assert_eq!(png_size(&path), (viewport.width, viewport.height), "{name}");
    }

    // The whole page, not only what the viewport shows, even after scrolling.
    let page = browser.new_page(Viewport::LAPTOP).await.expect("a page");
    page.goto(&format!("http://{site}/tall")).await.unwrap();
    page.click("#far").await.unwrap();
    let height = page
        .eval("document.documentElement.scrollHeight")
        .await
        .unwrap();
    let path = dir.path().join("tall.png");
    page.screenshot(&path)
        .await
        .expect("a full-page screenshot");
    let height = u32::try_from(height.as_u64().expect("a height")).unwrap();
    assert!(height > 3000);
    assert_eq!(png_size(&path), (1280, height));
    // Capturing beyond the viewport leaves the viewport as it was.
    assert_eq!(page.eval("innerHeight").await.unwrap(), 800);
}

/// The width and height in the IHDR chunk of the PNG at `path`, after checking the signature.
fn png_size(path: &Path) -> (u32, u32) {
    let png = std::fs::read(path).expect("read the screenshot");
    assert!(png.len() > 24, "too short for a PNG: {} bytes", png.len());
    assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n", "not a PNG");
    assert_eq!(&png[12..16], b"IHDR", "no IHDR first");
    let word = |at: usize| u32::from_be_bytes(png[at..at + 4].try_into().expect("4 bytes"));
    (word(16), word(20))
}

#[tokio::test]
async fn dropping_the_browser_kills_every_chromium_process_and_removes_its_directory() {
    let site = serve_site().await;
    let Some(browser) = launch().await else {
        return;
    };
    let page = browser.new_page(Viewport::LAPTOP).await.expect("a page");
    page.goto(&format!("http://{site}/")).await.unwrap();
    let dir = browser.temp_dir().to_owned();
    let pattern = dir.display().to_string();
    let running = pgrep(&pattern);
    assert!(
        running.len() >= 3,
        "a browser, its zygote and a renderer at least: {running:?}"
    );
    assert!(running.contains(&browser.pid()), "{running:?}");

    let started = Instant::now();
    drop(browser);
    eprintln!("dropping the browser took {:?}", started.elapsed());
    assert_eq!(pgrep(&pattern), Vec::<u32>::new(), "left behind");
    assert!(!dir.exists(), "the profile stayed: {}", dir.display());

    // A page that outlived its browser fails at once instead of waiting for a deadline.
    let started = Instant::now();
    let error = page.eval("1").await.expect_err("the browser is gone");
    assert!(matches!(error, BrowserError::Connection(_)), "{error}");
    assert!(started.elapsed() < Duration::from_secs(1));
}

/// The ids of the processes whose command line matches `pattern` (`pgrep -f`).
fn pgrep(pattern: &str) -> Vec<u32> {
    let output = Command::new("pgrep")
        .arg("-f")
        .arg("--")
        .arg(pattern)
        .output()
        .expect("run pgrep");
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .map(|line| line.trim().parse().expect("a pid"))
        .collect()
}
