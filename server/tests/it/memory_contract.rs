//! The `fits_memory` lookup filter on both databases (issue 14 part 1), with `at_context`,
//! `batch` and `kv_precision`, on versions whose memory facts are written as publish writes
//! them; every expected match is checked against hand-computed needs below.

use std::sync::Arc;

use chrono::{TimeZone, Utc};
use modelreg_api::{DerivedField, Fact, FactSource, Facts, KvCacheShape, LookupQuery, Manifest, memory_need};
use modelreg_server::store::{MetadataStore, NewFile, NewVersion, PublishOutcome, Strategy};
use serde_json::{Value, json};

use crate::support::digest_of;

store_contract!(
    fits_memory_matches_versions_whose_estimate_is_within_the_budget,
    versions_whose_memory_cannot_be_determined_never_fit,
);

const GIB: u64 = 1 << 30;

/// Llama-3-8B: 32 layers x 8 KV heads x 128 x 2 (keys and values), bf16.
fn llama3_kv() -> KvCacheShape {
    KvCacheShape {
        full_elements_per_token: 65_536,
        window_elements_per_token: 0,
        window: None,
        bits_per_element: 16,
        bytes_per_token: 131_072,
    }
}

/// Mistral-7B-v0.1: the same shape, every layer windowed to 4,096 tokens.
fn mistral_kv() -> KvCacheShape {
    KvCacheShape {
        full_elements_per_token: 0,
        window_elements_per_token: 65_536,
        window: Some(4096),
        ..llama3_kv()
    }
}

fn memory_facts(weights: Option<u64>, kv: Option<KvCacheShape>) -> Facts {
    let derived = |value: Value| Fact { value, source: FactSource::Derived, derived: None, file: None };
    let mut facts = Facts::new();
    if let Some(w) = weights {
        facts.insert(DerivedField::WeightBytes, derived(json!(w)));
    }
    if let Some(kv) = kv {
        facts.insert(DerivedField::KvCache, derived(json!(kv)));
    }
    facts
}

async fn publish(store: &Arc<dyn MetadataStore>, model: &str, context: Option<u64>, facts: Facts, at: u32) {
    let file = digest_of(model.as_bytes());
    let mut metadata = json!({ "license": "Apache-2.0", "task": "text-generation" });
    if let Some(c) = context {
        metadata["context_length"] = json!(c);
    }
    let manifest: Manifest = serde_json::from_value(json!({
        "files": [{ "path": "weights", "digest": file, "size": 100 }],
        "metadata": metadata,
    }))
    .unwrap();
    let manifest = manifest.canonicalize();
    let new = NewVersion {
        actor: "test".into(),
        model: model.parse().unwrap(),
        version: "1.0.0".parse().unwrap(),
        digest: digest_of(&manifest.canonical_json()),
        license: manifest.metadata.license.to_string(),
        manifest_json: String::from_utf8(manifest.canonical_json()).unwrap(),
        files: vec![NewFile { path: "weights".into(), digest: file, size: 100 }],
        size_bytes: 100,
        published_at: Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, at).unwrap(),
        manifest,
        facts,
    };
    assert_eq!(store.publish_version(&new).await.unwrap(), PublishOutcome::Created);
}

const LLAMA3_WEIGHTS: u64 = 16_060_522_496;
const MISTRAL_WEIGHTS: u64 = 14_483_464_192;

async fn seed(store: &Arc<dyn MetadataStore>) {
    publish(store, "acme/llama3-8b", Some(8192), memory_facts(Some(LLAMA3_WEIGHTS), Some(llama3_kv())), 1)
        .await;
    publish(
        store,
        "acme/mistral-7b",
        Some(32_768),
        memory_facts(Some(MISTRAL_WEIGHTS), Some(mistral_kv())),
        2,
    )
    .await;
    publish(store, "acme/no-context", None, memory_facts(Some(1_000_000_000), Some(llama3_kv())), 3).await;
    publish(store, "acme/no-kv", Some(4096), memory_facts(Some(1_000), None), 4).await;
    publish(store, "acme/no-memory", Some(4096), Facts::new(), 5).await;
}

async fn names(store: &Arc<dyn MetadataStore>, s: &str) -> Vec<String> {
    let pairs: Vec<(&str, &str)> = s.split('&').map(|p| p.split_once('=').unwrap()).collect();
    let q = LookupQuery::from_pairs(pairs).unwrap_or_else(|e| panic!("{s}: {e}"));
    let mut out = None;
    for strategy in [Strategy::Scan, Strategy::Walk, Strategy::Seek, Strategy::Buckets, Strategy::Auto] {
        let hits = store.lookup(&q, None, strategy).await.unwrap();
        let found: Vec<String> = hits.iter().map(|h| format!("{}/{}", h.namespace, h.name)).collect();
        assert_eq!(out.get_or_insert_with(|| found.clone()), &found, "{strategy:?} disagrees on {s}");
    }
    out.unwrap()
}

