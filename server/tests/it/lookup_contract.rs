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
    missing_sort_values_come_last_in_both_directions_across_pages,
    a_selective_sorted_query_returns_each_models_highest_matching_version,
    automatic_walks_beyond_their_short_window_agree_with_the_scan,
    windows_sized_by_the_term_statistics_agree_with_the_scan,
    a_model_whose_versions_have_the_terms_only_between_them_does_not_match,
    creation_time_ties_spanning_a_walk_window_are_ordered_by_version_id,
    derivatives_are_listed_by_base_model,
    range_filters_are_exact_at_the_edges_of_their_buckets,
);

/// Publishes one version with a single 100-byte file, created at second `at` of 2026; the
/// other contract suites publish through it too.
pub(crate) async fn publish(
    store: &Arc<dyn MetadataStore>,
    model: &str,
    version: &str,
    metadata: Value,
    facts: Facts,
    at: u32,
) {
    let new = new_version(model, version, metadata, facts, at);
    assert_eq!(store.publish_version(&new).await.unwrap(), PublishOutcome::Created);
}

/// The version [`publish`] publishes.
pub(crate) fn new_version(model: &str, version: &str, metadata: Value, facts: Facts, at: u32) -> NewVersion {
    let file = digest_of(format!("{model}{version}").as_bytes());
    let manifest: Manifest = serde_json::from_value(json!({
        "files": [{ "path": "weights", "digest": file, "size": 100 }],
        "metadata": metadata,
    }))
    .unwrap();
    manifest.validate().unwrap();
    let manifest = manifest.canonicalize();
    NewVersion {
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
    }
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

/// Every page of a lookup, as `name@version`; every strategy must agree.
async fn all_pages(store: &Arc<dyn MetadataStore>, q: &LookupQuery) -> Vec<String> {
    let scanned = pages_with(store, q, Strategy::Scan).await;
    for strategy in [Strategy::Walk, Strategy::Seek, Strategy::Buckets, Strategy::Auto] {
        assert_eq!(pages_with(store, q, strategy).await, scanned, "{strategy:?} and Scan disagree on {q:?}");
    }
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
        assert!(out.len() < 1000, "paging does not terminate");
    }
}

async fn names(store: &Arc<dyn MetadataStore>, s: &str) -> Vec<String> {
    all_pages(store, &query(s)).await.into_iter().map(|n| n.split('@').next().unwrap().to_owned()).collect()
}

/// Ranges find their candidates through power-of-two bucket terms (PostgreSQL's scan tests them, SQLite's
/// may start from them; the bound's own bucket holds values on both sides of it): values on and next to a power of
/// two, and fractional latencies, match exactly as the columns say, with every strategy.
async fn range_filters_are_exact_at_the_edges_of_their_buckets(store: Arc<dyn MetadataStore>) {
    let values: [(&str, u64, u64, f64); 5] = [
        ("e/a", 2_147_483_647, 1023, 9.0),
        ("e/b", 2_147_483_648, 1024, 9.5),
        ("e/c", 2_147_483_649, 1025, 10.0),
        ("e/d", 4_294_967_296, 2048, 0.4),
        ("e/e", 1, 1, 1000.0),
    ];
    for (i, (model, params, context, ms)) in values.into_iter().enumerate() {
        let metadata = json!({
            "license": "MIT", "parameters": params, "context_length": context,
            "latency": [{ "hardware": "cpu", "p50_ms": ms }]
        });
        publish(&store, model, "1.0.0", metadata, Facts::new(), u32::try_from(i).unwrap()).await;
    }
    publish(&store, "e/none", "1.0.0", json!({ "license": "MIT" }), Facts::new(), 9).await;
    let cases: &[(&str, &[&str])] = &[
        ("max_params=2147483648", &["e/a", "e/b", "e/e"]),
        ("max_params=2147483647", &["e/a", "e/e"]),
        ("min_params=2147483648", &["e/b", "e/c", "e/d"]),
        ("min_params=2147483649", &["e/c", "e/d"]),
        ("min_params=2147483648&max_params=2147483649", &["e/b", "e/c"]),
        ("max_params=1", &["e/e"]),
        ("min_context=1024", &["e/b", "e/c", "e/d"]),
        ("max_context=1024", &["e/a", "e/b", "e/e"]),
        ("min_context=1025&max_context=2047", &["e/c"]),
        ("max_latency_ms=9.5", &["e/a", "e/b", "e/d"]),
        ("max_latency_ms=9.4", &["e/a", "e/d"]),
        ("max_latency_ms=0.4", &["e/d"]),
        ("max_latency_ms=1000&min_params=2", &["e/a", "e/b", "e/c", "e/d"]),
    ];
    for (q, expected) in cases {
        assert_eq!(names(&store, q).await, *expected, "{q}");
    }
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
        ("max_latency_ms=400", &["acme/chat", "acme/mt-fr-de"]),
        ("max_latency_ms=500&hardware=cpu", &["acme/chat"]),
        ("has_risk_notes=true", &["acme/mt-fr-de"]),
        ("tag=mt", &["acme/mt-fr-de"]),
        ("label=team:nlp", &["acme/mt-fr-de"]),
        ("label=team:nlp&label=team:vision", &["acme/mt-fr-de", "beta/llama-ft"]),
        ("q=translator", &["acme/mt-fr-de"]),
        ("q=ACME%", &[]),
        ("q=acme", &["acme/base", "acme/chat", "acme/mt-fr-de"]),
        // Every word, anywhere; words of three characters or more through SQLite's trigram
        // index, shorter ones by LIKE alone.
        ("q=acme translator", &["acme/mt-fr-de"]),
        ("q=Beta VISION", &["beta/vision"]),
        ("q=mt translator", &["acme/mt-fr-de"]),
        ("q=ta", &["beta/llama-ft", "beta/vision"]),
        ("q=translator\"", &[]),
        ("q=\"", &[]),
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
    let all = all_pages(&store, &query("namespace=beta&versions=all&sort=created&order=desc")).await;
    assert_eq!(all, ["beta/llama-ft@3.0.0", "beta/vision@0.1.0"]);
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
            for (versions, count) in [("all", 7), ("best", 5)] {
                let q = format!("sort={sort}&order={order}&versions={versions}");
                let whole = all_pages(&store, &query(&q)).await;
                let paged = all_pages(&store, &query(&format!("{q}&limit=2"))).await;
                assert_eq!(paged, whole, "{q}");
                assert_eq!(whole.len(), count, "{q}");
            }
        }
    }
}

