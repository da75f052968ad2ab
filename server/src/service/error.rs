//! `RegistryError`: every way a registry operation can fail, in domain terms. The HTTP
//! layer maps each variant to a status and a stable code in one exhaustive match.

use modelreg_api::{Digest, ModelName, Version};

use crate::blob::BlobError;
use crate::store::StoreError;

#[derive(Debug, thiserror::Error)]
pub enum RegistryError {
    /// A request parameter or body field failed validation; `code` is stable.
    #[error("{message}")]
    Invalid { code: &'static str, message: String },
    #[error("invalid manifest: {0}")]
    InvalidManifest(String),
    #[error("{} referenced blob(s) are not in the registry; upload them first", .0.len())]
    MissingBlobs(Vec<Digest>),
    #[error("content does not match digest: declared {expected}, received {actual}")]
    DigestMismatch { expected: Digest, actual: Digest },
    #[error("content size does not match: expected {expected} bytes, got {actual}")]
    SizeMismatch { expected: u64, actual: u64 },
    #[error("request body interrupted: {0}")]
    BodyInterrupted(String),
    #[error("blob of {size} bytes exceeds the limit of {max} bytes")]
    BlobTooLarge { size: u64, max: u64 },
    #[error("request body exceeds the limit of {limit} bytes")]
    BodyTooLarge { limit: usize },
    #[error("a Content-Length header is required")]
    LengthRequired,
    #[error("range not satisfiable for a blob of {size} bytes")]
    RangeNotSatisfiable { size: u64 },
    #[error("model '{0}' not found")]
    ModelNotFound(ModelName),
    #[error("model '{model}' has no version matching '{selector}'")]
    VersionNotFound { model: ModelName, selector: String },
    #[error("blob {0} not found")]
    BlobNotFound(Digest),
    #[error("upload session '{0}' not found (unknown, aborted, or expired)")]
    UploadNotFound(String),
    #[error("part {part} is {actual} bytes, but part {part} of this upload is exactly {expected} bytes")]
    PartTooLarge { part: u32, expected: u64, actual: u64 },
    #[error(
        "part {part} cannot be taken yet: parts are hashed in order, and the next part this upload takes is {next}"
    )]
    PartOutOfOrder { part: u32, next: u32 },
    #[error("part {part} was already received with different content")]
    PartConflict { part: u32 },
    #[error(
        "this token already has {max} open upload sessions; complete or abort one, or retry after {retry_after_secs} s"
    )]
    TooManyUploads { max: u32, retry_after_secs: u64 },
    #[error("the upload still lacks {} part(s) (details.missing); send them, then complete again", .missing.len())]
    UploadIncomplete { missing: Vec<u32> },
    #[error(
        "{model}@{version} is already published with different content ({existing}); versions are immutable"
    )]
    VersionConflict { model: ModelName, version: Version, existing: Digest },
    #[error("{model}@{version} is yanked; pass force to point an alias at it")]
    VersionYanked { model: ModelName, version: Version },
    #[error("{model}@{version} was deleted; its number can never be published again")]
    VersionDeleted { model: ModelName, version: Version },
    #[error("model '{model}' has no alias '{alias}'")]
    AliasNotFound { model: ModelName, alias: String },
    #[error("no live token named '{0}'")]
    TokenNotFound(String),
    #[error("{0}")]
    Unauthorized(&'static str),
    #[error("{0}")]
    Forbidden(String),
    #[error("service unavailable: {0}")]
    Unavailable(&'static str),
    #[error("internal error: {0}")]
    Internal(#[source] Box<dyn std::error::Error + Send + Sync>),
}

impl RegistryError {
    pub fn internal(message: impl Into<String>) -> Self {
        Self::Internal(message.into().into())
    }
}

impl From<StoreError> for RegistryError {
    fn from(e: StoreError) -> Self {
        Self::Internal(Box::new(e))
    }
}

impl From<BlobError> for RegistryError {
    fn from(e: BlobError) -> Self {
        match e {
            BlobError::NotFound(d) => Self::BlobNotFound(d),
            BlobError::DigestMismatch { expected, actual } => Self::DigestMismatch { expected, actual },
            BlobError::SizeMismatch { expected, actual } => Self::SizeMismatch { expected, actual },
            BlobError::RangeNotSatisfiable { size } => Self::RangeNotSatisfiable { size },
            BlobError::Body(source) => Self::BodyInterrupted(source.to_string()),
            BlobError::Busy(_) => Self::Unavailable("another request is still writing to this upload; retry"),
            e @ (BlobError::Corrupt { .. }
            | BlobError::Store(_)
            | BlobError::Config(_)
            | BlobError::Io(_)) => Self::Internal(Box::new(e)),
        }
    }
}
