//! The lookup contract on both databases: every filter, their combination, the best version
//! per model, ordering and keyset paging.

use std::sync::Arc;

use chrono::{TimeZone, Utc};
use modelreg_api::{DerivedField, Fact, FactSource, Facts, LookupQuery, Manifest};
use modelreg_server::store::{Cursor, MetadataStore, NewFile, NewVersion, PublishOutcome, Strategy};
use serde_json::{Value, json};

use crate::support::digest_of;

store_contract!(
    each_filter_selects_the_expected_models,
    the_best_matching_version_of_each_model_is_returned,
    results_are_ordered_and_paged_stably,
    derivatives_are_listed_by_base_model,
);

async fn publish(
    store: &Arc<dyn MetadataStore>,
    model: &str,
    version: &str,
    metadata: Value,
    facts: Facts,
    at: u32,
) {
    let file = digest_of(format!("{model}{version}").as_bytes());
    let manifest: Manifest = serde_json::from_value(json!({
        "files": [{ "path": "weights", "digest": file, "size": 100 }],
        "metadata": metadata,
    }))
    .unwrap();
    manifest.validate().unwrap();
    let manifest = manifest.canonicalize();
    let new = NewVersion {
        actor: "test".into(),
        model: model.parse().unwrap(),
        version: version.parse().unwrap(),
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

async fn seed(store: &Arc<dyn MetadataStore>) {
    let mt = |context: u64, params: u64| {
        json!({
            "license": "Apache-2.0", "task": "translation", "languages": ["fr", "de"],
            "modalities": { "input": ["text"], "output": ["text"] }, "context_length": context,
            "parameters": params, "format": "safetensors", "framework": "transformers", "precision": "bf16",
            "tags": ["mt"], "labels": { "team": "nlp" }, "latency": [{ "hardware": "A100", "p50_ms": 30.0 }],
            "risks": { "biases": "news-heavy corpus" }, "fine_tunable": true,
            "description": "French German translator"
        })
    };
    publish(store, "acme/mt-fr-de", "1.0.0", mt(8192, 2_600_000_000), Facts::new(), 1).await;
    publish(store, "acme/mt-fr-de", "1.1.0", mt(16384, 2_700_000_000), Facts::new(), 2).await;
    publish(store, "acme/mt-fr-de", "2.0.0-rc.1", mt(65536, 2_700_000_000), Facts::new(), 3).await;
    publish(
        store,
        "acme/chat",
        "1.0.0",
        json!({
            "license": "MIT OR GPL-3.0-only", "task": "text-generation", "languages": ["en", "fr-CA"],
            "context_length": 32768, "parameters": 7_000_000_000u64, "format": "gguf", "quantization": "Q4_K_M",
            "latency": [{ "hardware": "CPU", "p50_ms": 400.0 }],
            "base_model": { "model": "acme/base", "version": "1.0.0" }, "base_relation": "quantized"
        }),
        Facts::new(),
        4,
    )
    .await;
    publish(
        store,
        "beta/vision",
        "0.1.0",
        json!({
            "license": "CC-BY-NC-4.0", "task": "image-classification",
            "modalities": { "input": ["image"], "output": ["text"] }, "parameters": 86_000_000, "fine_tunable": false
        }),
        Facts::new(),
        5,
    )
    .await;
    let derived = Facts::from([(
        DerivedField::Parameters,
        Fact { value: json!(8_030_261_248u64), source: FactSource::Derived, derived: None, file: None },
    )]);
    publish(
        store,
        "beta/llama-ft",
        "3.0.0",
        json!({
            "license": "LicenseRef-llama3", "task": "text-generation", "languages": ["en"], "context_length": 8192,
            "base_model": { "model": "acme/base" }, "base_relation": "finetune", "labels": { "team": "vision" }
        }),
        derived,
        6,
    )
    .await;
    publish(
        store,
        "acme/base",
        "1.0.0",
        json!({ "license": "Apache-2.0", "task": "text-generation", "parameters": 1_000_000_000 }),
        Facts::new(),
        7,
    )
    .await;
}

fn query(s: &str) -> LookupQuery {
    let pairs: Vec<(&str, &str)> =
        s.split('&').filter(|p| !p.is_empty()).map(|p| p.split_once('=').unwrap_or((p, ""))).collect();
    LookupQuery::from_pairs(pairs).unwrap_or_else(|e| panic!("{s}: {e}"))
}

/// Every page of a lookup, as `name@version`; both strategies must agree.
async fn all_pages(store: &Arc<dyn MetadataStore>, q: &LookupQuery) -> Vec<String> {
    let walked = pages_with(store, q, Strategy::Walk).await;
    let scanned = pages_with(store, q, Strategy::Scan).await;
    assert_eq!(walked, scanned, "walk and scan disagree on {q:?}");
    assert_eq!(pages_with(store, q, Strategy::Auto).await, scanned);
    scanned
}

async fn pages_with(store: &Arc<dyn MetadataStore>, q: &LookupQuery, strategy: Strategy) -> Vec<String> {
    let mut out = Vec::new();
    let mut cursor: Option<Cursor> = None;
    loop {
        let mut hits = store.lookup(q, cursor.as_ref(), strategy).await.unwrap();
        let more = hits.len() > q.limit as usize;
        hits.truncate(q.limit as usize);
        out.extend(hits.iter().map(|h| format!("{}/{}@{}", h.namespace, h.name, h.version)));
        if !more {
            return out;
        }
        cursor = Some(Cursor::after(hits.last().unwrap(), q));
        assert!(out.len() < 100, "paging does not terminate");
    }
}

async fn names(store: &Arc<dyn MetadataStore>, s: &str) -> Vec<String> {
    all_pages(store, &query(s)).await.into_iter().map(|n| n.split('@').next().unwrap().to_owned()).collect()
}

async fn each_filter_selects_the_expected_models(store: Arc<dyn MetadataStore>) {
    seed(&store).await;
    let cases: &[(&str, &[&str])] = &[
        ("", &["acme/base", "acme/chat", "acme/mt-fr-de", "beta/llama-ft", "beta/vision"]),
        ("namespace=beta", &["beta/llama-ft", "beta/vision"]),
        ("license=MIT", &["acme/chat"]),
        ("license=GPL-3.0-or-later", &["acme/chat"]),
        ("license=apache-2.0", &["acme/base", "acme/mt-fr-de"]),
        ("license=MIT&license=CC-BY-NC-4.0", &["acme/chat", "beta/vision"]),
        ("license_class=non_commercial", &["beta/vision"]),
        ("license_class=restricted_use", &["beta/llama-ft"]),
        ("commercial_use=true", &["acme/base", "acme/chat", "acme/mt-fr-de", "beta/llama-ft"]),
        ("commercial_use=false", &["beta/vision"]),
        ("modality=image", &["beta/vision"]),
        ("input_modality=text", &["acme/mt-fr-de"]),
        ("output_modality=text", &["acme/mt-fr-de", "beta/vision"]),
        ("task=text-generation", &["acme/base", "acme/chat", "beta/llama-ft"]),
        ("task=translation&task=image-classification", &["acme/mt-fr-de", "beta/vision"]),
        ("language=fr", &["acme/chat", "acme/mt-fr-de"]),
        ("language=fr&language=de", &["acme/mt-fr-de"]),
        ("language=fr-CA", &["acme/chat"]),
        ("any_language=de&any_language=en", &["acme/chat", "acme/mt-fr-de", "beta/llama-ft"]),
        ("min_context=10000", &["acme/chat", "acme/mt-fr-de"]),
        ("max_params=3000000000", &["acme/base", "acme/mt-fr-de", "beta/vision"]),
        ("min_params=8000000000", &["beta/llama-ft"]),
        ("max_size_bytes=99", &[]),
        ("format=gguf", &["acme/chat"]),
        ("framework=Transformers", &["acme/mt-fr-de"]),
        ("precision=bf16", &["acme/mt-fr-de"]),
        ("quantization=q4_k_m", &["acme/chat"]),
        ("base_model=acme/base", &["acme/chat", "beta/llama-ft"]),
        ("fine_tunable=false", &["beta/vision"]),
        ("max_latency_ms=100", &["acme/mt-fr-de"]),
        ("max_latency_ms=500&hardware=cpu", &["acme/chat"]),
        ("has_risk_notes=true", &["acme/mt-fr-de"]),
        ("tag=mt", &["acme/mt-fr-de"]),
        ("label=team:nlp", &["acme/mt-fr-de"]),
        ("label=team:nlp&label=team:vision", &["acme/mt-fr-de", "beta/llama-ft"]),
        ("q=translator", &["acme/mt-fr-de"]),
        ("q=ACME%", &[]),
        ("q=acme", &["acme/base", "acme/chat", "acme/mt-fr-de"]),
        // Five filters at once.
        (
            "task=text-generation&commercial_use=true&max_params=7500000000&min_context=1&language=en",
            &["acme/chat"],
        ),
        ("task=text-generation&commercial_use=true&max_params=7500000000", &["acme/base", "acme/chat"]),
    ];
    for (q, expected) in cases {
        assert_eq!(names(&store, q).await, *expected, "{q}");
    }
}

async fn the_best_matching_version_of_each_model_is_returned(store: Arc<dyn MetadataStore>) {
    seed(&store).await;
    assert_eq!(
        all_pages(&store, &query("q=mt-fr")).await,
        ["acme/mt-fr-de@1.1.0"],
        "highest release, not the rc"
    );
    assert_eq!(all_pages(&store, &query("q=mt-fr&max_context=8192")).await, ["acme/mt-fr-de@1.0.0"]);
    assert_eq!(all_pages(&store, &query("q=mt-fr&min_context=60000")).await, Vec::<String>::new());
    // Small pages make the automatic strategy walk (and page through the walk's window).
    let names = [
        "acme/base@1.0.0",
        "acme/chat@1.0.0",
        "acme/mt-fr-de@1.1.0",
        "beta/llama-ft@3.0.0",
        "beta/vision@0.1.0",
    ];
    assert_eq!(all_pages(&store, &query("limit=2")).await, names);
    assert_eq!(
        all_pages(&store, &query("limit=1&language=fr")).await,
        ["acme/chat@1.0.0", "acme/mt-fr-de@1.1.0"]
    );
    let all = all_pages(&store, &query("q=mt-fr&versions=all")).await;
    assert_eq!(all, ["acme/mt-fr-de@1.0.0", "acme/mt-fr-de@1.1.0", "acme/mt-fr-de@2.0.0-rc.1"]);
}

async fn results_are_ordered_and_paged_stably(store: Arc<dyn MetadataStore>) {
    seed(&store).await;
    assert_eq!(
        names(&store, "sort=parameters&order=desc").await,
        ["beta/llama-ft", "acme/chat", "acme/mt-fr-de", "acme/base", "beta/vision"]
    );
    assert_eq!(
        names(&store, "sort=context_length").await,
        ["beta/llama-ft", "acme/mt-fr-de", "acme/chat", "beta/vision", "acme/base"],
        "missing values sort last"
    );
    assert_eq!(names(&store, "sort=latency&order=desc").await[..2], ["acme/chat", "acme/mt-fr-de"]);
    assert_eq!(names(&store, "sort=updated&order=desc").await[0], "acme/base");
    assert_eq!(names(&store, "sort=created").await[0], "acme/mt-fr-de");
    for sort in ["name", "parameters", "context_length", "latency", "size", "created", "updated"] {
        for order in ["asc", "desc"] {
            let whole = all_pages(&store, &query(&format!("sort={sort}&order={order}&versions=all"))).await;
            let paged =
                all_pages(&store, &query(&format!("sort={sort}&order={order}&versions=all&limit=2"))).await;
            assert_eq!(paged, whole, "sort={sort} order={order}");
            assert_eq!(whole.len(), 7);
        }
    }
}

async fn derivatives_are_listed_by_base_model(store: Arc<dyn MetadataStore>) {
    seed(&store).await;
    let found = store.list_derivatives(&"acme/base".parse().unwrap()).await.unwrap();
    let shown: Vec<(String, Option<String>)> =
        found.iter().map(|d| (d.model.to_string(), d.relation.clone())).collect();
    assert_eq!(
        shown,
        [
            ("acme/chat".to_owned(), Some("quantized".to_owned())),
            ("beta/llama-ft".to_owned(), Some("finetune".to_owned()))
        ]
    );
    assert!(store.list_derivatives(&"beta/vision".parse().unwrap()).await.unwrap().is_empty());
}
