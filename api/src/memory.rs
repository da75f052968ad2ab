//! Memory a model needs to run: the weights plus the KV cache at a context length and batch
//! size plus a stated overhead. The shape of the estimate's inputs as recorded in a
//! version's facts (`weight_bytes`, `kv_cache`), the arithmetic, and the byte-size syntax of
//! `fits_memory`. The server's lookup applies the same formula in SQL (documented in
//! `docs/metadata.md`); this is the one place it is written in Rust.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// Relative overhead on weights + KV cache (activations, allocator slack): a tenth.
pub const OVERHEAD_DIVISOR: u64 = 10;
/// Fixed overhead (runtime context, CUDA/Metal buffers): 512 MiB.
pub const OVERHEAD_FIXED_BYTES: u64 = 512 << 20;
/// Largest `at_context` a lookup may ask about (context lengths beyond are sentinels).
pub const MAX_CONTEXT_TOKENS: u64 = 100_000_000;
/// Largest batch a lookup may ask about.
pub const MAX_BATCH: u64 = 4096;

/// What one cached token costs, by kind of layer: the `kv_cache` fact.
///
/// Elements per token of a layer are `kv_heads x (key_dim + value_dim)`, that is
/// `2 x kv_heads x head_dim` when keys and values have the same width. Layers with a
/// sliding window cache at most `window` tokens.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct KvCacheShape {
    /// Elements cached per token by the layers that attend to the whole context.
    pub full_elements_per_token: u64,
    /// Elements cached per token by the sliding-window layers (0 without a window).
    pub window_elements_per_token: u64,
    /// Tokens a sliding-window layer keeps.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub window: Option<u64>,
    /// Bits per cached element at the stored precision (16 for bf16/fp16).
    pub bits_per_element: u64,
    /// Bytes per token at the stored precision, all layers, before any window applies.
    pub bytes_per_token: u64,
}

/// The parts of a memory estimate, in bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct MemoryNeed {
    pub weights: u64,
    pub kv_cache: u64,
    pub overhead: u64,
    pub total: u64,
    /// The tokens the KV cache was computed for (per sequence).
    pub tokens: u64,
    pub batch: u64,
}

/// Bits per element of a KV-cache precision name (`fp16`, `bf16`, `fp32`, `fp8`, `int8`,
/// `q8_0`, `int4`, `q4_0`); `None` for names without a fixed width.
pub fn kv_precision_bits(name: &str) -> Option<u64> {
    Some(match name.trim().to_ascii_lowercase().as_str() {
        "fp32" | "f32" | "float32" => 32,
        "fp16" | "f16" | "float16" | "bf16" | "bfloat16" => 16,
        "fp8" | "f8" | "int8" | "i8" | "q8_0" => 8,
        "int4" | "i4" | "q4_0" | "fp4" => 4,
        _ => return None,
    })
}

/// The memory needed to run a model with `weight_bytes` of weights and a KV cache of
/// `kv` at `tokens` tokens per sequence and `batch` sequences, the cache stored at
/// `kv_bits` per element (default: the stored precision):
///
/// `kv_cache = batch x (full x tokens + windowed x min(tokens, window)) x bits / 8`,
/// `overhead = (weights + kv_cache) / 10 + 512 MiB`, `total = weights + kv_cache + overhead`.
/// Saturates at `u64::MAX` rather than overflowing.
pub fn memory_need(
    weight_bytes: u64,
    kv: &KvCacheShape,
    tokens: u64,
    batch: u64,
    kv_bits: Option<u64>,
) -> MemoryNeed {
    let bits = u128::from(kv_bits.unwrap_or(kv.bits_per_element));
    let windowed_tokens = kv.window.map_or(tokens, |w| w.min(tokens));
    let elements = u128::from(kv.full_elements_per_token) * u128::from(tokens)
        + u128::from(kv.window_elements_per_token) * u128::from(windowed_tokens);
    let kv_cache = (u128::from(batch) * elements * bits).div_ceil(8);
    let base = u128::from(weight_bytes) + kv_cache;
    let overhead = base.div_ceil(u128::from(OVERHEAD_DIVISOR)) + u128::from(OVERHEAD_FIXED_BYTES);
    let clamp = |n: u128| u64::try_from(n).unwrap_or(u64::MAX);
    MemoryNeed {
        weights: weight_bytes,
        kv_cache: clamp(kv_cache),
        overhead: clamp(overhead),
        total: clamp(base + overhead),
        tokens,
        batch,
    }
}

