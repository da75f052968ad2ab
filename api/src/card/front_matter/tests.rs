//! The front matter reader on cards shaped like real Hugging Face model cards.

use super::*;

fn s(v: &str) -> YamlValue {
    YamlValue::Scalar(v.to_owned())
}

fn list(items: &[&str]) -> YamlValue {
    YamlValue::List(items.iter().map(|i| (*i).to_owned()).collect())
}

/// A sentiment classifier card with an evaluation `model-index` block in the middle.
const CLASSIFIER: &str = r#"---
language:
- en
license: apache-2.0
tags:
- generated_from_trainer
- Sentiment Analysis
datasets:
- sst2
- glue
metrics:
- accuracy
model-index:
- name: distilbert-sst2
  results:
  - task:
      name: Text Classification
      type: text-classification
    dataset:
      name: glue
      type: glue
      args: sst2
    metrics:
    - name: Accuracy
      type: accuracy
      value: 0.9106
pipeline_tag: text-classification
widget:
- text: "I like you. I love you"
base_model: distilbert/distilbert-base-uncased
---

# distilbert-sst2

This model is a fine-tuned version of distilbert.
"#;

/// A Llama-style card: inline lists, a folded prompt, a gated-fields map, quoted values.
const GATED: &str = "---\r
language: [en, de, fr, 'pt', \"hi\"]  # eight in total\r
library_name: transformers\r
license: llama3.1\r
pipeline_tag: text-generation\r
tags: [facebook, meta, pytorch, llama, llama-3]\r
extra_gated_prompt: >-\r
  ### LLAMA 3.1 COMMUNITY LICENSE AGREEMENT\r
\r
  Llama 3.1 Version Release Date: July 23, 2024\r
extra_gated_fields:\r
  First Name: text\r
  Country: country\r
  geo: ip_location\r
extra_gated_button_content: Submit\r
description: \"Multilingual \\\"instruct\\\" model\\n\"\r
base_model:\r
  - meta-llama/Llama-3.1-8B\r
---\r
Body\r
";

#[test]
fn front_matter_is_split_from_the_body() {
    let (yaml, body) = split(CLASSIFIER).unwrap();
    assert!(yaml.starts_with("language:\n- en\n") && yaml.ends_with("distilbert-base-uncased\n"), "{yaml}");
    assert!(body.starts_with("\n# distilbert-sst2\n"), "{body}");
    let (yaml, body) = split(GATED).unwrap();
    assert!(yaml.starts_with("language:"), "{yaml}");
    assert_eq!(body, "Body\r\n");
    assert_eq!(split("---\n---\n"), Some(("", "")));
    assert_eq!(split("\u{feff}---\nlicense: mit\n...\nbody"), Some(("license: mit\n", "body")));
}

#[test]
fn text_without_a_complete_front_matter_block_has_none() {
    for text in ["# Title\n---\nlicense: mit\n---\n", "---\nlicense: mit\n", "--- \nlicense: mit", "", "---"]
    {
        assert_eq!(split(text), None, "{text:?}");
    }
}

#[test]
fn a_classifier_card_is_read_and_its_model_index_skipped() {
    let fields = parse(split(CLASSIFIER).unwrap().0).unwrap();
    assert_eq!(fields["language"], list(&["en"]));
    assert_eq!(fields["license"], s("apache-2.0"));
    assert_eq!(fields["tags"], list(&["generated_from_trainer", "Sentiment Analysis"]));
    assert_eq!(fields["datasets"], list(&["sst2", "glue"]));
    assert_eq!(fields["model-index"], YamlValue::Nested);
    assert_eq!(fields["widget"], YamlValue::Nested);
    assert_eq!(fields["pipeline_tag"], s("text-classification"), "keys after the skipped block are read");
    assert_eq!(fields["base_model"], s("distilbert/distilbert-base-uncased"));
    assert!(!fields.contains_key("results") && !fields.contains_key("name"), "{fields:?}");
}

#[test]
fn a_gated_card_with_inline_lists_folded_text_and_maps_is_read() {
    let fields = parse(split(GATED).unwrap().0).unwrap();
    assert_eq!(fields["language"], list(&["en", "de", "fr", "pt", "hi"]));
    assert_eq!(fields["tags"], list(&["facebook", "meta", "pytorch", "llama", "llama-3"]));
    assert_eq!(fields["library_name"], s("transformers"));
    assert_eq!(fields["license"], s("llama3.1"));
    assert_eq!(
        fields["extra_gated_prompt"],
        s("### LLAMA 3.1 COMMUNITY LICENSE AGREEMENT\nLlama 3.1 Version Release Date: July 23, 2024")
    );
    assert_eq!(fields["extra_gated_fields"], YamlValue::Nested);
    assert_eq!(fields["extra_gated_button_content"], s("Submit"));
    assert_eq!(fields["description"], s("Multilingual \"instruct\" model\n"));
    assert_eq!(fields["base_model"], list(&["meta-llama/Llama-3.1-8B"]));
}

#[test]
fn scalars_lists_and_odd_shapes_are_read_or_skipped() {
    let fields = parse(
        "# a comment\n\
         license: other\n\
         license_name: 'qwen''s licence'\n\
         license_link: https://huggingface.co/Qwen/LICENSE # the text\n\
         empty:\n\
         nothing: ~\n\
         quoted_null: 'null'\n\
         tagged: !!str 3\n\
         tagged_null: !!null ''\n\
         number: 0.9106\n\
         boolean: no\n\
         anchored: &x [a, b]\n\
         alias: *x\n\
         inline_map: {a: 1}\n\
         nested_list: [[a], b]\n\
         with_nulls: [a, ~, b]\n\
         literal: |\n  line one\n    indented\n\n  line three\n\n\
         plain: first\n  second # comment\n\
         items:\n  - one\n  # between\n  - 'two'\n  - three\n    continued\n\
         list_of_lists:\n- - a\n\
         \"quoted key\": value\n\
         [complex, key]: skipped\n\
         url: http://example.com:8080/x\n\
         license: mit\n",
    )
    .unwrap();
    assert_eq!(fields["license"], s("other"), "the first of a repeated key wins");
    assert_eq!(fields["license_name"], s("qwen's licence"));
    assert_eq!(fields["license_link"], s("https://huggingface.co/Qwen/LICENSE"));
    for absent in ["empty", "nothing", "tagged_null"] {
        assert!(!fields.contains_key(absent), "{absent}: {fields:?}");
    }
    assert_eq!(fields["quoted_null"], s("null"));
    assert_eq!(fields["tagged"], s("3"));
    assert_eq!(fields["number"], s("0.9106"), "scalars keep their text");
    assert_eq!(fields["boolean"], s("no"), "YAML 1.2: `no` is text (the Norwegian language code)");
    assert_eq!(fields["anchored"], list(&["a", "b"]));
    assert_eq!(fields["alias"], list(&["a", "b"]), "aliases are resolved");
    for nested in ["inline_map", "nested_list", "list_of_lists"] {
        assert_eq!(fields[nested], YamlValue::Nested, "{nested}");
    }
    assert_eq!(fields["with_nulls"], list(&["a", "b"]));
    assert_eq!(fields["literal"], s("line one\n  indented\n\nline three\n"));
    assert_eq!(fields["plain"], s("first second"));
    assert_eq!(fields["items"], list(&["one", "two", "three continued"]));
    assert_eq!(fields["quoted key"], s("value"));
    assert_eq!(fields["url"], s("http://example.com:8080/x"));
    assert_eq!(fields.len(), 18, "{fields:?}");
}

#[test]
fn text_that_is_not_yaml_is_an_error_with_its_position() {
    for (yaml, line) in [
        ("license: mit\ntags: [a, b\npipeline_tag: x\n", 3),
        ("license: mit\nstray line without a colon\n", 2),
        ("a: 1\n\tb: 2\n", 1),
        ("a: *undefined\n", 1),
        ("a: \"unclosed\n", 1),
    ] {
        match parse(yaml) {
            Err(FrontMatterError::Syntax { line: at, column, reason }) => {
                // The parser names the line where it noticed: the culprit's or the next.
                assert!((line..=line + 1).contains(&at), "{yaml:?}: line {at}: {reason}");
                assert!(column >= 1 && !reason.is_empty(), "{yaml:?}: {column} {reason}");
            }
            other => panic!("{yaml:?}: {other:?}"),
        }
    }
    assert_eq!(parse("- a\n- b\n"), Err(FrontMatterError::NotAMapping));
    assert_eq!(parse("just text\n"), Err(FrontMatterError::NotAMapping));
    assert_eq!(parse(""), Ok(BTreeMap::new()));
    assert_eq!(parse("# only a comment\n"), Ok(BTreeMap::new()));
}

#[test]
fn aliases_do_not_multiply_long_lists_beyond_a_budget() {
    let items: Vec<String> = (0..3000).map(|i| format!("t{i}")).collect();
    let yaml = format!("a: &l [{}]\nb: *l\nc: *l\n", items.join(", "));
    let fields = parse(&yaml).unwrap();
    assert_eq!(fields["b"].items().len(), 3000);
    assert_eq!(fields["c"], YamlValue::Nested, "over the budget");
}

#[test]
fn deeply_nested_values_are_skipped_without_recursion() {
    let yaml = format!("deep: {}{}\nlicense: mit\n", "[".repeat(5000), "]".repeat(5000));
    match parse(&yaml) {
        Ok(fields) => assert_eq!(fields["license"], s("mit")),
        Err(FrontMatterError::Syntax { .. }) => {}
        Err(other) => panic!("{other:?}"),
    }
}

#[test]
fn values_become_item_lists() {
    assert_eq!(s("en").items(), ["en"]);
    assert_eq!(list(&["en", "fr"]).items(), ["en", "fr"]);
    assert!(YamlValue::Nested.items().is_empty());
}
