//! The criteria reads' SQL, written once for both dialects and instantiated for each by
//! `impl_sql_stores!` (`dialect`). Reads only.

use sqlx::{Database, Encode, QueryBuilder, Type};

/// Version ids per query: far below both dialects' limits on bound parameters.
pub(in crate::store) const CHUNK: usize = 500;

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
    qb.push_bind(hardware.to_owned()).push(" AND version_id IN (");
    let mut list = qb.separated(", ");
    for id in ids {
        list.push_bind(*id);
    }
    qb.push(") GROUP BY version_id");
    qb
}

#[derive(sqlx::FromRow)]
pub(in crate::store) struct LatencyRow {
    pub version_id: i64,
    pub p50_ms: f64,
}

macro_rules! impl_criteria_store {
    ($store:ty, $db:ty, $dialect:expr) => {
        // A const block scopes the imports to this expansion.
        const _: () = {
            use std::collections::HashMap;

            use $crate::store::StoreError;
            use $crate::store::convert::db_err;
            use $crate::store::criteria::CriteriaStore;
            use $crate::store::criteria::sql::{CHUNK, LatencyRow, latency_query};

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
            }
        };
    };
}

pub(in crate::store) use impl_criteria_store;
