//! Publishing a version: validate the manifest, check that the caller may use every
//! referenced blob (it can see it: see `visibility`) and that it exists with the declared
//! size, reconcile the declared metadata with the facts derived from the files,
//! compute the version digest, and write everything in one transaction.

use std::collections::{BTreeMap, BTreeSet};

use chrono::Utc;
use futures_util::stream::{self, StreamExt, TryStreamExt};
use modelreg_api::{Digest, Manifest, ModelName, Version};

use super::{HEADS_IN_FLIGHT, Principal, Registry, RegistryError, derive, effective_facts};
use crate::blob::Sha256Hasher;
use crate::store::{NewFile, NewVersion, PublishOutcome};

/// The result of a successful publish.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Published {
    pub digest: Digest,
    /// False when the identical manifest was already published.
    pub created: bool,
}

impl Registry {
    /// Publishes `manifest` as `model@version` for `caller` (whose write access to the
    /// model's namespace the caller of this method has checked). Identical re-publishes are a
    /// no-op; a different manifest for an existing version is a conflict. A referenced blob
    /// the caller may not see counts as missing, whether or not it is stored.
    pub async fn publish(
        &self,
        caller: &Principal,
        model: &ModelName,
        version: &Version,
        manifest: Manifest,
    ) -> Result<Published, RegistryError> {
        let actor = caller.token_name.as_str();
        manifest.validate().map_err(|e| RegistryError::InvalidManifest(e.to_string()))?;
        let manifest = manifest.canonicalize();
        let declared = declared_sizes(&manifest)?;
        let digests: Vec<Digest> = declared.keys().copied().collect();
        let visible = self.visible_blobs(Some(caller), &digests).await?;
        let mut missing: BTreeSet<Digest> =
            digests.iter().filter(|d| !visible.contains(d)).copied().collect();
        let usable: Vec<Digest> = visible.into_iter().collect();
        missing.extend(self.lease_blobs(&usable).await?);
        missing.extend(self.check_blobs(&declared, &usable).await?);
        if !missing.is_empty() {
            return Err(RegistryError::MissingBlobs(missing.into_iter().collect()));
        }
        let derived = derive(&self.blobs, &manifest).await?;
        let facts = effective_facts(&manifest.metadata, &derived, &manifest.override_derived)?;

        let canonical = manifest.canonical_json();
        let mut hasher = Sha256Hasher::new();
        hasher.update(&canonical);
        let digest = hasher.finish();
        let new = NewVersion {
            actor: actor.to_owned(),
            model: model.clone(),
            version: version.clone(),
            digest,
            license: manifest.metadata.license.to_string(),
            manifest_json: String::from_utf8(canonical).expect("serde_json writes UTF-8"),
            files: manifest
                .files
                .iter()
                .map(|f| NewFile { path: f.path.to_string(), digest: f.digest, size: f.size })
                .collect(),
            size_bytes: manifest.total_size(),
            published_at: Utc::now(),
            facts,
            manifest,
        };
        match self.meta.publish_version(&new).await? {
            PublishOutcome::Created => {
                tracing::info!(model.name = %model, model.version = %version, version.digest = %digest, "version published");
                self.metrics.published(true);
                Ok(Published { digest, created: true })
            }
            PublishOutcome::Identical => {
                self.metrics.published(false);
                Ok(Published { digest, created: false })
            }
            PublishOutcome::Tombstoned => {
                Err(RegistryError::VersionDeleted { model: model.clone(), version: version.clone() })
            }
            PublishOutcome::Conflict { existing } => Err(RegistryError::VersionConflict {
                model: model.clone(),
                version: version.clone(),
                existing,
            }),
        }
    }

    /// Leases blobs for the publish, so garbage collection leaves them alone until it
    /// commits; returns those the collector already claimed (they count as missing).
    async fn lease_blobs(&self, digests: &[Digest]) -> Result<Vec<Digest>, RegistryError> {
        let lease = chrono::Duration::from_std(self.policy.publish_lease).unwrap_or(chrono::Duration::MAX);
        Ok(self.meta.lease_blobs(digests, Utc::now() + lease).await?)
    }

    /// Checks that each of `digests` is stored with exactly its declared size; returns the
    /// absent ones. Only blobs the caller may see get here, so a size is never disclosed.
    async fn check_blobs(
        &self,
        declared: &BTreeMap<Digest, (u64, &str)>,
        digests: &[Digest],
    ) -> Result<Vec<Digest>, RegistryError> {
        let found: Vec<(Digest, Option<u64>)> = stream::iter(digests.iter().copied())
            .map(|d| async move { Ok::<_, RegistryError>((d, self.blobs.size_of(&d).await?)) })
            .buffer_unordered(HEADS_IN_FLIGHT)
            .try_collect()
            .await?;
        let mut missing = Vec::new();
        for (digest, stored) in found {
            let (size, path) = declared[&digest];
            match stored {
                None => missing.push(digest),
                Some(actual) if actual != size => {
                    return Err(RegistryError::InvalidManifest(format!(
                        "files: '{path}' declares {size} bytes but blob {digest} has {actual}"
                    )));
                }
                Some(_) => {}
            }
        }
        Ok(missing)
    }
}

/// Each referenced digest with its declared size and one path naming it; files sharing a
/// digest must declare the same size.
fn declared_sizes(manifest: &Manifest) -> Result<BTreeMap<Digest, (u64, &str)>, RegistryError> {
    let mut declared: BTreeMap<Digest, (u64, &str)> = BTreeMap::new();
    for f in &manifest.files {
        if let Some((size, path)) = declared.insert(f.digest, (f.size, f.path.as_str()))
            && size != f.size
        {
            return Err(RegistryError::InvalidManifest(format!(
                "files: '{path}' and '{}' share digest {} but declare different sizes",
                f.path, f.digest
            )));
        }
    }
    Ok(declared)
}
