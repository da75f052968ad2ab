//! Resumable upload sessions for large blobs: create (declaring digest and size), send
//! numbered parts, ask which parts arrived, complete. Invariant 1 holds throughout: the blob
//! becomes visible under its digest only after the server has hashed every byte and the
//! digest and size match; otherwise the session is aborted and nothing is left.
//!
//! How the digest of a blob sent in parts is known: parts are hashed in order. The sha256
//! state after the hashed prefix is saved in the session's row after every part, advanced by
//! a compare-and-set on the number of hashed parts, so any replica (or the same server after
//! a restart) continues it and two replicas can never both advance it. A part that arrives
//! ahead of the prefix is refused with `409 part_out_of_order` and not kept: on S3 the parts
//! of an unfinished multipart upload cannot be read back to hash them later, and staging
//! them elsewhere would cost a second write and read of every such byte. The cost of this
//! choice is that one blob's parts are sent one after another; clients get parallelism by
//! sending several blobs at once. A repeated part is hashed again and must match the sha256
//! recorded for it (`409 part_conflict` otherwise), so only bytes that went into the running
//! hash can ever reach the backend. Sessions also never hand out presigned part URLs: the
//! server must see the bytes to hash them.
//!
//! A session belongs to the token that opened it: any other token gets the same 404 as for
//! an unknown id, and logs at INFO name a session by a short prefix of its id only. Each
//! token may hold a bounded number of open sessions. Opening a session for a blob the caller
//! cannot see proceeds even when the blob is stored (see `visibility`); completing it replaces
//! the stored copy and grants the blob to the token.

use std::time::Duration;

use chrono::{DateTime, SubsecRound, Utc};
use modelreg_api::{Digest, MAX_PART_SIZE, MAX_UPLOAD_PARTS, PartLayout};

use super::{Principal, Registry, RegistryError};
use crate::blob::{RunningHash, UploadLock, UploadTarget};
use crate::store::{NewUpload, UploadPhase, UploadRecord};

/// Session ids are `up_` and 32 lower-case hex digits (128 random bits).
const ID_PREFIX: &str = "up_";
/// Expired sessions handled per metadata query during garbage collection.
const GC_BATCH: u32 = 100;
/// What a token past its session cap is told to wait: sessions end as they complete.
const CAP_RETRY_AFTER_SECS: u64 = 60;

/// How sessions are cut and how long they live.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UploadSettings {
    /// Preferred part size; raised to 5 MiB and as needed for at most 10,000 parts.
    pub part_size: u64,
    /// A session without progress for this long is aborted by garbage collection; a
    /// completed one is forgotten after it. Also how long an upload grants its blob to the
    /// uploading token.
    pub session_ttl: Duration,
    /// Open, unexpired sessions one token may hold.
    pub max_open_per_token: u32,
}

/// Default of [`UploadSettings::max_open_per_token`]: far more than a push keeps in flight.
pub const DEFAULT_MAX_OPEN_SESSIONS: u32 = 64;

impl Default for UploadSettings {
    fn default() -> Self {
        Self {
            part_size: 16 << 20,
            session_ttl: Duration::from_secs(24 * 60 * 60),
            max_open_per_token: DEFAULT_MAX_OPEN_SESSIONS,
        }
    }
}

/// What `POST /v1/uploads` did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UploadOpened {
    /// The registry already holds the blob; no session was opened.
    Exists {
        digest: Digest,
        size: u64,
    },
    Open(UploadRecord),
}

/// A completed upload.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UploadCompleted {
    pub digest: Digest,
    pub size: u64,
    /// False when this call did not create the blob (a repeated complete, or the blob
    /// arrived by another way meanwhile).
    pub created: bool,
}

pub(super) fn now() -> DateTime<Utc> {
    Utc::now().trunc_subsecs(3)
}

/// How logs name a session: `up_` and the first 8 hex digits, enough to correlate lines,
/// far too little to use the session (one rule for the service and the blob store).
pub(super) use crate::blob::session_log_id as log_id;

