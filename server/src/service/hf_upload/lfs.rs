//! The Git LFS side of a Hugging Face upload: the batch answer (which objects the caller
//! must send, and where) and the transfers themselves through signed URLs back at the
//! registry. `basic` is one streamed, hashed `PUT` (`Registry::upload_blob`); `multipart`
//! is an upload session whose parts and completion have their own signed URLs
//! (`Registry::upload_part`, `Registry::complete_upload`). Nothing unverified becomes
//! visible, and an object the caller can already see is not sent again.

use bytes::Bytes;
use chrono::Utc;
use futures_util::Stream;
use modelreg_api::{Digest, ModelName, Scope, lfs_oid};

use super::super::{Principal, Registry, RegistryError, UploadOpened};
use super::signing::{LfsGrant, LfsTarget};

/// Most objects one batch may name (the clients send 256 at a time).
pub const MAX_BATCH_OBJECTS: usize = 1000;

/// A signed URL's facts and signature; the http layer writes them into the URL.
pub type SignedGrant = (LfsGrant, String);

/// What the batch answers for one object.
#[derive(Debug, Clone)]
pub enum LfsAnswer {
    /// The caller can already see it: no upload (no `actions`).
    Present { oid: String, size: u64 },
    /// One `PUT` of the whole object.
    Basic { oid: String, size: u64, put: SignedGrant },
    /// `parts.len()` `PUT`s of `part_size` bytes (the last shorter), then the completion.
    Multipart { oid: String, size: u64, part_size: u64, parts: Vec<SignedGrant>, complete: SignedGrant },
    /// Refused (a malformed oid, a size over the limit).
    Error { oid: String, size: u64, code: u16, message: String },
}

impl Registry {
    /// Answers an LFS upload batch for `caller` on `model` (write access is checked here).
    pub async fn hf_lfs_batch(
        &self,
        caller: &Principal,
        model: &ModelName,
        objects: Vec<(String, u64)>,
        multipart: bool,
    ) -> Result<Vec<LfsAnswer>, RegistryError> {
        self.authorize_model(Some(caller), model, Scope::Write)?;
        if objects.len() > MAX_BATCH_OBJECTS {
            return Err(RegistryError::Invalid {
                code: crate::service::InvalidCode::TooManyObjects,
                message: format!("objects: at most {MAX_BATCH_OBJECTS} per batch"),
            });
        }
        let mut answers = Vec::with_capacity(objects.len());
        for (oid, size) in objects {
            let digest = match lfs_oid(&oid) {
                Ok(d) => d,
                Err(message) => {
                    answers.push(LfsAnswer::Error { oid, size, code: 422, message });
                    continue;
                }
            };
            if size > self.policy.max_blob_bytes {
                let message = format!(
                    "{size} bytes is over the registry's limit of {} bytes",
                    self.policy.max_blob_bytes
                );
                answers.push(LfsAnswer::Error { oid, size, code: 422, message });
                continue;
            }
            if self.visible_size(Some(caller), &digest).await? == Some(size) {
                answers.push(LfsAnswer::Present { oid, size });
                continue;
            }
            let grant = |target| LfsGrant { token: String::new(), oid: digest, size, expires: 0, target };
            if multipart && size > self.uploads.part_size {
                match self.create_upload(caller, digest, size).await? {
                    UploadOpened::Exists { .. } => answers.push(LfsAnswer::Present { oid, size }),
                    UploadOpened::Open(session) => {
                        let mut parts = Vec::with_capacity(session.part_count as usize);
                        for part in 1..=session.part_count {
                            let target = LfsTarget::Part { session: session.id.clone(), part };
                            parts.push(self.sign_lfs(caller, grant(target)).await?);
                        }
                        let complete = self
                            .sign_lfs(caller, grant(LfsTarget::Complete { session: session.id.clone() }))
                            .await?;
                        answers.push(LfsAnswer::Multipart {
                            oid,
                            size,
                            part_size: session.part_size,
                            parts,
                            complete,
                        });
                    }
                }
            } else {
                let put = self.sign_lfs(caller, grant(LfsTarget::Object)).await?;
                answers.push(LfsAnswer::Basic { oid, size, put });
            }
        }
        Ok(answers)
    }

    /// `basic`: the whole object, streamed and hashed; stored only if it matches.
    pub async fn hf_lfs_put_object<S, E>(
        &self,
        grant: &LfsGrant,
        signature: &str,
        content_length: u64,
        body: S,
    ) -> Result<(), RegistryError>
    where
        S: Stream<Item = Result<Bytes, E>> + Unpin,
        E: std::error::Error + Send + Sync + 'static,
    {
        let caller = self.lfs_caller(grant, signature, Utc::now()).await?;
        if grant.target != LfsTarget::Object {
            return Err(RegistryError::Forbidden("this URL is not an object upload URL".into()));
        }
        if content_length != grant.size {
            return Err(RegistryError::SizeMismatch { expected: grant.size, actual: content_length });
        }
        self.upload_blob(&caller, grant.oid, grant.size, body).await?;
        Ok(())
    }

    /// `multipart`: one part of the object's upload session. Without a `Content-Length`
    /// (the clients stream parts chunked) the part is taken to be its full length, which
    /// the session then checks the bytes against.
    pub async fn hf_lfs_put_part<S, E>(
        &self,
        grant: &LfsGrant,
        signature: &str,
        content_length: Option<u64>,
        body: S,
    ) -> Result<(), RegistryError>
    where
        S: Stream<Item = Result<Bytes, E>> + Unpin,
        E: std::error::Error + Send + Sync + 'static,
    {
        let caller = self.lfs_caller(grant, signature, Utc::now()).await?;
        let LfsTarget::Part { session, part } = &grant.target else {
            return Err(RegistryError::Forbidden("this URL is not a part upload URL".into()));
        };
        let length = match content_length {
            Some(n) => n,
            None => {
                let s = self.live_upload(&caller, session, Some(*part)).await?;
                s.layout().part_len(*part).ok_or_else(|| RegistryError::Invalid {
                    code: crate::service::InvalidCode::InvalidPart,
                    message: format!(
                        "part {part} does not exist: this upload has parts 1 to {}",
                        s.part_count
                    ),
                })?
            }
        };
        self.upload_part(&caller, session, *part, length, body).await?;
        Ok(())
    }

    /// `multipart`: completes the session once every part is there and the whole hashes to
    /// the oid; a mismatch discards it.
    pub async fn hf_lfs_complete(&self, grant: &LfsGrant, signature: &str) -> Result<Digest, RegistryError> {
        let caller = self.lfs_caller(grant, signature, Utc::now()).await?;
        let LfsTarget::Complete { session } = &grant.target else {
            return Err(RegistryError::Forbidden("this URL is not an upload completion URL".into()));
        };
        let done = self.complete_upload(&caller, session).await?;
        if done.digest != grant.oid {
            return Err(RegistryError::Forbidden("this URL is not this session's completion URL".into()));
        }
        Ok(done.digest)
    }
}
