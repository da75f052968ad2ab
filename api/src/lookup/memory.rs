//! The memory filter of the lookup: `fits_memory=<bytes or 24GiB>` with `at_context`,
//! `batch` and `kv_precision` (issue 14 part 1). Parsed and written back here, apart from
//! the other filters; the formula is `crate::memory_need`.

use super::{LookupError, bad, once, parse};
use crate::{MAX_BATCH, MAX_CONTEXT_TOKENS, kv_precision_bits, parse_byte_size};

/// `fits_memory` and its modifiers. A version matches when weights + KV cache x tokens x
/// batch + overhead is at most `budget_bytes`, tokens being its context length capped by
/// `at_context`; versions whose memory cannot be determined do not match.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MemoryFilter {
    /// The budget in bytes; the modifiers need it.
    pub budget_bytes: Option<u64>,
    /// Tokens per sequence (caps the model's context length).
    pub at_context: Option<u64>,
    /// Sequences held at once (default 1).
    pub batch: Option<u64>,
    /// The KV-cache precision name (`fp16`, `fp8`, `int8`, `q4_0`, ...), lower-case.
    pub kv_precision: Option<String>,
}

/// The parameter names, for the query parser's dispatch.
pub const MEMORY_PARAMS: [&str; 4] = ["fits_memory", "at_context", "batch", "kv_precision"];

impl MemoryFilter {
    /// Bits per cached element asked for, if any.
    pub fn kv_bits(&self) -> Option<u64> {
        self.kv_precision.as_deref().and_then(kv_precision_bits)
    }

    /// The batch, 1 unless given.
    pub fn batch_or_default(&self) -> u64 {
        self.batch.unwrap_or(1)
    }

    pub(super) fn parse(&mut self, key: &str, value: &str) -> Result<(), LookupError> {
        match key {
            "fits_memory" => {
                once(&mut self.budget_bytes, key, parse_byte_size(value).map_err(|e| bad(key, e))?)
            }
            "at_context" => {
                let n: u64 = parse(key, value)?;
                if !(1..=MAX_CONTEXT_TOKENS).contains(&n) {
                    return Err(bad(key, format!("must be between 1 and {}", MAX_CONTEXT_TOKENS)));
                }
                once(&mut self.at_context, key, n)
            }
            "batch" => {
                let n: u64 = parse(key, value)?;
                if !(1..=MAX_BATCH).contains(&n) {
                    return Err(bad(key, format!("must be between 1 and {MAX_BATCH}")));
                }
                once(&mut self.batch, key, n)
            }
            "kv_precision" => {
                let name = value.trim().to_ascii_lowercase();
                if kv_precision_bits(&name).is_none() {
                    return Err(bad(key, "expected one of fp32, fp16, bf16, fp8, int8, q8_0, int4, q4_0"));
                }
                once(&mut self.kv_precision, key, name)
            }
            other => Err(bad(other, "unknown parameter")),
        }
    }

    /// Refuses modifiers without a budget.
    pub(super) fn check(&self) -> Result<(), LookupError> {
        if self.budget_bytes.is_none() {
            for (name, given) in [
                ("at_context", self.at_context.is_some()),
                ("batch", self.batch.is_some()),
                ("kv_precision", self.kv_precision.is_some()),
            ] {
                if given {
                    return Err(bad(name, "needs fits_memory"));
                }
            }
        }
        Ok(())
    }

    pub(super) fn pairs(&self) -> Vec<(&'static str, String)> {
        let mut out = Vec::new();
        let numbers =
            [("fits_memory", self.budget_bytes), ("at_context", self.at_context), ("batch", self.batch)];
        for (k, v) in numbers {
            if let Some(v) = v {
                out.push((k, v.to_string()));
            }
        }
        if let Some(v) = &self.kv_precision {
            out.push(("kv_precision", v.clone()));
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use crate::LookupQuery;

    fn parse(s: &str) -> Result<LookupQuery, crate::LookupError> {
        LookupQuery::from_pairs(s.split('&').map(|p| p.split_once('=').unwrap()))
    }

    #[test]
    fn the_memory_filter_round_trips_through_pairs_in_bytes() {
        let q = parse("fits_memory=24GiB&at_context=8192&batch=2&kv_precision=FP8").unwrap();
        assert_eq!(q.memory.budget_bytes, Some(24 << 30));
        assert_eq!((q.memory.kv_bits(), q.memory.batch_or_default()), (Some(8), 2));
        let pairs = q.to_pairs();
        let back = LookupQuery::from_pairs(pairs.iter().map(|(k, v)| (*k, v.as_str()))).unwrap();
        assert_eq!(back, q);
        assert_eq!(
            pairs,
            [
                ("fits_memory", "25769803776".to_owned()),
                ("at_context", "8192".to_owned()),
                ("batch", "2".to_owned()),
                ("kv_precision", "fp8".to_owned())
            ]
        );
    }

    #[test]
    fn modifiers_without_a_budget_and_bad_values_name_their_parameter() {
        for (query, param) in [
            ("at_context=10", "at_context"),
            ("kv_precision=fp8", "kv_precision"),
            ("fits_memory=1GiB&batch=5000", "batch"),
            ("fits_memory=1GiB&at_context=100000001", "at_context"),
            ("fits_memory=much", "fits_memory"),
            ("fits_memory=1GiB&kv_precision=fp7", "kv_precision"),
        ] {
            assert_eq!(parse(query).unwrap_err().param, param, "{query}");
        }
    }
}
