//! The catalog: models, their versions and the versions' files, written by one publish
//! transaction and read back by name, version and base model; also the entry point of the
//! lookup (whose SQL lives in `lookup`). It records; it does not decide what a publish may
//! contain, nor order versions (callers sort by semver).

pub(super) mod batch;
pub(super) mod rows;
pub(super) mod sql;
pub(super) mod term_stats;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use modelreg_api::{Digest, EffectiveLicense, Facts, LookupQuery, Manifest, ModelName, Version};

use super::StoreError;
use super::access::YankRecord;
use super::lookup::{Cursor, LookupHit, Strategy};

/// A version to be written by [`CatalogStore::publish_version`].
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
    /// The licence after the version's lineage.
    pub effective_license: EffectiveLicense,
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
pub trait CatalogStore: Send + Sync + 'static {
    /// Writes the model (if new), the version and its files in one transaction. Of
    /// concurrent publishes of one version exactly one creates it.
    async fn publish_version(&self, new: &NewVersion) -> Result<PublishOutcome, StoreError>;

    /// Publishes many versions in one transaction with multi-row inserts (an import; the
    /// lookup bench seeds through it): the outcome of each, in order, is what
    /// [`Self::publish_version`] would have returned for it, one after the other.
    async fn publish_versions(&self, batch: &[NewVersion]) -> Result<Vec<PublishOutcome>, StoreError>;

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

    /// Versions whose `base_model` or `base_models` name `name`, by derived model name then
    /// version id.
    async fn list_derivatives(&self, name: &ModelName) -> Result<Vec<DerivativeRecord>, StoreError>;
}
