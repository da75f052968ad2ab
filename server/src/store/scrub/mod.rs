//! Scrubbing's view of the catalog: the blobs that versions reference, a page at a time in
//! digest order, each with every (model, version, path) that names it, for
//! `modelreg-server verify`; and the blobs a scrub found damaged, so that the next upload of
//! their bytes is asked for and replaces them. It knows nothing of where or how blobs are
//! stored, and decides nothing about them.

pub(super) mod sql;

use std::collections::BTreeSet;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use modelreg_api::Digest;

use super::StoreError;

/// One file of one version that names a blob.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BlobReference {
    /// `namespace/name`.
    pub model: String,
    pub version: String,
    pub path: String,
    pub yanked: bool,
    /// The model is deleted (its versions are kept until it is restored or purged).
    pub model_deleted: bool,
}

/// A blob some version references: its digest, the size the versions declare, and the
/// references, in no particular order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReferencedBlob {
    pub digest: Digest,
    pub size: u64,
    pub references: Vec<BlobReference>,
}

#[async_trait]
pub trait ScrubStore: Send + Sync + 'static {
    /// Up to `limit` distinct referenced digests greater than `after` (the last digest of
    /// the previous page; `None` to start), in the database's text order of digests, each
    /// with all of its references. With `since`, only digests referenced by at least one
    /// version published at or after it (their other references still come along).
    async fn referenced_blobs(
        &self,
        after: Option<&Digest>,
        since: Option<DateTime<Utc>>,
        limit: u32,
    ) -> Result<Vec<ReferencedBlob>, StoreError>;

    /// Records that a scrub found the stored copy of `digest` missing or damaged (again:
    /// the first finding's time is kept).
    async fn mark_blob_damaged(
        &self,
        digest: &Digest,
        problem: &str,
        at: DateTime<Utc>,
    ) -> Result<(), StoreError>;

    /// Forgets a damage record: verified bytes were stored again, or a scrub found them whole.
    async fn clear_blob_damage(&self, digest: &Digest) -> Result<(), StoreError>;

    /// Which of `digests` are recorded as damaged.
    async fn damaged_blobs(&self, digests: &[Digest]) -> Result<BTreeSet<Digest>, StoreError>;
}
