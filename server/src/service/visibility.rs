//! A digest is not a key: blobs are stored once, but who may read, reuse or even learn of one
//! follows visibility. A caller sees a blob when it can read a live version that references
//! it (yanked versions count; deleted ones do not), or when its own token uploaded the bytes
//! within the grant window (an upload proves possession). Anonymous readers see what
//! anonymous lookups see: every live version.
//!
//! What is never disclosed: whether a blob the caller cannot see exists. Reads answer the
//! same 404 as for an absent blob; `missing` reports it missing without even asking the blob
//! store; an upload of it stores (replaces) the bytes and answers `created: true`, exactly as
//! for a new blob, so status, body and `created` are the same whether or not it was there.

use std::collections::BTreeSet;

use futures_util::stream::{self, Stream, StreamExt, TryStreamExt};
use modelreg_api::Digest;

use super::uploads::now;
use super::{HEADS_IN_FLIGHT, Principal, Registry, RegistryError};
use crate::blob::{BlobRead, RangeRequest};
use crate::store::BlobAccess;

/// Whether `caller` (None = anonymous) may see a blob with this access record.
fn sees(caller: Option<&Principal>, access: &BlobAccess) -> bool {
    access.granted || access.namespaces.iter().any(|ns| caller.is_none_or(|p| p.covers(ns)))
}

impl Registry {
    /// The subset of `digests` the caller may see (whether or not the blob store still holds
    /// them). One indexed query per few hundred digests.
    pub(super) async fn visible_blobs(
        &self,
        caller: Option<&Principal>,
        digests: &[Digest],
    ) -> Result<BTreeSet<Digest>, RegistryError> {
        let token = caller.map(|p| p.token_name.as_str());
        let access = self.meta.blob_access(digests, token, now()).await?;
        Ok(access.into_iter().filter(|(_, a)| sees(caller, a)).map(|(d, _)| d).collect())
    }

    /// The stored size of a blob the caller may see; `None` when it may not, or the blob is
    /// absent. The blob store is asked only about visible blobs.
    pub(super) async fn visible_size(
        &self,
        caller: Option<&Principal>,
        digest: &Digest,
    ) -> Result<Option<u64>, RegistryError> {
        if self.visible_blobs(caller, std::slice::from_ref(digest)).await?.is_empty() {
            return Ok(None);
        }
        Ok(self.blobs.size_of(digest).await?)
    }

    /// Records that `caller` uploaded the bytes of `digest`, for the grant window.
    pub(super) async fn grant_upload(
        &self,
        caller: &Principal,
        digest: &Digest,
    ) -> Result<(), RegistryError> {
        let until = now() + self.uploads.session_ttl;
        self.meta.grant_blob(digest, &caller.token_name, until).await?;
        Ok(())
    }

    /// The subset of `digests` the caller has to upload: those it may not see, visible ones
    /// the blob store does not hold, and visible ones a scrub found damaged (so that a push
    /// sends their bytes again, which repairs them). Sorted, without duplicates.
    pub async fn missing_blobs(
        &self,
        caller: &Principal,
        digests: Vec<Digest>,
    ) -> Result<Vec<Digest>, RegistryError> {
        let mut unique = digests;
        unique.sort();
        unique.dedup();
        let visible = self.visible_blobs(Some(caller), &unique).await?;
        let listed: Vec<Digest> = visible.iter().copied().collect();
        let damaged = self.meta.damaged_blobs(&listed).await?;
        let absent: Vec<Digest> = stream::iter(visible.iter().copied().filter(|d| !damaged.contains(d)))
            .map(|d| async move { Ok::<_, RegistryError>((d, self.blobs.size_of(&d).await?.is_none())) })
            .buffer_unordered(HEADS_IN_FLIGHT)
            .try_filter_map(|(d, absent)| async move { Ok(absent.then_some(d)) })
            .try_collect()
            .await?;
        let mut missing: Vec<Digest> = unique.into_iter().filter(|d| !visible.contains(d)).collect();
        missing.extend(absent);
        missing.extend(damaged);
        missing.sort();
        Ok(missing)
    }

