//! The content-addressed blob store over `object_store`, opened from a blob URL as a local
//! folder or S3 (`open`): key layout, streaming hashed writes that only become visible once
//! verified, the backend side of upload sessions (`multipart`), ranged and verified reads,
//! listing and deletion for GC, and presigned URLs. It knows nothing of models, versions or
//! tokens (who may read a blob is the service's rule); `object_store` must not leak out of it.

mod hash_state;
mod local;
mod multipart;
mod open;
mod part_buffer;
mod pieces;
mod verify;

use std::future::Future;
use std::sync::Arc;
use std::time::Instant;

use bytes::{Bytes, BytesMut};
use futures_util::stream::{BoxStream, Stream, StreamExt, TryStreamExt};
use modelreg_api::Digest;
use object_store::path::Path;
use object_store::{GetOptions, GetRange, ObjectStore, ObjectStoreExt, PutPayload, WriteMultipart};

pub use hash_state::{RunningHash, UnreadableHashState};
pub use local::UploadLock;
pub use multipart::{ReceivedPart, UploadTarget, session_log_id};
pub use open::{S3Options, S3Timeouts, open};
pub use verify::{Sha256Hasher, VerifyingStream};

use crate::metrics::Metrics;

/// Blobs up to this size are buffered (bounded) and written with one PUT; larger ones go
/// through a multipart upload of the final key.
pub const SINGLE_PUT_MAX: u64 = 8 << 20;
/// Part size of multipart uploads (S3 needs at least 5 MiB).
pub const PART_SIZE: usize = 8 << 20;
/// Parts in flight per upload; bounds memory at about (1 + this) parts.
pub const PARTS_IN_FLIGHT: usize = 2;

#[derive(Debug, thiserror::Error)]
pub enum BlobError {
    #[error("blob {0} not found")]
    NotFound(Digest),
    #[error("content does not match digest: declared {expected}, received {actual}")]
    DigestMismatch { expected: Digest, actual: Digest },
    #[error("content size does not match: declared {expected} bytes, received {actual}")]
    SizeMismatch { expected: u64, actual: u64 },
    #[error("range not satisfiable for a blob of {size} bytes")]
    RangeNotSatisfiable { size: u64 },
    #[error("request body interrupted: {0}")]
    Body(#[source] Box<dyn std::error::Error + Send + Sync>),
    #[error("stored blob {digest} is corrupt (reads as {actual})")]
    Corrupt { digest: Digest, actual: Digest },
    #[error("object store error: {0}")]
    Store(#[from] object_store::Error),
    #[error("invalid blob store configuration: {0}")]
    Config(String),
    #[error("{0}")]
    Busy(String),
    /// A part came in so slowly that it held the shared part buffer past its allowance
    /// while other uploads waited for it (see `multipart`).
    #[error("part body too slow: {received} bytes in {elapsed:?} while others waited for the buffer")]
    TooSlow { received: u64, elapsed: std::time::Duration },
    #[error("blob folder i/o: {0}")]
    Io(#[from] std::io::Error),
}

impl BlobError {
    /// Whether the backend failed (as opposed to the client's bytes or request being wrong):
    /// what the blob error metrics count.
    pub fn is_backend_failure(&self) -> bool {
        matches!(self, Self::Store(_) | Self::Io(_) | Self::Corrupt { .. })
    }

    /// Whether the object store could not be reached or did not answer in time (after the
    /// client's own retries): connecting failed, or the request broke off or timed out. The
    /// same call may succeed later; the request answers 503. (object_store does not expose
    /// the status of an S3 error answer as a type, so a store that keeps answering 5xx
    /// remains an internal error.)
    pub fn is_unavailable(&self) -> bool {
        let Self::Store(e) = self else { return false };
        let mut cause: Option<&(dyn std::error::Error + 'static)> = Some(e);
        while let Some(err) = cause {
            if let Some(http) = err.downcast_ref::<object_store::client::HttpError>() {
                use object_store::client::HttpErrorKind;
                return matches!(
                    http.kind(),
                    HttpErrorKind::Connect
                        | HttpErrorKind::Request
                        | HttpErrorKind::Timeout
                        | HttpErrorKind::Interrupted
                );
            }
            cause = err.source();
        }
        false
    }
}

/// A byte range already resolved against the blob's size: `start..end`, end exclusive.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ByteRange {
    pub start: u64,
    pub end: u64,
}

/// What a client asked for in a `Range` header, before the size is known.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RangeRequest {
    /// `bytes=a-b` (inclusive b) or `bytes=a-`.
    From { start: u64, last: Option<u64> },
    /// `bytes=-n`: the last n bytes.
    Suffix(u64),
}

impl RangeRequest {
    /// Resolves against a blob size; `None` when unsatisfiable.
    pub fn resolve(self, size: u64) -> Option<ByteRange> {
        match self {
            Self::From { start, last } if start < size => {
                let end = last.map_or(size, |l| l.saturating_add(1).min(size));
                (end > start).then_some(ByteRange { start, end })
            }
            Self::From { .. } => None,
            Self::Suffix(0) => None,
            Self::Suffix(n) => Some(ByteRange { start: size.saturating_sub(n), end: size }),
        }
    }
}

/// A blob as listed by the store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredBlob {
    pub digest: Digest,
    pub size: u64,
    pub last_modified: chrono::DateTime<chrono::Utc>,
}

/// An open read: the blob's total size, the range being sent, and the bytes.
pub struct BlobRead {
    pub size: u64,
    pub range: Option<ByteRange>,
    pub stream: BoxStream<'static, Result<Bytes, BlobError>>,
}

#[derive(Clone)]
pub struct BlobStore {
    store: Arc<dyn ObjectStore>,
    /// How upload sessions reach the backend (see `multipart`); `None` over an object store
    /// that is neither a local folder nor S3, which takes no upload sessions.
    uploads: Option<multipart::UploadBackend>,
    /// Where operation latencies and backend failures are recorded, labelled `backend`.
    metrics: Arc<Metrics>,
    backend: &'static str,
}

/// The object key of a digest: `blobs/sha256/ab/cd/<64 hex>`.
pub fn key_for(digest: &Digest) -> Path {
    let hex = digest.hex();
    Path::from(format!("blobs/sha256/{}/{}/{}", &hex[0..2], &hex[2..4], hex))
}

impl BlobStore {
    /// A store over any object store: reads and whole-blob writes, but no upload sessions
    /// (those need [`open`] on a `file://` or `s3://` URL). Tests use it to watch reads.
    pub fn new(store: Arc<dyn ObjectStore>) -> Self {
        Self { store, uploads: None, metrics: Arc::default(), backend: "other" }
    }

