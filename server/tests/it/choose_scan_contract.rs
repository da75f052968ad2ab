//! The choice's single scan against the lookups it stands for, on both databases over the
//! fixture catalogue: for choices of several shapes (sorts in both directions, a missing
//! sort key, two required languages, a qualified latency bound), the candidates are what the
//! lookup with every constraint finds, and each constraint's near misses what the lookup
//! without it finds beyond the candidates' models, in its order.

use std::collections::BTreeSet;
use std::sync::Arc;

use modelreg_api::{LookupQuery, SortKey};
use modelreg_server::service::Registry;
use modelreg_server::store::MetadataStore;
use serde_json::json;

use crate::choose_contract::{choose, publish, registry};

store_contract!(
    a_choice_finds_what_the_lookups_with_and_without_each_constraint_find,
    the_scan_hands_over_every_version_it_found_exactly_and_nothing_past_its_cap,
);

/// Constraints as lookup pairs (each its own constraint), the choice's preference, and the
/// lookup order that preference bounds the candidates by.
type Shape = (&'static [(&'static str, &'static str)], serde_json::Value, [(&'static str, &'static str); 2]);

/// `model@version` of each lookup hit, in the lookup's order.
async fn lookup(registry: &Registry, pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    let q = LookupQuery::from_pairs(pairs.iter().copied()).unwrap();
    let hits = registry.lookup(None, q).await.unwrap().hits;
    hits.iter()
        .map(|h| (format!("{}/{}", h.namespace, h.name), format!("{}/{}@{}", h.namespace, h.name, h.version)))
        .collect()
}

async fn a_choice_finds_what_the_lookups_with_and_without_each_constraint_find(
    store: Arc<dyn MetadataStore>,
) {
    let (registry, _backing) = registry(store).await;
    let shapes: [Shape; 4] = [
        (
            &[("license_class", "permissive"), ("task", "text-generation"), ("min_context", "32768")],
            json!({ "criterion": "parameters", "direction": "min" }),
            [("sort", "parameters"), ("order", "asc")],
        ),
        (
            &[
                ("task", "text-generation"),
                ("language", "en"),
                ("language", "fr"),
                ("max_params", "10000000000"),
            ],
            json!({ "criterion": "context_length" }),
            [("sort", "context_length"), ("order", "desc")],
        ),
        (
            &[("commercial_use", "true"), ("min_context", "8192"), ("format", "safetensors")],
            json!({ "criterion": "size", "direction": "min" }),
            [("sort", "size"), ("order", "asc")],
        ),
        (
            &[
                ("max_latency_ms", "200"),
                ("hardware", "a100"),
                ("task", "text-generation"),
                ("max_params", "80000000000"),
            ],
            json!({ "criterion": "latency", "hardware": "a100" }),
            [("sort", "latency"), ("order", "asc")],
        ),
    ];
    let (mut candidates, mut near_misses) = (0, 0);
    for (pairs, preference, order) in shapes {
        let mut constraints = serde_json::Map::new();
        for (k, v) in pairs {
            let value = v.parse::<u64>().map(|n| json!(n)).unwrap_or_else(|_| json!(v));
            let value = if *v == "true" { json!(true) } else { value };
            match constraints.get_mut(*k) {
                Some(serde_json::Value::Array(list)) => list.push(value),
                Some(single) => *single = json!([single.take(), value]),
                None => {
                    constraints.insert((*k).to_owned(), value);
                }
            }
        }
        let answer = choose(
            &registry,
            None,
            json!({ "constraints": constraints, "preferences": [preference], "limit": 100 }),
        )
        .await;
        let shape = format!("{pairs:?}");

        let page = [order[0], order[1], ("limit", "200")];
        let all: Vec<(&str, &str)> = pairs.iter().copied().chain(page).collect();
        let expected = lookup(&registry, &all).await;
        let got: BTreeSet<String> =
            answer.candidates.iter().map(|c| format!("{}@{}", c.model, c.version)).collect();
        assert_eq!(got, expected.iter().map(|(_, v)| v.clone()).collect(), "candidates of {shape}");
        assert!(!answer.truncated);
        let ranked: BTreeSet<&String> = expected.iter().map(|(m, _)| m).collect();

        // Each constraint (the hardware rides with the latency bound) dropped in turn.
        let mut total = 0;
        for (i, (key, value)) in pairs.iter().enumerate().filter(|(_, (k, _))| *k != "hardware") {
            let relaxed: Vec<(&str, &str)> = pairs
                .iter()
                .enumerate()
                .filter(|(j, (k, _))| *j != i && !(*key == "max_latency_ms" && *k == "hardware"))
                .map(|(_, p)| *p)
                .chain(page)
                .collect();
            let misses: Vec<String> = lookup(&registry, &relaxed)
                .await
                .into_iter()
                .filter(|(m, _)| !ranked.contains(m))
                .map(|(_, v)| v)
                .collect();
            let wanted = if *key == "max_latency_ms" {
                vec![value.to_string(), "hardware=a100".to_owned()]
            } else {
                vec![value.to_string()]
            };
            let found: Vec<String> = answer
                .near_misses
                .iter()
                .filter(|n| n.constraint == *key && n.wanted == wanted)
                .map(|n| format!("{}@{}", n.model, n.version))
                .collect();
            assert_eq!(found, misses[..found.len()], "near misses on {key}={value} of {shape}");
            assert!(
                found.len() == misses.len() || answer.near_misses.len() == 20,
                "{key}={value} of {shape}"
            );
            total += misses.len();
        }
        assert_eq!(answer.near_misses.len(), total.min(20), "near misses of {shape}");
        (candidates, near_misses) = (candidates + answer.candidates.len(), near_misses + total);
    }
    assert!(candidates > 0 && near_misses > 0, "the shapes find something: {candidates}, {near_misses}");
}

/// The store's side of the scan: every version it found, each once and tagged with the
/// constraints it meets, sort keys exactly as stored (two latencies that agree to fifteen
/// digits stay apart), and None once it finds more versions than the cap. Latency on one
/// hardware has no terms, so PostgreSQL scans too.
async fn the_scan_hands_over_every_version_it_found_exactly_and_nothing_past_its_cap(
    store: Arc<dyn MetadataStore>,
) {
    let (_registry, _backing) = registry(store.clone()).await;
    // Two more releases of a model meeting the same constraints as its 1.0.0, their
    // latencies one unit in the last place apart (0.1 + 0.2 and 0.3).
    let doc: serde_json::Value = serde_json::from_str(modelreg_testkit::CHOOSE_CATALOGUE).unwrap();
    let model = "meta-llama/llama-3.1-8b-instruct";
    let entry = doc["models"].as_array().unwrap().iter().find(|e| e["model"] == model).unwrap();
    let (close, closer) = (0.1_f64 + 0.2, 0.3_f64);
    assert_ne!(close, closer);
    for (version, p50) in [("91.0.0", close), ("90.0.0", closer)] {
        let mut metadata = entry["metadata"].clone();
        metadata["latency"] = json!([{ "hardware": "a100", "p50_ms": p50 }]);
        publish(&store, model, version, &metadata, 30).await;
    }
    let base = LookupQuery::from_pairs(std::iter::empty::<(&str, &str)>()).unwrap();
    let constraints: Vec<LookupQuery> = [
        &[("max_latency_ms", "200"), ("hardware", "a100")][..],
        &[("task", "text-generation")],
        &[("max_params", "80000000000")],
    ]
    .iter()
    .map(|pairs| LookupQuery::from_pairs(pairs.iter().copied()).unwrap())
    .collect();
    let rows = store
        .tagged_versions(&base, &constraints, SortKey::Latency, 10_000)
        .await
        .unwrap()
        .expect("under the cap, the scan answers");
    let ids: BTreeSet<i64> = rows.iter().map(|r| r.id).collect();
    assert_eq!(ids.len(), rows.len(), "each version once: {rows:?}");
    assert!(rows.iter().all(|r| r.met.count_ones() >= 2), "all constraints but at most one: {rows:?}");
    let release = |major: i64| {
        let found: Vec<_> = rows.iter().filter(|r| r.major == major && r.met == 0b111).collect();
        assert_eq!(found.len(), 1, "{major}.0.0 meets all three: {rows:?}");
        found[0].clone()
    };
    let (newer, older) = (release(91), release(90));
    assert_eq!(newer.model_id, older.model_id);
    assert_eq!(newer.sort_key, Some(close), "the key reads back exactly");
    assert_eq!(older.sort_key, Some(closer), "the key reads back exactly");
    // The model's 1.0.0 is handed over too: which release wins is the service's.
    assert!(rows.iter().filter(|r| r.model_id == newer.model_id).count() >= 3, "{rows:?}");
    // One fewer than it found is past the cap (SQLite's term counts may already say so).
    let capped = store.tagged_versions(&base, &constraints, SortKey::Latency, rows.len() - 1).await.unwrap();
    assert_eq!(capped, None, "it found more versions than the cap");
}
