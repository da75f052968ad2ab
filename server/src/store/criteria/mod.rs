//! What a choice reads beyond the lookup: its single scan (every version meeting all of its
//! constraints but at most one, tagged with those it meets) and the lookup rows of the
//! versions it keeps; and per-version values of ranking criteria that the lookup row does
//! not carry (the stated latency on one hardware, the memory facts, the best value on one
//! evaluation), read for a bounded set of version ids. Facts only; which versions win, the
//! ranking and its normalisation, and the memory estimate's arithmetic, are the service's
//! (`service::choose`).

pub(super) mod sql;

use std::collections::HashMap;

use async_trait::async_trait;
use modelreg_api::{EvalKey, KvCacheShape, LanguageTag, LookupQuery, SortKey};

use super::{LookupHit, StoreError, TaggedVersion};

/// A version's memory facts as the lookup's `fits_memory` reads them (`version_memory`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct VersionMemory {
    pub weight_bytes: u64,
    /// Absent when the files gave no attention shape.
    pub kv: Option<KvCacheShape>,
}

#[async_trait]
pub trait CriteriaStore: Send + Sync + 'static {
    /// The versions (not pre-releases, of a model visible to `base` and not deleted) that
    /// match `base`'s filters and all of `constraints` (each a lookup of one constraint)
    /// but at most one, in no order, tagged with those they meet, with `sort`'s key. `None`
    /// when more than `cap` versions do (or PostgreSQL expects so: then none is read), when
    /// there are fewer than 2 or more than
    /// [`MAX_TAGGED_CONSTRAINTS`](super::MAX_TAGGED_CONSTRAINTS) constraints, or when `sort`
    /// orders by a key the scan cannot carry (a model's, or one computed per row).
    async fn tagged_versions(
        &self,
        base: &LookupQuery,
        constraints: &[LookupQuery],
        sort: SortKey,
        cap: usize,
    ) -> Result<Option<Vec<TaggedVersion>>, StoreError>;

    /// The lookup rows of `version_ids` (in no order; a version gone meanwhile is absent),
    /// carrying `q`'s evaluation value.
    async fn lookup_rows(&self, q: &LookupQuery, version_ids: &[i64]) -> Result<Vec<LookupHit>, StoreError>;

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
