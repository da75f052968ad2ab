//! Hugging Face `config.json` and `tokenizer_config.json`: architecture, model type, dtype
//! and context length. These files are free-form, so fields of an unexpected type are
//! ignored rather than rejected; only bytes that are not a JSON object are an error.

use serde_json::{Map, Value};

use super::{FactsError, FileKind, MAX_PLAUSIBLE_CONTEXT};

/// Keys that hold the context length, most specific first.
const CONTEXT_KEYS: [&str; 7] = [
    "max_position_embeddings",
    "n_positions",
    "max_seq_len",
    "seq_length",
    "max_sequence_length",
    "n_ctx",
    "model_max_length",
];

/// What a `config.json` says about the model.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct HfConfigFacts {
    /// `architectures`, e.g. `["LlamaForCausalLM"]`.
    pub architectures: Vec<String>,
    /// `model_type`, e.g. `"llama"`.
    pub model_type: Option<String>,
    /// The first plausible value of the usual context-length keys, at the top level or in
    /// `text_config` (multimodal models).
    pub context_length: Option<u64>,
    /// `torch_dtype` (or its newer name `dtype`), e.g. `"bfloat16"`.
    pub torch_dtype: Option<String>,
}

/// Reads facts from the bytes of a `config.json`.
pub fn parse_config_json(bytes: &[u8]) -> Result<HfConfigFacts, FactsError> {
    let config = json_object(bytes, FileKind::HfConfig)?;
    let text_config = match config.get("text_config") {
        Some(Value::Object(nested)) => Some(nested),
        _ => None,
    };
    let levels = || std::iter::once(&config).chain(text_config);

    let architectures = match config.get("architectures") {
        Some(Value::Array(items)) => items.iter().filter_map(|v| v.as_str().map(str::to_owned)).collect(),
        Some(Value::String(single)) => vec![single.clone()],
        _ => Vec::new(),
    };
    let string_at = |keys: &[&str]| {
        levels().find_map(|level| keys.iter().find_map(|key| level.get(*key)?.as_str().map(str::to_owned)))
    };
    Ok(HfConfigFacts {
        architectures,
        model_type: string_at(&["model_type"]),
        context_length: levels().find_map(context_length),
        torch_dtype: string_at(&["torch_dtype", "dtype"]),
    })
}

/// Reads `model_max_length` from the bytes of a `tokenizer_config.json`; `None` when it is
/// absent or one of the "unlimited" sentinels.
pub fn parse_tokenizer_config(bytes: &[u8]) -> Result<Option<u64>, FactsError> {
    let config = json_object(bytes, FileKind::TokenizerConfig)?;
    Ok(config.get("model_max_length").and_then(plausible_context))
}

fn json_object(bytes: &[u8], kind: FileKind) -> Result<Map<String, Value>, FactsError> {
    match serde_json::from_slice(bytes) {
        Ok(Value::Object(map)) => Ok(map),
        Ok(_) => Err(FactsError::malformed(kind, "not a JSON object")),
        Err(e) => Err(FactsError::malformed(kind, format!("invalid JSON: {e}"))),
    }
}

fn context_length(level: &Map<String, Value>) -> Option<u64> {
    CONTEXT_KEYS.iter().find_map(|key| level.get(*key).and_then(plausible_context))
}

