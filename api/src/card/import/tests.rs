//! Model cards shaped like real Hugging Face cards, imported into metadata keys.

use serde_json::json;

use super::*;

fn warnings(import: &CardImport) -> Vec<&'static str> {
    import.warnings.iter().map(|(key, _)| *key).collect()
}

#[test]
fn a_fine_tuned_classifier_card_is_imported() {
    let card = "---\n\
        language:\n- en\n- multilingual\n\
        license: apache-2.0\n\
        library_name: transformers\n\
        pipeline_tag: text-classification\n\
        tags:\n- generated_from_trainer\n- Sentiment Analysis\n- NLP\n\
        datasets:\n- stanfordnlp/sst2\n\
        base_model: distilbert/distilbert-base-uncased\n\
        base_model_relation: finetune\n\
        model-index:\n- name: sst2\n  results:\n  - task:\n      type: text-classification\n    metrics:\n    - type: accuracy\n      value: 0.91\n\
        ---\n\n# distilbert-sst2\n\nFine-tuned on SST-2.\n";
    let import = import_card(card);
    assert_eq!(
        Json::Object(import.fields.clone()),
        json!({
            "license": "Apache-2.0",
            "languages": ["en"],
            "framework": "transformers",
            "task": "text-classification",
            "tags": ["generated_from_trainer", "nlp"],
            "datasets": ["stanfordnlp/sst2"],
            "base_model": {"model": "distilbert/distilbert-base-uncased"},
            "base_relation": "finetune",
            "readme": "# distilbert-sst2\n\nFine-tuned on SST-2.",
        })
    );
    assert!(import.labels.is_empty());
    assert_eq!(warnings(&import), ["languages"]);
    assert!(import.warnings[0].1.contains("'multilingual'"), "{:?}", import.warnings);
}

#[test]
fn an_unmappable_licence_is_skipped_but_its_link_kept() {
    let card = "---\nlicense: other\nlicense_name: acme-research\nlicense_link: https://example.com/LICENSE\n---\nBody";
    let import = import_card(card);
    assert!(!import.fields.contains_key("license"));
    assert_eq!(import.fields["license_url"], "https://example.com/LICENSE");
    assert_eq!(warnings(&import), ["license"]);
    let message = &import.warnings[0].1;
    assert!(
        message.contains("'other'") && message.contains("acme-research") && message.contains("modelreg.toml")
    );
}

#[test]
fn a_licence_named_by_license_name_is_mapped() {
    let card =
        "---\nlicense: other\nlicense_name: qwen-research\nlicense_link: https://hf.co/Qwen/LICENSE\n---\n";
    let import = import_card(card);
    assert_eq!(import.fields["license"], "LicenseRef-qwen-research");
    assert!(!import.fields.contains_key("readme"), "an empty body is no readme");
}

#[test]
fn several_bases_become_a_merge_and_any_that_is_not_a_registry_name_a_label() {
    let one = import_card("---\nbase_model: meta-llama/Llama-3.1-8B\n---\n");
    assert_eq!(one.fields["base_model"], json!({"model": "meta-llama/llama-3.1-8b"}));

    let merge = import_card(
        "---\nbase_model:\n- Qwen/Qwen2.5-7B\n- mistralai/Mistral-7B-v0.1\nbase_model_relation: merge\n---\n",
    );
    assert_eq!(merge.fields["base_model"], json!({"model": "qwen/qwen2.5-7b"}));
    assert_eq!(merge.fields["base_models"], json!([{"model": "mistralai/mistral-7b-v0.1"}]));
    assert_eq!(merge.fields["base_relation"], json!("merge"));
    assert_eq!(
        merge.labels[HF_BASE_MODEL_LABEL], "Qwen/Qwen2.5-7B, mistralai/Mistral-7B-v0.1",
        "kept as written"
    );

    let mixed = import_card("---\nbase_model:\n- Qwen/Qwen2.5-7B\n- ./checkpoints/run-7\n---\n");
    assert!(!mixed.fields.contains_key("base_model") && !mixed.fields.contains_key("base_models"));
    assert_eq!(mixed.labels[HF_BASE_MODEL_LABEL], "Qwen/Qwen2.5-7B, ./checkpoints/run-7");

    let odd = import_card("---\nbase_model: ./checkpoints/run-7\n---\n");
    assert_eq!(odd.labels[HF_BASE_MODEL_LABEL], "./checkpoints/run-7");
    assert!(odd.fields.is_empty());
}

#[test]
fn unknown_tasks_and_odd_licences_warn_and_are_skipped() {
    let import =
        import_card("---\npipeline_tag: robotics\nlicense: [mit, apache-2.0]\nlanguage: code\n---\n");
    assert!(import.fields.is_empty(), "{:?}", import.fields);
    assert_eq!(warnings(&import), ["license", "languages", "task"]);
}

#[test]
fn a_card_without_front_matter_is_only_a_readme() {
    let import = import_card("# My model\n\n---\n\nlicense: mit\n");
    assert_eq!(Json::Object(import.fields), json!({"readme": "# My model\n\n---\n\nlicense: mit"}));
}

#[test]
fn an_oversized_or_binary_readme_is_not_imported() {
    let big = format!("---\nlicense: mit\n---\n{}", "x".repeat(MAX_README + 1));
    let import = import_card(&big);
    assert!(!import.fields.contains_key("readme") && import.fields.contains_key("license"));
    assert_eq!(warnings(&import), ["readme"]);
    let import = import_card("text with a \u{7} bell");
    assert_eq!(warnings(&import), ["readme"]);
}
