//! The blob store's side of upload sessions: where the parts of a session go and how they
//! become the blob. On S3 a session is one multipart upload of the final, content-addressed
//! key (`put_part` per part, completed or aborted by whichever replica gets there); on a
//! local folder the parts are written into one file that becomes the blob (see `local`);
//! any other store stages each part as an object under `uploads/<session>/part-NNNNN` and,
//! on completion, streams them in order into a temporary object next to the final key,
//! checks the digest of what it wrote, and renames it into place.
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
use object_store::path::Path;
use object_store::signer::Signer;
use object_store::{MultipartUpload, ObjectStore, ObjectStoreExt, PutPayload};

use super::local::{FileWriter, LocalUploads, UploadLock};
use super::part_buffer::{PartBuffer, Room};
use super::{BlobError, BlobStore, RunningHash, key_for, staged};

/// Content id recorded for a part staged as an object (it has no ETag worth keeping).
const STAGED: &str = "staged";

/// How upload sessions reach the backend.
#[derive(Clone)]
pub(super) enum UploadBackend {
    S3(Arc<S3Uploads>),
    /// Parts written into one file per session in a local folder.
    Local(Arc<LocalUploads>),
    /// Parts staged as objects in this store.
    Staged(Arc<dyn ObjectStore>),
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

/// A part whose bytes have all arrived, been counted and hashed, and wait to be stored.
/// Dropping it discards them.
pub struct ReceivedPart {
    pub number: u32,
    /// The running hash it was given, continued through this part.
    pub running: RunningHash,
    held: Held,
}

enum Held {
    /// A whole S3 part in pieces, with its room in the shared part buffer.
    Memory(Vec<Bytes>, Room),
    /// An object upload of the staged part, written but not yet renamed into place.
    Staged(Box<dyn MultipartUpload>),
    /// Being written at its offset in the session's local file.
    Local(FileWriter),
    /// Written at its offset in the session's local file.
    Written,
}

impl Held {
    async fn take(&mut self, piece: Bytes) -> Result<(), BlobError> {
        match self {
            Self::Memory(pieces, _) => pieces.push(piece),
            Self::Staged(upload) => upload.put_part(PutPayload::from(piece)).await?,
            Self::Local(writer) => writer.write(piece).await?,
            Self::Written => return Err(BlobError::Config("a written part takes no more bytes".into())),
        }
        Ok(())
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
        blobs.uploads = UploadBackend::S3(Arc::new(uploads));
        blobs
    }

    /// A store on the local folder `root`: sessions write one file each (see `local`).
    pub(super) fn on_local(local: LocalFileSystem, root: std::path::PathBuf) -> Self {
        let mut blobs = Self::new(Arc::new(local));
        blobs.uploads = UploadBackend::Local(Arc::new(LocalUploads::new(root)));
        blobs
    }

    /// Excludes other writers of the session until dropped, where the backend needs that
    /// (a local folder, whose parts share one file); the caller then reads the session's
    /// state again, since it may have changed while waiting.
    pub async fn lock_upload(&self, target: &UploadTarget) -> Result<UploadLock, BlobError> {
        match &self.uploads {
            UploadBackend::Local(local) => local.lock(&target.session).await,
            UploadBackend::S3(_) | UploadBackend::Staged(_) => Ok(UploadLock::none()),
        }
    }

    /// Answers blob reads with presigned GET URLs valid for `ttl` (S3 only).
    pub fn with_presign(mut self, ttl: Duration) -> Result<Self, BlobError> {
        let UploadBackend::S3(s3) = &self.uploads else {
            return Err(BlobError::Config("presigned URLs need an s3:// blob store".into()));
        };
        let presigning = S3Uploads {
            multipart: s3.multipart.clone(),
            signer: s3.signer.clone(),
            presign_ttl: Some(ttl),
            buffer: s3.buffer.clone(),
        };
        self.uploads = UploadBackend::S3(Arc::new(presigning));
        Ok(self)
    }

