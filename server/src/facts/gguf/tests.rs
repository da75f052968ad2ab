use super::*;
use crate::facts::test_files::GgufWriter;

fn tokens(n: usize) -> Vec<String> {
    (0..n).map(|i| format!("<tok-{i}>")).collect()
}

fn llama() -> GgufWriter {
    GgufWriter::new(3)
        .str("general.architecture", "llama")
        .str("general.name", "Tiny Llama")
        .u32("general.file_type", 15)
        .u32("llama.context_length", 4096)
        .u32("llama.block_count", 2)
        .u64("llama.embedding_length", 64)
        .f32("llama.rope.freq_base", 10_000.0)
        .bool("tokenizer.ggml.add_bos_token", true)
        .str_array("tokenizer.ggml.tokens", &tokens(5_000))
        .f32_array("tokenizer.ggml.scores", 5_000)
        .nested_array("test.nested")
        .tensor("token_embd.weight", &[64, 5_000])
        .tensor("blk.0.attn_q.weight", &[64, 64])
        .tensor("output_norm.weight", &[64])
}

fn done(file: &[u8]) -> GgufFacts {
    match parse_gguf(file, file.len() as u64) {
        Ok(Parse::Done(facts)) => facts,
        other => panic!("expected facts, got {other:?}"),
    }
}

fn malformed_reason(result: Result<Parse<GgufFacts>, FactsError>) -> String {
    match result {
        Err(FactsError::Malformed { kind: FileKind::Gguf, reason }) => reason,
        other => panic!("expected a malformed-GGUF error, got {other:?}"),
    }
}

#[test]
fn reads_facts_from_a_llama_header_skipping_the_vocabulary() {
    let (file, _) = llama().build();
    assert_eq!(
        done(&file),
        GgufFacts {
            version: 3,
            architecture: Some("llama".into()),
            name: Some("Tiny Llama".into()),
            context_length: Some(4096),
            parameters: 64 * 5_000 + 64 * 64 + 64,
            tensor_count: 3,
            file_type: Some(15),
            quantization: Some("Q4_K_M".into()),
            block_count: Some(2),
            embedding_length: Some(64),
            weight_bytes: Some((64 * 5_000 + 64 * 64 + 64) * 2),
            attention: AttentionShape { layers: Some(2), hidden_size: Some(64), ..AttentionShape::default() },
        }
    );
}

#[test]
fn version_2_files_are_read() {
    let (file, _) = GgufWriter::new(2).str("general.architecture", "gpt2").tensor("w", &[3, 5]).build();
    let facts = done(&file);
    assert_eq!((facts.version, facts.parameters), (2, 15));
}

#[test]
fn architecture_keys_may_come_before_the_architecture_and_others_are_ignored() {
    let (file, _) = GgufWriter::new(3)
        .u32("clip.context_length", 77)
        .i32("phi3.context_length", 131_072)
        .i32("phi3.block_count", -1)
        .str("general.architecture", "phi3")
        .build();
    let facts = done(&file);
    assert_eq!(facts.context_length, Some(131_072));
    assert_eq!(facts.block_count, None, "negative counts are not facts");
    assert_eq!((facts.tensor_count, facts.parameters), (0, 0));
}

#[test]
fn without_an_architecture_there_are_no_architecture_facts() {
    let (file, _) =
        GgufWriter::new(3).u32("llama.context_length", 4096).u32("general.file_type", 999).build();
    let facts = done(&file);
    assert_eq!(facts.context_length, None);
    assert_eq!((facts.file_type, facts.quantization), (Some(999), None));
}

#[test]
fn common_file_types_have_llama_cpp_names() {
    let names: Vec<_> = [0, 1, 2, 7, 10, 15, 18, 30, 32].into_iter().map(quantization_name).collect();
    let expected = ["F32", "F16", "Q4_0", "Q8_0", "Q2_K", "Q4_K_M", "Q6_K", "IQ4_XS", "BF16"];
    assert_eq!(names, expected.map(Some));
}

#[test]
fn a_short_prefix_asks_for_more_until_the_tensor_infos_are_complete() {
    let (file, header_len) = llama().build();
    let size = file.len() as u64;
    let mut len = 16;
    let mut rounds = 0;
    let facts = loop {
        match parse_gguf(&file[..len], size).unwrap() {
            Parse::Done(facts) => break facts,
            Parse::NeedMore(n) => {
                assert!(n > len as u64 && n <= size, "asked for {n} after {len}");
                len = n as usize;
            }
        }
        rounds += 1;
        assert!(rounds < 10);
    };
    assert!(len >= header_len);
    assert_eq!(facts, done(&file));
    assert!(matches!(parse_gguf(&file[..header_len], size), Ok(Parse::Done(_))));
    assert!(matches!(parse_gguf(&file[..header_len - 1], size), Ok(Parse::NeedMore(_))));
}

