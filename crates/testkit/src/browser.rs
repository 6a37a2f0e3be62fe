//! A headless Chromium for tests that need a real browser (the emulator's dashboard): load a
//! page, read its DOM, click, type, take screenshots, collect its console errors. Behind the
//! `browser` feature.
//!
//! It speaks the Chrome DevTools Protocol over the browser's websocket itself (a few hundred
//! lines) instead of depending on a CDP client crate that takes minutes to build. A test
//! that finds no Chromium skips itself unless `GRAPH_UPLOAD_REQUIRE_BROWSER=1`:
//!
//! ```no_run
//! use graph_upload_testkit::browser::{Browser, Viewport};
//! use std::time::Duration;
//!
//! # async fn test(url: &str) -> Result<(), Box<dyn std::error::Error>> {
//! let Some(browser) = Browser::launch().await? else {
//!     return Ok(()); // skipped, and the reason printed
//! };
//! let page = browser.new_page(Viewport::PHONE).await?;
//! page.goto(url).await?;
//! page.fill("#token", "secret").await?;
//! page.click("button[type=submit]").await?;
//! page.wait_for("document.querySelector('#sessions tr')", Duration::from_secs(5)).await?;
//! assert!(page.console_errors().await.is_empty());
//! # Ok(())
//! # }
//! ```
//!
//! Every call has a deadline (answers 10 s, loads 20 s), and dropping the [`Browser`] kills
//! every process of it before it returns. The connection's reader is a task of the Tokio
//! runtime that launched the browser (the test's), so a browser serves one test.

mod cdp;
mod chromium;
mod console;
mod error;
mod page;

pub use chromium::{Browser, CHROMIUM_ENV, REQUIRE_ENV, browser_required, find_chromium};
pub use error::BrowserError;
pub use page::{LOAD_TIMEOUT, Page, Viewport};
