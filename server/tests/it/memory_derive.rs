//! Memory facts derived at publish (issue 14 part 1): a bf16 safetensors checkpoint split
//! over several shards with its `config.json`, measured and found by `fits_memory`; the
//! declared fallback. Numbers are hand-computed in the tests.

use modelreg_api::{DerivedField, FactSource, KvCacheShape, LookupQuery, VersionSelector};
use serde_json::json;

use crate::derive::{manifest_of, model, registry_with, safetensors, v1};
use crate::support::root;

/// `hf-internal-testing/tiny-random-LlamaForCausalLM`-shaped: hidden 16, intermediate 64,
/// 2 layers, 4 heads, 2 KV heads (head_dim 4), vocabulary 32,000; bf16 in three shards.
pub(crate) fn tiny_llama_shards() -> [Vec<u8>; 3] {
    let layer = |i: u64| {
        let p = |t: &str| format!("model.layers.{i}.{t}.weight");
        vec![
            (p("self_attn.q_proj"), vec![16, 16]),
            (p("self_attn.k_proj"), vec![8, 16]),
            (p("self_attn.v_proj"), vec![8, 16]),
            (p("self_attn.o_proj"), vec![16, 16]),
            (p("mlp.gate_proj"), vec![64, 16]),
            (p("mlp.up_proj"), vec![64, 16]),
            (p("mlp.down_proj"), vec![16, 64]),
            (p("input_layernorm"), vec![16]),
            (p("post_attention_layernorm"), vec![16]),
        ]
    };
    let mut middle: Vec<(String, Vec<u64>)> = layer(0).into_iter().chain(layer(1)).collect();
    middle.push(("model.norm.weight".into(), vec![16]));
    let bf16 = |tensors: &[(String, Vec<u64>)]| {
        let refs: Vec<(&str, &str, &[u64])> =
            tensors.iter().map(|(n, s)| (n.as_str(), "BF16", s.as_slice())).collect();
        safetensors(&refs)
    };
    [
        bf16(&[("model.embed_tokens.weight".into(), vec![32_000, 16])]),
        bf16(&middle),
        bf16(&[("lm_head.weight".into(), vec![32_000, 16])]),
    ]
}

pub(crate) fn tiny_llama_config() -> String {
    json!({
        "architectures": ["LlamaForCausalLM"], "model_type": "llama", "hidden_size": 16,
        "intermediate_size": 64, "num_hidden_layers": 2, "num_attention_heads": 4,
        "num_key_value_heads": 2, "max_position_embeddings": 2048, "torch_dtype": "bfloat16",
        "vocab_size": 32000
    })
    .to_string()
}

#[tokio::test]
async fn a_bf16_checkpoint_split_over_shards_is_measured_and_found_by_fits_memory() {
    let [one, two, three] = tiny_llama_shards();
    let config = tiny_llama_config();
    let files: [(&str, &[u8]); 4] = [
        ("model-00001-of-00003.safetensors", &one),
        ("model-00002-of-00003.safetensors", &two),
        ("model-00003-of-00003.safetensors", &three),
        ("config.json", config.as_bytes()),
    ];
    let (registry, _dir) = registry_with(&files).await;
    registry.publish(&root(), &model(), &v1(), manifest_of(&files, json!({}))).await.unwrap();

    let facts = registry.resolve(&model(), &VersionSelector::Exact(v1())).await.unwrap().facts;
    // Elements: embeddings 512,000 + lm_head 512,000 + norm 16 + 2 layers x (q 256 + k 128 +
    // v 128 + o 256 + gate 1,024 + up 1,024 + down 1,024 + 2 norms x 16 = 3,872) = 1,031,760;
    // at 2 bytes (bf16): 2,063,520 bytes over the three shards.
    let weights = &facts[&DerivedField::WeightBytes];
    assert_eq!((weights.source, weights.value.clone()), (FactSource::Derived, json!(2_063_520)));
    assert_eq!(weights.file.as_ref().map(|f| f.as_str()), Some("model-00001-of-00003.safetensors"));
    assert_eq!(facts[&DerivedField::Parameters].value, json!(1_031_760));
    // KV cache: 2 x 2 layers x 2 KV heads x (16 / 4 heads = 4) = 32 elements, 64 bytes a token.
    let kv: KvCacheShape = serde_json::from_value(facts[&DerivedField::KvCache].value.clone()).unwrap();
    assert_eq!((kv.full_elements_per_token, kv.bytes_per_token, kv.window), (32, 64, None));
    assert_eq!(facts[&DerivedField::KvCache].file.as_ref().map(|f| f.as_str()), Some("config.json"));

    // At 2,048 tokens: (2,063,520 + 131,072) x 1.1 + 512 MiB = 539,284,964 bytes (the tenth rounded up).
    let need = modelreg_server::service::memory::memory_need(2_063_520, &kv, 2048, 1, None);
    assert_eq!(need.total, 2_194_592 + 219_460 + 536_870_912);
    let lookup = |budget: &'static str| {
        let registry = &registry;
        async move {
            let q = LookupQuery::from_pairs([("fits_memory", budget)]).unwrap();
            registry.lookup(None, q).await.unwrap().hits.len()
        }
    };
    assert_eq!(lookup("539284964").await, 1);
    assert_eq!(lookup("539284963").await, 0);
}

#[tokio::test]
async fn without_measurable_files_the_weights_are_declared_parameters_times_precision() {
    let files: [(&str, &[u8]); 1] = [("model.bin", b"opaque")];
    let (registry, _dir) = registry_with(&files).await;
    let manifest = manifest_of(&files, json!({ "parameters": 7_000_000_000u64, "precision": "fp16" }));
    registry.publish(&root(), &model(), &v1(), manifest).await.unwrap();
    let facts = registry.resolve(&model(), &VersionSelector::Exact(v1())).await.unwrap().facts;
    let weights = &facts[&DerivedField::WeightBytes];
    assert_eq!((weights.source, weights.value.clone()), (FactSource::Declared, json!(14_000_000_000u64)));
    assert!(!facts.contains_key(&DerivedField::KvCache), "no file tells the attention shape");
}