#[test]
fn need_more_grows_by_doubling_but_never_past_the_file() {
    let big = "x".repeat(300_000);
    let (file, header_len) = GgufWriter::new(3).str("general.name", &big).build();
    let size = file.len() as u64;
    assert_eq!(parse_gguf(&file[..3], size).unwrap(), Parse::NeedMore(MIN_READ_AHEAD));
    let after_read_ahead = parse_gguf(&file[..MIN_READ_AHEAD as usize], size).unwrap();
    assert_eq!(after_read_ahead, Parse::NeedMore(header_len as u64), "the whole string, not just double");
    let (small, _) = GgufWriter::new(3).build();
    assert!(matches!(parse_gguf(&small, small.len() as u64), Ok(Parse::Done(_))));
    assert_eq!(parse_gguf(&small[..10], small.len() as u64).unwrap(), Parse::NeedMore(small.len() as u64));
}

#[test]
fn bad_magic_is_malformed_even_in_a_short_prefix() {
    assert!(malformed_reason(parse_gguf(b"GGML\x03\0\0\0", 1 << 30)).contains("magic"));
    assert!(malformed_reason(parse_gguf(b"PK", 1 << 30)).contains("magic"));
    malformed_reason(parse_gguf(b"", 0));
}

#[test]
fn other_versions_and_big_endian_files_are_unsupported() {
    for (version, expected) in [(1, "version 1"), (4, "version 4"), (3u32.swap_bytes(), "big-endian")] {
        let (file, _) = GgufWriter::new(version).build();
        match parse_gguf(&file, file.len() as u64) {
            Err(FactsError::Unsupported { reason, .. }) => assert!(reason.contains(expected), "{reason}"),
            other => panic!("expected unsupported, got {other:?}"),
        }
    }
}

#[test]
fn a_file_that_ends_inside_the_header_is_malformed() {
    let (file, header_len) = llama().build();
    let cut = &file[..header_len - 5];
    assert!(malformed_reason(parse_gguf(cut, cut.len() as u64)).contains("past the end"));
}

/// A file whose header is `kvs` (already encoded, `count` of them) and no tensors, padded
/// so that declared lengths are checked against a large file rather than a short one.
fn with_raw_kvs(count: u64, kvs: &[u8]) -> (Vec<u8>, u64) {
    let mut file = b"GGUF".to_vec();
    file.extend_from_slice(&3u32.to_le_bytes());
    file.extend_from_slice(&0u64.to_le_bytes());
    file.extend_from_slice(&count.to_le_bytes());
    file.extend_from_slice(kvs);
    (file, 1 << 40)
}

fn raw_kv(key: &str, value_type: u32, value: &[u8]) -> Vec<u8> {
    let mut kv = (key.len() as u64).to_le_bytes().to_vec();
    kv.extend_from_slice(key.as_bytes());
    kv.extend_from_slice(&value_type.to_le_bytes());
    kv.extend_from_slice(value);
    kv
}

#[test]
fn a_huge_declared_string_length_is_malformed_without_allocating() {
    let (file, size) = with_raw_kvs(1, &raw_kv("general.name", 8, &(1u64 << 50).to_le_bytes()));
    assert!(malformed_reason(parse_gguf(&file, size)).contains("past the end"));
    let (file, size) = with_raw_kvs(1, &(u64::MAX).to_le_bytes());
    assert!(malformed_reason(parse_gguf(&file, size)).contains("metadata key"));
}

#[test]
fn huge_declared_counts_are_malformed() {
    let (file, _) = with_raw_kvs(u64::MAX, &[]);
    malformed_reason(parse_gguf(&file, file.len() as u64 + 1000));

    let mut strings = 8u32.to_le_bytes().to_vec();
    strings.extend_from_slice(&u64::MAX.to_le_bytes());
    let (file, size) = with_raw_kvs(1, &raw_kv("tokenizer.ggml.tokens", 9, &strings));
    assert!(malformed_reason(parse_gguf(&file, size)).contains("cannot fit"));

    let mut floats = 6u32.to_le_bytes().to_vec();
    floats.extend_from_slice(&(u64::MAX / 2).to_le_bytes());
    let (file, size) = with_raw_kvs(1, &raw_kv("tokenizer.ggml.scores", 9, &floats));
    malformed_reason(parse_gguf(&file, size));

    let (mut file, _) = GgufWriter::new(3).build();
    file[8..16].copy_from_slice(&(1u64 << 60).to_le_bytes());
    assert!(malformed_reason(parse_gguf(&file, file.len() as u64)).contains("tensor count"));
}