    /// Stores a blob from `body` (`declared_size` is the request's Content-Length) and grants
    /// it to the caller. Every byte is hashed, and a verified upload replaces whatever copy is
    /// stored (atomically: the blob store renames or completes onto the key), which is how a
    /// corrupt copy gets repaired (a scrub's damage record is cleared). Returns whether the blob is new to the caller (false only
    /// when the caller could already see a stored copy).
    pub async fn upload_blob<S, E>(
        &self,
        caller: &Principal,
        digest: Digest,
        declared_size: u64,
        body: S,
    ) -> Result<bool, RegistryError>
    where
        S: Stream<Item = Result<bytes::Bytes, E>> + Unpin,
        E: std::error::Error + Send + Sync + 'static,
    {
        if declared_size > self.policy.max_blob_bytes {
            return Err(RegistryError::BlobTooLarge { size: declared_size, max: self.policy.max_blob_bytes });
        }
        let known = self.visible_size(Some(caller), &digest).await?.is_some();
        self.blobs.put_verified(&digest, declared_size, body).await?;
        self.meta.clear_blob_damage(&digest).await?;
        self.grant_upload(caller, &digest).await?;
        tracing::info!(blob.digest = %digest, size_bytes = declared_size, "blob stored");
        Ok(!known)
    }

    /// The size of a blob the caller may see; 404 otherwise, as for an absent blob.
    pub async fn blob_size(&self, caller: Option<&Principal>, digest: &Digest) -> Result<u64, RegistryError> {
        self.visible_size(caller, digest).await?.ok_or(RegistryError::BlobNotFound(*digest))
    }

    /// Opens a blob the caller may see, whole (verified as it streams) or a range (not
    /// verified); 404 otherwise, as for an absent blob.
    pub async fn read_blob(
        &self,
        caller: Option<&Principal>,
        digest: &Digest,
        range: Option<RangeRequest>,
    ) -> Result<BlobRead, RegistryError> {
        if self.visible_blobs(caller, std::slice::from_ref(digest)).await?.is_empty() {
            return Err(RegistryError::BlobNotFound(*digest));
        }
        Ok(self.blobs.get(digest, range).await?)
    }

    /// Where to send a reader of `digest` instead of streaming it: a presigned URL when
    /// presigning is on (S3), `None` otherwise. 404 when the caller may not see the blob or
    /// it is absent.
    pub async fn blob_redirect(
        &self,
        caller: Option<&Principal>,
        digest: &Digest,
    ) -> Result<Option<String>, RegistryError> {
        let Some(url) = self.blobs.presigned_get(digest).await? else { return Ok(None) };
        self.blob_size(caller, digest).await?;
        Ok(Some(url))
    }
}

#[cfg(test)]
mod tests {
    use modelreg_api::Scope;

    use super::*;

    fn principal(ns: &[&str]) -> Principal {
        Principal {
            token_name: "t".into(),
            scope: Scope::Read,
            namespaces: ns.iter().map(|s| s.parse().unwrap()).collect(),
        }
    }

    #[test]
    fn a_blob_is_seen_through_a_covered_namespace_or_a_grant() {
        let referenced = BlobAccess { namespaces: vec!["team-b".into()], granted: false };
        assert!(!sees(Some(&principal(&["team-a"])), &referenced));
        assert!(sees(Some(&principal(&["team-*"])), &referenced));
        assert!(sees(Some(&principal(&[])), &referenced));
        assert!(sees(None, &referenced), "anonymous readers see every live version");
        let granted = BlobAccess { namespaces: Vec::new(), granted: true };
        assert!(sees(Some(&principal(&["team-a"])), &granted));
        let nothing = BlobAccess::default();
        assert!(!sees(Some(&principal(&[])), &nothing));
        assert!(!sees(None, &nothing));
    }
}
