//! The batch publish on both databases: what it writes reads back exactly as the same
//! versions published one at a time, and each version's outcome is the one a single publish
//! would have had.

use std::sync::Arc;

use chrono::Utc;
use modelreg_api::{Facts, LookupQuery};
use modelreg_server::store::{LookupHit, MetadataStore, NewVersion, PublishOutcome, Strategy};
use serde_json::{Value, json};

use crate::lookup_contract::new_version;

store_contract!(
    a_batch_publish_reads_back_as_single_publishes,
    a_batch_publish_reports_each_outcome_a_single_publish_would,
);

/// Versions of namespace `ns`: a derivative listed before its base (so its effective licence
/// needs the base's), a pre-release, several versions of one model, latency and labels.
fn versions(ns: &str) -> Vec<NewVersion> {
    let card = |license: &str, params: u64, extra: Value| {
        let mut card = json!({
            "license": license, "task": "text-generation", "languages": ["fr", "pt-BR"],
            "modalities": { "input": ["text", "image"], "output": ["text"] }, "context_length": 8192,
            "parameters": params, "format": "gguf", "tags": ["chat"], "labels": { "team": "nlp" },
            "latency": [{ "hardware": "A100", "p50_ms": 20.0 }, { "hardware": "CPU", "p50_ms": 300.0 }],
            "description": "a chat model"
        });
        card.as_object_mut().unwrap().extend(extra.as_object().unwrap().clone());
        card
    };
    let base = json!({ "base_model": { "model": format!("{ns}/base") }, "base_relation": "finetune" });
    vec![
        new_version(
            &format!("{ns}/ft"),
            "1.0.0",
            card("Apache-2.0", 7_000_000_000, base.clone()),
            Facts::new(),
            1,
        ),
        new_version(
            &format!("{ns}/base"),
            "1.0.0",
            card("CC-BY-NC-4.0", 7_000_000_000, json!({})),
            Facts::new(),
            2,
        ),
        new_version(&format!("{ns}/ft"), "1.1.0", card("Apache-2.0", 8_000_000_000, base), Facts::new(), 3),
        new_version(
            &format!("{ns}/ft"),
            "2.0.0-rc.1",
            card("MIT", 9_000_000_000, json!({})),
            Facts::new(),
            4,
        ),
        new_version(&format!("{ns}/small"), "0.1.0", card("MIT", 100_000_000, json!({})), Facts::new(), 5),
    ]
}

/// A hit without what differs between the two namespaces (ids, the namespace, digests of
/// manifests naming it).
fn comparable(mut hit: LookupHit) -> String {
    hit.id = 0;
    hit.namespace.clear();
    hit.digest.clear();
    hit.license_conflicts = hit.license_conflicts.replace("single/", "").replace("batch/", "");
    format!("{hit:?}")
}

async fn hits(store: &Arc<dyn MetadataStore>, ns: &str, filters: &str) -> Vec<String> {
    let mut pairs: Vec<(&str, &str)> =
        filters.split('&').filter(|p| !p.is_empty()).map(|p| p.split_once('=').unwrap()).collect();
    pairs.push(("namespace", ns));
    let q = LookupQuery::from_pairs(pairs).unwrap_or_else(|e| panic!("{filters}: {e}"));
    let hits = store.lookup(&q, None, Strategy::Scan).await.unwrap();
    hits.into_iter().map(comparable).collect()
}

async fn a_batch_publish_reads_back_as_single_publishes(store: Arc<dyn MetadataStore>) {
    for new in versions("single") {
        assert_eq!(store.publish_version(&new).await.unwrap(), PublishOutcome::Created);
    }
    let outcomes = store.publish_versions(&versions("batch")).await.unwrap();
    assert_eq!(outcomes, vec![PublishOutcome::Created; 5]);
    for filters in [
        "",
        "versions=all",
        "versions=all&include_yanked=true",
        "effective_license_class=non_commercial",
        "license_conflicts=true",
        "language=pt&modality=image&tag=chat&label=team:nlp",
        "input_modality=image&max_latency_ms=25&hardware=a100",
        "q=chat&max_params=7500000000",
    ] {
        let single = hits(&store, "single", filters).await;
        assert!(!single.is_empty(), "{filters}: the single publishes match");
        assert_eq!(hits(&store, "batch", filters).await, single, "{filters}");
    }
    for model in ["ft", "base", "small"] {
        let versions = |ns: &str| {
            let store = store.clone();
            let name = format!("{ns}/{model}").parse().unwrap();
            async move {
                let mut v: Vec<String> = store
                    .list_versions(&name)
                    .await
                    .unwrap()
                    .into_iter()
                    .map(|r| format!("{} {} {}", r.version, r.size_bytes, r.file_count))
                    .collect();
                v.sort();
                v
            }
        };
        assert_eq!(versions("batch").await, versions("single").await, "{model}");
        let created = |ns: &str| {
            let store = store.clone();
            let name = format!("{ns}/{model}").parse().unwrap();
            async move {
                let m = store.get_model(&name).await.unwrap().unwrap();
                (m.created_at, m.updated_at)
            }
        };
        assert_eq!(created("batch").await, created("single").await, "{model}");
    }
}

async fn a_batch_publish_reports_each_outcome_a_single_publish_would(store: Arc<dyn MetadataStore>) {
    let card = |params: u64| json!({ "license": "MIT", "parameters": params });
    let v =
        |model: &str, version: &str, params: u64| new_version(model, version, card(params), Facts::new(), 1);
    assert_eq!(store.publish_version(&v("acme/a", "1.0.0", 1)).await.unwrap(), PublishOutcome::Created);
    assert_eq!(store.publish_version(&v("acme/gone", "1.0.0", 1)).await.unwrap(), PublishOutcome::Created);
    let now = Utc::now();
    let gone = "acme/gone".parse().unwrap();
    assert!(store.delete_version(&gone, &"1.0.0".parse().unwrap(), "admin", now).await.unwrap());
    store.delete_model(&gone, "admin", now).await.unwrap();
    let existing = v("acme/a", "1.0.0", 1).digest;
    let outcomes = store
        .publish_versions(&[
            v("acme/a", "1.0.0", 1),
            v("acme/a", "1.0.0", 2),
            v("acme/gone", "1.0.0", 1),
            v("acme/a", "1.1.0", 3),
            v("acme/a", "1.1.0", 3),
            v("acme/gone", "2.0.0", 4),
        ])
        .await
        .unwrap();
    assert_eq!(
        outcomes,
        [
            PublishOutcome::Identical,
            PublishOutcome::Conflict { existing },
            PublishOutcome::Tombstoned,
            PublishOutcome::Created,
            PublishOutcome::Identical,
            PublishOutcome::Created,
        ]
    );
    // Publishing into a deleted model brings it back.
    assert!(store.get_model(&gone).await.unwrap().is_some());
    let all = hits(&store, "acme", "versions=all").await;
    assert_eq!(all.len(), 3, "{all:?}");
}
