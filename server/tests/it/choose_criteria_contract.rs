//! The two criteria of a choice that read beyond the lookup row, on both databases over
//! the fixture catalogue: memory at a context (the `fits_memory` estimate of the memory
//! facts publish records) and an evaluation metric (its direction from the metric's name);
//! missing values rank last with their reason; and the near misses of a memory budget and
//! of an evaluation bound, with the estimate and the value that failed. Expected figures
//! are worked out in the comments.

use std::sync::Arc;

use modelreg_api::{ChooseResponse, KvCacheShape, memory_need};
use modelreg_server::store::MetadataStore;
use serde_json::{Value, json};

use crate::choose_contract::{choose, near, owned, ranking, registry};

store_contract!(
    memory_at_a_context_ranks_by_the_estimate_and_an_unknown_estimate_ranks_last_with_its_reason,
    an_evaluation_metric_ranks_in_its_direction_and_versions_without_it_rank_last,
    memory_and_an_evaluation_together_have_their_pareto_front,
    near_misses_of_a_memory_budget_give_the_estimate_and_the_budget,
    near_misses_of_an_evaluation_bound_give_the_value_in_the_asked_languages,
    many_constraints_find_the_same_near_misses_as_few,
);

const GIB: u64 = 1 << 30;

/// The ten permissive text-generation versions with at least 32k of context (the ranking
/// of `choose_contract`), under `preferences`.
fn permissive_long_context(preferences: Value) -> Value {
    json!({
        "constraints": { "license_class": "permissive", "task": "text-generation", "min_context": 32768 },
        "preferences": preferences,
        "limit": 100
    })
}

/// (criterion, value, score, missing) of candidate `model`'s criteria.
fn criteria_of(answer: &ChooseResponse, model: &str) -> Vec<(String, Option<f64>, f64, Option<String>)> {
    let c = answer.candidates.iter().find(|c| c.model.to_string() == model).expect(model);
    c.criteria.iter().map(|s| (s.criterion.clone(), s.value, s.score, s.missing.clone())).collect()
}

async fn memory_at_a_context_ranks_by_the_estimate_and_an_unknown_estimate_ranks_last_with_its_reason(
    store: Arc<dyn MetadataStore>,
) {
    let (registry, _backing) = registry(store).await;
    let answer = choose(
        &registry,
        None,
        permissive_long_context(json!([{ "criterion": "memory", "at_context": 8192 }])),
    )
    .await;
    // Phi-3-mini-128k by hand: bf16 weights 2 x 3.82e9 = 7,640,000,000 bytes; KV cache
    // 2 x 32 layers x 32 KV heads x 96 = 196,608 elements per token x 8,192 tokens x 2 bytes
    // = 3 GiB; overhead (7,640,000,000 + 3 GiB) / 10 rounded up + 512 MiB; in all
    // 12,484,218,932 bytes.
    let kv = KvCacheShape {
        full_elements_per_token: 196_608,
        window_elements_per_token: 0,
        window: None,
        bits_per_element: 16,
        bytes_per_token: 393_216,
    };
    let phi = memory_need(7_640_000_000, &kv, 8192, 1, None);
    assert_eq!((phi.kv_cache, phi.total), (3 * GIB, 12_484_218_932));
    assert_eq!(
        criteria_of(&answer, "microsoft/phi-3-mini-128k-instruct"),
        [("memory@8192".to_owned(), Some(12_484_218_932.0), 0.895352, None)]
    );
    // Min-max over 1,734,400,538 (qwen2.5-0.5b: 2 x 24 x 2 x 64 elements per token) ..
    // 104,457,986,919 (mixtral), lower better. deepseek-r1-distill-qwen-7b has no attention
    // shape: no estimate, score 0, after mixtral's 0.
    assert_eq!(
        ranking(&answer),
        owned([
            ("qwen/qwen2.5-0.5b-instruct@1.0.0", 1.0, true),
            ("qwen/qwen2.5-1.5b-instruct@1.0.0", 0.976161, false),
            ("microsoft/phi-3-mini-128k-instruct@1.0.0", 0.895352, false),
            ("microsoft/phi-3.5-mini-instruct@1.0.0", 0.895352, false),
            ("mistralai/mistral-7b-instruct-v0.3@1.0.0", 0.844889, false),
            ("qwen/qwen2.5-7b-instruct@1.1.0", 0.843432, false),
            ("deepseek-ai/deepseek-r1-distill-llama-8b@1.0.0", 0.828184, false),
            ("mistralai/mistral-nemo-instruct@1.0.0", 0.736002, false),
            ("mistralai/mixtral-8x7b-instruct@1.0.0", 0.0, false),
            ("deepseek-ai/deepseek-r1-distill-qwen-7b@1.0.0", 0.0, false),
        ])
    );
    assert_eq!(
        criteria_of(&answer, "deepseek-ai/deepseek-r1-distill-qwen-7b"),
        [(
            "memory@8192".to_owned(),
            None,
            0.0,
            Some("memory cannot be determined: no KV-cache shape is known".to_owned())
        )]
    );
    // Without at_context each version is counted at its own context length: 131,072 tokens
    // of phi's cache are 48 GiB, 32,768 of qwen2.5-0.5b's 384 MiB.
    let full = choose(&registry, None, permissive_long_context(json!([{ "criterion": "memory" }]))).await;
    let value = |a: &ChooseResponse, m: &str| criteria_of(a, m)[0].1;
    let phi_full = memory_need(7_640_000_000, &kv, 131_072, 1, None).total;
    assert_eq!(value(&full, "microsoft/phi-3-mini-128k-instruct"), Some(phi_full as f64));
    assert_eq!(full.query.preferences[0].criterion.to_string(), "memory");
    // A batch of 4 at fp8: the cache is 4 x 196,608 x 8,192 bytes = 6 GiB.
    let batched = choose(
        &registry,
        None,
        permissive_long_context(
            json!([{ "criterion": "memory", "at_context": 8192, "batch": 4, "kv_precision": "FP8" }]),
        ),
    )
    .await;
    let phi_batched = memory_need(7_640_000_000, &kv, 8192, 4, Some(8));
    assert_eq!(phi_batched.kv_cache, 6 * GIB);
    assert_eq!(value(&batched, "microsoft/phi-3-mini-128k-instruct"), Some(phi_batched.total as f64));
    assert_eq!(batched.candidates[0].criteria[0].criterion, "memory@8192x4/fp8");
}

