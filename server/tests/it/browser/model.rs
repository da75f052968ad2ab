//! The model page in the browser: opened from a search result, its card, licence, README and
//! copy buttons, and lineage links followed up the base chain and back down to a derivative.

use super::Site;
use super::seed::{FINETUNE, LLAMA, QUANTIZED};

/// The link inside `section` (a heading id) whose text starts with `text`, clicked.
async fn follow(site: &Site, section: &str, text: &str) {
    let links = site.browser.find_all(&format!("section[aria-labelledby={section}] a")).await;
    for link in &links {
        if link.text().await.starts_with(text) {
            link.click().await;
            return;
        }
    }
    panic!("no link to {text} in the {section} section of {}", site.path().await);
}

#[tokio::test]
async fn a_model_opened_from_the_results_shows_its_card_and_lineage_links_lead_up_and_down() {
    let site = Site::anonymous().await;
    site.open("/?q=support").await;
    let mut opened = false;
    for link in site.browser.find_all("table tbody th[scope=row] a").await {
        if link.text().await == QUANTIZED {
            link.click().await;
            opened = true;
            break;
        }
    }
    assert!(opened, "the quantized build is not among the results for 'support'");
    site.wait_for_path(&format!("/m/{QUANTIZED}/v/1.0.0")).await;
    assert!(site.browser.find("h1").await.text().await.starts_with(QUANTIZED));

    // The copy buttons come from the page's one script: it loaded under the page's CSP.
    let mut copy_buttons = 0;
    for button in site.browser.find_all("button").await {
        copy_buttons += usize::from(button.text().await == "Copy");
    }
    assert!(copy_buttons >= 1, "no Copy button: the hashed script did not run");
    site.shot("model-quantized").await;

    // Up the chain: the quantized build is based on the fine-tune.
    follow(&site, "lineage", FINETUNE).await;
    site.wait_for_path(&format!("/m/{FINETUNE}/v/1.0.0")).await;
    let main = site.browser.find("main").await.text().await;
    for fact in [
        "commercial use allowed with conditions",
        "Restricted use",
        "finetune",
        "1x NVIDIA L4 24GB",
        "win_rate",
    ] {
        assert!(main.contains(fact), "{fact} is missing from the model page");
    }
    let readme = site.browser.find("div.readme table").await;
    assert!(readme.text().await.contains("120,000"), "the README's Markdown table is rendered");
    assert!(site.browser.find("div.readme pre code").await.text().await.contains("modelreg pull"));
    site.shot("model").await;

    // Further up to the catalogue's base model, which lists the fine-tune as a derivative.
    follow(&site, "lineage", LLAMA).await;
    site.wait_for_path(&format!("/m/{LLAMA}/v/1.0.0")).await;
    follow(&site, "lineage", FINETUNE).await;
    site.wait_for_path(&format!("/m/{FINETUNE}/v/1.0.0")).await;
}