    /// Sets how long an S3 part may hold its room in the shared part buffer before it must
    /// keep up the minimum rate while others wait (the body idle timeout; see
    /// `part_buffer`). Other stores have no shared buffer and are returned unchanged.
    pub fn with_part_hold_grace(mut self, grace: Duration) -> Self {
        if let UploadBackend::S3(s3) = &self.uploads {
            let buffered = S3Uploads {
                multipart: s3.multipart.clone(),
                signer: s3.signer.clone(),
                presign_ttl: s3.presign_ttl,
                buffer: Arc::new(PartBuffer::with_grace(grace)),
            };
            self.uploads = UploadBackend::S3(Arc::new(buffered));
        }
        self
    }

    /// A presigned GET URL of the blob when presigning is on, else `None`. It does not check
    /// that the blob exists.
    pub async fn presigned_get(&self, digest: &Digest) -> Result<Option<String>, BlobError> {
        let UploadBackend::S3(s3) = &self.uploads else { return Ok(None) };
        let Some(ttl) = s3.presign_ttl else { return Ok(None) };
        let url = s3.signer.signed_url(object_store::signer::Method::GET, &key_for(digest), ttl).await?;
        Ok(Some(url.to_string()))
    }

    /// Starts the backend side of a session for `digest`: on S3 a multipart upload of the
    /// final key, whose id is returned to be kept with the session; elsewhere nothing.
    pub async fn begin_upload(&self, digest: &Digest) -> Result<Option<String>, BlobError> {
        match &self.uploads {
            UploadBackend::S3(s3) => Ok(Some(s3.multipart.create_multipart(&key_for(digest)).await?)),
            UploadBackend::Local(_) | UploadBackend::Staged(_) => Ok(None),
        }
    }

    /// Receives part `number` of exactly `len` bytes, hashing it as the continuation of
    /// `running` (the blob's prefix before it). The bytes are held (in memory for S3, in a
    /// temporary object for staged stores) until [`BlobStore::store_part`]; on a local folder
    /// they are written at the part's offset at once (the caller holds the session's lock).
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
        let mut held = match &self.uploads {
            UploadBackend::S3(s3) => Held::Memory(Vec::new(), s3.buffer.reserve(len).await?),
            UploadBackend::Local(local) => {
                let offset = u64::from(number.saturating_sub(1)) * target.part_size;
                Held::Local(local.part_writer(target, offset).await?)
            }
            UploadBackend::Staged(store) => {
                Held::Staged(store.put_multipart(&staged::part_key(&target.session, number)).await?)
            }
        };
        let mut seen = 0u64;
        let mut pieces = staged::Pieces::default();
        while let Some(chunk) = self.next_chunk(&held, &mut body, seen).await {
            let chunk = chunk?;
            seen += chunk.len() as u64;
            if seen > len {
                return Err(BlobError::SizeMismatch { expected: len, actual: seen });
            }
            running.update(&chunk);
            for piece in pieces.push(&chunk) {
                held.take(piece).await?;
            }
        }
        if let Some(piece) = pieces.finish() {
            held.take(piece).await?;
        }
        if seen != len {
            return Err(BlobError::SizeMismatch { expected: len, actual: seen });
        }
        if let Held::Local(writer) = held {
            writer.finish().await?;
            held = Held::Written;
        }
        Ok(ReceivedPart { number, running, held })
    }

