//! PostgreSQL: connection, migrations from `migrations/postgres` (native types: `jsonb`,
//! `timestamptz`, `bigint`), and the shared store implementations instantiated for it.

use std::time::Duration;

use sqlx::postgres::{PgPool, PgPoolOptions};

use super::{StoreError, db_err};

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

// Of concurrent inserts of one (model, version) the losers wait for the winner's commit and
// then see the conflict: exactly one publish creates the version.
super::core_impl::impl_metadata_store!(
    PostgresStore,
    sqlx::Postgres,
    "BEGIN",
    super::lookup::Dialect::Postgres
);
super::access::impl_access_store!(PostgresStore, sqlx::Postgres, "BEGIN");
