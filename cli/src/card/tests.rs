//! Cards rendered from a full manifest and from a bare one.

use modelreg_api::{BaseRelation, DerivativeList, VersionManifest, VersionSelector};
use serde_json::json;

use super::*;
use crate::lineage::{Ancestor, BaseLookup, Lineage};

fn manifest(metadata: serde_json::Value, facts: serde_json::Value) -> VersionManifest {
    let digest = format!("sha256:{}", "cd".repeat(32));
    serde_json::from_value(json!({
        "model": "acme/chat",
        "version": "1.0.0",
        "digest": digest,
        "size_bytes": 5_368_709_120u64,
        "published_at": "2025-01-02T03:04:05Z",
        "files": [
            {"path": "model.safetensors", "digest": digest, "size": 5_368_709_000u64},
            {"path": "config.json", "digest": digest, "size": 120},
        ],
        "metadata": metadata,
        "facts": facts,
    }))
    .unwrap()
}

fn full() -> VersionManifest {
    manifest(
        json!({
            "license": "LicenseRef-llama3.1",
            "license_url": "https://llama.meta.com/llama3_1/license/",
            "license_terms": {"restrictions": ["more than 700M monthly users need a separate licence"]},
            "cost": "free to download",
            "task": "text-generation",
            "modalities": {"input": ["text", "image"], "output": ["text"]},
            "languages": ["en", "fr", "de"],
            "context_length": 131_072,
            "max_output_tokens": 8192,
            "parameters": 8_000_000_000u64,
            "precision": "bf16",
            "framework": "transformers",
            "fine_tunable": true,
            "base_model": {"model": "acme/base", "version": "2.0.0"},
            "base_relation": "finetune",
            "latency": [{"hardware": "1x A100 80GB", "precision": "bf16", "batch_size": 1, "input_tokens": 512,
                         "output_tokens": 128, "p50_ms": 42.0, "p95_ms": 61.5, "throughput_tokens_per_s": 85.25}],
            "hardware": {"min_memory_bytes": 17_179_869_184u64, "recommended": "one 24 GB GPU"},
            "risks": {"intended_use": "Assistant-style chat.", "limitations": "Hallucinates.\nCheck facts."},
            "datasets": ["acme/chat-mix"],
            "evaluations": [{"dataset": "mmlu", "metric": "accuracy", "value": 0.683, "language": "en"}],
            "description": "A chat model.",
            "readme": "# Chat\n\nHello.",
            "tags": ["chat", "llama"],
            "labels": {"team": "nlp"},
        }),
        json!({
            "parameters": {"value": 8_000_000_000u64, "source": "overridden", "derived": 8_030_261_248u64, "file": "model.safetensors"},
            "context_length": {"value": 131_072, "source": "declared", "derived": 131_072, "file": "config.json"},
            "precision": {"value": "bf16", "source": "declared"},
            "architecture": {"value": "LlamaForCausalLM", "source": "derived", "file": "config.json"},
            "format": {"value": "safetensors", "source": "derived", "file": "model.safetensors"},
        }),
    )
}

fn lineage() -> Lineage {
    Lineage {
        ancestors: vec![
            Ancestor {
                relation: Some(BaseRelation::Finetune),
                model: "acme/base".parse().unwrap(),
                base: BaseLookup::Found("2.0.0".parse().unwrap()),
            },
            Ancestor {
                relation: Some(BaseRelation::Distillation),
                model: "meta/llama".parse().unwrap(),
                base: BaseLookup::Missing(VersionSelector::Latest),
            },
        ],
        truncated: false,
    }
}

