//! Building push metadata from modelreg.toml, the model card and the flags.

use serde_json::json;

use modelreg_api::Metadata;

use super::*;

fn table(text: &str) -> Option<toml::Table> {
    Some(text.parse().unwrap())
}

fn merge(table: Option<toml::Table>, license: Option<&str>) -> Result<Metadata, ClientError> {
    merge_metadata(table, None, license.map(|l| l.parse().unwrap())).map(|m| m.metadata)
}

#[test]
fn toml_keys_become_metadata_keys_as_json() {
    let meta = merge(
        table(
            r#"
            license = "Apache-2.0"
            task = "text-classification"
            context_length = 8192
            fine_tunable = true
            languages = ["en", "FR"]
            [labels]
            released = "2024-05-01"
            [modalities]
            input = ["text"]
            "#,
        ),
        None,
    )
    .unwrap();
    assert_eq!(meta.license.as_str(), "Apache-2.0");
    let json = serde_json::to_value(&meta).unwrap();
    assert_eq!(
        json,
        json!({
            "license": "Apache-2.0",
            "task": "text-classification",
            "context_length": 8192,
            "fine_tunable": true,
            "languages": ["en", "fr"],
            "labels": {"released": "2024-05-01"},
            "modalities": {"input": ["text"], "output": []},
        })
    );
}

#[test]
fn unknown_keys_are_refused_by_name() {
    let err = merge(table("license = \"MIT\"\ntemperature = 0.7"), None).unwrap_err().to_string();
    assert!(err.contains("temperature"), "{err}");
}