    /// The series this store records its operations into; the rest of the server records
    /// into the same set.
    pub fn metrics(&self) -> Arc<Metrics> {
        Arc::clone(&self.metrics)
    }

    /// Times one backend operation and counts it as failed when the backend failed.
    async fn observed<T>(
        &self,
        operation: &'static str,
        op: impl Future<Output = Result<T, BlobError>>,
    ) -> Result<T, BlobError> {
        let start = Instant::now();
        let out = op.await;
        let failed = out.as_ref().is_err_and(BlobError::is_backend_failure);
        self.metrics.observe_blob(operation, self.backend, start.elapsed(), failed);
        out
    }

    /// Reachability check for readiness: a HEAD of a key that need not exist.
    pub async fn ping(&self) -> Result<(), BlobError> {
        self.observed("head", async {
            match self.store.head(&Path::from("blobs/.readyz")).await {
                Ok(_) | Err(object_store::Error::NotFound { .. }) => Ok(()),
                Err(e) => Err(e.into()),
            }
        })
        .await
    }

    /// The stored size of a blob, or `None` if it is absent.
    pub async fn size_of(&self, digest: &Digest) -> Result<Option<u64>, BlobError> {
        self.observed("head", async {
            match self.store.head(&key_for(digest)).await {
                Ok(meta) => Ok(Some(meta.size)),
                Err(object_store::Error::NotFound { .. }) => Ok(None),
                Err(e) => Err(e.into()),
            }
        })
        .await
    }

    /// Streams `body` into the store under `digest`, hashing every byte. The blob becomes
    /// visible only if exactly `size` bytes arrived and they hash to `digest`; on any
    /// failure (including the caller dropping this future) nothing is left at the key.
    pub async fn put_verified<S, E>(&self, digest: &Digest, size: u64, body: S) -> Result<(), BlobError>
    where
        S: Stream<Item = Result<Bytes, E>> + Unpin,
        E: std::error::Error + Send + Sync + 'static,
    {
        let body = body.map_err(|e| BlobError::Body(Box::new(e)));
        self.observed("put", async {
            if size <= SINGLE_PUT_MAX {
                self.put_small(digest, size, body).await
            } else if let Some(multipart::UploadBackend::Local(local)) = &self.uploads {
                local.put(digest, size, body).await
            } else {
                self.put_multipart(digest, size, body).await
            }
        })
        .await
    }