/// A positive whole number no larger than [`MAX_PLAUSIBLE_CONTEXT`]; `4096.0` counts.
fn plausible_context(value: &Value) -> Option<u64> {
    let n = match value.as_u64() {
        Some(n) => n,
        None => {
            let f = value.as_f64()?;
            if f.fract() != 0.0 || !(1.0..=MAX_PLAUSIBLE_CONTEXT as f64).contains(&f) {
                return None;
            }
            // Exact: a whole number within range.
            f as u64
        }
    };
    (1..=MAX_PLAUSIBLE_CONTEXT).contains(&n).then_some(n)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn config(value: Value) -> HfConfigFacts {
        parse_config_json(value.to_string().as_bytes()).unwrap()
    }

    #[test]
    fn reads_a_llama_style_config() {
        let facts = config(json!({
            "architectures": ["LlamaForCausalLM"],
            "model_type": "llama",
            "max_position_embeddings": 8192,
            "torch_dtype": "bfloat16",
            "hidden_size": 4096
        }));
        assert_eq!(
            facts,
            HfConfigFacts {
                architectures: vec!["LlamaForCausalLM".into()],
                model_type: Some("llama".into()),
                context_length: Some(8192),
                torch_dtype: Some("bfloat16".into()),
            }
        );
    }

    #[test]
    fn gpt2_style_n_positions_is_a_context_length() {
        assert_eq!(config(json!({"model_type": "gpt2", "n_positions": 1024})).context_length, Some(1024));
    }

    #[test]
    fn the_first_present_key_wins() {
        let facts = config(json!({"seq_length": 2048, "max_position_embeddings": 4096}));
        assert_eq!(facts.context_length, Some(4096));
    }

    #[test]
    fn multimodal_configs_are_read_from_text_config() {
        let facts = config(json!({
            "architectures": ["Llama4ForConditionalGeneration"],
            "model_type": "llama4",
            "text_config": {"max_position_embeddings": 10485760, "torch_dtype": "bfloat16"},
            "vision_config": {"image_size": 336}
        }));
        assert_eq!(facts.context_length, Some(10_485_760));
        assert_eq!(facts.model_type.as_deref(), Some("llama4"));
        assert_eq!(facts.torch_dtype.as_deref(), Some("bfloat16"));
    }

    #[test]
    fn top_level_values_take_precedence_over_text_config() {
        let facts = config(json!({"n_ctx": 2048, "text_config": {"max_position_embeddings": 4096}}));
        assert_eq!(facts.context_length, Some(2048));
    }

    #[test]
    fn integer_valued_floats_count_and_other_numbers_do_not() {
        assert_eq!(config(json!({"max_position_embeddings": 4096.0})).context_length, Some(4096));
        for bad in
            [json!(4096.5), json!(0), json!(-1), json!(-4096.0), json!("4096"), json!(null), json!(1e30)]
        {
            assert_eq!(config(json!({"max_position_embeddings": bad})).context_length, None, "{bad}");
        }
    }

    #[test]
    fn an_unusable_value_falls_through_to_the_next_key() {
        let facts = config(json!({"max_position_embeddings": -1, "n_positions": 512}));
        assert_eq!(facts.context_length, Some(512));
    }

    #[test]
    fn missing_fields_yield_empty_facts() {
        assert_eq!(config(json!({})), HfConfigFacts::default());
        let facts = config(json!({"architectures": "BertModel", "dtype": "float32"}));
        assert_eq!(facts.architectures, ["BertModel"]);
        assert_eq!(facts.torch_dtype.as_deref(), Some("float32"));
    }

    #[test]
    fn fields_of_the_wrong_type_are_ignored() {
        let facts = config(json!({"architectures": [1, "X"], "model_type": 3, "text_config": "none"}));
        assert_eq!(facts.architectures, ["X"]);
        assert_eq!(facts.model_type, None);
    }

    #[test]
    fn bytes_that_are_not_a_json_object_are_malformed() {
        for bytes in [&b"[1]"[..], b"", b"{", b"\xff\xfe"] {
            let err = parse_config_json(bytes).unwrap_err();
            assert_eq!(err.kind(), FileKind::HfConfig);
            let err = parse_tokenizer_config(bytes).unwrap_err();
            assert_eq!(err.kind(), FileKind::TokenizerConfig);
        }
    }

    #[test]
    fn tokenizer_model_max_length_is_read() {
        assert_eq!(parse_tokenizer_config(br#"{"model_max_length": 2048}"#).unwrap(), Some(2048));
        assert_eq!(parse_tokenizer_config(br#"{"model_max_length": 131072.0}"#).unwrap(), Some(131_072));
        assert_eq!(parse_tokenizer_config(br#"{"padding_side": "left"}"#).unwrap(), None);
    }

    #[test]
    fn the_tokenizer_unlimited_sentinel_is_ignored() {
        let sentinel = br#"{"model_max_length": 1000000000000000019884624838656}"#;
        assert_eq!(parse_tokenizer_config(sentinel).unwrap(), None);
        let large = format!(r#"{{"model_max_length": {}}}"#, MAX_PLAUSIBLE_CONTEXT + 1);
        assert_eq!(parse_tokenizer_config(large.as_bytes()).unwrap(), None);
        assert_eq!(parse_tokenizer_config(br#"{"model_max_length": 1e20}"#).unwrap(), None);
    }
}
