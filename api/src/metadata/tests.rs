use super::*;

fn parse(json: serde_json::Value) -> Result<Metadata, String> {
    let m: Metadata = serde_json::from_value(json).map_err(|e| e.to_string())?;
    m.validate().map_err(|e| e.to_string())?;
    Ok(m)
}

#[test]
fn a_full_card_parses() {
    let m = parse(serde_json::json!({
        "license": "Apache-2.0",
        "license_url": "https://www.apache.org/licenses/LICENSE-2.0",
        "license_terms": { "commercial_use": "allowed", "attribution_required": true, "restrictions": ["none"] },
        "cost": "free; 1x A10G to serve",
        "task": "text-generation",
        "modalities": { "input": ["text", "image"], "output": ["text"] },
        "languages": ["EN", "fr", "pt-br"],
        "context_length": 8192,
        "max_output_tokens": 2048,
        "parameters": 2_600_000_000u64,
        "precision": "bf16",
        "quantization": "Q4_K_M",
        "architecture": "LlamaForCausalLM",
        "format": "safetensors",
        "framework": "transformers",
        "fine_tunable": true,
        "base_model": { "model": "acme/base", "version": "1.0.0" },
        "base_relation": "finetune",
        "latency": [{ "hardware": "1x A100", "precision": "bf16", "batch_size": 1, "input_tokens": 512,
                      "output_tokens": 128, "p50_ms": 40.5, "p95_ms": 61.0, "throughput_tokens_per_s": 3100.0 }],
        "hardware": { "min_memory_bytes": 8_000_000_000u64, "recommended": "24 GB GPU" },
        "risks": { "intended_use": "chat", "biases": "western-centric data" },
        "datasets": ["wikipedia"],
        "evaluations": [{ "task": "question-answering", "dataset": "squad", "metric": "f1", "value": 88.1, "language": "en" }],
        "description": "A small chat model.",
        "readme": "# Card\n\nHello.",
        "tags": ["Chat", "chat", "small"],
        "labels": { "team": "nlp" }
    }))
    .unwrap();
    assert_eq!(m.languages.iter().map(LanguageTag::as_str).collect::<Vec<_>>(), ["en", "fr", "pt-BR"]);
    let mut n = m.clone();
    n.normalize();
    assert_eq!(n.tags, ["chat", "small"]);
    assert!(m.risks.unwrap().any());
}

#[test]
fn errors_name_the_field() {
    let cases = [
        (serde_json::json!({ "license": "MIT", "lisence_url": "x" }), "lisence_url"),
        (serde_json::json!({ "license": "MIT", "task": "chatting" }), "chatting"),
        (serde_json::json!({ "license": "MIT", "context_length": 0 }), "nonzero"),
        (serde_json::json!({ "license": "MIT", "languages": ["english"] }), "english"),
        (serde_json::json!({ "license": "MIT", "modalities": { "input": ["smell"] } }), "smell"),
        (
            serde_json::json!({ "license": "MIT", "latency": [{ "hardware": "cpu", "p50_ms": -1.0 }] }),
            "latency[0].p50_ms",
        ),
        (
            serde_json::json!({ "license": "MIT", "latency": [{ "hardware": "cpu", "p50_ms": 5.0, "p95_ms": 4.0 }] }),
            "below p50",
        ),
        (serde_json::json!({ "license": "MIT", "base_relation": "finetune" }), "needs base_model"),
        (serde_json::json!({ "license": "MIT", "tags": ["two words"] }), "tags[0]"),
        (serde_json::json!({ "license": "MIT", "labels": { "a:b": "c" } }), "labels.a:b"),
        (serde_json::json!({ "license": "MIT", "base_model": { "model": "NotAName" } }), "NotAName"),
        (serde_json::json!({ "license": "MIT", "modalities": { "input": ["text", "text"] } }), "twice"),
        (serde_json::json!({ "task": "fill-mask" }), "license"),
    ];
    for (json, expect) in cases {
        let err = parse(json.clone()).unwrap_err();
        assert!(err.contains(expect), "{json}: {err}");
    }
}

#[test]
fn with_license_is_minimal() {
    let m = Metadata::with_license("MIT".parse().unwrap());
    assert_eq!(serde_json::to_value(&m).unwrap(), serde_json::json!({ "license": "MIT" }));
}

#[test]
fn a_merge_names_several_bases_and_older_cards_still_parse() {
    let m = parse(serde_json::json!({
        "license": "LicenseRef-llama3",
        "base_model": { "model": "acme/a", "version": "1.0.0" },
        "base_models": [{ "model": "acme/b" }, { "model": "ext/c", "license": "LicenseRef-llama3" }],
        "base_relation": "merge"
    }))
    .unwrap();
    let bases: Vec<String> = m.bases().map(|b| b.model.to_string()).collect();
    assert_eq!(bases, ["acme/a", "acme/b", "ext/c"]);
    assert_eq!(
        m.base_models[1].license.as_ref().map(ToString::to_string).as_deref(),
        Some("LicenseRef-llama3")
    );
    let old = parse(serde_json::json!({ "license": "MIT", "base_model": { "model": "acme/a" } })).unwrap();
    assert_eq!(old.bases().count(), 1);
    assert!(serde_json::to_value(&old).unwrap().get("base_models").is_none(), "stored form unchanged");
}

#[test]
fn bad_base_lists_are_refused_naming_the_field() {
    for (json, field) in [
        (
            serde_json::json!({ "license": "MIT", "base_models": [{ "model": "acme/a" }] }),
            "metadata.base_models:",
        ),
        (
            serde_json::json!({ "license": "MIT", "base_model": { "model": "acme/a" }, "base_models": [{ "model": "acme/a" }] }),
            "metadata.base_models[0]:",
        ),
        (
            serde_json::json!({ "license": "MIT", "base_model": { "model": "acme/a", "license": "Not A Licence (" } }),
            "invalid licence expression 'Not A Licence ('",
        ),
    ] {
        let err = parse(json).unwrap_err();
        assert!(err.contains(field), "{err}");
    }
}
