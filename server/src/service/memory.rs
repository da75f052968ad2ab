//! Memory facts of a version: the weights' bytes and the KV-cache shape, computed from
//! what the files say (`facts::AttentionShape`, tensor bytes) or, for the weights, from the
//! declared parameter count and precision; and [`memory_need`], the estimate the lookup's
//! `fits_memory` and `choose` explain. Pure functions; no I/O.

use modelreg_api::{DerivedField, Fact, FactSource, Facts, KvCacheShape, MemoryNeed, Metadata, Precision};
use serde_json::json;

use super::derive::{Derived, DerivedFacts};
use crate::facts::AttentionShape;

/// The memory needed to run a model whose weights take `weight_bytes`, with the KV cache
/// `kv` at `tokens` tokens per sequence, `batch` sequences and `kv_bits` bits per cached
/// element (default: the stored precision), including the overhead: see
/// [`modelreg_api::memory_need`] for the formula. This is what `choose` reports as the parts
/// of a memory need.
pub fn memory_need(
    weight_bytes: u64,
    kv: &KvCacheShape,
    tokens: u64,
    batch: u64,
    kv_bits: Option<u64>,
) -> MemoryNeed {
    modelreg_api::memory_need(weight_bytes, kv, tokens, batch, kv_bits)
}

/// The KV-cache shape of an attention shape with elements of `bits` bits: per layer
/// `kv_heads x (key_dim + value_dim)` elements per token, where `kv_heads` defaults to the
/// query heads (multi-head attention), `key_dim` to `hidden_size / heads` and `value_dim` to
/// `key_dim`. `None` when the layers or the head width cannot be told.
pub fn kv_cache_shape(a: &AttentionShape, bits: u64) -> Option<KvCacheShape> {
    let layers = a.layers.filter(|&n| n > 0)?;
    let kv_heads = a.kv_heads.or(a.heads).filter(|&n| n > 0)?;
    let key_dim = a.key_dim.or_else(|| {
        let heads = a.heads.filter(|&n| n > 0)?;
        let hidden = a.hidden_size?;
        (hidden % heads == 0).then(|| hidden / heads)
    })?;
    let value_dim = a.value_dim.unwrap_or(key_dim);
    let per_layer = kv_heads.checked_mul(key_dim.checked_add(value_dim)?)?;
    let window_layers = a.sliding_window.and(a.window_layers).unwrap_or(0).min(layers);
    let full = (layers - window_layers).checked_mul(per_layer)?;
    let windowed = window_layers.checked_mul(per_layer)?;
    let bytes_per_token =
        u64::try_from((u128::from(full) + u128::from(windowed)) * u128::from(bits) / 8).ok()?;
    Some(KvCacheShape {
        full_elements_per_token: full,
        window_elements_per_token: windowed,
        window: a.sliding_window.filter(|_| window_layers > 0),
        bits_per_element: bits,
        bytes_per_token,
    })
}

/// Bits per element of a stored precision, for weights or cache; `None` for `mixed` and
/// `tf32` (stored as fp32: 32).
pub fn precision_bits(p: Precision) -> Option<u64> {
    Some(match p {
        Precision::Fp64 => 64,
        Precision::Fp32 | Precision::Tf32 => 32,
        Precision::Fp16 | Precision::Bf16 => 16,
        Precision::Fp8 | Precision::Int8 | Precision::Uint8 => 8,
        Precision::Fp4 | Precision::Nf4 | Precision::Int4 => 4,
        Precision::Int2 => 2,
        Precision::Mixed => return None,
    })
}

/// Adds `weight_bytes` and `kv_cache` to `facts`. Weights: derived from the files when they
/// tell; else declared parameters x bits of the effective precision / 8 (source `declared`,
/// since it rests on declared values). The cache: derived from the files only.
pub(super) fn add_memory_facts(metadata: &Metadata, derived: &DerivedFacts, facts: &mut Facts) {
    let from_files = |d: &Derived<serde_json::Value>| Fact {
        value: d.value.clone(),
        source: FactSource::Derived,
        derived: None,
        file: Some(d.file.clone()),
    };
    let weights = derived.weight_bytes.as_ref().map(|d| from_files(&d.map_json())).or_else(|| {
        let parameters = metadata.parameters?.get();
        let precision = facts
            .get(&DerivedField::Precision)
            .and_then(|f| serde_json::from_value::<Precision>(f.value.clone()).ok())
            .or(metadata.precision)?;
        let bytes = u128::from(parameters) * u128::from(precision_bits(precision)?) / 8;
        Some(Fact {
            value: json!(u64::try_from(bytes).ok()?),
            source: FactSource::Declared,
            derived: None,
            file: None,
        })
    });
    if let Some(fact) = weights {
        facts.insert(DerivedField::WeightBytes, fact);
    }
    if let Some(kv) = &derived.kv_cache {
        facts.insert(DerivedField::KvCache, from_files(&kv.map_json()));
    }
}

impl<T: serde::Serialize> Derived<T> {
    fn map_json(&self) -> Derived<serde_json::Value> {
        Derived { value: json!(self.value), file: self.file.clone(), files: self.files }
    }
}

#[cfg(test)]
mod tests;
