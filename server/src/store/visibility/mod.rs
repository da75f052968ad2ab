//! Who may see a blob: the namespaces of the live versions that reference it, and the
//! upload grants (a token that sent the blob's bytes may use it for a while before any
//! version references it). The store only reports these facts; the service decides with
//! the caller's namespace patterns. This module knows nothing of HTTP or of the blob store.

pub(super) mod sql;

use std::collections::BTreeMap;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use modelreg_api::Digest;

use super::StoreError;

/// What the store knows about who may see one blob.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BlobAccess {
    /// Distinct namespaces of the live (not deleted; yanked ones count) versions that
    /// reference the blob, sorted.
    pub namespaces: Vec<String>,
    /// Whether the asking token holds an unexpired upload grant for it.
    pub granted: bool,
}

#[async_trait]
pub trait BlobVisibilityStore: Send + Sync + 'static {
    /// What is known about each of `digests` (absent from the map: nothing references it and
    /// `token` holds no grant). `token` is the caller's token name, `None` for anonymous
    /// callers, who hold no grants. One indexed query per few hundred digests.
    async fn blob_access(
        &self,
        digests: &[Digest],
        token: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<BTreeMap<Digest, BlobAccess>, StoreError>;

    /// Records that `token` uploaded the bytes of `digest`, valid until `until` (an
    /// existing grant is extended, never shortened).
    async fn grant_blob(&self, digest: &Digest, token: &str, until: DateTime<Utc>) -> Result<(), StoreError>;

    /// Forgets grants that expired before `now`; returns how many.
    async fn delete_expired_grants(&self, now: DateTime<Utc>) -> Result<u64, StoreError>;
}
