//! A 390 px wide phone: every page fits the width (wide tables scroll inside their own box,
//! the page itself never scrolls sideways).

use serde_json::json;

use super::Site;
use super::seed::FINETUNE;

/// How far the document may exceed the viewport (sub-pixel rounding).
const TOLERANCE_PX: i64 = 1;

#[tokio::test]
async fn on_a_390_px_wide_phone_no_page_scrolls_sideways() {
    let site = Site::anonymous().await;
    let phone = json!({ "width": 390, "height": 844, "deviceScaleFactor": 1, "mobile": true });
    site.browser.cdp("Emulation.setDeviceMetricsOverride", phone).await;
    let pages = [
        ("phone-search", "/?license_class=permissive&language=fr".to_owned()),
        ("phone-model", format!("/m/{FINETUNE}")),
        ("phone-compare", "/compare?m=mistralai/mistral-nemo-instruct&m=microsoft/phi-3.5-mini-instruct&m=qwen/qwen2.5-7b-instruct".to_owned()),
    ];
    for (name, path) in pages {
        site.open(&path).await;
        let widths = site
            .browser
            .execute(
                "return [window.innerWidth, document.documentElement.scrollWidth, document.body.scrollWidth];",
                vec![],
            )
            .await;
        let [viewport, document, body] = [0, 1, 2].map(|i| widths[i].as_i64().unwrap());
        assert_eq!(viewport, 390, "the phone viewport is in effect");
        assert!(
            document <= viewport + TOLERANCE_PX && body <= viewport + TOLERANCE_PX,
            "{path} is {document} px wide (body {body} px) on a {viewport} px screen"
        );
        site.shot(name).await;
    }
}
