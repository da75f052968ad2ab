//! The model page: card facts and provenance, licence in words, versions, aliases, files,
//! lineage links, README, commands; error pages for unknown models and bad versions.

use serde_json::json;

use super::{fetch, publish, row_with};
use crate::http::Harness;
use crate::support::digest_of;

fn rich() -> serde_json::Value {
    json!({
        "license": "Apache-2.0",
        "license_terms": { "restrictions": ["no use for surveillance"] },
        "description": "A small French chat model.",
        "task": "text-generation",
        "modalities": { "input": ["text"], "output": ["text"] },
        "languages": ["fr", "en"],
        "context_length": 8192,
        "parameters": 1_500_000_000u64,
        "framework": "transformers",
        "fine_tunable": true,
        "latency": [{ "hardware": "1x A100", "p50_ms": 12.5, "p95_ms": 20.0 }],
        "evaluations": [{ "dataset": "mmlu-fr", "metric": "accuracy", "value": 0.61 }],
        "risks": { "intended_use": "Chat *assistants*.", "limitations": "Hallucinates." },
        "tags": ["chat"],
        "readme": "# The card\n\nSome **bold** words."
    })
}

#[actix_web::test]
async fn model_page_shows_the_card_with_provenance_licence_terms_tables_and_readme() {
    let h = Harness::new().await;
    let app = h.app().await;
    publish(&h, "acme/rich", "0.9.0", rich()).await;
    publish(&h, "acme/rich", "1.0.0", rich()).await;
    publish(&h, "acme/rich", "1.1.0-beta.1", rich()).await;
    let model = "acme/rich".parse().unwrap();
    h.registry.set_yank(&model, &"0.9.0".parse().unwrap(), Some("broken tokenizer"), "t").await.unwrap();
    let alias = "production".parse().unwrap();
    h.registry.set_alias(&model, &alias, &"0.9.0".parse().unwrap(), true, "t").await.unwrap();
    h.registry.set_alias(&model, &alias, &"1.0.0".parse().unwrap(), true, "t").await.unwrap();

    let page = fetch(&app, "/m/acme/rich", Some(&h.read)).await;
    assert_eq!(page.status, 200, "{}", page.body);
    let b = &page.body;
    assert!(b.contains("<h1>acme/rich <span>1.0.0</span>"), "latest is the highest non-pre-release: {b}");
    for fact in [
        "A small French chat model.",
        "Apache-2.0",
        "Permissive: use, change",
        "no use for surveillance",
        "text-generation",
        "fr, en",
        "8,192 tokens",
        "1.5B (1,500,000,000)",
        "transformers",
        "1x A100",
        "mmlu-fr",
        "0.61",
        "<em>assistants</em>",
        "Hallucinates.",
        "<h1>The card</h1>",
        "<strong>bold</strong>",
        "modelreg pull acme/rich@1.0.0",
        "weights.bin",
    ] {
        assert!(b.contains(fact), "{fact} missing");
    }
    let ctx = &b[b.find("<dt>Context length</dt>").expect("a context length")..];
    let ctx = &ctx[..ctx.find("</dd>").unwrap()];
    assert!(ctx.contains("8,192 tokens") && ctx.contains("(declared)"), "{ctx}");
    assert!(b.contains(&digest_of(b"acme/rich@1.0.0").to_string()), "the file digest is shown");
    let yanked = row_with(b, "/m/acme/rich/v/0.9.0\"");
    assert!(yanked.contains("broken tokenizer") && yanked.contains(">yanked<"), "{yanked}");
    assert!(row_with(b, "/m/acme/rich/v/1.1.0-beta.1\"").contains("pre-release"));
    let current = row_with(b, ">production<");
    assert!(current.contains("/m/acme/rich/v/1.0.0"), "{current}");
    let history = b.split("Alias history").nth(1).expect("an alias history");
    assert!(history.contains("0.9.0") && history.contains("1.0.0"), "{history}");

    let pre = fetch(&app, "/m/acme/rich/v/1.1.0-beta.1", Some(&h.read)).await;
    assert_eq!(pre.status, 200);
    assert!(pre.body.contains("modelreg pull acme/rich@1.1.0-beta.1"));
    let old = fetch(&app, "/m/acme/rich/v/0.9.0", Some(&h.read)).await;
    assert!(old.body.contains("This version is yanked: broken tokenizer"), "{}", old.body);
}

