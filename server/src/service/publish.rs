//! Publishing a version: validate the manifest, check every referenced blob exists with the
//! declared size, reconcile the declared metadata with the facts derived from the files,
//! compute the version digest, and write everything in one transaction.

use std::collections::BTreeMap;

use chrono::Utc;
use futures_util::stream::{self, StreamExt, TryStreamExt};
use modelreg_api::{Digest, Manifest, ModelName, Version};

use super::{HEADS_IN_FLIGHT, Registry, RegistryError, derive, effective_facts};
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
    /// Publishes `manifest` as `model@version`. Identical re-publishes are a no-op; a
    /// different manifest for an existing version is a conflict.
    pub async fn publish(
        &self,
        model: &ModelName,
        version: &Version,
        manifest: Manifest,
        actor: &str,
    ) -> Result<Published, RegistryError> {
        manifest.validate().map_err(|e| RegistryError::InvalidManifest(e.to_string()))?;
        let manifest = manifest.canonicalize();
        self.lease_blobs(&manifest).await?;
        self.check_blobs(&manifest).await?;
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
                Ok(Published { digest, created: true })
            }
            PublishOutcome::Identical => Ok(Published { digest, created: false }),
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

    /// Leases every referenced blob for the publish, so garbage collection leaves them alone
    /// until it commits; a blob the collector already claimed counts as missing.
    async fn lease_blobs(&self, manifest: &Manifest) -> Result<(), RegistryError> {
        let mut digests: Vec<Digest> = manifest.files.iter().map(|f| f.digest).collect();
        digests.sort();
        digests.dedup();
        let lease = chrono::Duration::from_std(self.policy.publish_lease).unwrap_or(chrono::Duration::MAX);
        let refused = self.meta.lease_blobs(&digests, Utc::now() + lease).await?;
        if refused.is_empty() { Ok(()) } else { Err(RegistryError::MissingBlobs(refused)) }
    }

    /// Every referenced blob must exist with exactly the declared size.
    async fn check_blobs(&self, manifest: &Manifest) -> Result<(), RegistryError> {
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
        let found: Vec<(Digest, Option<u64>)> = stream::iter(declared.keys().copied())
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
        if missing.is_empty() {
            Ok(())
        } else {
            missing.sort();
            Err(RegistryError::MissingBlobs(missing))
        }
    }
}
