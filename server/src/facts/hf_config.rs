//! Hugging Face `config.json` and `tokenizer_config.json`: architecture, model type, dtype
//! and context length. These files are free-form, so fields of an unexpected type are
//! ignored rather than rejected; only bytes that are not a JSON object are an error.

use std::fmt;

use serde::de::{self, DeserializeSeed, IgnoredAny, MapAccess, SeqAccess, Visitor};

mod attention_keys;

use self::attention_keys::{AttentionKey, AttentionKeys, LayerTypes};
use super::{AttentionShape, FactsError, FileKind, MAX_PLAUSIBLE_CONTEXT};

/// Largest `config.json` / `tokenizer_config.json` read. Real ones are kilobytes; a
/// tokenizer config listing every added token reaches a few MiB.
pub const MAX_CONFIG_BYTES: u64 = 16 << 20;
/// `architectures` entries kept (real configs list one).
const MAX_ARCHITECTURES: usize = 16;
/// Strings longer than this (architecture names, dtypes) are ignored, not kept.
const MAX_NAME_BYTES: usize = 256;

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
    /// The attention shape, for the KV-cache estimate; top level first, then `text_config`.
    pub attention: AttentionShape,
}

/// Reads facts from the bytes of a `config.json`.
pub fn parse_config_json(bytes: &[u8]) -> Result<HfConfigFacts, FactsError> {
    let config = read_level(bytes, FileKind::HfConfig, true)?;
    let text_config = config.text_config.as_deref();
    let levels = || std::iter::once(&config).chain(text_config);
    let string_at = |get: fn(&Level) -> Option<&String>| levels().find_map(|l| get(l).cloned());
    Ok(HfConfigFacts {
        architectures: config.architectures.clone().unwrap_or_default(),
        model_type: string_at(|l| l.model_type.as_ref()),
        context_length: levels().find_map(Level::context_length),
        torch_dtype: string_at(|l| l.torch_dtype.as_ref().or(l.dtype.as_ref())),
        attention: levels()
            .find(|l| l.attention_keys.layers.is_some())
            .map_or_else(|| config.attention_keys.shape(), |l| l.attention_keys.shape()),
    })
}

/// Reads `model_max_length` from the bytes of a `tokenizer_config.json`; `None` when it is
/// absent or one of the "unlimited" sentinels.
pub fn parse_tokenizer_config(bytes: &[u8]) -> Result<Option<u64>, FactsError> {
    let config = read_level(bytes, FileKind::TokenizerConfig, false)?;
    Ok(config.context[CONTEXT_KEYS.len() - 1])
}

/// The fields read from one object level; everything else is skipped unread. For a key
/// given twice the last value wins, as it would in a parsed map.
#[derive(Default)]
struct Level {
    architectures: Option<Vec<String>>,
    model_type: Option<String>,
    torch_dtype: Option<String>,
    dtype: Option<String>,
    /// The plausible value of each of `CONTEXT_KEYS`, in that order.
    context: [Option<u64>; CONTEXT_KEYS.len()],
    text_config: Option<Box<Level>>,
    attention_keys: AttentionKeys,
}

impl Level {
    fn context_length(&self) -> Option<u64> {
        self.context.iter().find_map(|c| *c)
    }
}

fn read_level(bytes: &[u8], kind: FileKind, nested: bool) -> Result<Level, FactsError> {
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let level = de::Deserializer::deserialize_any(&mut de, LevelSeed { nested })
        .and_then(|level| de.end().map(|()| level))
        .map_err(|e| FactsError::malformed(kind, format!("invalid JSON: {e}")))?;
    level.ok_or_else(|| FactsError::malformed(kind, "not a JSON object"))
}

/// One object level; `None` when the value is not an object. `nested` allows one
/// `text_config` level below it.
struct LevelSeed {
    nested: bool,
}

impl<'de> DeserializeSeed<'de> for LevelSeed {
    type Value = Option<Level>;

