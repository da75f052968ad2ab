//! The blob store's side of upload sessions: where the parts of a session go and how they
//! become the blob. On S3 a session is one multipart upload of the final, content-addressed
//! key (`put_part` per part, completed or aborted by whichever replica gets there); on a
//! local folder the parts are written into one file that becomes the blob (see `local`).
//! These are the only two: a store built over any other object store (as tests do for
//! reads) refuses upload sessions with a configuration error.
//!
//! This module only moves and hashes bytes. Whether a part may be taken, and whether the
//! digest checked out before completing, is the service's business.

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use futures_util::stream::{Stream, StreamExt, TryStreamExt};
use modelreg_api::Digest;
use object_store::local::LocalFileSystem;
use object_store::multipart::{MultipartStore, PartId};
use object_store::signer::Signer;
use object_store::{ObjectStore, PutPayload};

use super::local::{FileWriter, LocalUploads, UploadLock};
use super::part_buffer::{PartBuffer, Room};
use super::pieces::Pieces;
use super::{BlobError, BlobStore, RunningHash, key_for};

/// How upload sessions reach the backend.
#[derive(Clone)]
pub(super) enum UploadBackend {
    S3(Arc<S3Uploads>),
    /// Parts written into one file per session in a local folder.
    Local(Arc<LocalUploads>),
}

pub(super) struct S3Uploads {
    multipart: Arc<dyn MultipartStore>,
    signer: Arc<dyn Signer>,
    presign_ttl: Option<Duration>,
    /// Where parts are assembled before `put_part`, shared by all requests (see
    /// `part_buffer` for how one slow client is kept from starving the others).
    buffer: Arc<PartBuffer>,
}

/// Where one session's parts go: its id, its blob, and the S3 multipart upload if any.
#[derive(Debug, Clone)]
pub struct UploadTarget {
    pub session: String,
    pub digest: Digest,
    pub backend_upload_id: Option<String>,
    /// Bytes per part (all but the last), which places part N at `(N - 1) * part_size`.
    pub part_size: u64,
}

/// How logs name an upload session: its first 11 characters (`up_` and 8 hex digits),
/// enough to correlate lines, far too little to use the session.
pub fn session_log_id(id: &str) -> &str {
    id.get(..11).unwrap_or(id)
}

/// A part whose bytes have all arrived, been counted and hashed, and wait to be stored.
/// Dropping it discards them.
pub struct ReceivedPart {
    pub number: u32,
    /// The running hash it was given, continued through this part.
    pub running: RunningHash,
    held: Held,
}

/// A received part, with the backend that stores it.
enum Held {
    /// A whole S3 part in pieces, with its room in the shared part buffer.
    Memory { s3: Arc<S3Uploads>, pieces: Vec<Bytes>, _room: Room },
    /// Written at its offset in the session's local file.
    Written(Arc<LocalUploads>),
}

/// Where a part's bytes go while they arrive.
enum Sink {
    /// Assembled in memory for one S3 `put_part`, in its room of the shared part buffer.
    Memory { s3: Arc<S3Uploads>, pieces: Vec<Bytes>, room: Room },
    /// Written at its offset in the session's local file.
    Local(Arc<LocalUploads>, FileWriter),
}

impl Sink {
    async fn take(&mut self, piece: Bytes) -> Result<(), BlobError> {
        match self {
            Self::Memory { pieces, .. } => pieces.push(piece),
            Self::Local(_, writer) => writer.write(piece).await?,
        }
        Ok(())
    }

    /// The next chunk of a part's body. A part assembled in the shared S3 buffer gets an
    /// error instead once it outstays its room there (see `part_buffer`).
    async fn next_chunk<S>(&self, body: &mut S, received: u64) -> Option<Result<Bytes, BlobError>>
    where
        S: Stream<Item = Result<Bytes, BlobError>> + Unpin,
    {
        let Self::Memory { s3, room, .. } = self else { return body.next().await };
        tokio::select! {
            biased;
            chunk = body.next() => chunk,
            () = s3.buffer.outstayed(room, received) => Some(Err(PartBuffer::too_slow(room, received))),
        }
    }

    /// All bytes have arrived: the part is held until stored.
    async fn finish(self) -> Result<Held, BlobError> {
        Ok(match self {
            Self::Memory { s3, pieces, room } => Held::Memory { s3, pieces, _room: room },
            Self::Local(local, writer) => {
                writer.finish().await?;
                Held::Written(local)
            }
        })
    }
}

