//! PostgreSQL side of the operations concern: pool sampling, and statistics for tables that
//! `pg_stat_user_tables` shows never analysed (neither by hand nor by autovacuum).

use std::time::Instant;

use async_trait::async_trait;
use sqlx::AssertSqlSafe;

use super::{ANALYZE_TIMEOUT, AnalysedTable, MAX_TABLES_PER_PASS, OpsSample, OpsStore, quote_ident};
use crate::store::StoreError;
use crate::store::convert::db_err;
use crate::store::postgres::PostgresStore;

#[async_trait]
impl OpsStore for PostgresStore {
    async fn ops_sample(&self) -> Result<OpsSample, StoreError> {
        super::sample_pool(&self.pool).await
    }

    async fn ensure_statistics(&self) -> Result<Vec<AnalysedTable>, StoreError> {
        // n_live_tup is not asked: it lags the statistics collector's flush and is reset by
        // a crash, so whether a table has rows is checked on the table itself.
        let never: Vec<String> = sqlx::query_scalar(
            "SELECT relname::text FROM pg_stat_user_tables \
             WHERE schemaname = current_schema() AND last_analyze IS NULL AND last_autoanalyze IS NULL \
             ORDER BY relname",
        )
        .fetch_all(&self.pool)
        .await
        .map_err(db_err)?;
        let mut analysed = Vec::new();
        for table in never.into_iter().take(MAX_TABLES_PER_PASS) {
            let quoted = quote_ident(&table);
            let has_rows: bool =
                sqlx::query_scalar(AssertSqlSafe(format!("SELECT EXISTS (SELECT 1 FROM {quoted})")))
                    .fetch_one(&self.pool)
                    .await
                    .map_err(db_err)?;
            if !has_rows {
                continue;
            }
            let start = Instant::now();
            // ANALYZE samples a bounded number of rows; the timeout bounds a blocked lock.
            let mut tx = self.pool.begin().await.map_err(db_err)?;
            sqlx::query(AssertSqlSafe(format!(
                "SET LOCAL statement_timeout = {}",
                ANALYZE_TIMEOUT.as_millis()
            )))
            .execute(&mut *tx)
            .await
            .map_err(db_err)?;
            sqlx::query(AssertSqlSafe(format!("ANALYZE {quoted}")))
                .execute(&mut *tx)
                .await
                .map_err(db_err)?;
            tx.commit().await.map_err(db_err)?;
            analysed.push(AnalysedTable { table, duration: start.elapsed() });
        }
        Ok(analysed)
    }
}