#[test]
fn the_license_flag_wins_over_the_file() {
    let meta = merge(table(r#"license = "MIT""#), Some("Apache-2.0")).unwrap();
    assert_eq!(meta.license.as_str(), "Apache-2.0");
    assert_eq!(serde_json::to_value(&meta).unwrap(), json!({"license": "Apache-2.0"}));
    let meta = merge(None, Some("MIT")).unwrap();
    assert_eq!(meta.license.as_str(), "MIT");
}

#[test]
fn a_missing_licence_says_how_to_set_one() {
    let err = merge(table(r#"task = "x""#), None).unwrap_err().to_string();
    assert!(err.contains("modelreg.toml") && err.contains("--license"), "{err}");
    let err = merge(None, None).unwrap_err().to_string();
    assert!(err.contains("--license"), "{err}");
}

#[test]
fn a_bad_licence_in_the_file_names_the_field() {
    let err = merge(table(r#"license = "Made-Up-1.0""#), None).unwrap_err().to_string();
    assert!(err.contains("license") && err.contains("Made-Up-1.0"), "{err}");
    let err = merge(table("license = 3"), None).unwrap_err().to_string();
    assert!(err.contains("expected a string"), "{err}");
}

const CARD: &str = "---\n\
    license: llama3.1\n\
    license_link: https://llama.meta.com/license\n\
    language: [en, de, klingon]\n\
    pipeline_tag: text-generation\n\
    library_name: transformers\n\
    base_model: meta-llama/Llama-3.1-8B\n\
    base_model_relation: finetune\n\
    tags: [Llama, chat]\n\
    ---\n# Card\n";

#[test]
fn the_model_card_fills_what_modelreg_toml_leaves_open() {
    let loaded = merge_metadata(table(r#"task = "summarization""#), Some(import_card(CARD)), None).unwrap();
    assert_eq!(
        serde_json::to_value(&loaded.metadata).unwrap(),
        json!({
            "license": "LicenseRef-llama3.1",
            "license_url": "https://llama.meta.com/license",
            "task": "summarization",
            "languages": ["en", "de"],
            "framework": "transformers",
            "base_model": {"model": "meta-llama/llama-3.1-8b"},
            "base_relation": "finetune",
            "readme": "# Card",
            "tags": ["llama", "chat"],
        })
    );
    assert_eq!(loaded.warnings.len(), 1, "{:?}", loaded.warnings);
    assert!(loaded.warnings[0].starts_with("README.md: ") && loaded.warnings[0].contains("'klingon'"));
}

#[test]
fn modelreg_toml_and_flags_win_over_the_card_group_by_group() {
    let toml = table(
        r#"
        license_url = "https://example.com/our-licence"
        languages = ["fr"]
        readme = "ours"
        base_model = { model = "acme/base" }
        [labels]
        team = "nlp"
        "#,
    );
    let card = import_card(
        "---\nlicense: other\nlicense_link: https://x\nlanguage: [xx-bad-tag-zz]\nbase_model: [a/b, c/d]\n---\nbody",
    );
    let loaded = merge_metadata(toml, Some(card), Some("MIT".parse().unwrap())).unwrap();
    assert_eq!(
        serde_json::to_value(&loaded.metadata).unwrap(),
        json!({
            "license": "MIT",
            "license_url": "https://example.com/our-licence",
            "languages": ["fr"],
            "base_model": {"model": "acme/base"},
            "readme": "ours",
            "labels": {"team": "nlp"},
        })
    );
    assert!(loaded.warnings.is_empty(), "warnings about overridden keys are dropped: {:?}", loaded.warnings);
}

#[test]
fn a_card_base_that_is_not_a_registry_name_becomes_a_label() {
    let card = import_card("---\nlicense: mit\nbase_model: [a/b, c/d]\n---\n");
    let loaded = merge_metadata(table("[labels]\nteam = \"nlp\""), Some(card), None).unwrap();
    let labels = &loaded.metadata.labels;
    assert_eq!((labels["team"].as_str(), labels["hf_base_model"].as_str()), ("nlp", "a/b, c/d"));
}

#[test]
fn without_a_licence_anywhere_the_error_says_why_the_card_did_not_give_one() {
    let card = import_card("---\nlicense: other\n---\n");
    let err = merge_metadata(None, Some(card), None).unwrap_err().to_string();
    assert!(err.contains("--license") && err.contains("README.md: licence 'other'"), "{err}");
}

#[test]
fn an_invalid_imported_value_is_blamed_on_the_card() {
    let mut card = import_card("---\nlicense: mit\n---\n");
    card.fields.insert("cost".into(), json!("a\u{0}b"));
    let err = merge_metadata(None, Some(card), None).unwrap_err().to_string();
    assert!(err.starts_with("README.md: metadata.cost"), "{err}");
}

#[test]
fn the_metadata_file_and_card_are_read_from_the_directory() {
    let dir = tempfile::tempdir().unwrap();
    let err = load_metadata(dir.path(), None, true).unwrap_err();
    assert!(err.to_string().contains("licence is required"), "{err}");
    std::fs::write(dir.path().join(METADATA_FILE), "license = \"MIT\"\ntags = [\"nlp\"]\n").unwrap();
    let meta = load_metadata(dir.path(), None, true).unwrap().metadata;
    assert_eq!(meta.tags, ["nlp"]);
    std::fs::write(dir.path().join(README_FILE), "---\nlicense: apache-2.0\ntags: [card]\n---\nHello")
        .unwrap();
    let meta = load_metadata(dir.path(), None, true).unwrap().metadata;
    assert_eq!(
        (meta.license.as_str(), meta.tags.as_slice(), meta.readme.as_deref()),
        ("MIT", &["nlp".to_owned()][..], Some("Hello"))
    );
    let meta = load_metadata(dir.path(), None, false).unwrap().metadata;
    assert_eq!(meta.readme, None, "--no-readme-import");
    std::fs::write(dir.path().join(METADATA_FILE), "license = ").unwrap();
    let err = load_metadata(dir.path(), None, true).unwrap_err().to_string();
    assert!(err.contains("not valid TOML"), "{err}");
}

#[test]
fn a_missing_licence_says_the_front_matter_was_not_yaml() {
    let card = import_card("---\nlicense: mit\ntags: [a\n---\nBody\n");
    let err = merge_metadata(None, Some(card), None).unwrap_err().to_string();
    assert!(
        err.contains("a licence is required")
            && err.contains("README.md: the front matter is not valid YAML"),
        "{err}"
    );
}
