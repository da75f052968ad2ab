//! A small W3C WebDriver client for the browser tests of the web UI: one headless Chromium
//! driven through `chromedriver`, with just the commands those tests use (navigate, find by CSS,
//! click, type, press keys, read, run a script, DevTools commands, cookies, screenshots,
//! alerts). Panics on any refusal, naming
//! the command: a test helper has no caller that could recover. No browser means a panic that
//! says how to install one, never a skip.

mod driver;

use std::path::{Path, PathBuf};
use std::time::Duration;

use base64::Engine as _;
use reqwest::Method;
use serde_json::{Value, json};

use driver::Driver;

/// The key of an element reference in WebDriver's JSON.
const ELEMENT_KEY: &str = "element-6066-11e4-a52e-4f735466cecf";
/// The longest a single command (a page load included) may take.
const COMMAND_TIMEOUT: Duration = Duration::from_secs(60);

/// WebDriver key codes for [`Browser::press`] and [`Element::send_keys`].
pub mod keys {
    pub const TAB: &str = "\u{E004}";
    pub const ENTER: &str = "\u{E007}";
    pub const SPACE: &str = "\u{E00D}";
}

/// A refusal from the driver: WebDriver's `error` code and its message.
#[derive(Debug)]
struct WebDriverError {
    error: String,
    #[expect(dead_code, reason = "shown by Debug in panic messages")]
    message: String,
}

/// One headless Chromium session with its own `chromedriver` and a fresh profile; the session
/// is ended and the driver stopped when this is dropped.
#[derive(Debug)]
pub struct Browser {
    http: reqwest::Client,
    /// `/session/<id>`.
    session: String,
    driver: Driver,
}

impl Browser {
    /// Starts `$MODELREG_TEST_CHROMEDRIVER` for `$MODELREG_TEST_CHROMIUM` (both exported by
    /// `scripts/test`) and opens a session with a 1280×900 window.
    pub async fn start() -> Browser {
        let driver = Driver::start();
        let http = reqwest::Client::builder()
            .no_proxy()
            .timeout(COMMAND_TIMEOUT)
            .build()
            .expect("an HTTP client for chromedriver");
        let options = json!({ "binary": driver.chromium(), "args": driver.chromium_args() });
        let capabilities = json!({ "capabilities": { "alwaysMatch": {
            "browserName": "chrome",
            // An alert stays open, so that a test can see it (the default dismisses it).
            "unhandledPromptBehavior": "ignore",
            "goog:chromeOptions": options,
        } } });
        let response = http.post(format!("{}/session", driver.url())).json(&capabilities).send().await;
        let value = match decode(response).await {
            Ok(value) => value,
            Err(e) => panic!("chromedriver refused a new session: {e:?}\n{}", driver.log()),
        };
        let id = value["sessionId"].as_str().expect("a new session has an id").to_owned();
        Browser { http, session: format!("/session/{id}"), driver }
    }

    /// Sends one command; `body` is required by WebDriver for every POST.
    async fn command(
        &self,
        method: Method,
        path: &str,
        body: Option<Value>,
    ) -> Result<Value, WebDriverError> {
        let mut request = self.http.request(method, format!("{}{}{path}", self.driver.url(), self.session));
        if let Some(body) = body {
            request = request.json(&body);
        }
        decode(request.send().await).await
    }

    async fn must(&self, method: Method, path: &str, body: Option<Value>) -> Value {
        let what = format!("{method} {path}");
        self.command(method, path, body).await.unwrap_or_else(|e| panic!("WebDriver {what}: {e:?}"))
    }

    /// Loads `url` and waits for its `load` event.
    pub async fn goto(&self, url: &str) {
        self.must(Method::POST, "/url", Some(json!({ "url": url }))).await;
    }

    pub async fn current_url(&self) -> String {
        string(self.must(Method::GET, "/url", None).await)
    }

    /// The cookies the browser holds for the current page, as WebDriver describes them
    /// (`name`, `value`, `httpOnly`, `sameSite`, `secure`, `expiry`, ...).
    pub async fn cookies(&self) -> Vec<Value> {
        match self.must(Method::GET, "/cookie", None).await {
            Value::Array(all) => all,
            other => panic!("WebDriver listed cookies as {other}"),
        }
    }