    async fn put_small(
        &self,
        digest: &Digest,
        size: u64,
        mut body: impl Stream<Item = Result<Bytes, BlobError>> + Unpin,
    ) -> Result<(), BlobError> {
        let mut check = SizedHash::new(size);
        let mut buf = BytesMut::with_capacity(usize::try_from(size).unwrap_or(0));
        while let Some(chunk) = body.next().await {
            let chunk = chunk?;
            check.update(&chunk)?;
            buf.extend_from_slice(&chunk);
        }
        check.finish(digest)?;
        self.store.put(&key_for(digest), PutPayload::from(buf.freeze())).await?;
        Ok(())
    }

    async fn put_multipart(
        &self,
        digest: &Digest,
        size: u64,
        mut body: impl Stream<Item = Result<Bytes, BlobError>> + Unpin,
    ) -> Result<(), BlobError> {
        let upload = self.store.put_multipart(&key_for(digest)).await?;
        let mut guard = AbortOnDrop(Some(WriteMultipart::new_with_chunk_size(upload, PART_SIZE)));
        let mut check = SizedHash::new(size);
        while let Some(chunk) = body.next().await {
            let chunk = chunk?;
            check.update(&chunk)?;
            let writer = guard.writer();
            writer.wait_for_capacity(PARTS_IN_FLIGHT).await?;
            writer.put(chunk);
        }
        check.finish(digest)?;
        guard.take().finish().await?;
        Ok(())
    }

    /// Opens a blob for reading, whole or a range. A whole read is verified as it streams:
    /// if the stored bytes do not hash to the digest, the stream ends in an error.
    pub async fn get(&self, digest: &Digest, range: Option<RangeRequest>) -> Result<BlobRead, BlobError> {
        self.observed("get", self.open_read(digest, range)).await
    }

    async fn open_read(&self, digest: &Digest, range: Option<RangeRequest>) -> Result<BlobRead, BlobError> {
        let key = key_for(digest);
        let not_found = |e: object_store::Error| match e {
            object_store::Error::NotFound { .. } => BlobError::NotFound(*digest),
            e => BlobError::Store(e),
        };
        match range {
            None => {
                let got = self.store.get(&key).await.map_err(not_found)?;
                let size = got.meta.size;
                let stream = read_stream(got);
                Ok(BlobRead { size, range: None, stream: VerifyingStream::new(stream, *digest).boxed() })
            }
            Some(req) => {
                let size = self.store.head(&key).await.map_err(not_found)?.size;
                let range = req.resolve(size).ok_or(BlobError::RangeNotSatisfiable { size })?;
                let opts = GetOptions::new().with_range(Some(GetRange::Bounded(range.start..range.end)));
                let got = self.store.get_opts(&key, opts).await.map_err(not_found)?;
                Ok(BlobRead { size, range: Some(range), stream: read_stream(got) })
            }
        }
    }

    /// The first `min(max_len, size)` bytes of a blob, with one HEAD and one ranged read
    /// (none for an empty blob or `max_len` 0). A prefix cannot be checked against the
    /// digest, so callers treat it as untrusted input; `max_len` bounds the memory used.
    pub async fn read_prefix(&self, digest: &Digest, max_len: u64) -> Result<Bytes, BlobError> {
        self.observed("read_prefix", self.read_prefix_unobserved(digest, max_len)).await
    }

    async fn read_prefix_unobserved(&self, digest: &Digest, max_len: u64) -> Result<Bytes, BlobError> {
        let key = key_for(digest);
        let not_found = |e: object_store::Error| match e {
            object_store::Error::NotFound { .. } => BlobError::NotFound(*digest),
            e => BlobError::Store(e),
        };
        let size = self.store.head(&key).await.map_err(not_found)?.size;
        let end = max_len.min(size);
        if end == 0 {
            return Ok(Bytes::new());
        }
        self.store.get_range(&key, 0..end).await.map_err(not_found)
    }

    /// Every stored blob, in no particular order (for garbage collection). Objects under the
    /// blob prefix whose name is not a digest (staging files) are skipped.
    pub fn list(&self) -> BoxStream<'static, Result<StoredBlob, BlobError>> {
        self.store
            .list(Some(&Path::from("blobs/sha256")))
            .map_err(BlobError::Store)
            .try_filter_map(|meta| async move {
                let name = meta.location.filename().unwrap_or_default();
                Ok(format!("sha256:{name}").parse::<Digest>().ok().map(|digest| StoredBlob {
                    digest,
                    size: meta.size,
                    last_modified: meta.last_modified,
                }))
            })
            .boxed()
    }

