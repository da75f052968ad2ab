//! Operations on the database itself rather than on registry data: what a metrics scrape
//! samples (the connection pool, open upload sessions) and planner statistics (tables that
//! have rows but were never analysed get analysed at start, see `statistics`). No registry
//! rules here; each dialect's SQL sits in its own file because little of it is shared.

mod postgres;
mod sqlite;

use std::time::Duration;

use async_trait::async_trait;

use super::StoreError;

/// Upper bound on the tables one statistics pass analyses: the schema has a few dozen, and
/// a start-up must never turn into an unbounded maintenance run.
const MAX_TABLES_PER_PASS: usize = 100;
/// Longest one `ANALYZE` may run before it is cancelled and start-up goes on without it.
const ANALYZE_TIMEOUT: Duration = Duration::from_secs(120);
/// Rows SQLite's `ANALYZE` examines per index (`PRAGMA analysis_limit`): approximate
/// statistics in bounded time on any size of table.
const SQLITE_ANALYSIS_LIMIT: u32 = 1000;

/// What a metrics scrape samples from the database.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OpsSample {
    pub max_connections: u32,
    pub open_connections: u32,
    pub idle_connections: u32,
    /// How long the sample waited for a connection from the pool.
    pub acquire_wait: Duration,
    /// Upload sessions not yet completed or aborted.
    pub open_upload_sessions: u64,
}

/// One table given planner statistics.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AnalysedTable {
    pub table: String,
    pub duration: Duration,
}

#[async_trait]
pub trait OpsStore: Send + Sync + 'static {
    /// Samples the pool (size, idle, the wait for a connection) and counts open upload
    /// sessions, in one round trip.
    async fn ops_sample(&self) -> Result<OpsSample, StoreError>;

    /// Analyses every table that has rows but no planner statistics (never analysed, as
    /// after a bulk load or a restore), at most [`MAX_TABLES_PER_PASS`], each bounded in
    /// time; returns what it analysed. Tables analysed before are left to autovacuum.
    async fn ensure_statistics(&self) -> Result<Vec<AnalysedTable>, StoreError>;
}

/// `"name"`: a catalogue name as an SQL identifier, quotes doubled.
/// The pool as a scrape finds it (before it takes a connection of its own), how long that
/// connection took to get, and the open upload sessions: the same on both dialects.
async fn sample_pool<DB>(pool: &sqlx::Pool<DB>) -> Result<OpsSample, StoreError>
where
    DB: sqlx::Database,
    i64: sqlx::Type<DB> + for<'r> sqlx::Decode<'r, DB>,
    usize: sqlx::ColumnIndex<DB::Row>,
    for<'c> &'c mut DB::Connection: sqlx::Executor<'c, Database = DB>,
    DB::Arguments: sqlx::IntoArguments<DB>,
{
    let (open_connections, idle) = (pool.size(), pool.num_idle());
    let start = std::time::Instant::now();
    let mut conn = pool.acquire().await.map_err(super::convert::db_err)?;
    let acquire_wait = start.elapsed();
    let open: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM upload_sessions WHERE state = 'open'")
        .fetch_one(&mut *conn)
        .await
        .map_err(super::convert::db_err)?;
    drop(conn);
    Ok(OpsSample {
        max_connections: pool.options().get_max_connections(),
        open_connections,
        idle_connections: u32::try_from(idle).unwrap_or(u32::MAX),
        acquire_wait,
        open_upload_sessions: super::convert::to_u64("open upload sessions", open)?,
    })
}

fn quote_ident(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

#[cfg(test)]
mod tests {
    #[test]
    fn identifiers_are_quoted_with_inner_quotes_doubled() {
        assert_eq!(super::quote_ident("versions"), "\"versions\"");
        assert_eq!(super::quote_ident("a\"b"), "\"a\"\"b\"");
    }
}
