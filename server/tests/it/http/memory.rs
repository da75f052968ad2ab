//! The lookup's `fits_memory` over HTTP (issue 14 part 1): a measured model is found within
//! its budget and not below it; bad budgets and modifiers are 400s naming the parameter.

use actix_web::test;
use modelreg_api::LookupPage;

use super::{Harness, bearer, error_of};
use crate::memory_derive::{tiny_llama_config, tiny_llama_shards};
use crate::support::{digest_of, root};

fn get(h: &Harness, uri: &str) -> test::TestRequest {
    test::TestRequest::get().uri(uri).insert_header(bearer(&h.read))
}

#[actix_web::test]
async fn fits_memory_finds_a_measured_model_within_the_budget_and_refuses_bad_values() {
    let h = Harness::new().await;
    let app = h.app().await;
    let [one, two, three] = tiny_llama_shards();
    let config = tiny_llama_config().into_bytes();
    let files = [
        ("model-00001-of-00003.safetensors", one),
        ("model-00002-of-00003.safetensors", two),
        ("model-00003-of-00003.safetensors", three),
        ("config.json", config),
    ];
    let mut entries = Vec::new();
    for (path, data) in &files {
        let size = data.len() as u64;
        h.registry
            .upload_blob(&root(), digest_of(data), size, crate::support::body(data, 1 << 20))
            .await
            .unwrap();
        entries.push(serde_json::json!({ "path": path, "digest": digest_of(data), "size": size }));
    }
    let manifest =
        serde_json::from_value(serde_json::json!({ "files": entries, "metadata": { "license": "MIT" } }))
            .unwrap();
    h.registry
        .publish(&root(), &"acme/tiny".parse().unwrap(), &"1.0.0".parse().unwrap(), manifest)
        .await
        .unwrap();

    // Need at its 2,048-token context: 539,284,964 bytes (memory_derive); 514.3 MiB.
    for (query, found) in [
        ("fits_memory=515MiB", 1),
        ("fits_memory=514MiB", 0),
        // At 16 tokens: (2,063,520 + 16 x 64) x 1.1 + 512 MiB = 539,142,054 bytes.
        ("fits_memory=539200000", 0),
        ("fits_memory=539200000&at_context=16", 1),
        ("fits_memory=515MiB&batch=4096", 0),
        ("fits_memory=515MiB&batch=2&kv_precision=fp8", 1),
    ] {
        let page: LookupPage =
            test::call_and_read_body_json(&app, get(&h, &format!("/v1/models?{query}")).to_request()).await;
        assert_eq!(page.results.len(), found, "{query}");
    }

    for (query, param) in [
        ("fits_memory=lots", "fits_memory"),
        ("fits_memory=24%20parsecs", "fits_memory"),
        ("fits_memory=0", "fits_memory"),
        ("fits_memory=1GiB&fits_memory=2GiB", "fits_memory"),
        ("at_context=8192", "at_context"),
        ("fits_memory=1GiB&at_context=0", "at_context"),
        ("fits_memory=1GiB&batch=0", "batch"),
        ("fits_memory=1GiB&batch=100000", "batch"),
        ("fits_memory=1GiB&kv_precision=fp7", "kv_precision"),
        ("batch=2", "batch"),
    ] {
        let (status, e) = error_of(&app, get(&h, &format!("/v1/models?{query}"))).await;
        assert_eq!((status, e.error.code.as_str()), (400, "invalid_query"), "{query}");
        assert_eq!(e.error.details, Some(serde_json::json!({ "parameter": param })), "{query}");
    }
}
