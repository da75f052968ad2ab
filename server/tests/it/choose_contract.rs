//! The choice (`Registry::choose`) on both databases over the fixture catalogue of
//! real-shaped model cards (`testkit/fixtures/choose_catalogue.json`): exact rankings,
//! scores, Pareto fronts, near misses with their reasons, visibility and the echoed query.

use std::sync::Arc;

use chrono::{DateTime, Duration, TimeZone, Utc};
use modelreg_api::{
    ChooseRequest, ChooseResponse, DerivedField, Fact, FactSource, Facts, KvCacheShape, Manifest, Scope,
};
use modelreg_server::service::{Principal, Registry};
use modelreg_server::store::{MetadataStore, NewFile, NewVersion, PublishOutcome};
use serde_json::{Value, json};

use crate::support::{default_policy, digest_of, local_blobs};

store_contract!(
    candidates_are_ranked_by_weighted_normalised_preferences_with_their_pareto_front,
    near_misses_fail_exactly_one_constraint_and_say_what_they_have_instead,
    a_caller_ranks_and_misses_only_what_it_may_see,
    latency_on_one_hardware_ranks_and_explains_its_misses,
    recency_ranks_by_age_at_the_time_of_asking_and_the_query_is_echoed_normalised,
    beyond_the_candidate_cap_the_first_in_the_heaviest_preference_order_are_ranked_without_near_misses,
    near_misses_on_fields_the_lookup_row_lacks_are_explained_from_the_card,
);

fn day(n: i64) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2025, 1, 1, 0, 0, 0).unwrap() + Duration::days(n)
}

/// Publishes every version of the fixture catalogue, in file order, each on its `day`.
pub async fn seed_catalogue(store: &Arc<dyn MetadataStore>) {
    let doc: Value = serde_json::from_str(modelreg_testkit::CHOOSE_CATALOGUE).unwrap();
    for entry in doc["models"].as_array().unwrap() {
        let (model, version) = (entry["model"].as_str().unwrap(), entry["version"].as_str().unwrap());
        let facts = memory_facts(&entry["metadata"], &entry["attention"]);
        publish_with(store, model, version, &entry["metadata"], entry["day"].as_i64().unwrap(), facts).await;
    }
}

/// The memory facts publish derives for a version of the catalogue: the weights are its
/// file (parameters at its precision); the KV cache, when the entry has an `attention`
/// (config.json's keys), `2 x layers x kv_heads x head_dim` elements per token at 16 bits.
pub fn memory_facts(metadata: &Value, attention: &Value) -> Facts {
    let derived = |value: Value| Fact { value, source: FactSource::Derived, derived: None, file: None };
    let mut facts = Facts::new();
    facts.insert(DerivedField::WeightBytes, derived(json!(file_size(metadata))));
    if let Some(a) = attention.as_object() {
        let n = |k: &str| a[k].as_u64().unwrap();
        let elements = 2 * n("num_hidden_layers") * n("num_key_value_heads") * n("head_dim");
        let kv = KvCacheShape {
            full_elements_per_token: elements,
            window_elements_per_token: 0,
            window: None,
            bits_per_element: 16,
            bytes_per_token: elements * 2,
        };
        facts.insert(DerivedField::KvCache, derived(json!(kv)));
    }
    facts
}

fn file_size(metadata: &Value) -> u64 {
    metadata["parameters"].as_u64().unwrap() * if metadata["precision"] == "fp32" { 4 } else { 2 }
}

/// Publishes one version whose file weighs its parameters at its precision.
pub async fn publish(store: &Arc<dyn MetadataStore>, model: &str, version: &str, metadata: &Value, on: i64) {
    publish_with(store, model, version, metadata, on, Facts::new()).await;
}