    fn deserialize<D: de::Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for LevelSeed {
    type Value = Option<Level>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut level = Level::default();
        while let Some(key) = map.next_key::<Key>()? {
            match key {
                Key::Architectures => level.architectures = map.next_value::<Loose>()?.architectures(),
                Key::ModelType => level.model_type = map.next_value::<Loose>()?.string(),
                Key::TorchDtype => level.torch_dtype = map.next_value::<Loose>()?.string(),
                Key::Dtype => level.dtype = map.next_value::<Loose>()?.string(),
                Key::Context(i) => level.context[i] = map.next_value::<Loose>()?.plausible_context(),
                Key::Attention(key) => {
                    let a = &mut level.attention_keys;
                    if key == AttentionKey::LayerTypes {
                        a.layer_types = map.next_value::<LayerTypes>()?.0;
                        continue;
                    }
                    let value = map.next_value::<Loose>()?;
                    let n = value.positive();
                    match key {
                        AttentionKey::Layers => a.layers = n,
                        AttentionKey::Heads => a.heads = n,
                        AttentionKey::KvHeads => a.kv_heads = n,
                        AttentionKey::MultiQuery => a.multi_query = matches!(value, Loose::Bool(true)),
                        AttentionKey::HeadDim => a.head_dim = n,
                        AttentionKey::HiddenSize => a.hidden_size = n,
                        AttentionKey::SlidingWindow => a.sliding_window = n,
                        AttentionKey::UseSlidingWindow => {
                            a.use_sliding_window = match value {
                                Loose::Bool(b) => Some(b),
                                _ => None,
                            }
                        }
                        AttentionKey::SlidingWindowPattern => a.sliding_window_pattern = n,
                        AttentionKey::LayerTypes => {}
                    }
                }
                Key::TextConfig if self.nested => {
                    level.text_config = map.next_value_seed(LevelSeed { nested: false })?.map(Box::new);
                }
                Key::TextConfig | Key::Other => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(Some(level))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Self::Value, A::Error> {
        IgnoredAny.visit_seq(seq).map(|_| None)
    }

    fn visit_str<E>(self, _: &str) -> Result<Self::Value, E> {
        Ok(None)
    }

    fn visit_u64<E>(self, _: u64) -> Result<Self::Value, E> {
        Ok(None)
    }

    fn visit_i64<E>(self, _: i64) -> Result<Self::Value, E> {
        Ok(None)
    }

    fn visit_f64<E>(self, _: f64) -> Result<Self::Value, E> {
        Ok(None)
    }

    fn visit_bool<E>(self, _: bool) -> Result<Self::Value, E> {
        Ok(None)
    }

    fn visit_unit<E>(self) -> Result<Self::Value, E> {
        Ok(None)
    }
}

/// The keys read; every other key is skipped.
enum Key {
    Architectures,
    ModelType,
    TorchDtype,
    Dtype,
    /// Index into `CONTEXT_KEYS`.
    Context(usize),
    Attention(AttentionKey),
    TextConfig,
    Other,
}

impl<'de> de::Deserialize<'de> for Key {
    fn deserialize<D: de::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct KeyVisitor;
        impl Visitor<'_> for KeyVisitor {
            type Value = Key;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a key")
            }

            fn visit_str<E>(self, s: &str) -> Result<Key, E> {
                Ok(match s {
                    "architectures" => Key::Architectures,
                    "model_type" => Key::ModelType,
                    "torch_dtype" => Key::TorchDtype,
                    "dtype" => Key::Dtype,
                    "text_config" => Key::TextConfig,
                    _ => match AttentionKey::of(s) {
                        Some(key) => Key::Attention(key),
                        None => CONTEXT_KEYS.iter().position(|k| *k == s).map_or(Key::Other, Key::Context),
                    },
                })
            }
        }
        deserializer.deserialize_identifier(KeyVisitor)
    }
}

/// A value of whatever type the file gave, keeping only what a reader could use: short
/// strings, numbers, and up to `MAX_ARCHITECTURES` short strings of an array. Objects and
/// the rest of arrays are skipped unread.
enum Loose {
    Str(String),
    Unsigned(u64),
    Float(f64),
    Strings(Vec<String>),
    Bool(bool),
    Other,
}

impl Loose {
    fn string(self) -> Option<String> {
        match self {
            Loose::Str(s) => Some(s),
            _ => None,
        }
    }

