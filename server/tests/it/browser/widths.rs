//! A 390 px wide phone and a 1280 px desktop: every page fits the width (wide tables scroll
//! inside their own box, the page itself never scrolls sideways).

use serde_json::json;

use super::Site;
use super::seed::FINETUNE;

/// How far the document may exceed the viewport (sub-pixel rounding).
const TOLERANCE_PX: i64 = 1;

/// The innermost elements (outside boxes that scroll on their own) that reach past the right edge of the viewport, to say what to fix.
const TOO_WIDE: &str = "var w = document.documentElement.clientWidth; \
    return Array.from(document.querySelectorAll('body *')).filter(function (e) { \
      return e.getBoundingClientRect().right > w + 1 && !e.parentElement.closest('.table-wrap, pre') && !Array.from(e.children).some(function (c) { \
        return c.getBoundingClientRect().right > w + 1; }); \
    }).slice(0, 8).map(function (e) { \
      return e.tagName.toLowerCase() + (e.id ? '#' + e.id : '') + (e.className ? '.' + e.className : '') \
        + ' ' + Math.round(e.getBoundingClientRect().right) + 'px'; });";

#[tokio::test]
async fn on_a_390_px_phone_and_a_1280_px_desktop_no_page_scrolls_sideways() {
    let site = Site::anonymous().await;
    let pages = [
        ("search", "/?license_class=permissive&language=fr".to_owned()),
        ("model", format!("/m/{FINETUNE}")),
        ("compare", "/compare?m=mistralai/mistral-nemo-instruct&m=microsoft/phi-3.5-mini-instruct&m=qwen/qwen2.5-7b-instruct".to_owned()),
    ];
    for (screen, width, mobile) in [("phone", 390, true), ("desktop", 1280, false)] {
        let metrics = json!({ "width": width, "height": 844, "deviceScaleFactor": 1, "mobile": mobile });
        site.browser.cdp("Emulation.setDeviceMetricsOverride", metrics).await;
        for (name, path) in &pages {
            site.open(path).await;
            let widths = site
                .browser
                .execute(
                    "var d = document.documentElement; return [d.clientWidth, d.scrollWidth, document.body.scrollWidth];",
                    vec![],
                )
                .await;
            let [viewport, document, body] = [0, 1, 2].map(|i| widths[i].as_i64().unwrap());
            assert!(
                viewport <= width && viewport > width - 20,
                "the {screen} viewport is in effect: {viewport} px"
            );
            assert!(
                document <= viewport + TOLERANCE_PX && body <= viewport + TOLERANCE_PX,
                "{path} is {document} px wide (body {body} px) on a {viewport} px {screen}; too wide: {}",
                site.browser.execute(TOO_WIDE, vec![]).await
            );
            if screen == "phone" {
                site.shot(&format!("phone-{name}")).await;
            }
        }
    }
}