async fn fits_memory_matches_versions_whose_estimate_is_within_the_budget(store: Arc<dyn MetadataStore>) {
    seed(&store).await;
    // The needs, by hand (overhead = (weights + cache) / 10 + 512 MiB):
    // llama3 at 8,192 tokens: cache 1 GiB; (16,060,522,496 + 1,073,741,824) x 1.1 + 536,870,912
    // = 19,384,561,664 (18.05 GiB): within 24 GiB, over 18 GiB.
    let llama = memory_need(LLAMA3_WEIGHTS, &llama3_kv(), 8192, 1, None);
    assert_eq!(llama.total, 19_384_561_664);
    // mistral at 32,768 tokens caches only its 4,096-token window: 512 MiB;
    // (14,483,464,192 + 536,870,912) x 1.1 + 536,870,912 = 17,059,239,527 (15.89 GiB).
    let mistral = memory_need(MISTRAL_WEIGHTS, &mistral_kv(), 32_768, 1, None);
    assert_eq!((mistral.kv_cache, mistral.total), (512 << 20, 17_059_239_527));
    // llama3 at 4,096 tokens: cache 512 MiB; 18,794,003,661 (17.50 GiB).
    assert_eq!(memory_need(LLAMA3_WEIGHTS, &llama3_kv(), 4096, 1, None).total, 18_794_003_661);
    // Batch 8: llama3 caches 8 GiB (27,652,373,709, over 24 GiB), mistral 4 GiB (21,193,145,549);
    // with an fp8 cache llama3 needs 4 GiB of cache (22,927,909,684).
    assert_eq!(memory_need(LLAMA3_WEIGHTS, &llama3_kv(), 8192, 8, None).total, 27_652_373_709);
    assert_eq!(memory_need(MISTRAL_WEIGHTS, &mistral_kv(), 32_768, 8, None).total, 21_193_145_549);
    assert_eq!(memory_need(LLAMA3_WEIGHTS, &llama3_kv(), 8192, 8, Some(8)).total, 22_927_909_684);
    // no-context at 1,000 tokens: (1e9 + 131,072,000) x 1.1 + 536,870,912 = 1,781,050,112.
    assert_eq!(memory_need(1_000_000_000, &llama3_kv(), 1000, 1, None).total, 1_781_050_112);
    assert_eq!(memory_need(1_000_000_000, &llama3_kv(), 100_000, 1, None).total, 16_054_790_912);
    const { assert!(2 * GIB > 1_781_050_112 && 16 * GIB > 17_059_239_527 && 18 * GIB < 19_384_561_664) };

    let cases: &[(&str, &[&str])] = &[
        ("fits_memory=24GiB", &["acme/llama3-8b", "acme/mistral-7b"]),
        ("fits_memory=25769803776", &["acme/llama3-8b", "acme/mistral-7b"]),
        ("fits_memory=18GiB", &["acme/mistral-7b"]),
        ("fits_memory=16GiB", &["acme/mistral-7b"]),
        ("fits_memory=15GiB", &[]),
        ("fits_memory=18GiB&at_context=4096", &["acme/llama3-8b", "acme/mistral-7b", "acme/no-context"]),
        ("fits_memory=24GiB&batch=8", &["acme/mistral-7b"]),
        ("fits_memory=24GiB&batch=8&kv_precision=fp8", &["acme/llama3-8b", "acme/mistral-7b"]),
        ("fits_memory=2GiB&at_context=1000", &["acme/no-context"]),
        // at_context caps each model's own context (llama3 stays at 8,192); no-context counts
        // 100,000 tokens: 13,107,200,000 bytes of cache, 16,054,790,912 in all.
        (
            "fits_memory=24GiB&task=text-generation&at_context=100000",
            &["acme/llama3-8b", "acme/mistral-7b", "acme/no-context"],
        ),
        ("fits_memory=14GiB&at_context=100000", &[]),
    ];
    for (q, expected) in cases {
        assert_eq!(names(&store, q).await, *expected, "{q}");
    }
}

async fn versions_whose_memory_cannot_be_determined_never_fit(store: Arc<dyn MetadataStore>) {
    seed(&store).await;
    // no-kv has a tiny weight count but no cache shape; no-memory has no facts at all;
    // no-context has no context length, so only an at_context gives it tokens.
    let all = names(&store, "fits_memory=1TiB").await;
    assert_eq!(all, ["acme/llama3-8b", "acme/mistral-7b"]);
    let with_context = names(&store, "fits_memory=1TiB&at_context=10").await;
    assert_eq!(with_context, ["acme/llama3-8b", "acme/mistral-7b", "acme/no-context"]);
}
