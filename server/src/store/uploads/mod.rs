//! The upload-session part of the metadata store: sessions of resumable uploads and their
//! parts. The running sha256 state lives here, advanced by a compare-and-set on the number
//! of hashed parts, so that a session survives restarts and any replica can continue it.
//! This module knows nothing of HTTP or of where the parts' bytes are kept.

pub(super) mod sql;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use modelreg_api::{Digest, PartLayout};

use super::StoreError;

/// A session to be written by [`UploadStore::create_upload`].
#[derive(Debug, Clone)]
pub struct NewUpload {
    pub id: String,
    /// The token that opens the session; only it may continue, query or end it.
    pub owner: String,
    pub digest: Digest,
    pub size: u64,
    pub part_size: u64,
    pub part_count: u32,
    /// The S3 multipart upload id; `None` where parts are staged as objects.
    pub backend_upload_id: Option<String>,
    /// Serialized sha256 state of zero bytes.
    pub hash_state: Vec<u8>,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
}

/// Whether a session still takes parts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UploadPhase {
    Open,
    /// The blob is stored; the row stays until it expires so that a repeated complete or a
    /// status request still gets an answer.
    Complete,
}

impl UploadPhase {
    pub(in crate::store) fn as_str(self) -> &'static str {
        match self {
            Self::Open => "open",
            Self::Complete => "complete",
        }
    }

    pub(in crate::store) fn parse(s: &str) -> Result<Self, StoreError> {
        match s {
            "open" => Ok(Self::Open),
            "complete" => Ok(Self::Complete),
            other => Err(StoreError::Corrupt(format!("upload state '{other}'"))),
        }
    }
}

/// A part the session has hashed, and whether the backend holds its bytes yet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UploadPartRecord {
    /// 1-based.
    pub number: u32,
    pub size: u64,
    /// sha256 of the blob's prefix through this part (of this part alone when
    /// `state_before` is `None`, as recorded by earlier versions): a repeat must match it.
    pub sha256: Digest,
    /// The running sha256 state before this part, from which a repeat is hashed.
    pub state_before: Option<Vec<u8>>,
    /// The backend's id of the stored part (S3 ETag); `None` until the bytes are stored.
    pub content_id: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UploadRecord {
    pub id: String,
    /// The token that opened the session (`None` for sessions older than owners: nobody's).
    pub owner: Option<String>,
    pub digest: Digest,
    pub size: u64,
    pub part_size: u64,
    pub part_count: u32,
    pub backend_upload_id: Option<String>,
    /// Parts 1..=hashed_parts are in `hash_state`.
    pub hashed_parts: u32,
    pub hash_state: Vec<u8>,
    pub phase: UploadPhase,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    /// Every hashed part, by number.
    pub parts: Vec<UploadPartRecord>,
}

impl UploadRecord {
    pub fn layout(&self) -> PartLayout {
        PartLayout { size: self.size, part_size: self.part_size, part_count: self.part_count }
    }

    pub fn part(&self, number: u32) -> Option<&UploadPartRecord> {
        self.parts.iter().find(|p| p.number == number)
    }

    /// Numbers of the parts whose bytes the backend holds, ascending.
    pub fn stored_parts(&self) -> Vec<u32> {
        self.parts.iter().filter(|p| p.content_id.is_some()).map(|p| p.number).collect()
    }
}

/// The next part of the hashed prefix, for [`UploadStore::record_hashed_part`].
#[derive(Debug, Clone)]
pub struct HashedPart {
    pub number: u32,
    pub size: u64,
    /// sha256 of the blob's prefix through this part.
    pub sha256: Digest,
    /// The running state before this part (kept with the part, to check a repeat).
    pub state_before: Vec<u8>,
    /// The running state after this part (kept with the session).
    pub hash_state: Vec<u8>,
    /// Progress extends the session's life.
    pub expires_at: DateTime<Utc>,
}

/// Another request advanced the hashed prefix first, or the session is no longer open.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PrefixMoved;

/// The owner already has as many open sessions as allowed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TooManyUploads;

/// An expired session, as garbage collection needs it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExpiredUpload {
    pub id: String,
    pub digest: Digest,
    pub part_count: u32,
    pub backend_upload_id: Option<String>,
    pub phase: UploadPhase,
}

#[async_trait]
pub trait UploadStore: Send + Sync + 'static {
    /// Records a new session unless its owner already has `max_open` open, unexpired
    /// sessions (counted and inserted under a per-owner lock, so concurrent creates cannot
    /// overshoot the cap).
    async fn create_upload(
        &self,
        new: &NewUpload,
        max_open: u32,
    ) -> Result<Result<(), TooManyUploads>, StoreError>;

    /// The session with all its parts, or only with part `only_part` (if hashed).
    async fn get_upload(&self, id: &str, only_part: Option<u32>) -> Result<Option<UploadRecord>, StoreError>;

    /// Appends part `part.number` to the hashed prefix and records it, if the session is
    /// open and exactly `part.number - 1` parts are hashed: of concurrent callers exactly
    /// one advances the state.
    async fn record_hashed_part(
        &self,
        id: &str,
        part: &HashedPart,
    ) -> Result<Result<(), PrefixMoved>, StoreError>;

    /// Records the backend's id of a hashed part's stored bytes. False when the session or
    /// the part is gone.
    async fn record_stored_part(&self, id: &str, number: u32, content_id: &str) -> Result<bool, StoreError>;

    /// Marks an open session complete, keeping it until `expires_at`. False when it was not
    /// open (already complete, or gone).
    async fn mark_upload_complete(&self, id: &str, expires_at: DateTime<Utc>) -> Result<bool, StoreError>;

    /// Deletes a session and its parts. False when it did not exist.
    async fn delete_upload(&self, id: &str) -> Result<bool, StoreError>;

    /// Sessions that expired before `now`, oldest first, at most `limit`.
    async fn expired_uploads(&self, now: DateTime<Utc>, limit: u32)
    -> Result<Vec<ExpiredUpload>, StoreError>;

    /// Deletes a session only if it is still expired at `now` (a part that arrived meanwhile
    /// extends it). False when it was not deleted.
    async fn delete_expired_upload(&self, id: &str, now: DateTime<Utc>) -> Result<bool, StoreError>;
}