/// The tokens a lookup counts for a model: its context length, capped by `at_context`
/// when given; `at_context` alone when the context length is unknown.
pub fn tokens_at(context_length: Option<u64>, at_context: Option<u64>) -> Option<u64> {
    match (context_length, at_context) {
        (Some(c), Some(a)) => Some(c.min(a)),
        (c, a) => c.or(a),
    }
}

/// Parses a byte size: a number with an optional unit, `B`, `KB`/`MB`/`GB`/`TB` (powers
/// of 1000) or `KiB`/`MiB`/`GiB`/`TiB` (powers of 1024), any case: `24GiB`, `80GB`,
/// `1.5TiB`, `25769803776`.
pub fn parse_byte_size(s: &str) -> Result<u64, String> {
    let s = s.trim();
    let split = s.find(|c: char| !(c.is_ascii_digit() || c == '.')).unwrap_or(s.len());
    let (number, unit) = s.split_at(split);
    let multiplier: u64 = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 1,
        "kb" => 1_000,
        "mb" => 1_000_000,
        "gb" => 1_000_000_000,
        "tb" => 1_000_000_000_000,
        "kib" => 1 << 10,
        "mib" => 1 << 20,
        "gib" => 1 << 30,
        "tib" => 1 << 40,
        other => return Err(format!("unknown unit '{other}' (use B, KB, MB, GB, TB, KiB, MiB, GiB or TiB)")),
    };
    let value: f64 = number.parse().map_err(|_| format!("'{s}' is not a byte size such as 24GiB"))?;
    let bytes = value * multiplier as f64;
    if !(1.0..9.0e18).contains(&bytes) {
        return Err(format!("'{s}' is not a byte size between 1 B and 8 EB"));
    }
    Ok(bytes.round() as u64)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Llama-3-8B: 32 layers, 8 KV heads of 128, bf16: 2 x 32 x 8 x 128 = 65,536 elements,
    /// 131,072 bytes per token.
    fn llama3_8b() -> KvCacheShape {
        KvCacheShape {
            full_elements_per_token: 65_536,
            window_elements_per_token: 0,
            window: None,
            bits_per_element: 16,
            bytes_per_token: 131_072,
        }
    }

    #[test]
    fn memory_need_adds_weights_cache_and_overhead() {
        // 16,060,522,496 bytes of bf16 weights; 8,192 tokens x 131,072 = 1 GiB of cache.
        let need = memory_need(16_060_522_496, &llama3_8b(), 8192, 1, None);
        assert_eq!(need.kv_cache, 1_073_741_824);
        let base = 16_060_522_496u64 + 1_073_741_824;
        assert_eq!(need.overhead, base.div_ceil(10) + 536_870_912);
        assert_eq!(need.total, 17_134_264_320 + 1_713_426_432 + 536_870_912);
    }

    #[test]
    fn batch_and_kv_precision_scale_the_cache() {
        let need = memory_need(0, &llama3_8b(), 1000, 4, Some(8));
        assert_eq!(need.kv_cache, 4 * 1000 * 65_536);
    }

    #[test]
    fn a_sliding_window_caps_the_cached_tokens_of_its_layers() {
        let kv = KvCacheShape { window: Some(4096), window_elements_per_token: 100, ..llama3_8b() };
        let need = memory_need(0, &kv, 32_768, 1, None);
        assert_eq!(need.kv_cache, (65_536 * 32_768 + 100 * 4096) * 2);
    }

    #[test]
    fn tokens_default_to_the_context_length_capped_by_at_context() {
        assert_eq!(tokens_at(Some(8192), None), Some(8192));
        assert_eq!(tokens_at(Some(8192), Some(4096)), Some(4096));
        assert_eq!(tokens_at(Some(2048), Some(4096)), Some(2048));
        assert_eq!(tokens_at(None, Some(4096)), Some(4096));
        assert_eq!(tokens_at(None, None), None);
    }

    #[test]
    fn byte_sizes_parse_with_decimal_and_binary_units() {
        assert_eq!(parse_byte_size("24GiB"), Ok(24 << 30));
        assert_eq!(parse_byte_size("80 GB"), Ok(80_000_000_000));
        assert_eq!(parse_byte_size("1.5TiB"), Ok(3 << 39));
        assert_eq!(parse_byte_size("1024"), Ok(1024));
        for bad in ["", "GiB", "24 parsecs", "-1GiB", "0", "1e3"] {
            assert!(parse_byte_size(bad).is_err(), "{bad}");
        }
    }
}