/// The seed plus two models without a parameter count: `gamma/tiny` never had one, and the
/// highest release of `gamma/multi` dropped it.
async fn seed_with_missing_parameters(store: &Arc<dyn MetadataStore>) {
    seed(store).await;
    let meta = |params: Option<u64>| {
        let mut m = json!({ "license": "MIT", "task": "text-generation", "context_length": 4096 });
        if let Some(p) = params {
            m["parameters"] = json!(p);
        }
        m
    };
    publish(store, "gamma/tiny", "1.0.0", meta(None), Facts::new(), 8).await;
    publish(store, "gamma/multi", "1.0.0", meta(Some(5_000_000_000)), Facts::new(), 9).await;
    publish(store, "gamma/multi", "2.0.0", meta(None), Facts::new(), 10).await;
}

async fn missing_sort_values_come_last_in_both_directions_across_pages(store: Arc<dyn MetadataStore>) {
    seed_with_missing_parameters(&store).await;
    let with_values = [
        "beta/vision@0.1.0",
        "acme/base@1.0.0",
        "acme/mt-fr-de@1.1.0",
        "acme/chat@1.0.0",
        "beta/llama-ft@3.0.0",
    ];
    // Ties on a missing value are broken by version id, in the direction of the sort.
    let ascending: Vec<&str> =
        with_values.iter().copied().chain(["gamma/tiny@1.0.0", "gamma/multi@2.0.0"]).collect();
    let descending: Vec<&str> =
        with_values.iter().rev().copied().chain(["gamma/multi@2.0.0", "gamma/tiny@1.0.0"]).collect();
    for limit in [1, 2, 3, 6, 100] {
        for (order, expected) in [("asc", &ascending), ("desc", &descending)] {
            let q = format!("sort=parameters&order={order}&limit={limit}");
            assert_eq!(all_pages(&store, &query(&q)).await, *expected, "{q}");
            // Every version: the two without a count are the last two, whatever the page size.
            let all = all_pages(&store, &query(&format!("{q}&versions=all"))).await;
            assert_eq!(all.len(), 10, "{q}");
            let mut tail = all[8..].to_vec();
            tail.sort();
            assert_eq!(tail, ["gamma/multi@2.0.0", "gamma/tiny@1.0.0"], "{q}&versions=all");
        }
    }
}

