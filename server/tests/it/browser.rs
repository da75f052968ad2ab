//! The web UI in real headless Chromium, driven through WebDriver (`modelreg_testkit::Browser`)
//! against the real `modelreg-server` binary seeded with real-shaped model cards: searching,
//! paging, following lineage, comparing, keyboard use, phone and desktop widths, signing in
//! and out, and hostile Markdown that must stay inert. Each page visited is saved as a full-page PNG under
//! `target/screenshots/`. Needs `MODELREG_TEST_CHROMIUM` and `MODELREG_TEST_CHROMEDRIVER`
//! (set by `scripts/test`); without them these tests fail, they never skip.

mod compare;
mod model;
mod search;
mod security;
mod seed;
mod session;
mod widths;

use std::time::{Duration, Instant};

use modelreg_testkit::{Browser, ServerProcess, ServerSetup, screenshot_dir};
use serde_json::{Value, json};

/// One browser at a time: the tests of this binary already run in parallel, and several
/// Chromiums on a small CI runner make every test slow without testing anything more.
static ONE_BROWSER: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// Records every Content-Security-Policy violation of every page in `window.__csp`, from the
/// first byte of the document on. The UI has no inline script or style, so any violation is
/// either a UI bug or injected markup that got past the sanitiser.
const CSP_WATCH: &str = "window.__csp = []; document.addEventListener('securitypolicyviolation', \
    function (e) { window.__csp.push(e.violatedDirective + ' ' + (e.blockedURI || 'inline') + ' ' + e.sourceFile + ':' + e.lineNumber); });";

/// A seeded registry served by the real binary, and a browser pointed at it.
pub struct Site {
    // Fields drop in this order: the browser, the server, its data, then the next test's turn.
    pub browser: Browser,
    pub server: ServerProcess,
    _setup: ServerSetup,
    _turn: tokio::sync::MutexGuard<'static, ()>,
}

impl Site {
    /// The seeded registry with anonymous reads on, so that pages need no sign-in.
    pub async fn anonymous() -> Site {
        Site::start(ServerSetup::embedded().with_env("MODELREG_ANONYMOUS_READ", "true")).await
    }

    /// The seeded registry served with `setup` (whose own tokens are made before it starts).
    pub async fn start(setup: ServerSetup) -> Site {
        let turn = ONE_BROWSER.lock().await;
        let token = setup.create_token("seed", "write");
        let server = ServerProcess::start(&setup).await;
        seed::seed(server.url(), &token).await;
        let browser = Browser::start().await;
        browser.cdp("Page.addScriptToEvaluateOnNewDocument", json!({ "source": CSP_WATCH })).await;
        Site { server, browser, _setup: setup, _turn: turn }
    }

    /// Opens `path` (e.g. `/?q=x`) on the server.
    pub async fn open(&self, path: &str) {
        self.browser.goto(&format!("{}{path}", self.server.url())).await;
    }

    /// The current path and query, without the origin.
    pub async fn path(&self) -> String {
        let url = self.browser.current_url().await;
        url.strip_prefix(self.server.url()).map_or(url.clone(), str::to_owned)
    }

    /// Waits until the current path starts with `prefix` and the page has loaded.
    pub async fn wait_for_path(&self, prefix: &str) {
        self.wait_for(&format!("a path starting {prefix}"), |p| p.starts_with(prefix)).await;
    }

    /// Waits until the current path (with its query) passes `ok` and the page has loaded;
    /// panics naming `what` and the path it is on after 15 s.
    pub async fn wait_for(&self, what: &str, ok: impl Fn(&str) -> bool) {
        let deadline = Instant::now() + Duration::from_secs(15);
        loop {
            let ready = self.browser.execute("return document.readyState", vec![]).await;
            if ok(&self.path().await) && ready == "complete" {
                return;
            }
            assert!(Instant::now() < deadline, "never reached {what}: still on {}", self.path().await);
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Saves the whole page as `target/screenshots/<name>.png` and checks that the page
    /// violated no Content-Security-Policy rule.
    pub async fn shot(&self, name: &str) {
        self.browser.screenshot_full_page(&screenshot_dir().join(format!("{name}.png"))).await;
        assert_eq!(
            self.csp_violations().await,
            Vec::<String>::new(),
            "CSP violations on {}",
            self.path().await
        );
    }

    pub async fn csp_violations(&self) -> Vec<String> {
        let v = self.browser.execute("return window.__csp || ['the CSP watch did not run']", vec![]).await;
        serde_json::from_value(v).unwrap()
    }

    /// The model names of the result rows on a search page, in order.
    pub async fn result_models(&self) -> Vec<String> {
        let mut names = Vec::new();
        for link in self.browser.find_all("table tbody th[scope=row] a").await {
            names.push(link.text().await);
        }
        names
    }

    /// Every row of the first table on the page as the texts of its cells (header cell first).
    pub async fn table_rows(&self, css: &str) -> Vec<Vec<String>> {
        let script = "return Array.from(document.querySelectorAll(arguments[0])).map(function (tr) { \
                      return Array.from(tr.cells).map(function (c) { return c.innerText.trim(); }); });";
        serde_json::from_value(self.browser.execute(script, vec![Value::from(css)]).await).unwrap()
    }
}
