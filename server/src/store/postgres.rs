//! PostgreSQL: connection, migrations from `migrations/postgres` (native types: `jsonb`,
//! `timestamptz`, `bigint`), and the one `impl_sql_stores!` line that instantiates every
//! concern's SQL for it. No queries of its own: they belong to the concerns.

use std::time::Duration;

use sqlx::postgres::{PgPool, PgPoolOptions};

use super::StoreError;
use super::convert::db_err;
use super::dialect::{Dialect, impl_sql_stores};

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("../migrations/postgres");

pub struct PostgresStore {
    pub(super) pool: PgPool,
}

impl PostgresStore {
    /// Connects and runs pending migrations.
    pub async fn connect(url: &str, max_connections: Option<u32>) -> Result<Self, StoreError> {
        let pool = PgPoolOptions::new()
            .max_connections(max_connections.unwrap_or(10))
            .acquire_timeout(Duration::from_secs(10))
            .connect(url)
            .await
            .map_err(db_err)?;
        MIGRATOR.run(&pool).await.map_err(db_err)?;
        Ok(Self { pool })
    }
}

impl_sql_stores!(PostgresStore, sqlx::Postgres, Dialect::Postgres);
