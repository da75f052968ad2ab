//! A dozen model cards in the shapes real Hugging Face cards have (block scalars, anchors,
//! quoted keys, flow styles, escapes, nested `model-index` blocks, ...), imported whole.

use serde_json::json;

use super::*;

/// The card's metadata without its readme, its labels and the keys of its warnings.
fn import(text: &str) -> (Json, BTreeMap<String, String>, Vec<&'static str>) {
    let mut import = import_card(text);
    assert!(
        import.fields.remove("readme").is_some_and(|r| !r.as_str().unwrap().is_empty()),
        "the body is kept"
    );
    (Json::Object(import.fields), import.labels, import.warnings.iter().map(|(key, _)| *key).collect())
}

#[test]
fn a_fine_tuned_classifier_with_widgets_and_a_model_index() {
    let (fields, labels, warnings) = import(include_str!("cards/classifier.md"));
    assert_eq!(
        fields,
        json!({
            "license": "Apache-2.0", "languages": ["en"], "task": "text-classification",
            "base_model": {"model": "distilbert/distilbert-base-uncased"},
            "tags": ["generated_from_trainer", "text-classification"], "datasets": ["imdb"],
        })
    );
    assert!(labels.is_empty() && warnings.is_empty(), "{labels:?} {warnings:?}");
}

#[test]
fn a_gated_card_with_license_other_keeps_the_link_and_warns_about_the_licence() {
    let import = import_card(include_str!("cards/gated_other_licence.md"));
    assert_eq!(
        Json::Object(import.fields.clone()),
        json!({
            "license_url": "https://example.com/acme/LICENSE.md",
            "languages": ["en", "de", "fr", "it", "pt", "hi", "es", "th"],
            "task": "text-generation", "framework": "transformers",
            "base_model": {"model": "acme/acme-base-8b"}, "tags": ["acme", "pytorch", "acme-3"],
            "readme": "# Acme 8B Instruct",
        })
    );
    let [(key, message)] = import.warnings.as_slice() else { panic!("{:?}", import.warnings) };
    assert_eq!(*key, "license");
    assert!(message.contains("'other'") && message.contains("'acme-community-license'"), "{message}");
}

#[test]
fn a_quantized_card_with_a_multi_line_quoted_prompt_names_its_base() {
    let (fields, _, warnings) = import(include_str!("cards/quantized.md"));
    assert_eq!(
        fields,
        json!({
            "license": "LicenseRef-llama2", "languages": ["en"], "task": "text-generation",
            "base_model": {"model": "acme/acme-7b-chat"}, "base_relation": "quantized",
            "tags": ["gguf", "4-bit"],
        })
    );
    assert!(warnings.is_empty());
}

#[test]
fn a_merge_with_anchors_and_aliases_names_its_bases_and_keeps_them_in_a_label() {
    let text = include_str!("cards/merge_with_anchors.md");
    let (fields, labels, warnings) = import(text);
    assert_eq!(
        fields,
        json!({
            "license": "Apache-2.0", "framework": "transformers", "tags": ["mergekit", "merge"],
            "base_model": {"model": "org-one/solar-7b"}, "base_models": [{"model": "org-two/nova-7b-v0.2"}],
            "base_relation": "merge"
        })
    );
    assert_eq!(labels[HF_BASE_MODEL_LABEL], "org-one/Solar-7B, org-two/Nova-7B-v0.2");
    assert!(warnings.is_empty());
    let fm = front_matter::parse(front_matter::split(text).unwrap().0).unwrap();
    assert_eq!(fm["extra_tags"], fm["tags"], "a list alias");
    assert_eq!(fm["weights_licence"], YamlValue::Scalar("apache-2.0".into()), "a scalar alias");
    assert_eq!(fm["model-index"], YamlValue::Nested, "aliases inside the model index are read through");
}

#[test]
fn a_speech_card_keeps_yaml_1_2_language_codes_and_skips_non_tags() {
    let (fields, _, warnings) = import(include_str!("cards/speech.md"));
    assert_eq!(
        fields["languages"],
        json!(["en", "zh", "zh-yue", "de", "no"]),
        "`no` is Norwegian, not false"
    );
    assert_eq!(fields["task"], "automatic-speech-recognition");
    assert_eq!(fields["license"], "MIT");
    assert_eq!(warnings, ["languages"]);
}