impl BlobStore {
    /// A store on S3 (or S3 under a prefix): sessions become multipart uploads, and GETs can
    /// be presigned once [`BlobStore::with_presign`] switches that on.
    pub(super) fn on_s3<T: ObjectStore + MultipartStore + Signer>(store: T) -> Self {
        let store = Arc::new(store);
        let uploads = S3Uploads {
            multipart: store.clone(),
            signer: store.clone(),
            presign_ttl: None,
            buffer: Arc::new(PartBuffer::new()),
        };
        let mut blobs = Self::new(store);
        blobs.uploads = Some(UploadBackend::S3(Arc::new(uploads)));
        blobs.backend = "s3";
        blobs
    }

    /// A store on the local folder `root`: sessions write one file each (see `local`).
    pub(super) fn on_local(local: LocalFileSystem, root: std::path::PathBuf) -> Self {
        let mut blobs = Self::new(Arc::new(local));
        blobs.uploads = Some(UploadBackend::Local(Arc::new(LocalUploads::new(root))));
        blobs.backend = "local";
        blobs
    }

    /// The backend of upload sessions; a store over any other object store has none.
    fn sessions(&self) -> Result<&UploadBackend, BlobError> {
        self.uploads
            .as_ref()
            .ok_or_else(|| BlobError::Config("upload sessions need a file:// or s3:// blob store".into()))
    }

    /// Excludes other writers of the session until dropped, where the backend needs that
    /// (a local folder, whose parts share one file); the caller then reads the session's
    /// state again, since it may have changed while waiting.
    pub async fn lock_upload(&self, target: &UploadTarget) -> Result<UploadLock, BlobError> {
        match self.sessions()? {
            UploadBackend::Local(local) => local.lock(&target.session).await,
            UploadBackend::S3(_) => Ok(UploadLock::none()),
        }
    }

    /// Answers blob reads with presigned GET URLs valid for `ttl` (S3 only).
    pub fn with_presign(mut self, ttl: Duration) -> Result<Self, BlobError> {
        let Some(UploadBackend::S3(s3)) = &self.uploads else {
            return Err(BlobError::Config("presigned URLs need an s3:// blob store".into()));
        };
        let presigning = S3Uploads {
            multipart: s3.multipart.clone(),
            signer: s3.signer.clone(),
            presign_ttl: Some(ttl),
            buffer: s3.buffer.clone(),
        };
        self.uploads = Some(UploadBackend::S3(Arc::new(presigning)));
        Ok(self)
    }

    /// Sets how long an S3 part may hold its room in the shared part buffer before it must
    /// keep up the minimum rate while others wait (the body idle timeout; see
    /// `part_buffer`). Other stores have no shared buffer and are returned unchanged.
    pub fn with_part_hold_grace(mut self, grace: Duration) -> Self {
        if let Some(UploadBackend::S3(s3)) = &self.uploads {
            let buffered = S3Uploads {
                multipart: s3.multipart.clone(),
                signer: s3.signer.clone(),
                presign_ttl: s3.presign_ttl,
                buffer: Arc::new(PartBuffer::with_grace(grace)),
            };
            self.uploads = Some(UploadBackend::S3(Arc::new(buffered)));
        }
        self
    }

    /// A presigned GET URL of the blob when presigning is on, else `None`. It does not check
    /// that the blob exists.
    pub async fn presigned_get(&self, digest: &Digest) -> Result<Option<String>, BlobError> {
        let Some(UploadBackend::S3(s3)) = &self.uploads else { return Ok(None) };
        let Some(ttl) = s3.presign_ttl else { return Ok(None) };
        let url = s3.signer.signed_url(object_store::signer::Method::GET, &key_for(digest), ttl).await?;
        Ok(Some(url.to_string()))
    }

    /// Starts the backend side of a session for `digest`: on S3 a multipart upload of the
    /// final key, whose id is returned to be kept with the session; on a local folder nothing.
    pub async fn begin_upload(&self, digest: &Digest) -> Result<Option<String>, BlobError> {
        self.observed("begin_upload", async {
            match self.sessions()? {
                UploadBackend::S3(s3) => Ok(Some(s3.multipart.create_multipart(&key_for(digest)).await?)),
                UploadBackend::Local(_) => Ok(None),
            }
        })
        .await
    }