    /// Removes a blob (tests and, later, garbage collection).
    pub async fn delete(&self, digest: &Digest) -> Result<(), BlobError> {
        self.observed("delete", async {
            match self.store.delete(&key_for(digest)).await {
                Ok(()) | Err(object_store::Error::NotFound { .. }) => Ok(()),
                Err(e) => Err(e.into()),
            }
        })
        .await
    }
}

/// Chunk size of reads from a local folder. object_store reads local files in 8 KiB chunks,
/// each a blocking-pool round trip; 1 MiB chunks move large blobs several times faster.
const LOCAL_READ_CHUNK: usize = 1 << 20;

/// The bytes of a read, streaming local files in large chunks.
fn read_stream(got: object_store::GetResult) -> BoxStream<'static, Result<Bytes, BlobError>> {
    use tokio::io::{AsyncReadExt, AsyncSeekExt};
    match got.payload {
        object_store::GetResultPayload::File(file, _) => {
            let range = got.range;
            let open = async move {
                let mut file = tokio::fs::File::from_std(file);
                file.seek(std::io::SeekFrom::Start(range.start)).await?;
                Ok::<_, std::io::Error>(tokio_util::io::ReaderStream::with_capacity(
                    file.take(range.end - range.start),
                    LOCAL_READ_CHUNK,
                ))
            };
            futures_util::stream::once(open)
                .try_flatten()
                .map_err(|e| {
                    BlobError::Store(object_store::Error::Generic { store: "local", source: Box::new(e) })
                })
                .boxed()
        }
        object_store::GetResultPayload::Stream(s) => s.map_err(BlobError::Store).boxed(),
    }
}

/// Counts and hashes incoming bytes, refusing more than declared as soon as they arrive.
pub(super) struct SizedHash {
    hasher: Sha256Hasher,
    declared: u64,
    seen: u64,
}

impl SizedHash {
    pub(super) fn new(declared: u64) -> Self {
        Self { hasher: Sha256Hasher::new(), declared, seen: 0 }
    }

    pub(super) fn update(&mut self, chunk: &[u8]) -> Result<(), BlobError> {
        self.seen += chunk.len() as u64;
        if self.seen > self.declared {
            return Err(BlobError::SizeMismatch { expected: self.declared, actual: self.seen });
        }
        self.hasher.update(chunk);
        Ok(())
    }

    pub(super) fn finish(self, expected: &Digest) -> Result<(), BlobError> {
        if self.seen != self.declared {
            return Err(BlobError::SizeMismatch { expected: self.declared, actual: self.seen });
        }
        let actual = self.hasher.finish();
        if actual != *expected {
            return Err(BlobError::DigestMismatch { expected: *expected, actual });
        }
        Ok(())
    }
}

/// Aborts an unfinished multipart upload when dropped, so that an early return or a
/// cancelled request leaves no staged parts behind.
struct AbortOnDrop(Option<WriteMultipart>);

impl AbortOnDrop {
    fn writer(&mut self) -> &mut WriteMultipart {
        self.0.as_mut().expect("writer is present until taken")
    }

    fn take(&mut self) -> WriteMultipart {
        self.0.take().expect("writer is taken once")
    }
}

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        if let Some(writer) = self.0.take()
            && let Ok(rt) = tokio::runtime::Handle::try_current()
        {
            rt.spawn(async move {
                if let Err(e) = writer.abort().await {
                    tracing::warn!(error = %e, "could not abort an unfinished multipart upload");
                }
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_fan_out_by_the_first_four_hex_digits() {
        let d: Digest = format!("sha256:abcd{}", "0".repeat(60)).parse().unwrap();
        assert_eq!(key_for(&d).as_ref(), format!("blobs/sha256/ab/cd/abcd{}", "0".repeat(60)));
    }

    #[test]
    fn ranges_resolve_against_the_size() {
        let from = |start, last| RangeRequest::From { start, last };
        assert_eq!(from(0, Some(9)).resolve(100), Some(ByteRange { start: 0, end: 10 }));
        assert_eq!(from(90, None).resolve(100), Some(ByteRange { start: 90, end: 100 }));
        assert_eq!(from(90, Some(500)).resolve(100), Some(ByteRange { start: 90, end: 100 }));
        assert_eq!(from(100, None).resolve(100), None);
        assert_eq!(from(5, Some(4)).resolve(100), None);
        assert_eq!(RangeRequest::Suffix(10).resolve(100), Some(ByteRange { start: 90, end: 100 }));
        assert_eq!(RangeRequest::Suffix(500).resolve(100), Some(ByteRange { start: 0, end: 100 }));
        assert_eq!(RangeRequest::Suffix(0).resolve(100), None);
    }
}
