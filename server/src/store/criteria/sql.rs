//! The criteria reads' SQL, written once for both dialects and instantiated for each by
//! `impl_sql_stores!` (`dialect`). Reads only.

use modelreg_api::{Direction, EvalKey, KvCacheShape, LanguageTag};
use sqlx::{Database, Encode, QueryBuilder, Type};

use super::VersionMemory;

/// Version ids per query: far below both dialects' limits on bound parameters.
pub(in crate::store) const CHUNK: usize = 500;

fn push_ids<DB>(qb: &mut QueryBuilder<DB>, ids: &[i64])
where
    DB: Database,
    for<'t> i64: Encode<'t, DB> + Type<DB>,
{
    qb.push("version_id IN (");
    let mut list = qb.separated(", ");
    for id in ids {
        list.push_bind(*id);
    }
    qb.push(")");
}

/// `(version_id, p50_ms)`: the lowest p50 on `hardware` of each of `ids` that has one.
pub(in crate::store) fn latency_query<DB>(ids: &[i64], hardware: &str) -> QueryBuilder<DB>
where
    DB: Database,
    for<'t> String: Encode<'t, DB> + Type<DB>,
    for<'t> i64: Encode<'t, DB> + Type<DB>,
{
    let mut qb = QueryBuilder::<DB>::new(
        "SELECT version_id, MIN(p50_ms) AS p50_ms FROM version_latency WHERE hardware = ",
    );
    qb.push_bind(hardware.to_owned()).push(" AND ");
    push_ids(&mut qb, ids);
    qb.push(" GROUP BY version_id");
    qb
}

#[derive(sqlx::FromRow)]
pub(in crate::store) struct LatencyRow {
    pub version_id: i64,
    pub p50_ms: f64,
}

/// The `version_memory` rows of `ids`.
pub(in crate::store) fn memory_query<DB>(ids: &[i64]) -> QueryBuilder<DB>
where
    DB: Database,
    for<'t> i64: Encode<'t, DB> + Type<DB>,
{
    let mut qb = QueryBuilder::<DB>::new(
        "SELECT version_id, weight_bytes, kv_full_elements, kv_window_elements, kv_window, kv_bits \
         FROM version_memory WHERE ",
    );
    push_ids(&mut qb, ids);
    qb
}

#[derive(sqlx::FromRow)]
pub(in crate::store) struct MemoryRow {
    pub version_id: i64,
    weight_bytes: i64,
    kv_full_elements: Option<i64>,
    kv_window_elements: Option<i64>,
    kv_window: Option<i64>,
    kv_bits: Option<i64>,
}

impl MemoryRow {
    /// The facts, `None` for a row no publish writes (a negative count).
    pub(in crate::store) fn into_memory(self) -> Option<VersionMemory> {
        let count = |n: i64| u64::try_from(n).ok();
        let kv = match (self.kv_full_elements, self.kv_window_elements, self.kv_bits) {
            (Some(full), Some(windowed), Some(bits)) => {
                let (full, windowed, bits) = (count(full)?, count(windowed)?, count(bits)?);
                let bytes = (u128::from(full) + u128::from(windowed)) * u128::from(bits) / 8;
                Some(KvCacheShape {
                    full_elements_per_token: full,
                    window_elements_per_token: windowed,
                    window: match self.kv_window {
                        Some(w) => Some(count(w)?),
                        None => None,
                    },
                    bits_per_element: bits,
                    bytes_per_token: u64::try_from(bytes).ok()?,
                })
            }
            _ => None,
        };
        Some(VersionMemory { weight_bytes: count(self.weight_bytes)?, kv })
    }
}

