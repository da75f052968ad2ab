//! SQLite side of the operations concern: pool sampling, and statistics for tables that have
//! no row in `sqlite_stat1` (or no `sqlite_stat1` at all), analysed with a bounded
//! `analysis_limit`.

use std::time::Instant;

use async_trait::async_trait;
use sqlx::AssertSqlSafe;

use super::{AnalysedTable, MAX_TABLES_PER_PASS, OpsSample, OpsStore, SQLITE_ANALYSIS_LIMIT, quote_ident};
use crate::store::StoreError;
use crate::store::convert::db_err;
use crate::store::sqlite::SqliteStore;

#[async_trait]
impl OpsStore for SqliteStore {
    async fn ops_sample(&self) -> Result<OpsSample, StoreError> {
        super::sample_pool(&self.pool).await
    }

    async fn ensure_statistics(&self) -> Result<Vec<AnalysedTable>, StoreError> {
        let mut conn = self.pool.acquire().await.map_err(db_err)?;
        let has_stat1: bool =
            sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM sqlite_master WHERE name = 'sqlite_stat1')")
                .fetch_one(&mut *conn)
                .await
                .map_err(db_err)?;
        let without_stats = if has_stat1 {
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' \
             AND sql NOT LIKE 'CREATE VIRTUAL%' \
             AND name NOT IN (SELECT tbl FROM sqlite_stat1) ORDER BY name"
        } else {
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' \
             AND sql NOT LIKE 'CREATE VIRTUAL%' ORDER BY name"
        };
        let tables: Vec<String> =
            sqlx::query_scalar(without_stats).fetch_all(&mut *conn).await.map_err(db_err)?;
        sqlx::query(AssertSqlSafe(format!("PRAGMA analysis_limit = {SQLITE_ANALYSIS_LIMIT}")))
            .execute(&mut *conn)
            .await
            .map_err(db_err)?;
        let mut analysed = Vec::new();
        for table in tables.into_iter().take(MAX_TABLES_PER_PASS) {
            let quoted = quote_ident(&table);
            let has_rows: bool =
                sqlx::query_scalar(AssertSqlSafe(format!("SELECT EXISTS (SELECT 1 FROM {quoted})")))
                    .fetch_one(&mut *conn)
                    .await
                    .map_err(db_err)?;
            if !has_rows {
                continue;
            }
            let start = Instant::now();
            sqlx::query(AssertSqlSafe(format!("ANALYZE {quoted}")))
                .execute(&mut *conn)
                .await
                .map_err(db_err)?;
            analysed.push(AnalysedTable { table, duration: start.elapsed() });
        }
        // The connection goes back to the pool: reset the limit the others do not expect.
        sqlx::query("PRAGMA analysis_limit = 0").execute(&mut *conn).await.map_err(db_err)?;
        Ok(analysed)
    }
}
