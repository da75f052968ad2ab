//! Commit ids: each version's 40-hex id for the Hugging Face Hub protocol, stored beside the
//! version so that a commit id resolves to its version through an index. The id itself is
//! computed by `modelreg_api::CommitId` (the same everywhere); this module only records it at
//! publish, fills it for versions published before the column existed, and looks it up.

pub(super) mod sql;

use async_trait::async_trait;
use modelreg_api::{CommitId, ModelName, Version};

use super::StoreError;

/// Versions whose commit id is filled per round at start-up.
pub(in crate::store) const FILL_BATCH: i64 = 500;

#[async_trait]
pub trait CommitStore: Send + Sync + 'static {
    /// The version of `model` whose commit id is `commit`, if any (deleted versions have
    /// none).
    async fn version_for_commit(
        &self,
        model: &ModelName,
        commit: &CommitId,
    ) -> Result<Option<Version>, StoreError>;

    /// Computes and stores the commit id of every version that has none yet; returns how many.
    async fn fill_missing_commit_ids(&self) -> Result<u64, StoreError>;
}