#[test]
fn a_full_card_shows_verdicts_provenance_lineage_and_sections() {
    let m = full();
    let lineage = lineage();
    let derivatives: DerivativeList = serde_json::from_value(json!({
        "model": "acme/chat",
        "derivatives": [{"model": "acme/chat-q4", "version": "1.0.0", "relation": "quantized", "base_version": "1.0.0"}],
    }))
    .unwrap();
    let text =
        render(&Card { manifest: &m, lineage: &lineage, derivatives: Some(&derivatives), readme: false });
    for expected in [
        "acme/chat@1.0.0\ndigest:        sha256:cdcd",
        "size:          5.0 GiB in 2 files",
        "license:       LicenseRef-llama3.1\n  url:         https://llama.meta.com/llama3_1/license/",
        "  class:       restricted_use",
        "  commercial:  restricted\n",
        "  restrictions:\n    - more than 700M monthly users need a separate licence",
        "cost:          free to download",
        "task:          text-generation",
        "modalities:    text, image -> text",
        "languages:     en, fr, de",
        "context:       131,072 tokens (declared, confirmed by config.json)",
        "max output:    8,192 tokens",
        "parameters:    8B (8,000,000,000) (declared, overrides 8,030,261,248 from model.safetensors)",
        "precision:     bf16 (declared)",
        "architecture:  LlamaForCausalLM (derived from config.json)",
        "format:        safetensors (derived from model.safetensors)",
        "framework:     transformers",
        "fine-tunable:  yes",
        "hardware:      at least 16.0 GiB of memory; recommended: one 24 GB GPU",
        "lineage:       acme/chat@1.0.0 <- finetune of acme/base@2.0.0 <- distillation of meta/llama@latest (not in this registry)",
        "derivatives:\n  acme/chat-q4@1.0.0  quantized of 1.0.0",
        "latency:\n  HARDWARE      PRECISION  BATCH  IN   OUT  P50    P95      TOK/S\n  1x A100 80GB  bf16       1      512  128  42 ms  61.5 ms  85.2",
        "risks:\n  Intended use:\n    Assistant-style chat.\n  Limitations:\n    Hallucinates.\n    Check facts.",
        "datasets:      acme/chat-mix",
        "evaluations:\n  DATASET  METRIC    VALUE  TASK  LANGUAGE\n  mmlu     accuracy  0.683  -     en",
        "tags:          chat, llama",
        "labels:\n  team: nlp",
        "description:\n  A chat model.",
        "files:\n  5.0 GiB  sha256:",
    ] {
        assert!(text.contains(expected), "missing {expected:?} in\n{text}");
    }
    assert!(!text.contains("# Chat"), "the readme only with --readme:\n{text}");
    let with_readme = render(&Card { manifest: &m, lineage: &lineage, derivatives: None, readme: true });
    assert!(with_readme.ends_with("readme:\n# Chat\n\nHello."), "{with_readme}");
    assert!(!with_readme.contains("derivatives:"), "{with_readme}");
}

#[test]
fn declared_licence_terms_win_over_the_licence_table() {
    let m = manifest(
        json!({"license": "Apache-2.0", "license_terms": {"commercial_use": "forbidden", "attribution_required": false}}),
        json!({}),
    );
    let text = render(&Card { manifest: &m, lineage: &Lineage::default(), derivatives: None, readme: false });
    assert!(text.contains("  class:       permissive"), "{text}");
    assert!(text.contains("  commercial:  forbidden (declared; the licence says allowed)"), "{text}");
    assert!(text.contains("  attribution: no (declared)"), "{text}");
    assert!(text.contains("  share-alike: no\n"), "{text}");
}

#[test]
fn a_bare_version_shows_only_what_it_has() {
    let m = manifest(json!({"license": "LicenseRef-in-house"}), json!({}));
    let text = render(&Card { manifest: &m, lineage: &Lineage::default(), derivatives: None, readme: true });
    assert!(text.contains("  class:       unknown"), "{text}");
    assert!(text.contains("  commercial:  unknown (licence not in the registry's table)"), "{text}");
    for absent in
        ["task:", "lineage:", "latency:", "risks:", "tags:", "attribution", "description:", "yanked:"]
    {
        assert!(!text.contains(absent), "{absent} in\n{text}");
    }
    assert!(text.ends_with("readme:        (this version has no model card)"), "{text}");
    assert!(!text.contains("\n\n\n"), "{text}");
}

#[test]
fn declared_values_show_even_without_facts_from_the_registry() {
    let m = manifest(json!({"license": "MIT", "parameters": 110_000_000, "format": "onnx"}), json!({}));
    let text = render(&Card { manifest: &m, lineage: &Lineage::default(), derivatives: None, readme: false });
    assert!(text.contains("parameters:    110M (110,000,000) (declared)"), "{text}");
    assert!(text.contains("format:        onnx (declared)"), "{text}");
}

