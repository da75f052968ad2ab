//! The model page's computed answers: the memory estimate (weights, KV cache per token and at
//! the model's context) with where each part came from, the licence through the lineage
//! (effective verdict, conflicts the caller may see, the chain), and the fetch commands.

use modelreg_api::words::human_size;
use modelreg_server::store::Scope;
use serde_json::json;

use super::{fetch, publish};
use crate::derive::manifest_of;
use crate::http::Harness;
use crate::memory_derive::{tiny_llama_config, tiny_llama_shards};
use crate::support::{body, digest_of, root};

/// The page's section with heading id `id`.
fn section<'a>(body: &'a str, id: &str) -> &'a str {
    let start = body.find(&format!(r#"id="{id}""#)).unwrap_or_else(|| panic!("no #{id} in {body}"));
    let end = start + body[start..].find("</section>").unwrap();
    &body[start..end]
}

#[actix_web::test]
async fn the_model_page_estimates_memory_from_the_files_at_the_models_context() {
    let h = Harness::new().await;
    let app = h.app().await;
    let [one, two, three] = tiny_llama_shards();
    let config = tiny_llama_config();
    let files: [(&str, &[u8]); 4] = [
        ("model-00001-of-00003.safetensors", &one),
        ("model-00002-of-00003.safetensors", &two),
        ("model-00003-of-00003.safetensors", &three),
        ("config.json", config.as_bytes()),
    ];
    for (_, data) in &files {
        h.registry.upload_blob(&root(), digest_of(data), data.len() as u64, body(data, 4096)).await.unwrap();
    }
    let model = "acme/tiny".parse().unwrap();
    h.registry
        .publish(&root(), &model, &"1.0.0".parse().unwrap(), manifest_of(&files, json!({})))
        .await
        .unwrap();

    let page = fetch(&app, "/m/acme/tiny", Some(&h.read)).await;
    assert_eq!(page.status, 200, "{}", page.body);
    let memory = section(&page.body, "memory");
    // Hand-computed in memory_derive: weights 2,063,520 B; KV 64 B a token; at 2,048 tokens
    // 131,072 B of cache, overhead a tenth (rounded up) + 512 MiB.
    for part in [
        format!(
            "{} <span class=\"src\">(derived from model-00001-of-00003.safetensors)",
            human_size(2_063_520)
        ),
        format!("{} per token", human_size(64)),
        "(derived from config.json)".to_owned(),
        "At 2,048 tokens, batch 1".to_owned(),
        format!("<strong>{}</strong>", human_size(2_194_592 + 219_460 + 536_870_912)),
        format!("KV cache {}", human_size(131_072)),
        format!("overhead {}", human_size(219_460 + 536_870_912)),
    ] {
        assert!(memory.contains(&part), "{part} in {memory}");
    }

    publish(
        &h,
        "acme/declared",
        "1.0.0",
        json!({ "license": "MIT", "parameters": 1000, "precision": "bf16" }),
    )
    .await;
    let declared = fetch(&app, "/m/acme/declared", Some(&h.read)).await;
    let memory = section(&declared.body, "memory");
    assert!(
        memory.contains(&format!("{} <span class=\"src\">(from the declared parameters", human_size(2000)))
    );
    assert!(memory.contains("unknown: no KV-cache shape"), "{memory}");

    publish(&h, "acme/bare", "1.0.0", json!({ "license": "MIT" })).await;
    let bare = fetch(&app, "/m/acme/bare", Some(&h.read)).await;
    assert!(section(&bare.body, "memory").contains("unknown: the files do not tell the weights"));
}

#[actix_web::test]
async fn the_model_page_shows_the_licence_through_its_bases_and_only_visible_conflicts() {
    let h = Harness::new().await;
    let app = h.app().await;
    publish(&h, "other/base", "1.0.0", json!({ "license": "CC-BY-NC-4.0" })).await;
    let derived = |base: &str| json!({ "license": "MIT", "base_model": { "model": base }, "base_relation": "finetune" });
    publish(&h, "acme/child", "1.0.0", derived("other/base")).await;
    publish(&h, "acme/grandchild", "2.0.0", derived("acme/child")).await;

    let page = fetch(&app, "/m/acme/grandchild", Some(&h.read)).await;
    assert_eq!(page.status, 200, "{}", page.body);
    let licence = section(&page.body, "effective-licence");
    assert!(licence.contains("non commercial"), "the strictest class on the chain: {licence}");
    assert!(licence.contains("commercial use not allowed"), "{licence}");
    let conflicts = licence.split("<h3>Conflicts</h3>").nth(1).unwrap().split("<h3>").next().unwrap();
    assert!(conflicts.contains("acme/child"), "its direct base allows less: {conflicts}");
    let chain = licence.split("The chain it came from").nth(1).unwrap();
    for link in [
        "This version: <code>MIT</code>",
        "acme/child@1.0.0 (finetune): <code>MIT</code>",
        "other/base@1.0.0",
    ] {
        assert!(chain.contains(link), "{link} in {chain}");
    }
    assert!(chain.contains("<code>CC-BY-NC-4.0</code>"), "{chain}");

    let (limited, _) = h
        .registry
        .create_token("acme-only", Scope::Read, vec!["acme".parse().unwrap()], None, "t")
        .await
        .unwrap();
    let child = fetch(&app, "/m/acme/child", Some(&limited)).await;
    let licence = section(&child.body, "effective-licence");
    assert!(licence.contains("commercial use not allowed"), "the verdict still counts: {licence}");
    assert!(!child.body.contains("other/base"), "but the base it comes from is never named: {licence}");
    assert!(licence.contains("None: no base you can see"), "{licence}");
    let seen = fetch(&app, "/m/acme/child", Some(&h.read)).await;
    assert!(section(&seen.body, "effective-licence").contains("other/base"), "an unlimited token sees it");
}

#[actix_web::test]
async fn the_model_page_gives_a_copyable_command_per_client() {
    let h = Harness::new().await;
    let app = h.app().await;
    publish(&h, "acme/a", "1.2.3", json!({ "license": "MIT" })).await;
    let page = fetch(&app, "/m/acme/a", Some(&h.read)).await;
    let get = section(&page.body, "get");
    assert!(get.contains("<pre data-copy>modelreg pull acme/a@1.2.3</pre>"), "{get}");
    assert!(get.contains("/v1/models/acme/a/versions/1.2.3"), "{get}");
    assert!(
        get.contains("$MODELREG_URL/hf&quot;") && get.contains("hf download acme/a --revision 1.2.3"),
        "{get}"
    );
}
