//! The card's memory estimate (issue 14 part 1): weights, KV cache at the model's context
//! length, overhead and total, each part with where it came from; "unknown" with the
//! reason when the registry could not tell. The arithmetic is `modelreg_api::memory_need`,
//! the same the lookup's `fits_memory` applies.

use modelreg_api::{
    DerivedField, KvCacheShape, OVERHEAD_DIVISOR, OVERHEAD_FIXED_BYTES, VersionManifest, memory_need,
};

use super::Lines;
use super::about::provenance;
use crate::output::human_size;
use crate::quantity::grouped;

/// `memory` and its parts, at batch 1 and the stored precision.
pub(super) fn memory(out: &mut Lines, m: &VersionManifest) {
    let weights = m.facts.get(&DerivedField::WeightBytes);
    let kv_fact = m.facts.get(&DerivedField::KvCache);
    let kv: Option<KvCacheShape> = kv_fact.and_then(|f| serde_json::from_value(f.value.clone()).ok());
    let context = m
        .facts
        .get(&DerivedField::ContextLength)
        .and_then(|f| f.value.as_u64())
        .or(m.metadata.context_length.map(|n| n.get()));
    let Some(weight_bytes) = weights.and_then(|w| w.value.as_u64()) else {
        out.field(
            "memory",
            "unknown (the files do not tell the weights' size, nor do declared parameters and precision)",
        );
        return;
    };
    let weights_line = format!(
        "{} {}",
        human_size(weight_bytes),
        weights.map(|w| provenance(DerivedField::WeightBytes, w)).unwrap_or_default()
    );
    let (Some(kv), Some(tokens)) = (kv, context) else {
        let why = if kv.is_none() { "no KV-cache shape in the files" } else { "no context length" };
        out.field("memory", format!("unknown ({why})"));
        out.field("  weights", weights_line);
        if let Some(kv) = kv {
            out.field("  kv cache", per_token(&kv, kv_fact.map(|f| provenance(DerivedField::KvCache, f))));
        }
        return;
    };
    let need = memory_need(weight_bytes, &kv, tokens, 1, None);
    out.field("memory", format!("{} at {} tokens, batch 1", human_size(need.total), grouped(tokens)));
    out.field("  weights", weights_line);
    out.field(
        "  kv cache",
        format!(
            "{}, {}",
            human_size(need.kv_cache),
            per_token(&kv, kv_fact.map(|f| provenance(DerivedField::KvCache, f)))
        ),
    );
    out.field(
        "  overhead",
        format!(
            "{} ({}% + {})",
            human_size(need.overhead),
            100 / OVERHEAD_DIVISOR,
            human_size(OVERHEAD_FIXED_BYTES)
        ),
    );
}

fn per_token(kv: &KvCacheShape, source: Option<String>) -> String {
    let mut s = format!("{} per token", human_size(kv.bytes_per_token));
    if let Some(window) = kv.window {
        s.push_str(&format!(", window {} tokens", grouped(window)));
    }
    if let Some(source) = source {
        s.push(' ');
        s.push_str(&source);
    }
    s
}
