//! Blob locks: the leases a publish holds on the blobs it references and the claims the
//! garbage collector takes before deleting one, so that a blob is never deleted under a
//! publish that is about to reference it. Locks live in the database (any replica may
//! publish or collect). This module knows nothing of where blobs are stored.

pub(super) mod sql;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use modelreg_api::Digest;

use super::StoreError;

/// The garbage collector's claim on one blob.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GcClaim {
    /// Claimed: no version references it and no publish holds it; delete, then release.
    Claimed,
    /// A version references it, or a publish holds a lease on it.
    InUse,
}

#[async_trait]
pub trait BlobLockStore: Send + Sync + 'static {
    /// Leases blobs for a publish until `until`; returns the digests that could not be
    /// leased because the garbage collector holds them.
    async fn lease_blobs(&self, digests: &[Digest], until: DateTime<Utc>) -> Result<Vec<Digest>, StoreError>;
    /// Claims an unreferenced, unleased blob for deletion (expired leases are cleared first).
    async fn claim_for_gc(
        &self,
        digest: &Digest,
        now: DateTime<Utc>,
        until: DateTime<Utc>,
    ) -> Result<GcClaim, StoreError>;
    async fn release_gc_claim(&self, digest: &Digest) -> Result<(), StoreError>;
    /// Whether any version references the digest.
    async fn is_referenced(&self, digest: &Digest) -> Result<bool, StoreError>;
}