async fn an_evaluation_metric_ranks_in_its_direction_and_versions_without_it_rank_last(
    store: Arc<dyn MetadataStore>,
) {
    let (registry, _backing) = registry(store).await;
    // MMLU accuracy: higher is better, min-max over 47.5 (qwen2.5-0.5b) .. 74.2 (qwen2.5-7b
    // 1.1.0); the two deepseek distills state none: 0, after qwen2.5-0.5b's 0, by name.
    let answer = choose(
        &registry,
        None,
        permissive_long_context(json!([{ "criterion": "eval", "dataset": "MMLU", "metric": "Accuracy" }])),
    )
    .await;
    assert_eq!(
        ranking(&answer),
        owned([
            ("qwen/qwen2.5-7b-instruct@1.1.0", 1.0, true),
            ("mistralai/mixtral-8x7b-instruct@1.0.0", 0.865169, false),
            ("microsoft/phi-3-mini-128k-instruct@1.0.0", 0.831461, false),
            ("microsoft/phi-3.5-mini-instruct@1.0.0", 0.805243, false),
            ("mistralai/mistral-nemo-instruct@1.0.0", 0.76779, false),
            ("mistralai/mistral-7b-instruct-v0.3@1.0.0", 0.546816, false),
            ("qwen/qwen2.5-1.5b-instruct@1.0.0", 0.501873, false),
            ("qwen/qwen2.5-0.5b-instruct@1.0.0", 0.0, false),
            ("deepseek-ai/deepseek-r1-distill-llama-8b@1.0.0", 0.0, false),
            ("deepseek-ai/deepseek-r1-distill-qwen-7b@1.0.0", 0.0, false),
        ])
    );
    assert_eq!(
        criteria_of(&answer, "deepseek-ai/deepseek-r1-distill-llama-8b"),
        [("eval:mmlu:accuracy".to_owned(), None, 0.0, Some("no evaluation on mmlu:accuracy".to_owned()))]
    );
    assert_eq!(
        serde_json::to_value(&answer.query.preferences).unwrap(),
        json!([{ "criterion": "eval", "dataset": "mmlu", "metric": "accuracy", "direction": "max", "weight": 1.0 }])
    );
    // A word error rate is lower-is-better: whisper-large-v3's 2.0 beats whisper-small's 3.4.
    let asr = choose(
        &registry,
        None,
        json!({
            "constraints": { "task": "automatic-speech-recognition" },
            "preferences": [{ "criterion": "eval", "dataset": "librispeech_asr", "metric": "wer" }]
        }),
    )
    .await;
    assert_eq!(
        ranking(&asr),
        owned([("openai/whisper-large-v3@1.0.0", 1.0, true), ("openai/whisper-small@1.0.0", 0.0, false)])
    );
    assert_eq!(asr.candidates[0].criteria[0].value, Some(2.0));
    // An evaluation language the versions have none in: every value is missing.
    let german = choose(
        &registry,
        None,
        json!({
            "constraints": { "task": "automatic-speech-recognition", "eval": "librispeech_asr:wer<=100", "eval_language": "de" },
            "preferences": [{ "criterion": "eval", "dataset": "librispeech_asr", "metric": "wer" }]
        }),
    )
    .await;
    assert!(german.candidates.is_empty());
}