    fn architectures(self) -> Option<Vec<String>> {
        match self {
            Loose::Strings(items) => Some(items),
            Loose::Str(single) => Some(vec![single]),
            _ => None,
        }
    }

    /// A positive whole number (a count or width), up to 2^32.
    fn positive(&self) -> Option<u64> {
        match *self {
            Loose::Unsigned(n) => Some(n),
            Loose::Float(f) if f.fract() == 0.0 && (1.0..=4_294_967_296.0).contains(&f) => Some(f as u64),
            _ => None,
        }
        .filter(|n| (1..=1 << 32).contains(n))
    }

    /// A positive whole number no larger than [`MAX_PLAUSIBLE_CONTEXT`]; `4096.0` counts.
    fn plausible_context(self) -> Option<u64> {
        let n = match self {
            Loose::Unsigned(n) => n,
            Loose::Float(f) => {
                if f.fract() != 0.0 || !(1.0..=MAX_PLAUSIBLE_CONTEXT as f64).contains(&f) {
                    return None;
                }
                // Exact: a whole number within range.
                f as u64
            }
            _ => return None,
        };
        (1..=MAX_PLAUSIBLE_CONTEXT).contains(&n).then_some(n)
    }
}

impl<'de> de::Deserialize<'de> for Loose {
    fn deserialize<D: de::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(LooseVisitor)
    }
}

struct LooseVisitor;

impl<'de> Visitor<'de> for LooseVisitor {
    type Value = Loose;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_str<E>(self, s: &str) -> Result<Loose, E> {
        Ok(if s.len() <= MAX_NAME_BYTES { Loose::Str(s.to_owned()) } else { Loose::Other })
    }

    fn visit_u64<E>(self, n: u64) -> Result<Loose, E> {
        Ok(Loose::Unsigned(n))
    }

    fn visit_i64<E>(self, n: i64) -> Result<Loose, E> {
        Ok(u64::try_from(n).map_or(Loose::Other, Loose::Unsigned))
    }

    fn visit_f64<E>(self, f: f64) -> Result<Loose, E> {
        Ok(Loose::Float(f))
    }

    fn visit_bool<E>(self, b: bool) -> Result<Loose, E> {
        Ok(Loose::Bool(b))
    }

    fn visit_unit<E>(self) -> Result<Loose, E> {
        Ok(Loose::Other)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Loose, A::Error> {
        let mut items = Vec::new();
        while let Some(item) = seq.next_element::<Loose>()? {
            if let Loose::Str(s) = item
                && items.len() < MAX_ARCHITECTURES
            {
                items.push(s);
            }
        }
        Ok(Loose::Strings(items))
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Loose, A::Error> {
        IgnoredAny.visit_map(map).map(|_| Loose::Other)
    }
}

#[cfg(test)]
mod tests {
    use serde_json::{Value, json};

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
                attention: AttentionShape { hidden_size: Some(4096), ..AttentionShape::default() },
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

    #[test]
    fn large_values_nobody_reads_are_skipped_without_building_them() {
        let numbers = vec!["0"; 1_000_000].join(",");
        let config = format!(
            r#"{{"added_tokens_decoder":{{"1":{{"content":"x"}}}},"vocab":[{numbers}],"architectures":["A",{numbers}],"n_ctx":512}}"#
        );
        let facts = parse_config_json(config.as_bytes()).unwrap();
        assert_eq!((facts.architectures, facts.context_length), (vec!["A".to_owned()], Some(512)));
    }

    #[test]
    fn overlong_names_are_ignored_and_long_architecture_lists_are_cut() {
        let long = "A".repeat(MAX_NAME_BYTES + 1);
        let many: Vec<String> = (0..100).map(|i| format!("A{i}")).collect();
        let facts = config(json!({"model_type": long, "architectures": many}));
        assert_eq!(facts.model_type, None);
        assert_eq!(facts.architectures.len(), MAX_ARCHITECTURES);
    }

    #[test]
    fn a_repeated_key_takes_the_last_value_like_a_parsed_map() {
        let facts = parse_config_json(br#"{"model_type":"a","model_type":"b"}"#).unwrap();
        assert_eq!(facts.model_type.as_deref(), Some("b"));
    }
}