async fn a_selective_sorted_query_returns_each_models_highest_matching_version(
    store: Arc<dyn MetadataStore>,
) {
    seed_with_missing_parameters(&store).await;
    // gamma/multi@2.0.0 has no count, so 1.0.0 is the highest release that matches.
    for limit in [1, 2, 20] {
        let q = format!("min_params=1&sort=parameters&order=desc&limit={limit}");
        assert_eq!(
            all_pages(&store, &query(&q)).await,
            [
                "beta/llama-ft@3.0.0",
                "acme/chat@1.0.0",
                "gamma/multi@1.0.0",
                "acme/mt-fr-de@1.1.0",
                "acme/base@1.0.0",
                "beta/vision@0.1.0"
            ],
            "{q}"
        );
        // mt-fr-de@1.1.0 is too large, 1.0.0 is not; the rc is never a best match.
        let q = format!("max_params=2650000000&sort=updated&order=desc&limit={limit}");
        assert_eq!(
            all_pages(&store, &query(&q)).await,
            ["acme/base@1.0.0", "beta/vision@0.1.0", "acme/mt-fr-de@1.0.0"],
            "{q}"
        );
        let q = format!("task=translation&max_context=8192&sort=context_length&limit={limit}");
        assert_eq!(all_pages(&store, &query(&q)).await, ["acme/mt-fr-de@1.0.0"], "{q}");
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

/// 150 models of three releases each (450 versions, more than an automatic walk's short
/// window of models or versions); every tenth model is MIT, the others Apache-2.0, and a
/// model's releases grow in parameters. Models are created `per_second` to a second, so
/// that windows of models by creation time end inside ties, and the 2.0.0 releases are
/// published last, in reverse order: among models created in the same second the later
/// model's best version has the lower id (the creation-time sort's tie-break).
async fn seed_many(store: &Arc<dyn MetadataStore>, per_second: u64) {
    let meta = |i: u64, v: u64| {
        let license = if i.is_multiple_of(10) { "MIT" } else { "Apache-2.0" };
        json!({ "license": license, "parameters": (i * 10 + v + 1) * 1_000_000 })
    };
    let at = |i: u64| u32::try_from(i / per_second).unwrap();
    for i in 0..150u64 {
        for (v, version) in [(0, "1.0.0"), (1, "1.1.0")] {
            publish(store, &format!("bulk/m-{i:03}"), version, meta(i, v), Facts::new(), at(i)).await;
        }
    }
    for i in (0..150u64).rev() {
        publish(store, &format!("bulk/m-{i:03}"), "2.0.0", meta(i, 2), Facts::new(), at(i)).await;
    }
}

async fn automatic_walks_beyond_their_short_window_agree_with_the_scan(store: Arc<dyn MetadataStore>) {
    seed_many(&store, 7).await;
    let sorts = [
        "",
        "&order=desc",
        "&sort=created",
        "&sort=created&order=desc",
        "&sort=parameters&order=desc",
        "&sort=parameters",
    ];
    // With these page sizes the MIT models (15) are too few to fill a page within the short
    // window but frequent enough there to walk on through the rest of it, or too rare and
    // scanned at once; with every version, three rows a model.
    for limit in [5, 10, 14, 20] {
        for sort in sorts {
            let q = format!("license=MIT&limit={limit}{sort}");
            let found = all_pages(&store, &query(&q)).await;
            assert_eq!(found.len(), 15, "{q}");
            assert!(found.iter().all(|hit| hit.ends_with("@2.0.0")), "{q}");
            let q = format!("{q}&versions=all");
            assert_eq!(all_pages(&store, &query(&q)).await.len(), 45, "{q}");
        }
    }
    // Without a filter every page fills within the short window, whose ends fall inside ties
    // of the creation-time sort.
    for limit in [9, 20] {
        for sort in sorts {
            let q = format!("limit={limit}{sort}");
            assert_eq!(all_pages(&store, &query(&q)).await.len(), 150, "{q}");
            let q = format!("{q}&versions=all");
            assert_eq!(all_pages(&store, &query(&q)).await.len(), 450, "{q}");
        }
    }
    let first = |n: usize, found: Vec<String>| found.into_iter().take(n).collect::<Vec<_>>();
    assert_eq!(
        first(8, all_pages(&store, &query("sort=created&limit=3")).await),
        ["006", "005", "004", "003", "002", "001", "000", "013"].map(|i| format!("bulk/m-{i}@2.0.0")),
        "ties on creation time are ordered by version id"
    );
    assert_eq!(
        first(4, all_pages(&store, &query("sort=created&order=desc&limit=3")).await),
        ["147", "148", "149", "140"].map(|i| format!("bulk/m-{i}@2.0.0")),
    );
    assert_eq!(
        first(3, all_pages(&store, &query("order=desc&limit=2")).await),
        ["149", "148", "147"].map(|i| format!("bulk/m-{i}@2.0.0")),
    );
}

/// With statistics (PostgreSQL's `ANALYZE`; SQLite counts its terms always) the automatic
/// lookup sizes its first window from the query's terms or skips the walk for the scan: the
/// same pages either way, for common, rare and combined filters in every order.
async fn windows_sized_by_the_term_statistics_agree_with_the_scan(store: Arc<dyn MetadataStore>) {
    seed_many(&store, 7).await;
    store.ensure_statistics().await.unwrap();
    let sorts =
        ["", "&order=desc", "&sort=created&order=desc", "&sort=parameters", "&sort=parameters&order=desc"];
    // (filter, best versions it matches, every version it matches)
    let filters = [
        ("license=Apache-2.0", 135, 405),
        ("license=MIT", 15, 45),
        ("license=MIT&max_params=700000000", 7, 21),
        ("license=Apache-2.0&min_params=1000000000", 45, 135),
        ("max_params=20000000", 2, 6),
        ("license=MIT&license=Apache-2.0&min_params=1490000000", 1, 3),
        // "bulk" is in every version's text, so PostgreSQL tests it without its text index
        // (`unindexed_words`) and looks up only the rarer word.
        ("q=bulk m-04", 10, 30),
        ("q=m-1 BULK&license=Apache-2.0", 45, 135),
    ];
    for (filter, best, every) in filters {
        for limit in [3, 20] {
            for sort in sorts {
                let q = format!("{filter}&limit={limit}{sort}");
                assert_eq!(all_pages(&store, &query(&q)).await.len(), best, "{q}");
                let q = format!("{q}&versions=all");
                assert_eq!(all_pages(&store, &query(&q)).await.len(), every, "{q}");
            }
        }
    }
}

/// PostgreSQL walks candidate models that have each filter's terms among all their versions'
/// terms; a model whose versions have them only between them is a candidate that must not
/// match, and a version's terms stay on its model after it is gone.
async fn a_model_whose_versions_have_the_terms_only_between_them_does_not_match(
    store: Arc<dyn MetadataStore>,
) {
    let meta = |license: &str, language: &str, parameters: u64| json!({ "license": license, "task": "translation", "languages": [language], "parameters": parameters });
    publish(&store, "split/a", "1.0.0", meta("MIT", "fr", 1_000_000), Facts::new(), 1).await;
    publish(&store, "split/a", "2.0.0", meta("Apache-2.0", "de", 9_000_000_000), Facts::new(), 2).await;
    publish(&store, "split/b", "1.0.0", meta("MIT", "de", 9_000_000_000), Facts::new(), 3).await;
    store.ensure_statistics().await.unwrap();
    for sort in ["", "&sort=parameters", "&sort=created&order=desc"] {
        for versions in ["", "&versions=all"] {
            let found = |q: &str| {
                let q = format!("{q}{sort}{versions}");
                let store = store.clone();
                async move { all_pages(&store, &query(&q)).await }
            };
            assert_eq!(found("license=MIT&language=de&max_params=2000000000").await, Vec::<String>::new());
            assert_eq!(found("license=MIT&language=fr").await, ["split/a@1.0.0"]);
            assert_eq!(found("license=MIT&language=de").await, ["split/b@1.0.0"]);
            assert_eq!(found("language=de&max_params=2000000000").await, Vec::<String>::new());
            assert_eq!(found("license=Apache-2.0&min_params=5000000000").await, ["split/a@2.0.0"]);
        }
    }
}

async fn creation_time_ties_spanning_a_walk_window_are_ordered_by_version_id(store: Arc<dyn MetadataStore>) {
    // Every model is created in the same second: the first window of 100 models by id holds
    // none of the best versions that come first.
    seed_many(&store, 150).await;
    for limit in [5, 10, 14] {
        for filter in ["", "&license=MIT"] {
            for order in ["asc", "desc"] {
                let q = format!("sort=created&order={order}&limit={limit}{filter}");
                let found = all_pages(&store, &query(&q)).await;
                assert_eq!(found.len(), if filter.is_empty() { 150 } else { 15 }, "{q}");
                if filter.is_empty() {
                    let first = if order == "asc" { "bulk/m-149@2.0.0" } else { "bulk/m-000@2.0.0" };
                    assert_eq!(found[0], first, "{q}");
                }
                let q = format!("{q}&versions=all");
                let all = all_pages(&store, &query(&q)).await;
                assert_eq!(all.len(), if filter.is_empty() { 450 } else { 45 }, "{q}");
            }
        }
    }
    let mit = all_pages(&store, &query("sort=created&license=MIT&limit=5")).await;
    assert_eq!(mit[..3], ["bulk/m-140@2.0.0", "bulk/m-130@2.0.0", "bulk/m-120@2.0.0"]);
}