#[test]
fn unknown_value_types_and_deep_nesting_are_malformed() {
    let (file, size) = with_raw_kvs(1, &raw_kv("x", 13, &[0; 8]));
    assert!(malformed_reason(parse_gguf(&file, size)).contains("value type 13"));

    let mut nested = Vec::new();
    for _ in 0..10 {
        nested.extend_from_slice(&9u32.to_le_bytes());
        nested.extend_from_slice(&1u64.to_le_bytes());
    }
    let (file, size) = with_raw_kvs(1, &raw_kv("deep", 9, &nested));
    assert!(malformed_reason(parse_gguf(&file, size)).contains("nested"));
}

#[test]
fn bad_tensor_infos_are_malformed() {
    let (file, _) = GgufWriter::new(3).tensor("w", &[u64::MAX, 2]).build();
    assert!(malformed_reason(parse_gguf(&file, file.len() as u64)).contains("overflows"));
    let (file, _) = GgufWriter::new(3).tensor("w", &[1, 1, 1, 1, 1]).build();
    assert!(malformed_reason(parse_gguf(&file, file.len() as u64)).contains("dimensions"));
    let (mut file, header_len) = GgufWriter::new(3).tensor("w", &[4]).build();
    file[header_len - 8..header_len].copy_from_slice(&4096u64.to_le_bytes());
    assert!(malformed_reason(parse_gguf(&file, file.len() as u64)).contains("offset"));
}

#[test]
fn an_alignment_that_is_not_a_power_of_two_is_malformed() {
    let (file, _) = GgufWriter::new(3).u32("general.alignment", 24).tensor("w", &[4]).build();
    assert!(malformed_reason(parse_gguf(&file, file.len() as u64)).contains("alignment"));
}

#[test]
fn a_prefix_longer_than_the_file_is_refused() {
    let (file, _) = llama().build();
    malformed_reason(parse_gguf(&file, 10));
}

fn too_large(result: Result<Parse<GgufFacts>, FactsError>) -> (&'static str, String) {
    match result {
        Err(FactsError::TooLarge { kind: FileKind::Gguf, limit, found, .. }) => (limit, found),
        other => panic!("expected a too-large GGUF error, got {other:?}"),
    }
}

#[test]
fn a_string_longer_than_the_limit_that_fits_the_file_is_too_large() {
    let len = (MAX_STRING_BYTES + 1).to_le_bytes();
    let (file, size) = with_raw_kvs(1, &raw_kv("tokenizer.chat_template", 8, &len));
    let (limit, found) = too_large(parse_gguf(&file, size));
    assert_eq!(limit, "string_bytes");
    assert!(found.contains(&(MAX_STRING_BYTES + 1).to_string()), "{found}");
    let key_len = (MAX_NAME_BYTES + 1).to_le_bytes();
    let (file, size) = with_raw_kvs(1, &key_len);
    assert_eq!(too_large(parse_gguf(&file, size)).0, "name_bytes");
}

#[test]
fn arrays_longer_than_the_limit_are_too_large() {
    let long = (MAX_ARRAY_LEN + 1).to_le_bytes();
    for element_type in [0u32, 8] {
        let mut value = element_type.to_le_bytes().to_vec();
        value.extend_from_slice(&long);
        let (file, size) = with_raw_kvs(1, &raw_kv("tokenizer.ggml.tokens", 9, &value));
        assert_eq!(too_large(parse_gguf(&file, size)).0, "array_length", "element type {element_type}");
    }
}

#[test]
fn more_keys_or_tensors_than_the_limits_are_too_large() {
    let (file, size) = with_raw_kvs(MAX_KV_COUNT + 1, &[]);
    assert_eq!(too_large(parse_gguf(&file, size)).0, "metadata_count");
    let mut file = b"GGUF".to_vec();
    file.extend_from_slice(&3u32.to_le_bytes());
    file.extend_from_slice(&(MAX_TENSORS + 1).to_le_bytes());
    file.extend_from_slice(&0u64.to_le_bytes());
    assert_eq!(too_large(parse_gguf(&file, 1 << 40)).0, "tensor_count");
}

