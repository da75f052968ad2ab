//! The metadata store: models, versions, their files, tokens, upload sessions and the facts
//! of blob visibility. One trait per concern, each in its own folder with its SQL beside it
//! (`catalog`, `access`, `commits`, `criteria`, `locks`, `scrub`, `sessions`, `uploads`, `visibility`, `ops`; `lookup` and
//! `search` build the
//! statements of the lookup and of a version's search rows), and [`MetadataStore`] over all
//! of them. Every method is one transaction. This module must not know about HTTP or the
//! blob store, and `sqlx` must not leak out of it.
//!
//! One convention instantiates the SQL: it is written once per concern, portable across
//! both dialects, as a macro over `(Store, sqlx::Db, Dialect::X)` in that concern's
//! `sql.rs`; `dialect::impl_sql_stores!` invokes them all, and `postgres.rs` and `sqlite.rs`
//! each call it once. What differs per dialect (how a write transaction begins, locks,
//! collation, JSON casts) is a method of `dialect::Dialect`, written nowhere else.

mod access;
mod catalog;
mod commits;
mod convert;
mod criteria;
mod dialect;
mod lineage;
mod locks;
mod lookup;
mod ops;
mod postgres;
mod scrub;
mod search;
mod sessions;
mod sqlite;
mod uploads;
mod visibility;

use std::sync::Arc;

use async_trait::async_trait;

pub use access::{
    AccessStore, AliasMoveRecord, AliasOutcome, AliasRecord, AuditFilter, AuditRecord, NameTaken, NewToken,
    TokenRecord, YankRecord,
};
pub use catalog::{
    CatalogStore, DerivativeRecord, ModelRecord, NewFile, NewVersion, PublishOutcome, VersionDetail,
    VersionRecord,
};
pub use commits::CommitStore;
pub use criteria::{CriteriaStore, VersionMemory};
pub use lineage::LineageStore;
pub use locks::{BlobLockStore, GcClaim};
pub use lookup::{Cursor, LookupHit, Strategy};
pub use modelreg_api::Scope;
pub use ops::{AnalysedTable, OpsSample, OpsStore};
pub use postgres::PostgresStore;
pub use scrub::{BlobReference, ReferencedBlob, ScrubStore};
pub use search::{SearchDoc, normalize_license_id};
pub use sessions::{NewSession, SessionStore};
pub use sqlite::SqliteStore;
pub use uploads::{
    ExpiredUpload, HashedPart, NewUpload, PrefixMoved, TooManyUploads, UploadPartRecord, UploadPhase,
    UploadRecord, UploadStore,
};
pub use visibility::{BlobAccess, BlobVisibilityStore};

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("stored data is corrupt: {0}")]
    Corrupt(String),
    #[error("database error: {0}")]
    Database(#[source] Box<dyn std::error::Error + Send + Sync>),
    /// The database cannot be reached or did not answer in time: no connection could be
    /// had within `database.acquire_timeout_secs`, the connection broke, the server is
    /// shutting down or refused connections, or a statement ran past
    /// `database.statement_timeout_secs`. The operation did not take effect (its
    /// transaction, if any, is rolled back) and may be retried.
    #[error("database unavailable: {0}")]
    Unavailable(#[source] Box<dyn std::error::Error + Send + Sync>),
}

impl StoreError {
    /// Whether the database, not the request or the data, is at fault and the same call may
    /// succeed later.
    pub fn is_unavailable(&self) -> bool {
        matches!(self, Self::Unavailable(_))
    }
}

/// How long the metadata store waits for the database (`[database]` in the config).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DatabaseTimeouts {
    /// Waiting for a pooled connection, opening a new one included.
    pub acquire: std::time::Duration,
    /// Longest a statement may run on PostgreSQL (its `statement_timeout`); zero for none.
    pub statement: std::time::Duration,
}

impl Default for DatabaseTimeouts {
    fn default() -> Self {
        Self { acquire: std::time::Duration::from_secs(5), statement: std::time::Duration::from_secs(30) }
    }
}

/// The whole metadata store, as the service holds it (`Arc<dyn MetadataStore>`).
#[async_trait]
pub trait MetadataStore:
    CatalogStore
    + AccessStore
    + BlobLockStore
    + UploadStore
    + BlobVisibilityStore
    + LineageStore
    + CriteriaStore
    + SessionStore
    + OpsStore
    + CommitStore
    + ScrubStore
    + Send
    + Sync
    + 'static
{
    /// Cheap round trip, for readiness.
    async fn ping(&self) -> Result<(), StoreError>;
}

/// Opens the store a database URL names and brings its schema up to date, with the default
/// [`DatabaseTimeouts`].
pub async fn open(url: &str, max_connections: Option<u32>) -> Result<Arc<dyn MetadataStore>, StoreError> {
    open_with(url, max_connections, DatabaseTimeouts::default()).await
}

/// [`open`] with the given timeouts. SQLite is a file on this machine, not a network
/// dependency: `timeouts` apply to PostgreSQL only.
pub async fn open_with(
    url: &str,
    max_connections: Option<u32>,
    timeouts: DatabaseTimeouts,
) -> Result<Arc<dyn MetadataStore>, StoreError> {
    let store: Arc<dyn MetadataStore> = if url.starts_with("sqlite:") {
        Arc::new(SqliteStore::connect(url, max_connections).await?)
    } else {
        Arc::new(PostgresStore::connect_with_timeouts(url, max_connections, timeouts).await?)
    };
    // Versions with a base published before migration 0011 get their effective licence now.
    let refreshed = store.refresh_stale_effective_licenses().await?;
    if refreshed > 0 {
        tracing::info!(versions = refreshed, "computed effective licences of older versions");
    }
    // Versions published before migration 0016 get their commit id now.
    let filled = store.fill_missing_commit_ids().await?;
    if filled > 0 {
        tracing::info!(versions = filled, "recorded commit ids of older versions");
    }
    ensure_statistics(store.as_ref()).await;
    Ok(store)
}

/// Gives planner statistics to tables that have rows but were never analysed (after a bulk
/// load or a restore the planner would otherwise guess, and lookups run 100-500x slower
/// until autovacuum gets to them). A failure is logged, never fatal: the server still serves.
pub async fn ensure_statistics(store: &dyn MetadataStore) {
    let start = std::time::Instant::now();
    match store.ensure_statistics().await {
        Ok(analysed) => {
            for t in &analysed {
                let duration_ms = t.duration.as_millis();
                tracing::info!(table = %t.table, duration_ms, "analysed a table that had no planner statistics");
            }
            if !analysed.is_empty() {
                let duration_ms = start.elapsed().as_millis();
                tracing::info!(tables = analysed.len(), duration_ms, "planner statistics are in place");
            }
        }
        Err(e) => tracing::warn!(error = %e, "could not check planner statistics; run ANALYZE by hand"),
    }
}
