//! Per-version values of ranking criteria that the lookup row does not carry (the stated
//! latency on one hardware, the memory facts, the best value on one evaluation), read for a
//! bounded set of version ids. Facts only; the ranking and its normalisation, and the
//! memory estimate's arithmetic, are the service's (`service::choose`).

pub(super) mod sql;

use std::collections::HashMap;

use async_trait::async_trait;
use modelreg_api::{EvalKey, KvCacheShape, LanguageTag};

use super::StoreError;

/// A version's memory facts as the lookup's `fits_memory` reads them (`version_memory`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct VersionMemory {
    pub weight_bytes: u64,
    /// Absent when the files gave no attention shape.
    pub kv: Option<KvCacheShape>,
}

#[async_trait]
pub trait CriteriaStore: Send + Sync + 'static {
    /// The lowest stated p50 latency (ms) on `hardware` (lower-case, as stored) of each of
    /// `version_ids` that states one; the others are absent from the map.
    async fn latency_on(&self, version_ids: &[i64], hardware: &str) -> Result<HashMap<i64, f64>, StoreError>;

    /// The memory facts of each of `version_ids` that has a memory row (weights known).
    async fn memory_of(&self, version_ids: &[i64]) -> Result<HashMap<i64, VersionMemory>, StoreError>;

    /// The best value (by `key`'s metric direction) on `key` of each of `version_ids` that
    /// has one, counting only evaluations in `languages` when any is given (as the lookup's
    /// `eval_language`: a primary tag matches its regions).
    async fn eval_best(
        &self,
        version_ids: &[i64],
        key: &EvalKey,
        languages: &[LanguageTag],
    ) -> Result<HashMap<i64, f64>, StoreError>;
}