    /// Receives part `number` of exactly `len` bytes, hashing it as the continuation of
    /// `running` (the blob's prefix before it). On S3 the bytes are held in memory until
    /// [`BlobStore::store_part`]; on a local folder they are written at the part's offset at
    /// once (the caller holds the session's lock).
    pub async fn receive_part<S, E>(
        &self,
        target: &UploadTarget,
        number: u32,
        len: u64,
        mut running: RunningHash,
        body: S,
    ) -> Result<ReceivedPart, BlobError>
    where
        S: Stream<Item = Result<Bytes, E>> + Unpin,
        E: std::error::Error + Send + Sync + 'static,
    {
        let mut body = body.map_err(|e| BlobError::Body(Box::new(e)));
        let mut sink = match self.sessions()? {
            UploadBackend::S3(s3) => {
                Sink::Memory { s3: s3.clone(), pieces: Vec::new(), room: s3.buffer.reserve(len).await? }
            }
            UploadBackend::Local(local) => {
                let offset = u64::from(number.saturating_sub(1)) * target.part_size;
                Sink::Local(local.clone(), local.part_writer(target, offset).await?)
            }
        };
        let mut seen = 0u64;
        let mut pieces = Pieces::default();
        while let Some(chunk) = sink.next_chunk(&mut body, seen).await {
            let chunk = chunk?;
            seen += chunk.len() as u64;
            if seen > len {
                return Err(BlobError::SizeMismatch { expected: len, actual: seen });
            }
            running.update(&chunk);
            for piece in pieces.push(&chunk) {
                sink.take(piece).await?;
            }
        }
        if let Some(piece) = pieces.finish() {
            sink.take(piece).await?;
        }
        if seen != len {
            return Err(BlobError::SizeMismatch { expected: len, actual: seen });
        }
        Ok(ReceivedPart { number, running, held: sink.finish().await? })
    }

    /// Hashes a repeated part on from `running` without keeping it, to compare with the one
    /// already stored.
    pub async fn hash_part<S, E>(&self, len: u64, mut hash: RunningHash, body: S) -> Result<Digest, BlobError>
    where
        S: Stream<Item = Result<Bytes, E>> + Unpin,
        E: std::error::Error + Send + Sync + 'static,
    {
        let mut body = body.map_err(|e| BlobError::Body(Box::new(e)));
        let mut seen = 0u64;
        while let Some(chunk) = body.next().await {
            let chunk = chunk?;
            seen += chunk.len() as u64;
            if seen > len {
                return Err(BlobError::SizeMismatch { expected: len, actual: seen });
            }
            hash.update(&chunk);
        }
        if seen != len {
            return Err(BlobError::SizeMismatch { expected: len, actual: seen });
        }
        Ok(hash.finish())
    }

    /// Makes a received part durable in the backend and returns its content id (the S3
    /// part's ETag), to be passed back to [`BlobStore::complete_upload`].
    pub async fn store_part(&self, target: &UploadTarget, part: ReceivedPart) -> Result<String, BlobError> {
        self.observed("store_part", Self::store_received(target, part)).await
    }

    async fn store_received(target: &UploadTarget, part: ReceivedPart) -> Result<String, BlobError> {
        match part.held {
            Held::Memory { s3, pieces, _room } => {
                let id = s3_upload_id(target)?;
                let idx = usize::try_from(part.number - 1).expect("part numbers fit usize");
                let payload = PutPayload::from_iter(pieces);
                let stored = s3.multipart.put_part(&key_for(&target.digest), id, idx, payload).await?;
                Ok(stored.content_id)
            }
            Held::Written(local) => Ok(local.content_id()),
        }
    }

    /// Publishes the session's parts as the blob `target.digest` of `size` bytes.
    /// `content_ids` are those of parts 1, 2, ... in order. On S3 the caller must have
    /// checked the digest already: completing makes the object visible.
    pub async fn complete_upload(
        &self,
        target: &UploadTarget,
        size: u64,
        content_ids: Vec<String>,
    ) -> Result<(), BlobError> {
        self.observed("complete_upload", self.complete_parts(target, size, content_ids)).await
    }

    async fn complete_parts(
        &self,
        target: &UploadTarget,
        size: u64,
        content_ids: Vec<String>,
    ) -> Result<(), BlobError> {
        match self.sessions()? {
            UploadBackend::S3(s3) => {
                let parts = content_ids.into_iter().map(|content_id| PartId { content_id }).collect();
                s3.multipart
                    .complete_multipart(&key_for(&target.digest), s3_upload_id(target)?, parts)
                    .await?;
                Ok(())
            }
            UploadBackend::Local(local) => local.complete(target, size, &content_ids).await,
        }
    }

    /// Discards whatever the backend holds of a session. Idempotent.
    pub async fn abort_upload(&self, target: &UploadTarget) -> Result<(), BlobError> {
        self.observed("abort_upload", async {
            match self.sessions()? {
                UploadBackend::S3(s3) => {
                    let key = key_for(&target.digest);
                    match s3.multipart.abort_multipart(&key, s3_upload_id(target)?).await {
                        Ok(()) | Err(object_store::Error::NotFound { .. }) => Ok(()),
                        Err(e) => Err(e.into()),
                    }
                }
                UploadBackend::Local(local) => local.discard(&target.session).await,
            }
        })
        .await
    }