/// The tensor layout of llama-2-7b.Q4_K_M.gguf: 32 blocks; Q4_K everywhere except `attn_v`
/// and `ffn_down` in the 16 blocks llama.cpp gives more bits (the first and last 4, and
/// every third between), `output` at Q6_K, norms at F32.
fn llama2_7b_q4_k_m() -> GgufWriter {
    const Q4_K: u32 = 12;
    const Q6_K: u32 = 14;
    const F32: u32 = 0;
    let mut w = GgufWriter::new(3)
        .str("general.architecture", "llama")
        .u32("general.file_type", 15)
        .u32("llama.context_length", 4096)
        .u32("llama.embedding_length", 4096)
        .u32("llama.block_count", 32)
        .u32("llama.feed_forward_length", 11008)
        .u32("llama.attention.head_count", 32)
        .u32("llama.attention.head_count_kv", 32)
        .typed_tensor("token_embd.weight", &[4096, 32000], Q4_K);
    for i in 0..32u64 {
        let more_bits = !(4..28).contains(&i) || (i - 4) % 3 == 2;
        let vd = if more_bits { Q6_K } else { Q4_K };
        let b = |t: &str| format!("blk.{i}.{t}.weight");
        w = w
            .typed_tensor(&b("attn_q"), &[4096, 4096], Q4_K)
            .typed_tensor(&b("attn_k"), &[4096, 4096], Q4_K)
            .typed_tensor(&b("attn_v"), &[4096, 4096], vd)
            .typed_tensor(&b("attn_output"), &[4096, 4096], Q4_K)
            .typed_tensor(&b("ffn_gate"), &[4096, 11008], Q4_K)
            .typed_tensor(&b("ffn_up"), &[4096, 11008], Q4_K)
            .typed_tensor(&b("ffn_down"), &[11008, 4096], vd)
            .typed_tensor(&b("attn_norm"), &[4096], F32)
            .typed_tensor(&b("ffn_norm"), &[4096], F32);
    }
    w.typed_tensor("output_norm.weight", &[4096], F32).typed_tensor("output.weight", &[4096, 32000], Q6_K)
}

#[test]
fn a_q4_k_m_file_is_measured_at_its_quantized_tensor_sizes() {
    let (file, _) = llama2_7b_q4_k_m().build();
    let facts = done(&file);
    assert_eq!(facts.parameters, 6_738_415_616);
    // By hand: a 4096x4096 matrix is 65,536 blocks of 256: 9,437,184 bytes at Q4_K (144 per
    // block), 13,762,560 at Q6_K (210); 4096x11008 is 176,128 blocks: 25,362,432 / 36,986,880.
    // A block: q, k, output, gate, up at Q4_K = 79,036,416, two F32 norms 32,768, and v + down
    // at Q4_K 34,799,616 (16 blocks) or Q6_K 50,749,440 (16 blocks).
    let blocks = 16 * (79_036_416 + 32_768 + 34_799_616) + 16 * (79_036_416 + 32_768 + 50_749_440);
    assert_eq!(blocks, 3_898_998_784u64);
    // Embeddings 512,000 blocks at Q4_K 73,728,000, output at Q6_K 107,520,000, norm 16,384.
    assert_eq!(facts.weight_bytes, Some(blocks + 73_728_000 + 107_520_000 + 16_384));
    assert_eq!(facts.weight_bytes, Some(4_080_263_168), "the real file is 4,081,004,224 bytes");
    assert_eq!(
        facts.attention,
        AttentionShape {
            layers: Some(32),
            heads: Some(32),
            kv_heads: Some(32),
            hidden_size: Some(4096),
            ..AttentionShape::default()
        }
    );
}

#[test]
fn a_tensor_of_an_unknown_type_leaves_the_weight_bytes_unknown() {
    let (file, _) = GgufWriter::new(3).typed_tensor("a", &[32], 8).typed_tensor("b", &[32], 4).build();
    assert_eq!(done(&file).weight_bytes, None);
    let (file, _) = GgufWriter::new(3).typed_tensor("a", &[32], 8).build();
    assert_eq!(done(&file).weight_bytes, Some(34));
}

#[test]
fn gguf_attention_keys_give_key_and_value_widths() {
    let (file, _) = GgufWriter::new(3)
        .str("general.architecture", "qwen2")
        .u32("qwen2.block_count", 28)
        .u32("qwen2.attention.head_count", 28)
        .u32("qwen2.attention.head_count_kv", 4)
        .u32("qwen2.attention.key_length", 128)
        .u32("qwen2.attention.value_length", 128)
        .build();
    let a = done(&file).attention;
    assert_eq!((a.layers, a.kv_heads, a.key_dim, a.value_dim), (Some(28), Some(4), Some(128), Some(128)));
}
