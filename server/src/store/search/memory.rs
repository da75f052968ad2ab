//! A version's memory row (`version_memory`, migration 0010): the weight bytes and KV-cache
//! shape from its facts, as the lookup's `fits_memory` reads them. Building the row and its
//! INSERT; the filter itself is `lookup::memory`.

use modelreg_api::{DerivedField, Facts, KvCacheShape};
use sqlx::{Database, Encode, QueryBuilder, Type};

/// The `version_memory` columns of one version.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MemoryRow {
    pub weight_bytes: i64,
    pub kv: Option<KvColumns>,
}

/// The KV-cache columns; all set or none.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KvColumns {
    pub full_elements: i64,
    pub window_elements: i64,
    pub window: Option<i64>,
    pub bits: i64,
}

impl MemoryRow {
    /// The row of a version with these facts; `None` without `weight_bytes`.
    pub fn from_facts(facts: &Facts) -> Option<Self> {
        let weight_bytes = facts.get(&DerivedField::WeightBytes)?.value.as_u64()?;
        let kv = facts
            .get(&DerivedField::KvCache)
            .and_then(|f| serde_json::from_value::<KvCacheShape>(f.value.clone()).ok())
            .and_then(|k| {
                Some(KvColumns {
                    full_elements: i64::try_from(k.full_elements_per_token).ok()?,
                    window_elements: i64::try_from(k.window_elements_per_token).ok()?,
                    window: k.window.map(i64::try_from).transpose().ok()?,
                    bits: i64::try_from(k.bits_per_element).ok()?,
                })
            });
        Some(Self { weight_bytes: i64::try_from(weight_bytes).ok()?, kv })
    }

    pub(in crate::store) fn insert<DB>(&self, version_id: i64) -> QueryBuilder<DB>
    where
        DB: Database,
        for<'t> i64: Encode<'t, DB> + Type<DB>,
        for<'t> Option<i64>: Encode<'t, DB> + Type<DB>,
    {
        let mut qb = QueryBuilder::<DB>::new(
            "INSERT INTO version_memory (version_id, weight_bytes, kv_full_elements, kv_window_elements, \
             kv_window, kv_bits) ",
        );
        let kv = self.kv;
        qb.push_values([()], |mut b, ()| {
            b.push_bind(version_id)
                .push_bind(self.weight_bytes)
                .push_bind(kv.map(|k| k.full_elements))
                .push_bind(kv.map(|k| k.window_elements))
                .push_bind(kv.and_then(|k| k.window))
                .push_bind(kv.map(|k| k.bits));
        });
        qb
    }
}
