//! The registry's domain logic, one `Registry` for every surface that serves it: blobs read and
//! uploaded by visibility (`visibility`), resumable upload sessions (`uploads`,
//! `upload_parts`), atomic publish with facts derived from the files (`publish`, `derive`),
//! the model summary and version resolution (here), lookup and lineage (`lookup`), choosing
//! by ranked preferences with near misses (`choose`), aliases,
//! yanks, deletion, the audit log and garbage collection (`lifecycle`), scrubbing stored blobs
//! (`scrub`), tokens, scopes
//! and namespaces (`auth`), and the web UI's browser sessions (`sessions`). It owns the invariants of DESIGN.md §4 and every rule about who
//! sees what; callers only parse requests and shape answers, and import the records they
//! render from here. It must not know HTTP, SQL or object-store APIs: it reaches the
//! database only through `store` and the bytes only through `blob` (the `layering` test
//! checks the imports).

mod auth;
mod choose;
mod derive;
mod error;
pub mod hf;
pub mod hf_upload;
mod lifecycle;
mod lookup;
pub mod memory;
mod publish;
mod readiness;
mod scrub;
mod sessions;
mod ui_queries;
mod upload_parts;
mod uploads;
mod visibility;

use std::sync::Arc;

use modelreg_api::{EffectiveLicense, Facts, Manifest, ModelName, Version, VersionSelector};

pub use auth::{Principal, SERVER_ACTOR, actor_of, generate_token_secret, hash_token};
pub use derive::{
    Contradictions, DERIVE_BUDGET, Derived, DerivedFacts, derive, derive_within, effective_facts,
};
pub use error::{BLOBS_UNAVAILABLE, BodyError, DATABASE_UNAVAILABLE, InvalidCode, RegistryError};
pub use lifecycle::{AuditPage, AuditQuery, GcReport};
pub use lookup::LookupResult;
pub use readiness::{READY_CHECK_TIMEOUT, Readiness};
pub use scrub::{
    BlobProblem, FindingReference, VerifyFinding, VerifyOptions, VerifyProgress, VerifyReport, sampled,
};
pub use sessions::{DEFAULT_SESSION_LIFETIME, SessionSettings, SessionStarted};
pub use ui_queries::{LineageStep, MAX_LINEAGE_DEPTH};
pub use upload_parts::PartAccepted;
pub use uploads::{DEFAULT_MAX_OPEN_SESSIONS, UploadCompleted, UploadOpened, UploadSettings};

// The records the service hands to its callers, as the store and the blob store keep them: the
// http layer renders these and imports them from here, never from `store` or `blob`.
pub use crate::blob::{BlobRead, RangeRequest};
pub use crate::metrics::{CONTENT_TYPE as METRICS_CONTENT_TYPE, Metrics, RequestSample};
pub use crate::store::{
    AliasMoveRecord, AliasRecord, AuditFilter, AuditRecord, DerivativeRecord, LookupHit, ModelRecord,
    TokenRecord, UploadPhase, UploadRecord, VersionRecord, YankRecord,
};

use crate::blob::BlobStore;
use crate::metrics::PoolSample;
use crate::store::MetadataStore;

/// Bodies up to this size are drained when a request is refused before its body is used.
const DRAIN_MAX: u64 = 64 << 20;
/// Concurrent blob-store HEADs for existence checks.
const HEADS_IN_FLIGHT: usize = 32;

/// Policy knobs the service enforces.
#[derive(Debug, Clone)]
pub struct Policy {
    pub anonymous_read: bool,
    pub max_blob_bytes: u64,
    /// How long a publish holds its blobs against garbage collection. Leases are never
    /// released early (another publish may share the row), so this is also how long a
    /// freshly unreferenced blob survives GC.
    pub publish_lease: std::time::Duration,
}

pub struct Registry {
    meta: Arc<dyn MetadataStore>,
    blobs: BlobStore,
    policy: Policy,
    uploads: UploadSettings,
    sessions: SessionSettings,
    metrics: Arc<Metrics>,
}

/// A model and what its summary reports about its versions.
#[derive(Debug, Clone)]
pub struct ModelOverview {
    pub model: ModelRecord,
    /// The highest non-pre-release version, yanked or not.
    pub latest: Option<Version>,
    pub version_count: u64,
}

/// A resolved version with its parsed manifest.
#[derive(Debug, Clone)]
pub struct ResolvedVersion {
    pub model: ModelName,
    pub record: VersionRecord,
    pub manifest: Manifest,
    pub facts: Facts,
    /// The licence after the version's lineage.
    pub effective_license: EffectiveLicense,
}