fn not_found(id: &str) -> RegistryError {
    RegistryError::UploadNotFound(id.chars().take(40).collect())
}

fn is_session_id(id: &str) -> bool {
    id.strip_prefix(ID_PREFIX)
        .is_some_and(|hex| hex.len() == 32 && hex.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')))
}

pub(super) fn target(s: &UploadRecord) -> UploadTarget {
    UploadTarget {
        session: s.id.clone(),
        digest: s.digest,
        backend_upload_id: s.backend_upload_id.clone(),
        part_size: s.part_size,
    }
}

impl Registry {
    /// Opens a session owned by `caller` for a blob of `size` bytes hashing to `digest`,
    /// unless the caller can already see a stored copy (one a scrub found damaged does not
    /// count: the session replaces it).
    pub async fn create_upload(
        &self,
        caller: &Principal,
        digest: Digest,
        size: u64,
    ) -> Result<UploadOpened, RegistryError> {
        if size > self.policy.max_blob_bytes {
            return Err(RegistryError::BlobTooLarge { size, max: self.policy.max_blob_bytes });
        }
        if size == 0 {
            return Err(RegistryError::Invalid {
                code: crate::service::InvalidCode::InvalidSize,
                message: "size: an upload session needs at least 1 byte; send an empty blob with PUT /v1/blobs/{digest}"
                    .into(),
            });
        }
        let stored = self.visible_size(Some(caller), &digest).await?;
        // A copy that a scrub found damaged is replaced like an absent one (the completion
        // verifies the new bytes before they replace it).
        let damaged =
            stored.is_some() && !self.meta.damaged_blobs(std::slice::from_ref(&digest)).await?.is_empty();
        match stored.filter(|_| !damaged) {
            Some(existing) if existing == size => return Ok(UploadOpened::Exists { digest, size }),
            Some(existing) => return Err(RegistryError::SizeMismatch { expected: existing, actual: size }),
            None => {}
        }
        let layout = PartLayout::for_size(size, self.uploads.part_size)
            .ok_or(RegistryError::BlobTooLarge { size, max: u64::from(MAX_UPLOAD_PARTS) * MAX_PART_SIZE })?;
        let mut random = [0u8; 16];
        getrandom::fill(&mut random).map_err(|e| RegistryError::internal(format!("no randomness: {e}")))?;
        let id = format!("{ID_PREFIX}{}", hex::encode(random));
        let backend_upload_id = self.blobs.begin_upload(&digest).await?;
        let created_at = now();
        let new = NewUpload {
            id: id.clone(),
            owner: caller.token_name.clone(),
            digest,
            size,
            part_size: layout.part_size,
            part_count: layout.part_count,
            backend_upload_id,
            hash_state: RunningHash::new().save(),
            created_at,
            expires_at: created_at + self.uploads.session_ttl,
        };
        let recorded = self.meta.create_upload(&new, self.uploads.max_open_per_token).await;
        if !matches!(recorded, Ok(Ok(()))) {
            let t = UploadTarget {
                session: id,
                digest,
                backend_upload_id: new.backend_upload_id,
                part_size: new.part_size,
            };
            if let Err(abort) = self.blobs.abort_upload(&t).await {
                tracing::warn!(upload.id = log_id(&t.session), error = %abort, "could not abort an unrecorded upload");
            }
            return Err(match recorded {
                Err(e) => e.into(),
                Ok(_too_many) => RegistryError::TooManyUploads {
                    max: self.uploads.max_open_per_token,
                    retry_after_secs: CAP_RETRY_AFTER_SECS,
                },
            });
        }
        tracing::info!(upload.id = log_id(&id), token.name = %caller.token_name, blob.digest = %digest, size_bytes = size, part_count = layout.part_count, "upload session opened");
        Ok(UploadOpened::Open(UploadRecord {
            owner: Some(caller.token_name.clone()),
            id,
            digest,
            size,
            part_size: new.part_size,
            part_count: new.part_count,
            backend_upload_id: new.backend_upload_id,
            hashed_parts: 0,
            hash_state: new.hash_state,
            phase: UploadPhase::Open,
            created_at,
            expires_at: new.expires_at,
            parts: Vec::new(),
        }))
    }

    /// A live (unexpired) session of `caller`, with all its parts or only `only_part`; 404
    /// otherwise, the same for another token's session as for an unknown one.
    pub(super) async fn live_upload(
        &self,
        caller: &Principal,
        id: &str,
        only_part: Option<u32>,
    ) -> Result<UploadRecord, RegistryError> {
        if !is_session_id(id) {
            return Err(not_found(id));
        }
        match self.meta.get_upload(id, only_part).await? {
            Some(s) if s.expires_at > now() && s.owner.as_deref() == Some(caller.token_name.as_str()) => {
                Ok(s)
            }
            _ => Err(not_found(id)),
        }
    }

    /// A live session read while holding its write lock (where the backend has one), so
    /// that no other request writes to it until the lock is dropped.
    pub(super) async fn locked_upload(
        &self,
        caller: &Principal,
        id: &str,
        only_part: Option<u32>,
    ) -> Result<(UploadRecord, UploadLock), RegistryError> {
        let s = self.live_upload(caller, id, only_part).await?;
        let lock = self.blobs.lock_upload(&target(&s)).await?;
        if lock.excludes() {
            // What it was before the wait may be stale.
            return Ok((self.live_upload(caller, id, only_part).await?, lock));
        }
        Ok((s, lock))
    }

    /// The session and the parts the server holds.
    pub async fn upload_status(&self, caller: &Principal, id: &str) -> Result<UploadRecord, RegistryError> {
        self.live_upload(caller, id, None).await
    }

    /// Publishes the blob once every part is stored and the whole hashes to the declared
    /// digest, replacing any stored copy, and grants it to the caller; on a mismatch the
    /// session is aborted and nothing becomes visible.
    pub async fn complete_upload(
        &self,
        caller: &Principal,
        id: &str,
    ) -> Result<UploadCompleted, RegistryError> {
        let (s, _lock) = self.locked_upload(caller, id, None).await?;
        let done = |created| UploadCompleted { digest: s.digest, size: s.size, created };
        if s.phase == UploadPhase::Complete {
            return Ok(done(false));
        }
        let stored = s.stored_parts();
        if stored.len() != s.part_count as usize || s.hashed_parts != s.part_count {
            let missing = (1..=s.part_count).filter(|n| stored.binary_search(n).is_err()).collect();
            return Err(RegistryError::UploadIncomplete { missing });
        }
        let running = RunningHash::resume(&s.hash_state).map_err(|e| RegistryError::Internal(Box::new(e)))?;
        let actual = running.finish();
        if actual != s.digest {
            self.discard_upload(&s).await;
            tracing::info!(upload.id = log_id(&s.id), blob.digest = %s.digest, actual = %actual, "upload aborted: digest mismatch");
            return Err(RegistryError::DigestMismatch { expected: s.digest, actual });
        }
        let target = target(&s);
        // The verified bytes replace whatever is stored (a copy that no longer verifies is
        // repaired this way); `created` says only whether the caller could see it before.
        let known = self.visible_size(Some(caller), &s.digest).await? == Some(s.size);
        let content_ids = s.parts.iter().filter_map(|p| p.content_id.clone()).collect();
        match self.blobs.complete_upload(&target, s.size, content_ids).await {
            Ok(()) => {}
            // A concurrent complete (another replica) may have finished first.
            Err(e) if self.blobs.size_of(&s.digest).await? == Some(s.size) => {
                tracing::debug!(upload.id = log_id(&s.id), error = %e, "upload completed concurrently");
            }
            Err(e) => return Err(self.failed_completion(&s, e.into()).await),
        }
        self.meta.clear_blob_damage(&s.digest).await?;
        self.grant_upload(caller, &s.digest).await?;
        self.meta.mark_upload_complete(&s.id, now() + self.uploads.session_ttl).await?;
        tracing::info!(upload.id = log_id(&s.id), blob.digest = %s.digest, size_bytes = s.size, "upload completed");
        Ok(done(!known))
    }

    /// Sorts out a completion the backend refused: the session may have been aborted
    /// meanwhile (404), or the staged bytes no longer hash to the digest (the session is
    /// discarded; nothing was published).
    async fn failed_completion(&self, s: &UploadRecord, e: RegistryError) -> RegistryError {
        match e {
            RegistryError::DigestMismatch { .. } | RegistryError::SizeMismatch { .. } => {
                self.discard_upload(s).await;
                e
            }
            e => match self.meta.get_upload(&s.id, Some(0)).await {
                Ok(None) => not_found(&s.id),
                _ => e,
            },
        }
    }

    /// Aborts a session (a completed one is only forgotten; its blob stays).
    pub async fn abort_upload(&self, caller: &Principal, id: &str) -> Result<(), RegistryError> {
        let s = self.live_upload(caller, id, Some(0)).await?;
        self.discard_upload(&s).await;
        Ok(())
    }

    /// Deletes the session's row, then what the backend holds of it (best effort: a leftover
    /// S3 upload is for the bucket's lifecycle rule, a staged one for the next GC).
    async fn discard_upload(&self, s: &UploadRecord) {
        match self.meta.delete_upload(&s.id).await {
            Ok(true) if s.phase == UploadPhase::Open => {
                if let Err(e) = self.blobs.abort_upload(&target(s)).await {
                    tracing::warn!(upload.id = log_id(&s.id), error = %e, "could not abort the backend upload");
                }
            }
            Ok(_) => {}
            Err(e) => {
                tracing::warn!(upload.id = log_id(&s.id), error = %e, "could not delete an upload session")
            }
        }
    }

    /// Garbage collection: aborts the sessions that expired before `now` (deleting their
    /// rows and whatever the backend holds of them) and removes staged parts no session
    /// owns. Returns the number of sessions removed.
    pub async fn abort_stale_uploads(&self, now: DateTime<Utc>) -> Result<usize, RegistryError> {
        let mut removed = 0;
        loop {
            let batch = self.meta.expired_uploads(now, GC_BATCH).await?;
            for s in &batch {
                // Still expired? A part may have arrived since the query.
                if !self.meta.delete_expired_upload(&s.id, now).await? {
                    continue;
                }
                removed += 1;
                if s.phase == UploadPhase::Open {
                    let t = UploadTarget {
                        session: s.id.clone(),
                        digest: s.digest,
                        backend_upload_id: s.backend_upload_id.clone(),
                        // Aborting places no part.
                        part_size: 0,
                    };
                    if let Err(e) = self.blobs.abort_upload(&t).await {
                        tracing::warn!(upload.id = log_id(&s.id), error = %e, "could not abort a stale upload");
                    }
                }
            }
            if batch.len() < GC_BATCH as usize {
                break;
            }
        }
        let grants = self.meta.delete_expired_grants(now).await?;
        if grants > 0 {
            tracing::info!(count = grants, "expired upload grants removed");
        }
        for id in self.blobs.staged_sessions().await? {
            if is_session_id(&id) && self.meta.get_upload(&id, Some(0)).await?.is_none() {
                self.blobs.discard_staged(&id).await?;
            }
        }
        // A PUT untouched for a session's lifetime is long dead.
        let cutoff = std::time::SystemTime::from(now) - self.uploads.session_ttl;
        let swept = self.blobs.sweep_abandoned_puts(cutoff).await?;
        if swept > 0 {
            tracing::info!(count = swept, "abandoned blob writes removed");
        }
        if removed > 0 {
            tracing::info!(count = removed, "stale upload sessions removed");
        }
        Ok(removed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn logs_name_a_session_by_a_short_prefix_only() {
        let id = format!("{ID_PREFIX}{}", "0123456789abcdef".repeat(2));
        assert!(is_session_id(&id));
        assert_eq!(log_id(&id), "up_01234567");
        assert_eq!(log_id("up_12"), "up_12", "a short id is logged as it is");
    }
}