async fn memory_and_an_evaluation_together_have_their_pareto_front(store: Arc<dyn MetadataStore>) {
    let (registry, _backing) = registry(store).await;
    let answer = choose(
        &registry,
        None,
        permissive_long_context(json!([
            { "criterion": "memory", "at_context": 8192, "weight": 2 },
            { "criterion": "eval", "dataset": "mmlu", "metric": "accuracy" }
        ])),
    )
    .await;
    // total = (2 x memory score + MMLU score) / 3, the scores of the two tests above. On the
    // front: qwen2.5-7b (best MMLU), phi-3-mini-128k (less memory, MMLU 69.7), qwen2.5-1.5b
    // and qwen2.5-0.5b (less memory still); phi-3.5-mini needs as much as phi-3-mini-128k
    // and scores 69.0, so it is dominated.
    assert_eq!(
        ranking(&answer),
        owned([
            ("qwen/qwen2.5-7b-instruct@1.1.0", 0.895621, true),
            ("microsoft/phi-3-mini-128k-instruct@1.0.0", 0.874055, true),
            ("microsoft/phi-3.5-mini-instruct@1.0.0", 0.865316, false),
            ("qwen/qwen2.5-1.5b-instruct@1.0.0", 0.818065, true),
            ("mistralai/mistral-nemo-instruct@1.0.0", 0.746598, false),
            ("mistralai/mistral-7b-instruct-v0.3@1.0.0", 0.745531, false),
            ("qwen/qwen2.5-0.5b-instruct@1.0.0", 0.666667, true),
            ("deepseek-ai/deepseek-r1-distill-llama-8b@1.0.0", 0.552122, false),
            ("mistralai/mixtral-8x7b-instruct@1.0.0", 0.28839, false),
            ("deepseek-ai/deepseek-r1-distill-qwen-7b@1.0.0", 0.0, false),
        ])
    );
}

async fn near_misses_of_a_memory_budget_give_the_estimate_and_the_budget(store: Arc<dyn MetadataStore>) {
    let (registry, _backing) = registry(store).await;
    let answer = choose(
        &registry,
        None,
        json!({
            "constraints": {
                "license_class": "permissive", "task": "text-generation", "min_context": 32768,
                "fits_memory": "20GiB", "at_context": 8192
            },
            "preferences": [{ "criterion": "parameters" }]
        }),
    )
    .await;
    // Within 20 GiB at 8,192 tokens: the seven of the ten that need at most 18.1 GiB.
    assert_eq!(
        ranking(&answer).into_iter().map(|(m, _, _)| m).collect::<Vec<_>>(),
        [
            "qwen/qwen2.5-0.5b-instruct@1.0.0",
            "qwen/qwen2.5-1.5b-instruct@1.0.0",
            "microsoft/phi-3-mini-128k-instruct@1.0.0",
            "microsoft/phi-3.5-mini-instruct@1.0.0",
            "mistralai/mistral-7b-instruct-v0.3@1.0.0",
            "qwen/qwen2.5-7b-instruct@1.1.0",
            "deepseek-ai/deepseek-r1-distill-llama-8b@1.0.0",
        ]
    );
    // Fewest parameters first, in turn: the Llamas fit but are restricted_use (the 70b
    // needs 147.9 GiB: two failures); nemo (28,853,265,920 bytes) and mixtral
    // (104,457,986,919) need more than the budget, the qwen distill cannot be estimated.
    // at_context goes with fits_memory: the relaxed lookup drops both.
    let rows = |list: &[(&str, &str, &str)]| -> Vec<(String, String, String)> {
        list.iter().map(|(c, m, r)| (c.to_string(), m.to_string(), r.to_string())).collect()
    };
    assert_eq!(
        near(&answer),
        rows(&[
            ("license_class", "meta-llama/llama-3.2-1b-instruct@1.0.0", "license_class is restricted_use"),
            (
                "fits_memory",
                "deepseek-ai/deepseek-r1-distill-qwen-7b@1.0.0",
                "memory cannot be determined: no KV-cache shape is known"
            ),
            ("license_class", "meta-llama/llama-3.2-3b-instruct@1.0.0", "license_class is restricted_use"),
            (
                "fits_memory",
                "mistralai/mistral-nemo-instruct@1.0.0",
                "needs 26.9GiB at 8192 tokens; budget 20GiB"
            ),
            ("license_class", "meta-llama/llama-3.1-8b-instruct@1.0.0", "license_class is restricted_use"),
            (
                "fits_memory",
                "mistralai/mixtral-8x7b-instruct@1.0.0",
                "needs 97.3GiB at 8192 tokens; budget 20GiB"
            ),
        ])
    );
    let nemo = answer.near_misses.iter().find(|n| n.model.to_string() == "mistralai/mistral-nemo-instruct");
    assert_eq!(nemo.unwrap().wanted, [(20 * GIB).to_string(), "at_context=8192".to_owned()]);
}