impl Registry {
    pub fn new(meta: Arc<dyn MetadataStore>, blobs: BlobStore, policy: Policy) -> Self {
        // One set of series per server: the blob store's, which records its operations.
        let metrics = blobs.metrics();
        Self {
            meta,
            blobs,
            policy,
            uploads: UploadSettings::default(),
            sessions: SessionSettings::default(),
            metrics,
        }
    }

    /// Where requests and events are counted.
    pub fn metrics(&self) -> &Metrics {
        &self.metrics
    }

    /// Every metric in the Prometheus text format, with the database sampled now. A
    /// database that does not answer leaves its last sample in place: the scrape still
    /// answers, and the blob and request series show what is failing.
    pub async fn render_metrics(&self) -> String {
        match self.meta.ops_sample().await {
            Ok(s) => {
                let pool = PoolSample {
                    max: s.max_connections,
                    open: s.open_connections,
                    idle: s.idle_connections,
                    acquire_wait: s.acquire_wait,
                };
                self.metrics.set_database_sample(pool, s.open_upload_sessions);
            }
            Err(e) => tracing::warn!(error = %e, "metrics: could not sample the database"),
        }
        self.metrics.render()
    }

    /// Replaces the default upload-session settings.
    pub fn with_upload_settings(mut self, uploads: UploadSettings) -> Self {
        self.uploads = uploads;
        self
    }

    pub fn policy(&self) -> &Policy {
        &self.policy
    }

    /// A model with its latest version and version count; 404 for an unknown model.
    pub async fn model_summary(&self, name: &ModelName) -> Result<ModelOverview, RegistryError> {
        let model =
            self.meta.get_model(name).await?.ok_or_else(|| RegistryError::ModelNotFound(name.clone()))?;
        let versions = self.meta.list_versions(name).await?;
        // The same `latest` that resolving the selector gives: the highest release not yanked.
        let live = versions.iter().filter(|v| v.yanked.is_none()).map(|v| &v.version);
        let latest = VersionSelector::Latest.select(live).cloned();
        Ok(ModelOverview { model, latest, version_count: versions.len() as u64 })
    }

    /// Every version of a model in semver order, lowest first; 404 for an unknown model.
    pub async fn list_versions(&self, name: &ModelName) -> Result<Vec<VersionRecord>, RegistryError> {
        let versions = self.sorted_versions(name).await?;
        if versions.is_empty() && self.meta.get_model(name).await?.is_none() {
            return Err(RegistryError::ModelNotFound(name.clone()));
        }
        Ok(versions)
    }

    async fn sorted_versions(&self, name: &ModelName) -> Result<Vec<VersionRecord>, RegistryError> {
        let mut versions = self.meta.list_versions(name).await?;
        versions.sort_by(|a, b| a.version.cmp(&b.version));
        Ok(versions)
    }

    /// Finds the version a selector means and loads its manifest.
    pub async fn resolve(
        &self,
        name: &ModelName,
        selector: &VersionSelector,
    ) -> Result<ResolvedVersion, RegistryError> {
        let version = match selector {
            VersionSelector::Exact(v) => v.clone(),
            VersionSelector::Alias(alias) => match self.meta.get_alias(name, alias).await? {
                Some(v) => v,
                None if self.meta.get_model(name).await?.is_none() => {
                    return Err(RegistryError::ModelNotFound(name.clone()));
                }
                None => {
                    return Err(RegistryError::AliasNotFound {
                        model: name.clone(),
                        alias: alias.to_string(),
                    });
                }
            },
            other => {
                let versions = self.list_versions(name).await?;
                // A yanked version never matches `latest` or a range; only its exact number.
                let live = versions.iter().filter(|r| r.yanked.is_none()).map(|r| &r.version);
                let picked: Option<&Version> = other.select(live);
                picked.cloned().ok_or_else(|| RegistryError::VersionNotFound {
                    model: name.clone(),
                    selector: other.to_string(),
                })?
            }
        };
        let Some(detail) = self.meta.get_version(name, &version).await? else {
            if self.meta.get_model(name).await?.is_none() {
                return Err(RegistryError::ModelNotFound(name.clone()));
            }
            return Err(RegistryError::VersionNotFound {
                model: name.clone(),
                selector: selector.to_string(),
            });
        };
        let manifest: Manifest = serde_json::from_str(&detail.manifest_json).map_err(|e| {
            RegistryError::internal(format!("stored manifest of {name}@{version} is unreadable: {e}"))
        })?;
        let facts: Facts = serde_json::from_str(&detail.facts_json).map_err(|e| {
            RegistryError::internal(format!("stored facts of {name}@{version} are unreadable: {e}"))
        })?;
        Ok(ResolvedVersion {
            model: name.clone(),
            record: detail.record,
            manifest,
            facts,
            effective_license: detail.effective_license,
        })
    }
}