#[test]
fn a_yanked_version_says_why_under_its_header() {
    let mut m = manifest(json!({"license": "MIT"}), json!({}));
    m.yanked = Some(modelreg_api::YankInfo {
        reason: "wrong tokenizer".into(),
        at: "2025-03-01T10:00:00Z".into(),
        by: "ci".into(),
    });
    let text = render(&Card { manifest: &m, lineage: &Lineage::default(), derivatives: None, readme: false });
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines[4], "yanked:        wrong tokenizer (by ci at 2025-03-01T10:00:00Z)", "{text}");
}

#[test]
fn the_effective_licence_and_its_conflicts_follow_the_licence() {
    let mut m =
        manifest(json!({"license": "Apache-2.0", "base_model": {"model": "meta/llama-3"}}), json!({}));
    m.effective_license = Some(
        serde_json::from_value(json!({
            "class": "restricted_use", "commercial_use": "restricted",
            "conflicts": [{"base": "meta/llama-3@1.0.0", "base_class": "restricted_use",
                           "base_commercial_use": "restricted", "declared_class": "permissive",
                           "declared_commercial_use": "allowed"}]
        }))
        .unwrap(),
    );
    let lineage = Lineage { ancestors: Vec::new(), truncated: false };
    let text = render(&Card { manifest: &m, lineage: &lineage, derivatives: None, readme: false });
    assert!(
        text.contains(
            "  commercial:  allowed\n  attribution: yes\n  share-alike: no\n\
             \x20 effective:   restricted_use, commercial restricted (through its bases)\n\
             \x20 conflict:    declares permissive / commercial allowed, but base meta/llama-3@1.0.0 is \
             restricted_use / commercial restricted\n"
        ),
        "{text}"
    );
    m.effective_license = None;
    let text = render(&Card { manifest: &m, lineage: &lineage, derivatives: None, readme: false });
    assert!(!text.contains("effective:"), "an older registry sends no answer: {text}");
}

#[test]
fn the_memory_estimate_is_printed_with_its_parts_and_their_sources() {
    // Llama-3-8B: 16,060,522,496 bytes of bf16 weights, 128 KiB of cache a token, 8,192 tokens.
    let m = manifest(
        json!({"license": "MIT", "context_length": 8192}),
        json!({
            "weight_bytes": {"value": 16_060_522_496u64, "source": "derived", "file": "model.safetensors"},
            "kv_cache": {"value": {"full_elements_per_token": 65_536, "window_elements_per_token": 0,
                                   "bits_per_element": 16, "bytes_per_token": 131_072},
                         "source": "derived", "file": "config.json"},
        }),
    );
    let text = render(&Card { manifest: &m, lineage: &Lineage::default(), derivatives: None, readme: false });
    // 16,060,522,496 + 1 GiB = 17,134,264,320; + a tenth (1,713,426,432) + 512 MiB
    // = 19,384,561,664 bytes = 18.05 GiB.
    for line in [
        "memory:        18.1 GiB at 8,192 tokens, batch 1",
        "  weights:     15.0 GiB (derived from model.safetensors)",
        "  kv cache:    1.0 GiB, 128.0 KiB per token (derived from config.json)",
        "  overhead:    2.1 GiB (10% + 512.0 MiB)",
    ] {
        assert!(text.contains(line), "missing {line:?} in\n{text}");
    }
}

#[test]
fn an_unknown_memory_says_why() {
    let bare = manifest(json!({"license": "MIT"}), json!({}));
    let text =
        render(&Card { manifest: &bare, lineage: &Lineage::default(), derivatives: None, readme: false });
    assert!(text.contains("memory:        unknown (the files do not tell"), "{text}");
    let no_kv = manifest(
        json!({"license": "MIT", "context_length": 8192}),
        json!({"weight_bytes": {"value": 14_000_000_000u64, "source": "declared"}}),
    );
    let text =
        render(&Card { manifest: &no_kv, lineage: &Lineage::default(), derivatives: None, readme: false });
    assert!(text.contains("memory:        unknown (no KV-cache shape in the files)"), "{text}");
    assert!(text.contains("  weights:     13.0 GiB (declared)"), "{text}");
}