#[test]
fn quoted_keys_and_an_explicit_key_are_read_like_plain_ones() {
    let (fields, _, warnings) = import(include_str!("cards/quoted_keys_vision.md"));
    assert_eq!(
        fields,
        json!({
            "license": "CC-BY-NC-4.0", "framework": "timm", "task": "image-classification",
            "tags": ["image-classification", "timm"], "datasets": ["imagenet-1k", "imagenet-21k"],
            "base_model": {"model": "org/vit-base-patch16-224.augreg_in21k"},
        })
    );
    assert!(warnings.is_empty());
}

#[test]
fn escapes_and_block_scalar_chomping_follow_yaml() {
    let text = include_str!("cards/escapes.md");
    let (fields, _, _) = import(text);
    assert_eq!(
        fields,
        json!({"license": "MIT", "languages": ["fr"], "task": "summarization"}),
        "\\x escapes"
    );
    let fm = front_matter::parse(front_matter::split(text).unwrap().0).unwrap();
    let s = |v: &str| YamlValue::Scalar(v.to_owned());
    assert_eq!(fm["model_name"], s("Café 😀 model"));
    assert_eq!(fm["description"], s("tab\there,\nnew line, quote \" and backslash \\"));
    assert_eq!(fm["single"], s("it's single-quoted: no \\n escapes"));
    assert_eq!(fm["folded"], s("first line same paragraph\nsecond paragraph\n"));
    assert_eq!(fm["literal_keep"], s("kept\n\n"));
    assert_eq!(fm["literal_strip"], s("stripped"));
}

#[test]
fn a_sentence_embedding_card_with_list_widgets_and_many_datasets() {
    let (fields, _, warnings) = import(include_str!("cards/sentence_embeddings.md"));
    assert_eq!(fields["framework"], "sentence-transformers");
    assert_eq!(fields["task"], "sentence-similarity");
    assert_eq!(fields["datasets"].as_array().unwrap().len(), 14);
    assert_eq!(fields["datasets"][13], "embedding-data/sentence-compression");
    assert!(warnings.is_empty());
}

#[test]
fn a_diffusion_card_with_flow_maps_inside_widgets() {
    let (fields, _, warnings) = import(include_str!("cards/diffusion.md"));
    assert_eq!(fields["license"], "LicenseRef-creativeml-openrail-m");
    assert_eq!(fields["base_model"], json!({"model": "runwayml/stable-diffusion-v1-5"}));
    assert_eq!(fields["task"], "text-to-image");
    assert_eq!(fields["tags"].as_array().unwrap().len(), 5);
    assert!(warnings.is_empty());
}

#[test]
fn a_front_matter_written_as_one_flow_map() {
    let (fields, labels, warnings) = import(include_str!("cards/flow_style.md"));
    assert_eq!(
        fields,
        json!({
            "license": "BSD-3-Clause", "languages": ["en", "de"], "task": "translation",
            "base_model": {"model": "org/a"}, "base_models": [{"model": "org/b"}]
        })
    );
    assert_eq!(labels[HF_BASE_MODEL_LABEL], "org/a, org/b");
    assert!(warnings.is_empty());
}

#[test]
fn a_windows_card_with_bom_crlf_comments_and_a_document_end() {
    let import = import_card(include_str!("cards/windows.md"));
    assert_eq!(import.fields["license"], "LicenseRef-bigscience-bloom-rail-1.0");
    assert_eq!(import.fields["languages"], json!(["ar", "es", "zh-Hant", "es-419"]));
    assert_eq!(import.fields["tags"], json!(["bloom", "multilingual"]));
    assert_eq!(import.fields["readme"], "Body after a document end marker.");
    assert!(import.warnings.is_empty());
}

#[test]
fn malformed_front_matter_is_one_warning_naming_the_file_and_line_and_the_body_stays() {
    let import = import_card(include_str!("cards/malformed.md"));
    assert_eq!(
        Json::Object(import.fields),
        json!({"readme": "# A card whose front matter never closes its list"}),
        "no key of a broken front matter is trusted"
    );
    let [(key, message)] = import.warnings.as_slice() else { panic!("{:?}", import.warnings) };
    assert_eq!(*key, FRONT_MATTER_WARNING);
    assert!(
        message.starts_with("README.md: the front matter is not valid YAML (line 5, column "),
        "{message}"
    );

    let import = import_card(include_str!("cards/not_a_mapping.md"));
    assert_eq!(import.warnings.len(), 1);
    assert!(import.warnings[0].1.contains("not a mapping"), "{:?}", import.warnings);
}
