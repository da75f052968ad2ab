//! The metadata store: models, versions, their files, and tokens. One trait, one
//! implementation per SQL dialect; every method is one transaction. This module must not
//! know about HTTP or the blob store, and `sqlx` must not leak out of it.

mod access;
mod access_impl;
mod core_impl;
mod lookup;
mod lookup_filters;
mod lookup_window;
mod postgres;
mod rows;
mod search_doc;
mod search_write;
mod sqlite;
mod uploads;
mod uploads_impl;
mod visibility;

use std::sync::Arc;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use modelreg_api::{Digest, Facts, LookupQuery, Manifest, ModelName, Version};

pub use access::{
    AccessStore, AliasMoveRecord, AliasOutcome, AliasRecord, AuditFilter, AuditRecord, GcClaim, NameTaken,
    NewToken, TokenRecord, YankRecord,
};
pub use lookup::{Cursor, LookupHit, Strategy};
pub use modelreg_api::Scope;
pub use postgres::PostgresStore;
pub use search_doc::{SearchDoc, normalize_license_id};
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
}

/// A version to be written by [`MetadataStore::publish_version`].
#[derive(Debug, Clone)]
pub struct NewVersion {
    /// Who publishes (token name), for the audit log.
    pub actor: String,
    pub model: ModelName,
    pub version: Version,
    pub digest: Digest,
    pub license: String,
    /// The canonical manifest JSON.
    pub manifest_json: String,
    pub files: Vec<NewFile>,
    pub size_bytes: u64,
    pub published_at: DateTime<Utc>,
    /// The manifest, parsed, for the search columns.
    pub manifest: Manifest,
    /// Effective values of derivable fields (declared, derived or overridden).
    pub facts: Facts,
}

#[derive(Debug, Clone)]
pub struct NewFile {
    pub path: String,
    pub digest: Digest,
    pub size: u64,
}

/// What a publish did. A duplicate is an outcome, not an error.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PublishOutcome {
    Created,
    /// The same version with the same digest already exists.
    Identical,
    /// The version exists with other content.
    Conflict {
        existing: Digest,
    },
    /// The version was deleted; its number can never be published again.
    Tombstoned,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ModelRecord {
    pub name: ModelName,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct VersionRecord {
    pub version: Version,
    pub digest: Digest,
    pub size_bytes: u64,
    pub file_count: u64,
    pub published_at: DateTime<Utc>,
    pub yanked: Option<YankRecord>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct VersionDetail {
    pub record: VersionRecord,
    pub manifest_json: String,
    pub facts_json: String,
}

/// A version whose metadata names another model as its base.
#[derive(Debug, Clone, PartialEq)]
pub struct DerivativeRecord {
    pub model: ModelName,
    pub version: Version,
    pub relation: Option<String>,
    pub base_version: Option<String>,
}

#[async_trait]
pub trait MetadataStore: AccessStore + UploadStore + BlobVisibilityStore + Send + Sync + 'static {
    /// Cheap round trip, for readiness.
    async fn ping(&self) -> Result<(), StoreError>;

    /// Writes the model (if new), the version and its files in one transaction. Of
    /// concurrent publishes of one version exactly one creates it.
    async fn publish_version(&self, new: &NewVersion) -> Result<PublishOutcome, StoreError>;

    async fn get_model(&self, name: &ModelName) -> Result<Option<ModelRecord>, StoreError>;

    /// All versions of a model, in no particular order (callers sort by semver).
    async fn list_versions(&self, name: &ModelName) -> Result<Vec<VersionRecord>, StoreError>;

    async fn get_version(
        &self,
        name: &ModelName,
        version: &Version,
    ) -> Result<Option<VersionDetail>, StoreError>;

    /// Versions matching a lookup, `q.limit + 1` at most, after `cursor`.
    async fn lookup(
        &self,
        q: &LookupQuery,
        cursor: Option<&Cursor>,
        strategy: Strategy,
    ) -> Result<Vec<LookupHit>, StoreError>;

    /// Versions whose `base_model` names `name`, by derived model name then version id.
    async fn list_derivatives(&self, name: &ModelName) -> Result<Vec<DerivativeRecord>, StoreError>;
}

/// Opens the store a database URL names and brings its schema up to date.
pub async fn open(url: &str, max_connections: Option<u32>) -> Result<Arc<dyn MetadataStore>, StoreError> {
    if url.starts_with("sqlite:") {
        Ok(Arc::new(SqliteStore::connect(url, max_connections).await?))
    } else {
        Ok(Arc::new(PostgresStore::connect(url, max_connections).await?))
    }
}

fn db_err(e: impl std::error::Error + Send + Sync + 'static) -> StoreError {
    StoreError::Database(Box::new(e))
}

fn parse_stored<T: std::str::FromStr>(what: &str, raw: &str) -> Result<T, StoreError>
where
    T::Err: std::fmt::Display,
{
    raw.parse().map_err(|e| StoreError::Corrupt(format!("{what} '{raw}': {e}")))
}

fn to_u64(what: &str, v: i64) -> Result<u64, StoreError> {
    u64::try_from(v).map_err(|_| StoreError::Corrupt(format!("{what} is negative: {v}")))
}

fn to_i64(v: u64) -> Result<i64, StoreError> {
    i64::try_from(v)
        .map_err(|_| StoreError::Corrupt(format!("value {v} does not fit a signed 64-bit column")))
}
