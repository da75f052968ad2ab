//! `RegistryError`: every way a registry operation can fail, in domain terms. The HTTP
//! layer maps each variant to a status and a stable code in one exhaustive match.

use std::time::Duration;

use modelreg_api::{Digest, ErrorCode, ModelName, Version};

use super::Contradictions;
use crate::blob::BlobError;
use crate::store::StoreError;

#[derive(Debug, thiserror::Error)]
pub enum RegistryError {
    /// A request parameter or body field failed validation (400); `code` says which check.
    #[error("{message}")]
    Invalid { code: InvalidCode, message: String },
    /// A query parameter was refused; `parameter` travels as structured details.
    #[error("query parameter '{parameter}': {reason}")]
    InvalidQuery { parameter: String, reason: String },
    #[error("invalid manifest: {0}")]
    InvalidManifest(String),
    /// Declared metadata that the files contradict; a manifest error (`invalid_manifest`)
    /// whose list travels as structured details.
    #[error("invalid manifest: {0}")]
    Contradicted(Contradictions),
    /// A file holds more than the registry reads to derive facts (`limit` names the cap).
    #[error("files: '{path}': {message}")]
    FileHeaderTooLarge { path: String, limit: &'static str, max: u64, message: String },
    #[error("{} referenced blob(s) are not in the registry; upload them first", .0.len())]
    MissingBlobs(Vec<Digest>),
    #[error("content does not match digest: declared {expected}, received {actual}")]
    DigestMismatch { expected: Digest, actual: Digest },
    #[error("content size does not match: expected {expected} bytes, got {actual}")]
    SizeMismatch { expected: u64, actual: u64 },
    #[error("request body interrupted: {0}")]
    BodyInterrupted(String),
    /// The client stopped sending the body (see [`BodyError::Stalled`]); what the request
    /// held has been released.
    #[error("request body timed out: no bytes arrived for {} s", .idle.as_secs_f64())]
    BodyTimeout { idle: Duration },
    /// The client sent an upload part so slowly that it kept the shared part buffer from
    /// uploads waiting for it (see `blob::multipart`).
    #[error("request body too slow: {received} bytes in {} s while other uploads waited for the part buffer; retry", .elapsed.as_secs())]
    BodyTooSlow { received: u64, elapsed: Duration },
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
    /// A Hugging Face commit whose `parentCommit` is no longer what its revision points at.
    #[error(
        "{model}: revision '{revision}' has moved since parentCommit; fetch it again and redo the commit"
    )]
    StaleParent { model: ModelName, revision: String },
    /// `create_repo`, `create_branch` or `create_tag` of something that exists.
    #[error("{model}{} already exists", .name.as_ref().map(|n| format!(": '{n}'")).unwrap_or_default())]
    RefExists { model: ModelName, name: Option<String> },
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

/// Which validation a [`RegistryError::Invalid`] failed: each is a stable [`ErrorCode`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InvalidCode {
    InvalidAlias,
    InvalidBranch,
    InvalidCommit,
    InvalidContentLength,
    InvalidDigest,
    InvalidExpiry,
    InvalidJson,
    InvalidModelName,
    InvalidNamespaces,
    InvalidOid,
    InvalidOperation,
    InvalidPart,
    InvalidReason,
    InvalidRepo,
    InvalidRevision,
    InvalidSelector,
    InvalidSize,
    InvalidTag,
    InvalidTokenName,
    InvalidVersion,
    TokenNameTaken,
    TooManyDigests,
    TooManyObjects,
}