async fn publish_with(
    store: &Arc<dyn MetadataStore>,
    model: &str,
    version: &str,
    metadata: &Value,
    on: i64,
    facts: Facts,
) {
    {
        let size = file_size(metadata);
        let file = digest_of(format!("{model}@{version}").as_bytes());
        let manifest: Manifest = serde_json::from_value(json!({
            "files": [{ "path": "model.safetensors", "digest": file, "size": size }],
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
            files: vec![NewFile { path: "model.safetensors".into(), digest: file, size }],
            size_bytes: size,
            published_at: day(on),
            manifest,
            facts,
        };
        assert_eq!(store.publish_version(&new).await.unwrap(), PublishOutcome::Created, "{model}@{version}");
    }
}

pub async fn registry(store: Arc<dyn MetadataStore>) -> (Registry, crate::support::Backing) {
    seed_catalogue(&store).await;
    let (blobs, backing) = local_blobs();
    (Registry::new(store, blobs, default_policy()), backing)
}

pub async fn choose(registry: &Registry, caller: Option<&Principal>, request: Value) -> ChooseResponse {
    let request: ChooseRequest = serde_json::from_value(request).unwrap();
    registry.choose(caller, request.parse().unwrap(), day(31)).await.unwrap()
}

fn permissive_long_context_small() -> Value {
    json!({
        "constraints": { "license_class": "permissive", "task": "text-generation", "min_context": 32768 },
        "preferences": [
            { "criterion": "parameters", "direction": "min", "weight": 2 },
            { "criterion": "context_length", "direction": "max" }
        ],
        "limit": 100
    })
}

/// (model@version, score, pareto) of each candidate, best first.
pub fn ranking(answer: &ChooseResponse) -> Vec<(String, f64, bool)> {
    answer.candidates.iter().map(|c| (format!("{}@{}", c.model, c.version), c.score, c.pareto)).collect()
}

pub fn near(answer: &ChooseResponse) -> Vec<(String, String, String)> {
    answer
        .near_misses
        .iter()
        .map(|n| (n.constraint.clone(), format!("{}@{}", n.model, n.version), n.reason.clone()))
        .collect()
}

pub fn owned<const N: usize>(rows: [(&str, f64, bool); N]) -> Vec<(String, f64, bool)> {
    rows.into_iter().map(|(m, s, p)| (m.to_owned(), s, p)).collect()
}

async fn candidates_are_ranked_by_weighted_normalised_preferences_with_their_pareto_front(
    store: Arc<dyn MetadataStore>,
) {
    let (registry, _backing) = registry(store).await;
    let answer = choose(&registry, None, permissive_long_context_small()).await;
    // Parameters: min-max over 0.494B..46.7B, lower better, weight 2; context: 32768..131072,
    // higher better, weight 1; total = (2 x params + context) / 3. Equal totals by name.
    assert_eq!(
        ranking(&answer),
        owned([
            ("microsoft/phi-3-mini-128k-instruct@1.0.0", 0.952012, true),
            ("microsoft/phi-3.5-mini-instruct@1.0.0", 0.952012, true),
            ("deepseek-ai/deepseek-r1-distill-qwen-7b@1.0.0", 0.897185, false),
            ("qwen/qwen2.5-7b-instruct@1.1.0", 0.897185, false),
            ("deepseek-ai/deepseek-r1-distill-llama-8b@1.0.0", 0.89127, false),
            ("mistralai/mistral-nemo-instruct@1.0.0", 0.831104, false),
            ("qwen/qwen2.5-0.5b-instruct@1.0.0", 0.666667, true),
            ("qwen/qwen2.5-1.5b-instruct@1.0.0", 0.651575, false),
            ("mistralai/mistral-7b-instruct-v0.3@1.0.0", 0.56919, false),
            ("mistralai/mixtral-8x7b-instruct@1.0.0", 0.0, false),
        ])
    );
    assert_eq!((answer.ranked, answer.truncated), (10, false));
    let top = &answer.candidates[0];
    assert_eq!(top.rank, 1);
    assert_eq!(top.url, "/v1/models/microsoft/phi-3-mini-128k-instruct/versions/1.0.0");
    let criteria: Vec<(&str, Option<f64>, &str, f64)> =
        top.criteria.iter().map(|c| (c.criterion.as_str(), c.value, c.unit.as_str(), c.score)).collect();
    assert_eq!(
        criteria,
        [
            ("parameters", Some(3.82e9), "parameters", 0.928018),
            ("context_length", Some(131072.0), "tokens", 1.0)
        ]
    );
    // The limit cuts the list, not the ranking.
    let mut request = permissive_long_context_small();
    request["limit"] = json!(3);
    let short = choose(&registry, None, request).await;
    assert_eq!(ranking(&short), ranking(&answer)[..3]);
    assert_eq!(short.ranked, 10);
}

async fn near_misses_fail_exactly_one_constraint_and_say_what_they_have_instead(
    store: Arc<dyn MetadataStore>,
) {
    let (registry, _backing) = registry(store).await;
    let answer = choose(&registry, None, permissive_long_context_small()).await;
    let rows = |list: &[(&str, &str, &str)]| -> Vec<(String, String, String)> {
        list.iter().map(|(c, m, r)| (c.to_string(), m.to_string(), r.to_string())).collect()
    };
    // Each constraint's misses in the order of the heaviest preference (fewest parameters
    // first), taken in turn. bert (fill-mask, 512 tokens) and whisper (speech, no context
    // length) fail two constraints each, so no task miss exists.
    assert_eq!(
        near(&answer),
        rows(&[
            ("license_class", "meta-llama/llama-3.2-1b-instruct@1.0.0", "license_class is restricted_use"),
            ("min_context", "openai-community/gpt2@1.0.0", "context_length is 1024 tokens"),
            ("license_class", "qwen/qwen2.5-3b-instruct@1.0.0", "license_class is non_commercial"),
            ("min_context", "huggingfacetb/smollm2-135m-instruct@1.0.0", "context_length is 8192 tokens"),
            ("license_class", "meta-llama/llama-3.2-3b-instruct@1.0.0", "license_class is restricted_use"),
            ("min_context", "huggingfacetb/smollm2-360m-instruct@1.0.0", "context_length is 8192 tokens"),
            ("license_class", "meta-llama/llama-3.1-8b-instruct@1.0.0", "license_class is restricted_use"),
            ("min_context", "huggingfacetb/smollm2-1.7b-instruct@1.0.0", "context_length is 8192 tokens"),
            ("license_class", "meta-llama/llama-3.1-70b-instruct@1.0.0", "license_class is restricted_use"),
            ("min_context", "microsoft/phi-3-mini-4k-instruct@1.0.0", "context_length is 4096 tokens"),
            ("license_class", "qwen/qwen2.5-72b-instruct@1.0.0", "license_class is restricted_use"),
            ("min_context", "eleutherai/pythia-6.9b@1.0.0", "context_length is 2048 tokens"),
            ("min_context", "tiiuae/falcon-7b-instruct@1.0.0", "context_length is 2048 tokens"),
            ("min_context", "allenai/olmo-2-1124-7b-instruct@1.0.0", "context_length is 4096 tokens"),
            ("min_context", "ibm-granite/granite-3.0-8b-instruct@1.0.0", "context_length is 4096 tokens"),
            ("min_context", "allenai/olmo-2-1124-13b-instruct@1.0.0", "context_length is 4096 tokens"),
            ("min_context", "microsoft/phi-4@1.0.0", "context_length is 16384 tokens"),
            ("min_context", "tiiuae/falcon-40b-instruct@1.0.0", "context_length is 2048 tokens"),
        ])
    );
    let first = &answer.near_misses[0];
    assert_eq!(first.wanted, ["permissive"]);
    assert_eq!(first.url, "/v1/models/meta-llama/llama-3.2-1b-instruct/versions/1.0.0");
}

async fn a_caller_ranks_and_misses_only_what_it_may_see(store: Arc<dyn MetadataStore>) {
    let (registry, _backing) = registry(store).await;
    let caller = Principal {
        token_name: "t".into(),
        scope: Scope::Read,
        namespaces: vec!["qwen".parse().unwrap(), "microsoft".parse().unwrap()],
    };
    let answer = choose(&registry, Some(&caller), permissive_long_context_small()).await;
    // Normalised over what the caller sees: 0.494B..7.62B parameters.
    assert_eq!(
        ranking(&answer),
        owned([
            ("microsoft/phi-3-mini-128k-instruct@1.0.0", 0.688839, true),
            ("microsoft/phi-3.5-mini-instruct@1.0.0", 0.688839, true),
            ("qwen/qwen2.5-0.5b-instruct@1.0.0", 0.666667, true),
            ("qwen/qwen2.5-1.5b-instruct@1.0.0", 0.568809, false),
            ("qwen/qwen2.5-7b-instruct@1.1.0", 0.333333, false),
        ])
    );
    assert_eq!(
        near(&answer).into_iter().map(|(c, m, _)| format!("{c} {m}")).collect::<Vec<_>>(),
        [
            "license_class qwen/qwen2.5-3b-instruct@1.0.0",
            "min_context microsoft/phi-3-mini-4k-instruct@1.0.0",
            "license_class qwen/qwen2.5-72b-instruct@1.0.0",
            "min_context microsoft/phi-4@1.0.0",
        ]
    );
}

async fn latency_on_one_hardware_ranks_and_explains_its_misses(store: Arc<dyn MetadataStore>) {
    let (registry, _backing) = registry(store).await;
    let answer = choose(
        &registry,
        None,
        json!({
            "constraints": { "commercial_use": true, "max_latency_ms": 30, "hardware": "A100", "max_params": 50_000_000_000u64 },
            "preferences": [
                { "criterion": "latency", "hardware": "A100" },
                { "criterion": "parameters" },
                { "criterion": "context_length" }
            ]
        }),
    )
    .await;
    assert_eq!(
        ranking(&answer),
        owned([
            ("microsoft/phi-3-mini-128k-instruct@1.0.0", 1.0, true),
            ("qwen/qwen2.5-7b-instruct@1.1.0", 0.402833, false),
            ("meta-llama/llama-3.1-8b-instruct@1.0.0", 0.333333, false),
            ("mistralai/mistral-7b-instruct-v0.3@1.0.0", 0.135832, false),
        ])
    );
    let latency = &answer.candidates[1].criteria[0];
    assert_eq!(
        (latency.criterion.as_str(), latency.value, latency.unit.as_str()),
        ("latency@a100", Some(20.0), "ms")
    );
    // Only the latency constraint has single misses; the fastest first, then those without
    // a figure on that hardware, capped at 20.
    let misses = near(&answer);
    assert_eq!(misses.len(), 20);
    assert!(misses.iter().all(|(c, _, _)| c == "max_latency_ms"));
    assert_eq!(
        misses[..2],
        [
            (
                "max_latency_ms".to_owned(),
                "mistralai/mixtral-8x7b-instruct@1.0.0".to_owned(),
                "p50 latency on a100 is 48 ms".to_owned()
            ),
            (
                "max_latency_ms".to_owned(),
                "meta-llama/llama-3.2-1b-instruct@1.0.0".to_owned(),
                "no latency is stated on a100".to_owned()
            ),
        ]
    );
    assert_eq!(answer.near_misses[0].wanted, ["30", "hardware=A100"]);
}

async fn recency_ranks_by_age_at_the_time_of_asking_and_the_query_is_echoed_normalised(
    store: Arc<dyn MetadataStore>,
) {
    let (registry, _backing) = registry(store).await;
    let request = json!({
        "constraints": { "license_class": ["non_commercial"] },
        "preferences": [{ "criterion": "recency" }]
    });
    let answer = choose(&registry, None, request).await;
    // Asked on day 31: qwen2.5-3b (day 15) is 16 days old, aya-23-8b (day 9) 22.
    let ages: Vec<(String, Option<f64>, f64)> = answer
        .candidates
        .iter()
        .map(|c| (c.model.to_string(), c.criteria[0].value, c.criteria[0].score))
        .collect();
    assert_eq!(
        ages,
        [
            ("qwen/qwen2.5-3b-instruct".to_owned(), Some(16.0), 1.0),
            ("cohereforai/aya-23-8b".to_owned(), Some(22.0), 0.0)
        ]
    );
    assert_eq!(
        serde_json::to_value(&answer.query).unwrap(),
        json!({
            "constraints": { "license_class": "non_commercial" },
            "preferences": [{ "criterion": "recency", "direction": "min", "weight": 1.0 }],
            "limit": 10
        })
    );
    // Echoed, the query asks the same question.
    let again = choose(&registry, None, serde_json::to_value(&answer.query).unwrap()).await;
    assert_eq!(again, answer);
}

async fn beyond_the_candidate_cap_the_first_in_the_heaviest_preference_order_are_ranked_without_near_misses(
    store: Arc<dyn MetadataStore>,
) {
    for i in 0..205u64 {
        let metadata = json!({ "license": "MIT", "parameters": (i + 1) * 1_000_000, "precision": "bf16" });
        publish(&store, &format!("bulk/m{i:03}"), "1.0.0", &metadata, 1).await;
    }
    publish(&store, "bulk/gpl", "1.0.0", &json!({ "license": "GPL-3.0-only", "parameters": 1 }), 1).await;
    let (blobs, _backing) = local_blobs();
    let registry = Registry::new(store, blobs, default_policy());
    let answer = choose(
        &registry,
        None,
        json!({
            "constraints": { "license_class": "permissive" },
            "preferences": [{ "criterion": "size" }, { "criterion": "parameters", "direction": "max", "weight": 5 }],
            "limit": 2
        }),
    )
    .await;
    // The heaviest preference (most parameters) picks which 200 of the 205 are ranked.
    assert_eq!((answer.ranked, answer.truncated), (200, true));
    assert_eq!(
        answer.candidates.iter().map(|c| c.model.to_string()).collect::<Vec<_>>(),
        ["bulk/m204", "bulk/m203"]
    );
    // Normalised over the ranked 200: 5M..205M parameters.
    assert_eq!(answer.candidates[0].criteria[1].value, Some(205e6));
    // Largest, so the worst on size (weight 1), the best on parameters (weight 5).
    assert_eq!(answer.candidates[0].score, 0.833333);
    assert!(answer.near_misses.is_empty(), "the gpl model cannot be told from an unranked match");
}

async fn near_misses_on_fields_the_lookup_row_lacks_are_explained_from_the_card(
    store: Arc<dyn MetadataStore>,
) {
    let card = |framework: Option<&str>, tag: &str| {
        let mut m = json!({ "license": "MIT", "parameters": 1000, "tags": [tag] });
        if let Some(f) = framework {
            m["framework"] = json!(f);
        }
        m
    };
    publish(&store, "acme/a", "1.0.0", &card(Some("transformers"), "chat"), 1).await;
    publish(&store, "acme/b", "1.0.0", &card(Some("llama.cpp"), "chat"), 1).await;
    publish(&store, "acme/c", "1.0.0", &card(Some("transformers"), "code"), 1).await;
    publish(&store, "acme/d", "1.0.0", &card(None, "chat"), 1).await;
    let (blobs, _backing) = local_blobs();
    let registry = Registry::new(store, blobs, default_policy());
    let answer =
        choose(&registry, None, json!({ "constraints": { "framework": "transformers", "tag": "chat" } }))
            .await;
    assert_eq!(ranking(&answer), owned([("acme/a@1.0.0", 0.0, true)]));
    assert_eq!(
        near(&answer),
        [
            ("framework".to_owned(), "acme/b@1.0.0".to_owned(), "framework is llama.cpp".to_owned()),
            ("tag".to_owned(), "acme/c@1.0.0".to_owned(), "tags are code".to_owned()),
            ("framework".to_owned(), "acme/d@1.0.0".to_owned(), "framework is not stated".to_owned()),
        ]
    );
}
