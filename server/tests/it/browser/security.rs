//! Hostile publisher text in a real browser: a README, a risk note, a description and a tag
//! that carry `<script>`, `onerror=`, `onclick=`, `javascript:` links, an iframe and SVG script
//! open no dialog, change nothing in the page, and violate no Content-Security-Policy rule
//! (so they were made inert by the sanitiser, not merely blocked by the policy).

use std::time::{Duration, Instant};

use serde_json::Value;

use super::Site;
use super::seed::HOSTILE;

/// Polls until `check` holds, for at most 10 s; whether it did.
async fn eventually<F: Future<Output = bool>>(check: impl Fn() -> F) -> bool {
    let deadline = Instant::now() + Duration::from_secs(10);
    while Instant::now() < deadline {
        if check().await {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    false
}

async fn pwned(site: &Site) -> Value {
    site.browser.execute("return document.body.getAttribute('data-pwned');", vec![]).await
}

#[tokio::test]
async fn hostile_markup_in_a_readme_opens_no_dialog_and_changes_nothing() {
    let site = Site::anonymous().await;

    // The detectors work: a script that does run is seen (an alert, a CSP violation).
    site.open("/").await;
    site.browser.execute("window.setTimeout(function () { alert('probe'); }, 0);", vec![]).await;
    assert!(eventually(|| async { site.browser.alert_text().await.is_some() }).await, "a real alert is seen");
    assert_eq!(site.browser.alert_text().await.as_deref(), Some("probe"));
    site.browser.dismiss_alert().await;
    let inline = "var s = document.createElement('script'); s.textContent = 'document.title = 1'; \
                  document.head.appendChild(s);";
    site.browser.execute(inline, vec![]).await;
    assert!(
        eventually(|| async { !site.csp_violations().await.is_empty() }).await,
        "an inline script is reported as a CSP violation"
    );

    site.open(&format!("/m/{HOSTILE}")).await;
    assert_eq!(site.browser.alert_text().await, None, "loading the page opened a dialog");
    assert_eq!(pwned(&site).await, Value::Null, "loading the page ran injected script");
    let main = site.browser.find("main").await.text().await;
    assert!(main.contains("<script>document.body"), "the description shows as text: {main}");
    assert!(main.contains("Totally safe model") && main.contains("Click this paragraph"), "{main}");

    // Everything clickable that the publisher wrote: links and the paragraph with onclick.
    let targets = site.browser.find_all("div.readme a, div.readme p").await;
    assert!(targets.len() >= 3, "the README's links and paragraphs are on the page");
    for target in &targets {
        if target.text().await.trim().is_empty() {
            continue; // nothing to click on (a paragraph that held only a broken image)
        }
        target.click().await;
        assert_eq!(site.browser.alert_text().await, None, "a click opened a dialog");
        assert_eq!(pwned(&site).await, Value::Null, "a click ran injected script");
        assert_eq!(site.path().await, format!("/m/{HOSTILE}"), "a click left the page");
    }
    for link in site.browser.find_all("main a").await {
        let href = link.attribute("href").await.unwrap_or_default();
        assert!(!href.trim_start().to_ascii_lowercase().starts_with("javascript:"), "{href}");
    }
    assert!(site.browser.find_all("main iframe, main script, main svg").await.is_empty());
    site.shot("hostile-readme").await;
}