    /// The next chunk of a part's body. A part assembled in the shared S3 buffer gets an
    /// error instead once it outstays its room there (see `part_buffer`).
    async fn next_chunk<S>(
        &self,
        held: &Held,
        body: &mut S,
        received: u64,
    ) -> Option<Result<Bytes, BlobError>>
    where
        S: Stream<Item = Result<Bytes, BlobError>> + Unpin,
    {
        let (UploadBackend::S3(s3), Held::Memory(_, room)) = (&self.uploads, held) else {
            return body.next().await;
        };
        tokio::select! {
            biased;
            chunk = body.next() => chunk,
            () = s3.buffer.outstayed(room, received) => Some(Err(PartBuffer::too_slow(room, received))),
        }
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
        match (&self.uploads, part.held) {
            (UploadBackend::S3(s3), Held::Memory(pieces, _permit)) => {
                let id = s3_upload_id(target)?;
                let idx = usize::try_from(part.number - 1).expect("part numbers fit usize");
                let payload = PutPayload::from_iter(pieces);
                let stored = s3.multipart.put_part(&key_for(&target.digest), id, idx, payload).await?;
                Ok(stored.content_id)
            }
            (_, Held::Staged(mut upload)) => {
                upload.complete().await?;
                Ok(STAGED.to_owned())
            }
            (UploadBackend::Local(local), Held::Written) => Ok(local.content_id()),
            (_, Held::Memory(..) | Held::Local(_) | Held::Written) => {
                Err(BlobError::Config("a part was received for another kind of store".into()))
            }
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
        match &self.uploads {
            UploadBackend::S3(s3) => {
                let parts = content_ids.into_iter().map(|content_id| PartId { content_id }).collect();
                s3.multipart
                    .complete_multipart(&key_for(&target.digest), s3_upload_id(target)?, parts)
                    .await?;
                Ok(())
            }
            UploadBackend::Local(local) => local.complete(target, size, &content_ids).await,
            UploadBackend::Staged(store) => {
                let count = u32::try_from(content_ids.len()).expect("at most 10,000 parts");
                staged::promote(store.as_ref(), target, size, count).await?;
                if let Err(e) = staged::delete_session(store.as_ref(), &target.session).await {
                    tracing::warn!(upload.id = %target.session, error = %e, "could not remove staged parts");
                }
                Ok(())
            }
        }
    }

    /// Discards whatever the backend holds of a session. Idempotent.
    pub async fn abort_upload(&self, target: &UploadTarget) -> Result<(), BlobError> {
        match &self.uploads {
            UploadBackend::S3(s3) => {
                match s3.multipart.abort_multipart(&key_for(&target.digest), s3_upload_id(target)?).await {
                    Ok(()) | Err(object_store::Error::NotFound { .. }) => Ok(()),
                    Err(e) => Err(e.into()),
                }
            }
            UploadBackend::Local(local) => local.discard(&target.session).await,
            UploadBackend::Staged(store) => staged::delete_session(store.as_ref(), &target.session).await,
        }
    }

    /// Ids of the sessions that have staged parts (none on S3), for sweeping orphans.
    pub async fn staged_sessions(&self) -> Result<Vec<String>, BlobError> {
        let store = match &self.uploads {
            UploadBackend::Local(local) => return local.sessions().await,
            UploadBackend::Staged(store) => store,
            UploadBackend::S3(_) => return Ok(Vec::new()),
        };
        let listed = store.list_with_delimiter(Some(&Path::from("uploads"))).await?;
        Ok(listed.common_prefixes.iter().filter_map(|p| p.filename().map(str::to_owned)).collect())
    }

    /// Removes what single-`PUT` writes interrupted before `cutoff` left behind (a local
    /// folder's partial files; other stores clean up after themselves). Returns how many.
    pub async fn sweep_abandoned_puts(&self, cutoff: std::time::SystemTime) -> Result<usize, BlobError> {
        match &self.uploads {
            UploadBackend::Local(local) => local.sweep_puts(cutoff).await,
            UploadBackend::S3(_) | UploadBackend::Staged(_) => Ok(0),
        }
    }

    /// Removes the staged parts of a session no row describes any more.
    pub async fn discard_staged(&self, session: &str) -> Result<(), BlobError> {
        match &self.uploads {
            UploadBackend::Local(local) => local.discard(session).await,
            UploadBackend::Staged(store) => staged::delete_session(store.as_ref(), session).await,
            UploadBackend::S3(_) => Ok(()),
        }
    }
}

fn s3_upload_id(target: &UploadTarget) -> Result<&String, BlobError> {
    target
        .backend_upload_id
        .as_ref()
        .ok_or_else(|| BlobError::Config(format!("upload {} has no S3 multipart id", target.session)))
}
