//! Taking one part of an upload session. The next part of the hashed prefix is streamed
//! through the running hash (once: its record is the digest of the prefix through it, and
//! the state before it) and held; the advanced hash state is committed with a
//! compare-and-set; only then do its bytes go to the backend. A part that was hashed before
//! is hashed again from its recorded state and must give the same prefix digest, so every
//! byte the backend holds went into the blob's digest.

use bytes::Bytes;
use futures_util::{Stream, StreamExt};

use super::uploads::{log_id, now, target};
use super::{Principal, Registry, RegistryError};
use crate::blob::{ReceivedPart, RunningHash, UploadTarget};
use crate::store::{HashedPart, PrefixMoved, UploadPhase, UploadRecord};

/// A part the server now holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PartAccepted {
    pub part: u32,
    pub size: u64,
}

impl Registry {
    /// Takes part `number` (1-based) of `caller`'s session `id`; `content_length` is the
    /// request's. Idempotent for a repeated identical part.
    pub async fn upload_part<S, E>(
        &self,
        caller: &Principal,
        id: &str,
        number: u32,
        content_length: u64,
        body: S,
    ) -> Result<PartAccepted, RegistryError>
    where
        S: Stream<Item = Result<Bytes, E>> + Unpin,
        E: std::error::Error + Send + Sync + 'static,
    {
        let (s, _lock) = self.locked_upload(caller, id, Some(number)).await?;
        let Some(len) = s.layout().part_len(number) else {
            return Err(RegistryError::Invalid {
                code: crate::service::InvalidCode::InvalidPart,
                message: format!("part {number} does not exist: this upload has parts 1 to {}", s.part_count),
            });
        };
        if content_length > len {
            return Err(RegistryError::PartTooLarge { part: number, expected: len, actual: content_length });
        }
        if content_length < len {
            return Err(RegistryError::Invalid {
                code: crate::service::InvalidCode::InvalidPart,
                message: format!(
                    "Content-Length: part {number} of this upload is exactly {len} bytes, not {content_length}"
                ),
            });
        }
        let accepted = PartAccepted { part: number, size: len };
        let target = target(&s);
        if let Some(known) = s.part(number) {
            // A repeat (a retry, or another replica's request): it must be the same bytes,
            // hashed on from the state before the part (from nothing for a part recorded
            // by an earlier version, whose digest is of the part alone).
            let before = match &known.state_before {
                Some(state) => resume(state)?,
                None => RunningHash::new(),
            };
            if known.content_id.is_some() || s.phase == UploadPhase::Complete {
                let sha256 = self.blobs.hash_part(len, before, body).await?;
                return if sha256 == known.sha256 {
                    Ok(accepted)
                } else {
                    Err(RegistryError::PartConflict { part: number })
                };
            }
            let received = self.blobs.receive_part(&target, number, len, before, body).await?;
            if received.running.clone().finish() != known.sha256 {
                return Err(RegistryError::PartConflict { part: number });
            }
            self.store_part(&s, &target, received).await?;
            return Ok(accepted);
        }
        let next = s.hashed_parts + 1;
        if number != next {
            // Read and drop the body so that the client, still sending, gets the answer and
            // the connection stays usable; nothing of it is kept.
            if len <= super::DRAIN_MAX {
                drain(body).await?;
            }
            return Err(RegistryError::PartOutOfOrder { part: number, next });
        }
        let received = self.blobs.receive_part(&target, number, len, resume(&s.hash_state)?, body).await?;
        let sha256 = received.running.clone().finish();
        let hashed = HashedPart {
            number,
            size: len,
            sha256,
            state_before: s.hash_state.clone(),
            hash_state: received.running.save(),
            expires_at: now() + self.uploads.session_ttl,
        };
        if let Err(PrefixMoved) = self.meta.record_hashed_part(&s.id, &hashed).await? {
            // Another request took this part first (or the session ended): ours may still be
            // the same bytes, in which case storing them again is harmless.
            let now = self.live_upload(caller, id, Some(number)).await?;
            match now.part(number) {
                Some(known) if known.sha256 != sha256 => {
                    return Err(RegistryError::PartConflict { part: number });
                }
                Some(known) if known.content_id.is_some() => return Ok(accepted),
                Some(_) => {}
                None => {
                    return Err(RegistryError::PartOutOfOrder { part: number, next: now.hashed_parts + 1 });
                }
            }
        }
        self.store_part(&s, &target, received).await?;
        Ok(accepted)
    }

    /// Hands a hashed part to the backend and records that it is there.
    async fn store_part(
        &self,
        s: &UploadRecord,
        target: &UploadTarget,
        part: ReceivedPart,
    ) -> Result<(), RegistryError> {
        let number = part.number;
        let content_id = self.blobs.store_part(target, part).await?;
        if !self.meta.record_stored_part(&s.id, number, &content_id).await? {
            // Aborted while the part was in flight; a staged leftover goes with the next GC.
            return Err(RegistryError::UploadNotFound(s.id.clone()));
        }
        tracing::debug!(upload.id = log_id(&s.id), upload.part = number, "upload part stored");
        Ok(())
    }
}

fn resume(state: &[u8]) -> Result<RunningHash, RegistryError> {
    RunningHash::resume(state).map_err(|e| RegistryError::Internal(Box::new(e)))
}

async fn drain<S, E>(mut body: S) -> Result<(), RegistryError>
where
    S: Stream<Item = Result<Bytes, E>> + Unpin,
    E: std::error::Error + Send + Sync + 'static,
{
    while let Some(chunk) = body.next().await {
        chunk.map_err(|e| RegistryError::body(&e))?;
    }
    Ok(())
}
