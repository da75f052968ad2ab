//! The staged-object backend of upload sessions (a local folder, or any store without S3
//! multipart): each part is an object `uploads/<session>/part-NNNNN`, written by temp file
//! and rename; completion streams the parts in order into a temporary object next to the
//! final key, hashes them again, and renames it into place only if the digest matches.

use bytes::{Bytes, BytesMut};
use futures_util::stream::TryStreamExt;
use object_store::path::Path;
use object_store::{ObjectStore, ObjectStoreExt, PutPayload};

use super::{BlobError, Sha256Hasher, UploadTarget, key_for};

/// Staged parts are written and copied in pieces of this size.
pub(super) const STAGE_CHUNK: usize = 1 << 20;

pub(super) fn part_key(session: &str, number: u32) -> Path {
    Path::from(format!("uploads/{session}/part-{number:05}"))
}

/// Cuts a stream of chunks into pieces of exactly [`STAGE_CHUNK`] bytes (the last may be
/// shorter): equal, modest allocations that the allocator reuses instead of fragmenting.
#[derive(Default)]
pub(super) struct Pieces {
    pending: BytesMut,
}

impl Pieces {
    /// Takes `data`, returning the pieces it completed.
    pub(super) fn push(&mut self, mut data: &[u8]) -> Vec<Bytes> {
        let mut full = Vec::new();
        while !data.is_empty() {
            if self.pending.capacity() == 0 {
                self.pending.reserve(STAGE_CHUNK);
            }
            let (now, rest) = data.split_at((STAGE_CHUNK - self.pending.len()).min(data.len()));
            self.pending.extend_from_slice(now);
            data = rest;
            if self.pending.len() == STAGE_CHUNK {
                full.push(std::mem::take(&mut self.pending).freeze());
            }
        }
        full
    }

    pub(super) fn finish(self) -> Option<Bytes> {
        (!self.pending.is_empty()).then(|| self.pending.freeze())
    }
}

/// Streams the staged parts in order into a temporary object at the final key, hashing
/// them again, and renames it into place only if size and digest match.
pub(super) async fn promote(
    store: &dyn ObjectStore,
    target: &UploadTarget,
    size: u64,
    count: u32,
) -> Result<(), BlobError> {
    let mut upload = store.put_multipart(&key_for(&target.digest)).await?;
    let mut hash = Sha256Hasher::new();
    let mut seen = 0u64;
    for number in 1..=count {
        let key = part_key(&target.session, number);
        let len = store.head(&key).await?.size;
        let mut offset = 0;
        while offset < len {
            let end = (offset + STAGE_CHUNK as u64).min(len);
            let bytes = store.get_range(&key, offset..end).await?;
            hash.update(&bytes);
            seen += bytes.len() as u64;
            upload.put_part(PutPayload::from(bytes)).await?;
            offset = end;
        }
    }
    let actual = hash.finish();
    if seen != size || actual != target.digest {
        // Dropping the upload removes its temporary file; nothing reaches the final key.
        let _ = upload.abort().await;
        return Err(if seen != size {
            BlobError::SizeMismatch { expected: size, actual: seen }
        } else {
            BlobError::DigestMismatch { expected: target.digest, actual }
        });
    }
    upload.complete().await?;
    Ok(())
}

pub(super) async fn delete_session(store: &dyn ObjectStore, session: &str) -> Result<(), BlobError> {
    let prefix = Path::from(format!("uploads/{session}"));
    let keys: Vec<Path> = store.list(Some(&prefix)).map_ok(|meta| meta.location).try_collect().await?;
    for key in keys {
        match store.delete(&key).await {
            Ok(()) | Err(object_store::Error::NotFound { .. }) => {}
            Err(e) => return Err(e.into()),
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pieces_are_exactly_one_chunk_and_keep_every_byte_in_order() {
        let data: Vec<u8> = (0..(2 * STAGE_CHUNK + 12_345)).map(|i| (i % 253) as u8).collect();
        let mut pieces = Pieces::default();
        let mut out = Vec::new();
        for chunk in data.chunks(100_003) {
            out.extend(pieces.push(chunk));
        }
        assert!(out.iter().all(|p| p.len() == STAGE_CHUNK));
        out.extend(pieces.finish());
        assert_eq!(out.len(), 3);
        assert!(out.concat() == data);
        assert!(Pieces::default().finish().is_none());
    }
}