    /// The first element matching `css`; panics (with the page's URL) when there is none.
    pub async fn find(&self, css: &str) -> Element<'_> {
        match self.command(Method::POST, "/element", Some(by_css(css))).await {
            Ok(v) => Element::from_json(self, &v),
            Err(e) => panic!("no element matches `{css}` on {}: {e:?}", self.current_url().await),
        }
    }

    /// Every element matching `css`, in document order.
    pub async fn find_all(&self, css: &str) -> Vec<Element<'_>> {
        let found = self.must(Method::POST, "/elements", Some(by_css(css))).await;
        found.as_array().expect("a list of elements").iter().map(|v| Element::from_json(self, v)).collect()
    }

    /// The element that has the keyboard focus.
    pub async fn active_element(&self) -> Element<'_> {
        let v = self.must(Method::GET, "/element/active", None).await;
        Element::from_json(self, &v)
    }

    /// Runs `script` (a function body; `arguments[i]` are `args`) and returns what it returns.
    pub async fn execute(&self, script: &str, args: Vec<Value>) -> Value {
        self.must(Method::POST, "/execute/sync", Some(json!({ "script": script, "args": args }))).await
    }

    /// Presses and releases each key of `keys` (see [`keys`]) on whatever has the focus.
    pub async fn press(&self, keys: &str) {
        let strokes: Vec<Value> = keys
            .chars()
            .flat_map(|k| [json!({"type": "keyDown", "value": k}), json!({"type": "keyUp", "value": k})])
            .collect();
        let actions = json!({ "actions": [{ "type": "key", "id": "keyboard", "actions": strokes }] });
        self.must(Method::POST, "/actions", Some(actions)).await;
        self.must(Method::DELETE, "/actions", None).await;
    }

    /// The text of the open alert, confirm or prompt dialog, if one is open.
    pub async fn alert_text(&self) -> Option<String> {
        match self.command(Method::GET, "/alert/text", None).await {
            Ok(v) => Some(string(v)),
            Err(e) if e.error == "no such alert" => None,
            Err(e) => panic!("WebDriver GET /alert/text: {e:?}"),
        }
    }

    /// Closes the open dialog.
    pub async fn dismiss_alert(&self) {
        self.must(Method::POST, "/alert/dismiss", Some(json!({}))).await;
    }

    /// Sends a Chrome DevTools Protocol command through chromedriver.
    pub async fn cdp(&self, cmd: &str, params: Value) -> Value {
        self.must(Method::POST, "/goog/cdp/execute", Some(json!({ "cmd": cmd, "params": params }))).await
    }

    /// Saves a PNG of what the viewport shows to `path`, creating its folder.
    pub async fn screenshot(&self, path: &Path) {
        let data = self.must(Method::GET, "/screenshot", None).await;
        write_png(path, data.as_str().expect("a screenshot is base64 text"));
    }

    /// Saves a PNG of the whole page (beyond the viewport) to `path`, creating its folder.
    pub async fn screenshot_full_page(&self, path: &Path) {
        let metrics = self.cdp("Page.getLayoutMetrics", json!({})).await;
        let size = &metrics["cssContentSize"];
        let (width, height) = (size["width"].as_f64().unwrap_or(1.0), size["height"].as_f64().unwrap_or(1.0));
        let shot = self
            .cdp(
                "Page.captureScreenshot",
                json!({
                    "format": "png",
                    "captureBeyondViewport": true,
                    "clip": { "x": 0, "y": 0, "width": width.ceil(), "height": height.ceil(), "scale": 1 },
                }),
            )
            .await;
        write_png(path, shot["data"].as_str().expect("a screenshot carries its data"));
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        // The session is ended first (also when a test panicked), so that the browser quits
        // rather than outliving its driver.
        self.driver.stop(&self.session);
    }
}

/// An element of the current page, by WebDriver's reference.
#[derive(Debug, Clone)]
pub struct Element<'b> {
    browser: &'b Browser,
    id: String,
}

impl<'b> Element<'b> {
    fn from_json(browser: &'b Browser, v: &Value) -> Self {
        let id = v[ELEMENT_KEY].as_str().unwrap_or_else(|| panic!("not an element reference: {v}"));
        Element { browser, id: id.to_owned() }
    }

    async fn must(&self, method: Method, path: &str, body: Option<Value>) -> Value {
        self.browser.must(method, &format!("/element/{}{path}", self.id), body).await
    }

    /// Scrolls the element into view and clicks its centre.
    pub async fn click(&self) {
        self.must(Method::POST, "/click", Some(json!({}))).await;
    }

    /// Focuses the element and types `text` (which may hold [`keys`]).
    pub async fn send_keys(&self, text: &str) {
        self.must(Method::POST, "/value", Some(json!({ "text": text }))).await;
    }

    /// The rendered text, as a reader sees it.
    pub async fn text(&self) -> String {
        string(self.must(Method::GET, "/text", None).await)
    }

    /// An HTML attribute as written in the document.
    pub async fn attribute(&self, name: &str) -> Option<String> {
        self.must(Method::GET, &format!("/attribute/{name}"), None).await.as_str().map(str::to_owned)
    }

    /// A DOM property (`value`, `checked`, `href` resolved against the page, ...).
    pub async fn property(&self, name: &str) -> Value {
        self.must(Method::GET, &format!("/property/{name}"), None).await
    }

    /// The lower-case tag name.
    pub async fn tag_name(&self) -> String {
        string(self.must(Method::GET, "/name", None).await)
    }

    pub async fn is_selected(&self) -> bool {
        self.must(Method::GET, "/selected", None).await.as_bool().unwrap_or(false)
    }
}

/// Where the browser tests save their screenshots: `target/screenshots/` of the running build.
pub fn screenshot_dir() -> PathBuf {
    let bin = crate::binary::bin_dir_of_running_test();
    bin.parent().map_or_else(|| bin.join("screenshots"), |target| target.join("screenshots"))
}

fn write_png(path: &Path, base64_png: &str) {
    let png = base64::engine::general_purpose::STANDARD.decode(base64_png).expect("the screenshot is base64");
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).unwrap_or_else(|e| panic!("creating {}: {e}", dir.display()));
    }
    std::fs::write(path, png).unwrap_or_else(|e| panic!("writing {}: {e}", path.display()));
}

fn by_css(css: &str) -> Value {
    json!({ "using": "css selector", "value": css })
}

fn string(v: Value) -> String {
    match v {
        Value::String(s) => s,
        other => panic!("WebDriver answered {other} where a string was expected"),
    }
}

/// The `value` of a WebDriver answer, or its `error` and `message`.
async fn decode(response: reqwest::Result<reqwest::Response>) -> Result<Value, WebDriverError> {
    let transport = |e: reqwest::Error| WebDriverError { error: "transport".into(), message: e.to_string() };
    let response = response.map_err(transport)?;
    let ok = response.status().is_success();
    let mut body: Value = response.json().await.map_err(transport)?;
    let value = body["value"].take();
    if ok {
        return Ok(value);
    }
    let field = |k: &str| value[k].as_str().unwrap_or_default().to_owned();
    Err(WebDriverError { error: field("error"), message: field("message") })
}