async fn near_misses_of_an_evaluation_bound_give_the_value_in_the_asked_languages(
    store: Arc<dyn MetadataStore>,
) {
    let (registry, _backing) = registry(store).await;
    let answer = choose(
        &registry,
        None,
        json!({
            "constraints": {
                "license_class": "permissive", "task": "text-generation", "min_context": 32768,
                "eval": "mmlu:accuracy>=65"
            },
            "preferences": [{ "criterion": "parameters" }]
        }),
    )
    .await;
    assert_eq!(
        ranking(&answer).into_iter().map(|(m, _, _)| m).collect::<Vec<_>>(),
        [
            "microsoft/phi-3-mini-128k-instruct@1.0.0",
            "microsoft/phi-3.5-mini-instruct@1.0.0",
            "qwen/qwen2.5-7b-instruct@1.1.0",
            "mistralai/mistral-nemo-instruct@1.0.0",
            "mistralai/mixtral-8x7b-instruct@1.0.0",
        ]
    );
    let rows = |list: &[(&str, &str, &str)]| -> Vec<(String, String, String)> {
        list.iter().map(|(c, m, r)| (c.to_string(), m.to_string(), r.to_string())).collect()
    };
    assert_eq!(
        near(&answer),
        rows(&[
            ("license_class", "meta-llama/llama-3.1-8b-instruct@1.0.0", "license_class is restricted_use"),
            ("eval", "qwen/qwen2.5-0.5b-instruct@1.0.0", "mmlu:accuracy is 47.5"),
            ("license_class", "meta-llama/llama-3.1-70b-instruct@1.0.0", "license_class is restricted_use"),
            ("eval", "qwen/qwen2.5-1.5b-instruct@1.0.0", "mmlu:accuracy is 60.9"),
            ("eval", "mistralai/mistral-7b-instruct-v0.3@1.0.0", "mmlu:accuracy is 62.1"),
            ("eval", "deepseek-ai/deepseek-r1-distill-qwen-7b@1.0.0", "no evaluation on mmlu:accuracy"),
            ("eval", "deepseek-ai/deepseek-r1-distill-llama-8b@1.0.0", "no evaluation on mmlu:accuracy"),
        ])
    );
    // With an evaluation language, relaxing the bound drops the language with it (alone it
    // is refused), and the reason names it.
    let asr = choose(
        &registry,
        None,
        json!({
            "constraints": { "task": "automatic-speech-recognition", "eval": "librispeech_asr:wer<=3", "eval_language": "en" },
            "preferences": [{ "criterion": "parameters" }]
        }),
    )
    .await;
    assert_eq!(ranking(&asr), owned([("openai/whisper-large-v3@1.0.0", 1.0, true)]));
    assert_eq!(
        near(&asr),
        rows(&[("eval", "openai/whisper-small@1.0.0", "librispeech_asr:wer in en is 3.4")])
    );
    assert_eq!(asr.near_misses[0].wanted, ["librispeech_asr:wer<=3", "eval_language=en"]);
}

async fn many_constraints_find_the_same_near_misses_as_few(store: Arc<dyn MetadataStore>) {
    let (registry, _backing) = registry(store).await;
    let few = choose(&registry, None, permissive_long_context(json!([{ "criterion": "parameters" }]))).await;
    // Four more constraints that every text model of the catalogue meets: seven relaxed
    // lookups instead of three, the same misses.
    let mut many = permissive_long_context(json!([{ "criterion": "parameters" }]));
    let constraints = many["constraints"].as_object_mut().unwrap();
    constraints.insert("max_params".into(), json!(100_000_000_000u64));
    constraints.insert("format".into(), json!("safetensors"));
    constraints.insert("input_modality".into(), json!("text"));
    constraints.insert("max_context".into(), json!(1_000_000));
    let many = choose(&registry, None, many).await;
    assert_eq!(ranking(&many), ranking(&few));
    assert_eq!(near(&many), near(&few));
    assert_eq!(few.near_misses.len(), 18);
}
