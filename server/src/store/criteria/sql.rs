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

/// The rows PostgreSQL expects a statement to return, from the first line of its text
/// `EXPLAIN` (`Limit  (cost=0.28..2389.23 rows=1331 width=52)`).
pub(in crate::store) fn estimated_rows(plan: &str) -> Option<u64> {
    let rest = &plan[plan.find(" rows=")? + " rows=".len()..];
    rest[..rest.find(|c: char| !c.is_ascii_digit()).unwrap_or(rest.len())].parse().ok()
}

macro_rules! impl_criteria_store {
    ($store:ty, $db:ty, $dialect:expr) => {
        // A const block scopes the imports to this expansion.
        const _: () = {
            use std::collections::HashMap;

            use modelreg_api::{EvalKey, LanguageTag, LookupQuery, SortKey};
            use $crate::store::catalog::term_stats::TermShareSource;
            use $crate::store::convert::db_err;
            use $crate::store::criteria::sql::{
                CHUNK, EvalRow, LatencyRow, MemoryRow, estimated_rows, eval_query, latency_query,
                memory_query,
            };
            use $crate::store::criteria::{CriteriaStore, VersionMemory};
            use $crate::store::dialect::Dialect;
            use $crate::store::{LookupHit, StoreError, TaggedVersion};

            #[async_trait::async_trait]
            impl CriteriaStore for $store {
                async fn tagged_versions(
                    &self,
                    base: &LookupQuery,
                    constraints: &[LookupQuery],
                    sort: SortKey,
                    cap: usize,
                ) -> Result<Option<Vec<TaggedVersion>>, StoreError> {
                    let applies = 2..=$crate::store::MAX_TAGGED_CONSTRAINTS;
                    let Some(column) = $crate::store::lookup::tagged_sort_column(sort)
                        .filter(|_| applies.contains(&constraints.len()))
                    else {
                        return Ok(None);
                    };
                    // PostgreSQL's lookups walk only the candidate models of their terms, and
                    // a bucketed sort key's first buckets: once every constraint has terms they
                    // answered a choice about twice as fast as this scan at 100,000 versions
                    // (docs/benchmarks.md, issue 16), and the scan passes the cap at a million.
                    if $dialect == Dialect::Postgres
                        && constraints.iter().all(|c| !$crate::store::lookup::candidate_groups(c).is_empty())
                    {
                        return Ok(None);
                    }
                    let limit = i64::try_from(cap).unwrap_or(i64::MAX - 1) + 1;
                    // SQLite's exact term counts first: a scan expected to pass the cap is not
                    // started, and one that is reads only the versions of two constraints'
                    // rarest filters.
                    let mut driver = None;
                    if $dialect == Dialect::Sqlite {
                        let groups: Vec<Vec<String>> =
                            constraints.iter().flat_map($crate::store::lookup::candidate_groups).collect();
                        if let Some(shares) = self.term_shares(&groups).await? {
                            let plan = $crate::store::lookup::plan_tagged(constraints, &shares);
                            let versions = self.registry_size().await?.versions;
                            if plan.share * versions as f64 > cap as f64 {
                                return Ok(None);
                            }
                            driver = plan.driver;
                        }
                    }
                    let tagged = |explain| {
                        $crate::store::lookup::build_tagged::<$db>(
                            explain,
                            base,
                            constraints,
                            column,
                            limit,
                            $dialect,
                            driver.as_deref(),
                        )
                    };
                    // PostgreSQL's estimate first (a plan, no rows read): a scan it expects to
                    // pass the cap is not started, so that a broad choice does not read `cap`
                    // versions before its lookup answers anyway.
                    if $dialect == Dialect::Postgres {
                        let plan: String =
                            tagged(true).build_query_scalar().fetch_one(&self.pool).await.map_err(db_err)?;
                        if estimated_rows(&plan).is_none_or(|rows| rows > cap as u64) {
                            return Ok(None);
                        }
                    }
                    // Not a prepared statement kept for reuse: after five runs PostgreSQL may
                    // switch it to a generic plan, which knows no bound value and scans every
                    // version; an unnamed one is planned for the values it runs with.
                    let packed: Option<String> = tagged(false)
                        .build_query_scalar()
                        .persistent(false)
                        .fetch_one(&self.pool)
                        .await
                        .map_err(db_err)?;
                    let versions =
                        $crate::store::lookup::unpack(packed.as_deref()).map_err(StoreError::Corrupt)?;
                    Ok((versions.len() <= cap).then_some(versions))
                }

                async fn lookup_rows(
                    &self,
                    q: &LookupQuery,
                    version_ids: &[i64],
                ) -> Result<Vec<LookupHit>, StoreError> {
                    let mut out = Vec::with_capacity(version_ids.len());
                    for chunk in version_ids.chunks(CHUNK) {
                        let rows: Vec<LookupHit> = $crate::store::lookup::build_rows::<$db>(q, chunk)
                            .build_query_as()
                            .fetch_all(&self.pool)
                            .await
                            .map_err(db_err)?;
                        out.extend(rows);
                    }
                    Ok(out)
                }

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

#[cfg(test)]
mod tests {
    use super::estimated_rows;

    #[test]
    fn the_estimate_is_read_from_the_plans_first_line() {
        assert_eq!(estimated_rows("Limit  (cost=842.13..3319.14 rows=10001 width=52)"), Some(10001));
        assert_eq!(estimated_rows("Hash Join  (cost=0.28..2389.23 rows=1 width=52)"), Some(1));
        assert_eq!(estimated_rows("Result  (cost=0.00..0.01 width=4)"), None);
    }
}
