//! PostgreSQL: connection, migrations from `migrations/postgres` (native types: `jsonb`,
//! `timestamptz`, `bigint`), and the one `impl_sql_stores!` line that instantiates every
//! concern's SQL for it. No queries of its own: they belong to the concerns.

use sqlx::Connection;
use sqlx::postgres::{PgConnectOptions, PgConnection, PgPool, PgPoolOptions};

use super::catalog::term_stats::TermStatsCache;
use super::convert::db_err;
use super::dialect::{Dialect, impl_sql_stores};
use super::{DatabaseTimeouts, StoreError};

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("../migrations/postgres");

pub struct PostgresStore {
    pub(super) pool: PgPool,
    /// The term frequencies of the automatic lookup's estimates (`catalog::term_stats`).
    pub(super) term_stats: TermStatsCache,
}

impl PostgresStore {
    /// Connects with the default timeouts and runs pending migrations.
    pub async fn connect(url: &str, max_connections: Option<u32>) -> Result<Self, StoreError> {
        Self::connect_with_timeouts(url, max_connections, DatabaseTimeouts::default()).await
    }

    /// Connects and runs pending migrations. Waiting for a connection (opening one
    /// included) is bounded by `timeouts.acquire`, each statement by `timeouts.statement`
    /// (PostgreSQL's own `statement_timeout`, so the server stops the work too). A
    /// connection that broke is dropped by the pool and a fresh one opened on the next
    /// acquire, so the store serves again without a restart once the database is back.
    pub async fn connect_with_timeouts(
        url: &str,
        max_connections: Option<u32>,
        timeouts: DatabaseTimeouts,
    ) -> Result<Self, StoreError> {
        let options: PgConnectOptions = url.parse().map_err(db_err)?;
        // Migrations run on a connection of their own, without the statement timeout: an
        // index built over a large table may take longer than any request should.
        let mut migrating = PgConnection::connect_with(&options).await.map_err(db_err)?;
        MIGRATOR.run(&mut migrating).await.map_err(db_err)?;
        migrating.close().await.map_err(db_err)?;
        // No JIT compilation: it pays off for analytic statements of seconds, and costs a
        // lookup whose plan PostgreSQL overestimates 10-20 ms of compiling (seen at a
        // million versions, docs/benchmarks.md).
        let options = options.options([("jit", "off")]);
        let options = if timeouts.statement.is_zero() {
            options
        } else {
            let millis = timeouts.statement.as_millis().to_string();
            options.options([("statement_timeout", millis.as_str())])
        };
        let pool = PgPoolOptions::new()
            .max_connections(max_connections.unwrap_or(10))
            .acquire_timeout(timeouts.acquire)
            .connect_with(options)
            .await
            .map_err(db_err)?;
        Ok(Self { pool, term_stats: TermStatsCache::default() })
    }
}

impl_sql_stores!(PostgresStore, sqlx::Postgres, Dialect::Postgres);