/// `(version_id, value)`: the best value on `key` of each of `ids` that has one, in
/// `languages` when given.
pub(in crate::store) fn eval_query<DB>(
    ids: &[i64],
    key: &EvalKey,
    languages: &[LanguageTag],
) -> QueryBuilder<DB>
where
    DB: Database,
    for<'t> String: Encode<'t, DB> + Type<DB>,
    for<'t> i64: Encode<'t, DB> + Type<DB>,
{
    let best = match key.direction() {
        Direction::HigherIsBetter => "MAX",
        Direction::LowerIsBetter => "MIN",
    };
    let mut qb = QueryBuilder::<DB>::new(format!(
        "SELECT version_id, {best}(value) AS value FROM version_evaluations WHERE dataset = "
    ));
    qb.push_bind(key.dataset.clone()).push(" AND metric = ").push_bind(key.metric.clone());
    if !languages.is_empty() {
        qb.push(" AND (");
        for (i, tag) in languages.iter().enumerate() {
            if i > 0 {
                qb.push(" OR ");
            }
            // As the lookup's eval_language: `sw` matches sw, sw-KE, ...; `pt-BR` only pt-BR.
            if tag.as_str() == tag.primary() {
                qb.push("primary_language = ").push_bind(tag.primary().to_owned());
            } else {
                qb.push("language = ").push_bind(tag.to_string());
            }
        }
        qb.push(")");
    }
    qb.push(" AND ");
    push_ids(&mut qb, ids);
    qb.push(" GROUP BY version_id");
    qb
}

#[derive(sqlx::FromRow)]
pub(in crate::store) struct EvalRow {
    pub version_id: i64,
    pub value: f64,
}

macro_rules! impl_criteria_store {
    ($store:ty, $db:ty, $dialect:expr) => {
        // A const block scopes the imports to this expansion.
        const _: () = {
            use std::collections::HashMap;

            use modelreg_api::{EvalKey, LanguageTag};
            use $crate::store::StoreError;
            use $crate::store::convert::db_err;
            use $crate::store::criteria::sql::{
                CHUNK, EvalRow, LatencyRow, MemoryRow, eval_query, latency_query, memory_query,
            };
            use $crate::store::criteria::{CriteriaStore, VersionMemory};

            #[async_trait::async_trait]
            impl CriteriaStore for $store {
                async fn latency_on(
                    &self,
                    version_ids: &[i64],
                    hardware: &str,
                ) -> Result<HashMap<i64, f64>, StoreError> {
                    let mut out = HashMap::new();
                    for chunk in version_ids.chunks(CHUNK) {
                        let rows = latency_query::<$db>(chunk, hardware)
                            .build_query_as::<LatencyRow>()
                            .fetch_all(&self.pool)
                            .await
                            .map_err(db_err)?;
                        out.extend(rows.into_iter().map(|r| (r.version_id, r.p50_ms)));
                    }
                    Ok(out)
                }

                async fn memory_of(
                    &self,
                    version_ids: &[i64],
                ) -> Result<HashMap<i64, VersionMemory>, StoreError> {
                    let mut out = HashMap::new();
                    for chunk in version_ids.chunks(CHUNK) {
                        let rows = memory_query::<$db>(chunk)
                            .build_query_as::<MemoryRow>()
                            .fetch_all(&self.pool)
                            .await
                            .map_err(db_err)?;
                        out.extend(rows.into_iter().filter_map(|r| Some((r.version_id, r.into_memory()?))));
                    }
                    Ok(out)
                }

                async fn eval_best(
                    &self,
                    version_ids: &[i64],
                    key: &EvalKey,
                    languages: &[LanguageTag],
                ) -> Result<HashMap<i64, f64>, StoreError> {
                    let mut out = HashMap::new();
                    for chunk in version_ids.chunks(CHUNK) {
                        let rows = eval_query::<$db>(chunk, key, languages)
                            .build_query_as::<EvalRow>()
                            .fetch_all(&self.pool)
                            .await
                            .map_err(db_err)?;
                        out.extend(rows.into_iter().map(|r| (r.version_id, r.value)));
                    }
                    Ok(out)
                }
            }
        };
    };
}

pub(in crate::store) use impl_criteria_store;