impl InvalidCode {
    /// The wire code.
    pub const fn error_code(self) -> ErrorCode {
        match self {
            Self::InvalidAlias => ErrorCode::InvalidAlias,
            Self::InvalidBranch => ErrorCode::InvalidBranch,
            Self::InvalidCommit => ErrorCode::InvalidCommit,
            Self::InvalidContentLength => ErrorCode::InvalidContentLength,
            Self::InvalidDigest => ErrorCode::InvalidDigest,
            Self::InvalidExpiry => ErrorCode::InvalidExpiry,
            Self::InvalidJson => ErrorCode::InvalidJson,
            Self::InvalidModelName => ErrorCode::InvalidModelName,
            Self::InvalidNamespaces => ErrorCode::InvalidNamespaces,
            Self::InvalidOid => ErrorCode::InvalidOid,
            Self::InvalidOperation => ErrorCode::InvalidOperation,
            Self::InvalidPart => ErrorCode::InvalidPart,
            Self::InvalidReason => ErrorCode::InvalidReason,
            Self::InvalidRepo => ErrorCode::InvalidRepo,
            Self::InvalidRevision => ErrorCode::InvalidRevision,
            Self::InvalidSelector => ErrorCode::InvalidSelector,
            Self::InvalidSize => ErrorCode::InvalidSize,
            Self::InvalidTag => ErrorCode::InvalidTag,
            Self::InvalidTokenName => ErrorCode::InvalidTokenName,
            Self::InvalidVersion => ErrorCode::InvalidVersion,
            Self::TokenNameTaken => ErrorCode::TokenNameTaken,
            Self::TooManyDigests => ErrorCode::TooManyDigests,
            Self::TooManyObjects => ErrorCode::TooManyObjects,
        }
    }
}

impl RegistryError {
    pub fn invalid_query(parameter: impl Into<String>, reason: impl Into<String>) -> Self {
        Self::InvalidQuery { parameter: parameter.into(), reason: reason.into() }
    }

    pub fn internal(message: impl Into<String>) -> Self {
        Self::Internal(message.into().into())
    }

    /// The error for a request body stream that failed: a timeout when the failure (or one
    /// of its sources) is a [`BodyError::Stalled`], else an interruption.
    pub fn body(e: &(dyn std::error::Error + 'static)) -> Self {
        let mut cause = Some(e);
        while let Some(err) = cause {
            if let Some(BodyError::Stalled(idle)) = err.downcast_ref::<BodyError>() {
                return Self::BodyTimeout { idle: *idle };
            }
            cause = err.source();
        }
        Self::BodyInterrupted(e.to_string())
    }
}

/// Why a request body stream ended early. The HTTP layer reads bodies and yields this as
/// the stream's error, so that the service (and the blob store below it) see an error item,
/// release what they hold, and answer with the right status.
#[derive(Debug, thiserror::Error)]
pub enum BodyError {
    /// No byte arrived for this long while the request waited for the body.
    #[error("no bytes arrived for {} s", .0.as_secs_f64())]
    Stalled(Duration),
    /// The connection failed or the body was malformed.
    #[error("{0}")]
    Interrupted(#[source] Box<dyn std::error::Error + Send + Sync>),
}

/// What a 503 names when the database is out of reach.
pub const DATABASE_UNAVAILABLE: &str = "the database is unavailable; retry later";
/// What a 503 names when the blob store is out of reach.
pub const BLOBS_UNAVAILABLE: &str = "the blob store is unavailable; retry later";

impl From<StoreError> for RegistryError {
    fn from(e: StoreError) -> Self {
        if e.is_unavailable() {
            // The answer names only the dependency; the cause is logged here, once.
            tracing::warn!(error = %e, "database unavailable");
            return Self::Unavailable(DATABASE_UNAVAILABLE);
        }
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
            BlobError::Body(source) => Self::body(source.as_ref()),
            BlobError::TooSlow { received, elapsed } => Self::BodyTooSlow { received, elapsed },
            BlobError::Busy(_) => Self::Unavailable("another request is still writing to this upload; retry"),
            e @ BlobError::Store(_) if e.is_unavailable() => {
                tracing::warn!(error = %e, "blob store unavailable");
                Self::Unavailable(BLOBS_UNAVAILABLE)
            }
            e @ (BlobError::Corrupt { .. }
            | BlobError::Store(_)
            | BlobError::Config(_)
            | BlobError::Io(_)) => Self::Internal(Box::new(e)),
        }
    }
}