    /// Ids of the sessions that have a folder of staged parts (none on S3, whose parts
    /// live in the multipart upload), for sweeping orphans.
    pub async fn staged_sessions(&self) -> Result<Vec<String>, BlobError> {
        match self.sessions()? {
            UploadBackend::Local(local) => local.sessions().await,
            UploadBackend::S3(_) => Ok(Vec::new()),
        }
    }

    /// Removes what single-`PUT` writes interrupted before `cutoff` left behind (a local
    /// folder's partial files; other stores clean up after themselves). Returns how many.
    pub async fn sweep_abandoned_puts(&self, cutoff: std::time::SystemTime) -> Result<usize, BlobError> {
        match &self.uploads {
            Some(UploadBackend::Local(local)) => local.sweep_puts(cutoff).await,
            Some(UploadBackend::S3(_)) | None => Ok(0),
        }
    }

    /// Removes the staged parts of a session no row describes any more.
    pub async fn discard_staged(&self, session: &str) -> Result<(), BlobError> {
        match self.sessions()? {
            UploadBackend::Local(local) => local.discard(session).await,
            UploadBackend::S3(_) => Ok(()),
        }
    }
}

fn s3_upload_id(target: &UploadTarget) -> Result<&String, BlobError> {
    target.backend_upload_id.as_ref().ok_or_else(|| {
        BlobError::Config(format!("upload {} has no S3 multipart id", session_log_id(&target.session)))
    })
}

#[cfg(test)]
mod tests {
    use object_store::memory::InMemory;

    use super::*;

    #[tokio::test]
    async fn a_store_over_another_object_store_refuses_upload_sessions_naming_the_stores_that_do() {
        let blobs = BlobStore::new(Arc::new(InMemory::new()));
        let digest: Digest = format!("sha256:{}", "ab".repeat(32)).parse().unwrap();
        let target =
            UploadTarget { session: "up_a".into(), digest, backend_upload_id: None, part_size: 5 << 20 };
        let refused =
            |e: BlobError| matches!(&e, BlobError::Config(m) if m.contains("file://") && m.contains("s3://"));
        assert!(refused(blobs.begin_upload(&digest).await.unwrap_err()));
        assert!(refused(blobs.lock_upload(&target).await.err().expect("no lock is taken")));
        let body = futures_util::stream::iter([Ok::<_, std::io::Error>(Bytes::from_static(b"x"))]);
        let received = blobs.receive_part(&target, 1, 1, RunningHash::new(), body).await;
        assert!(refused(received.err().expect("no part is received")));
        assert!(refused(blobs.complete_upload(&target, 1, Vec::new()).await.unwrap_err()));
        assert!(refused(blobs.abort_upload(&target).await.unwrap_err()));
        assert!(refused(blobs.staged_sessions().await.unwrap_err()));
        assert!(refused(blobs.discard_staged("up_a").await.unwrap_err()));
        assert_eq!(blobs.sweep_abandoned_puts(std::time::SystemTime::now()).await.unwrap(), 0);
        assert_eq!(blobs.presigned_get(&digest).await.unwrap(), None);
    }

    #[tokio::test]
    async fn an_s3_session_without_its_multipart_id_fails_naming_the_session_by_its_short_id() {
        let s3 = object_store::aws::AmazonS3Builder::new()
            .with_bucket_name("b")
            .with_region("us-east-1")
            .with_access_key_id("k")
            .with_secret_access_key("s")
            .build()
            .unwrap();
        let blobs = BlobStore::on_s3(s3);
        let id = format!("up_{}", "0123456789abcdef".repeat(2));
        let digest: Digest = format!("sha256:{}", "ab".repeat(32)).parse().unwrap();
        let target =
            UploadTarget { session: id.clone(), digest, backend_upload_id: None, part_size: 5 << 20 };
        // The error's text is logged where it is handled: it must not carry the full id.
        let err = blobs.abort_upload(&target).await.unwrap_err().to_string();
        assert!(err.contains("up_01234567") && !err.contains(&id), "{err}");
    }

    #[test]
    fn logs_name_a_session_by_its_first_eleven_characters() {
        let id = format!("up_{}", "0123456789abcdef".repeat(2));
        assert_eq!(session_log_id(&id), "up_01234567");
        assert_eq!(session_log_id("up_12"), "up_12", "a short id is logged as it is");
    }
}