#[actix_web::test]
async fn a_model_with_only_pre_releases_shows_its_highest_version() {
    let h = Harness::new().await;
    let app = h.app().await;
    publish(&h, "acme/early", "0.1.0-alpha.1", json!({ "license": "MIT" })).await;
    publish(&h, "acme/early", "0.1.0-alpha.2", json!({ "license": "MIT" })).await;
    let page = fetch(&app, "/m/acme/early", Some(&h.read)).await;
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(page.body.contains("modelreg pull acme/early@0.1.0-alpha.2"));
}

#[actix_web::test]
async fn the_model_page_of_latest_skips_a_yanked_highest_version() {
    let h = Harness::new().await;
    let app = h.app().await;
    publish(&h, "acme/y", "1.0.0", json!({ "license": "MIT" })).await;
    publish(&h, "acme/y", "1.1.0", json!({ "license": "MIT" })).await;
    publish(&h, "acme/y", "2.0.0-rc.1", json!({ "license": "MIT" })).await;
    let model = "acme/y".parse().unwrap();
    h.registry.set_yank(&model, &"1.1.0".parse().unwrap(), Some("bad weights"), "t").await.unwrap();
    let page = fetch(&app, "/m/acme/y", Some(&h.read)).await;
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(page.body.contains("modelreg pull acme/y@1.0.0"), "{}", page.body);
}

#[actix_web::test]
async fn lineage_links_up_the_base_chain_and_down_to_derivatives() {
    let h = Harness::new().await;
    let app = h.app().await;
    publish(&h, "acme/base", "1.0.0", json!({ "license": "MIT" })).await;
    publish(&h, "acme/ft", "1.0.0", json!({ "license": "MIT", "base_model": { "model": "acme/base", "version": "1.0.0" }, "base_relation": "finetune" })).await;
    publish(
        &h,
        "acme/q",
        "1.0.0",
        json!({ "license": "MIT", "base_model": { "model": "acme/ft" }, "base_relation": "quantized" }),
    )
    .await;

    let ft = fetch(&app, "/m/acme/ft", Some(&h.read)).await;
    let lineage = ft.body.split(r#"id="lineage""#).nth(1).unwrap();
    assert!(
        lineage.contains(r#"<a href="/m/acme/base/v/1.0.0">acme/base 1.0.0</a> — finetune"#),
        "{lineage}"
    );
    assert!(lineage.contains(r#"<a href="/m/acme/q/v/1.0.0">acme/q 1.0.0</a> — quantized"#), "{lineage}");

    let q = fetch(&app, "/m/acme/q", Some(&h.read)).await;
    let lineage = q.body.split(r#"id="lineage""#).nth(1).unwrap();
    let (ft_at, base_at) =
        (lineage.find("/m/acme/ft/v/1.0.0").unwrap(), lineage.find("/m/acme/base/v/1.0.0").unwrap());
    assert!(ft_at < base_at, "nearest base first: {lineage}");
}

#[actix_web::test]
async fn unknown_models_and_versions_are_404_pages_and_a_bad_version_a_400_page() {
    let h = Harness::new().await;
    let app = h.app().await;
    publish(&h, "acme/a", "1.0.0", json!({ "license": "MIT" })).await;
    for (uri, status) in [
        ("/m/acme/nobody", 404),
        ("/m/acme/a/v/9.9.9", 404),
        ("/m/acme/a/v/not-a-version", 400),
        ("/m/NOT_A_NAME/x", 400),
    ] {
        let page = fetch(&app, uri, Some(&h.read)).await;
        assert_eq!(page.status, status, "{uri}: {}", page.body);
        assert_eq!(page.header("content-type"), Some("text/html; charset=utf-8"), "{uri}");
        assert!(page.body.contains(r#"role="alert""#), "{uri}");
    }
}
