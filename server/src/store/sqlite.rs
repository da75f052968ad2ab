//! SQLite, the embedded default: connection (WAL, foreign keys, busy timeout), migrations
//! from `migrations/sqlite` (kept in lockstep with the PostgreSQL ones), and the shared store
//! implementations instantiated for it.

use std::str::FromStr;
use std::time::Duration;

use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};

use super::{StoreError, db_err};

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("../migrations/sqlite");

pub struct SqliteStore {
    pub(super) pool: SqlitePool,
}

impl SqliteStore {
    /// Connects and runs pending migrations.
    pub async fn connect(url: &str, max_connections: Option<u32>) -> Result<Self, StoreError> {
        let options = SqliteConnectOptions::from_str(url)
            .map_err(db_err)?
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Normal)
            .foreign_keys(true)
            .busy_timeout(Duration::from_secs(30));
        if let Some(dir) = options.get_filename().parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(db_err)?;
        }
        let pool = SqlitePoolOptions::new()
            .max_connections(max_connections.unwrap_or(4))
            .acquire_timeout(Duration::from_secs(30))
            .connect_with(options)
            .await
            .map_err(db_err)?;
        MIGRATOR.run(&pool).await.map_err(db_err)?;
        Ok(Self { pool })
    }
}

// `BEGIN IMMEDIATE` takes the write lock up front, so two publishes queue on the busy
// timeout instead of failing to upgrade a read lock.
super::core_impl::impl_metadata_store!(
    SqliteStore,
    sqlx::Sqlite,
    "BEGIN IMMEDIATE",
    super::lookup::Dialect::Sqlite
);
super::access::impl_access_store!(SqliteStore, sqlx::Sqlite, "BEGIN IMMEDIATE");
