//! KV-cache shapes of real-shaped `config.json` files, checked against hand-computed values.

use modelreg_api::memory_need;
use serde_json::{Value, json};

use super::*;
use crate::facts::parse_config_json;

fn shape(config: Value) -> KvCacheShape {
    let facts = parse_config_json(config.to_string().as_bytes()).unwrap();
    let bits =
        facts.torch_dtype.as_deref().and_then(Precision::from_dtype).and_then(precision_bits).unwrap_or(16);
    kv_cache_shape(&facts.attention, bits).expect("a KV-cache shape")
}

#[test]
fn a_llama_3_8b_config_with_grouped_query_attention_caches_128_kib_per_token() {
    // meta-llama/Meta-Llama-3-8B config.json (abridged, real values).
    let kv = shape(json!({
        "architectures": ["LlamaForCausalLM"], "model_type": "llama",
        "hidden_size": 4096, "intermediate_size": 14336, "max_position_embeddings": 8192,
        "num_attention_heads": 32, "num_hidden_layers": 32, "num_key_value_heads": 8,
        "rope_theta": 500000.0, "torch_dtype": "bfloat16", "vocab_size": 128256
    }));
    // 2 x 32 layers x 8 KV heads x (4096 / 32 = 128) = 65,536 elements x 2 bytes.
    assert_eq!(kv.full_elements_per_token, 65_536);
    assert_eq!(kv.window_elements_per_token, 0);
    assert_eq!(kv.bytes_per_token, 131_072);
    // 8,192 tokens: exactly 1 GiB; 16,060,522,496 bytes of bf16 weights (8,030,261,248 x 2).
    let need = memory_need(16_060_522_496, &kv, 8192, 1, None);
    assert_eq!(need.kv_cache, 1 << 30);
    assert_eq!(need.overhead, (16_060_522_496u64 + (1 << 30)).div_ceil(10) + (512 << 20));
}

#[test]
fn a_mistral_sliding_window_caps_the_cache_at_4096_tokens() {
    // mistralai/Mistral-7B-v0.1 config.json (abridged, real values).
    let kv = shape(json!({
        "architectures": ["MistralForCausalLM"], "model_type": "mistral",
        "hidden_size": 4096, "max_position_embeddings": 32768, "num_attention_heads": 32,
        "num_hidden_layers": 32, "num_key_value_heads": 8, "sliding_window": 4096,
        "torch_dtype": "bfloat16"
    }));
    assert_eq!(kv.full_elements_per_token, 0);
    assert_eq!(kv.window_elements_per_token, 65_536);
    assert_eq!(kv.window, Some(4096));
    // At 32,768 tokens only 4,096 are cached: 4,096 x 131,072 = 512 MiB, not 4 GiB.
    assert_eq!(memory_need(0, &kv, 32_768, 1, None).kv_cache, 512 << 20);
    assert_eq!(memory_need(0, &kv, 1000, 1, None).kv_cache, 1000 * 131_072);
}

#[test]
fn gemma_3_layers_alternate_five_windowed_to_one_global() {
    // google/gemma-3-12b text_config (abridged): 48 layers, 8 KV heads of 256, window 1024,
    // every 6th layer global: 8 global, 40 windowed.
    let kv = shape(json!({
        "architectures": ["Gemma3ForConditionalGeneration"], "model_type": "gemma3",
        "torch_dtype": "bfloat16",
        "text_config": {
            "model_type": "gemma3_text", "hidden_size": 3840, "head_dim": 256,
            "num_attention_heads": 16, "num_hidden_layers": 48, "num_key_value_heads": 8,
            "sliding_window": 1024, "sliding_window_pattern": 6, "max_position_embeddings": 131072
        }
    }));
    // Per layer 8 x (256 + 256) = 4,096 elements.
    assert_eq!(kv.full_elements_per_token, 8 * 4096);
    assert_eq!(kv.window_elements_per_token, 40 * 4096);
    // 131,072 tokens: (32,768 x 131,072 + 163,840 x 1,024) x 2 bytes.
    assert_eq!(memory_need(0, &kv, 131_072, 1, None).kv_cache, (32_768 * 131_072 + 163_840 * 1024) * 2);
}

#[test]
fn layer_types_name_the_windowed_layers() {
    let kv = shape(json!({
        "hidden_size": 1024, "num_attention_heads": 8, "num_hidden_layers": 4, "num_key_value_heads": 2,
        "sliding_window": 512,
        "layer_types": ["sliding_attention", "full_attention", "sliding_attention", "full_attention"]
    }));
    // Per layer 2 x (128 + 128) = 512 elements; two layers of each kind.
    assert_eq!((kv.full_elements_per_token, kv.window_elements_per_token), (1024, 1024));
}

#[test]
fn a_window_switched_off_is_not_applied() {
    // Qwen2 configs carry a sliding_window with use_sliding_window: false.
    let kv = shape(json!({
        "hidden_size": 3584, "num_attention_heads": 28, "num_hidden_layers": 28, "num_key_value_heads": 4,
        "sliding_window": 131072, "use_sliding_window": false, "torch_dtype": "bfloat16"
    }));
    assert_eq!(kv.window, None);
    // 2 x 28 x 4 x 128 = 28,672 elements.
    assert_eq!(kv.full_elements_per_token, 28_672);
}

#[test]
fn multi_query_attention_caches_one_head_and_fp32_doubles_the_bytes() {
    // tiiuae/falcon-7b style: 71 heads of 64, multi_query.
    let kv = shape(json!({
        "hidden_size": 4544, "n_head": 71, "n_layer": 32, "multi_query": true, "torch_dtype": "float32"
    }));
    assert_eq!(kv.full_elements_per_token, 32 * 128);
    assert_eq!(kv.bytes_per_token, 32 * 128 * 4);
}

#[test]
fn no_shape_without_layers_or_head_width() {
    let facts = parse_config_json(br#"{"hidden_size": 4096, "num_attention_heads": 32}"#).unwrap();
    assert_eq!(kv_cache_shape(&facts.attention, 16), None);
    let facts =
        parse_config_json(br#"{"num_hidden_layers": 2, "num_attention_heads": 3, "hidden_size": 100}"#)
            .unwrap();
    assert_eq!(kv_cache_shape(&facts.attention, 16), None, "100 is not divisible by 3 heads");
}

#[test]
fn precision_bits_cover_every_fixed_width_precision() {
    assert_eq!(precision_bits(Precision::Bf16), Some(16));
    assert_eq!(precision_bits(Precision::Int4), Some(4));
    assert_eq!(precision_bits(Precision::Mixed), None);
}
