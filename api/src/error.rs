//! The JSON error envelope every non-2xx response carries:
//! `{"error": {"code": "snake_case_code", "message": "...", "details": ...}}`, and
//! [`ErrorCode`], every code a response of this registry can carry.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct ErrorEnvelope {
    pub error: ErrorBody,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct ErrorBody {
    /// Stable, machine-readable snake_case code, e.g. `version_conflict`. A string on the
    /// wire so that a client reads codes a newer server adds; the document lists them all.
    #[schemars(with = "ErrorCode")]
    pub code: String,
    /// Human-readable explanation naming the offending field.
    pub message: String,
    /// Structured extra information, e.g. the missing digests of a publish.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub details: Option<serde_json::Value>,
}

/// The `details` of an `invalid_query` error: the query parameter that was refused, as sent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct InvalidQueryDetails {
    pub parameter: String,
}

impl ErrorEnvelope {
    pub fn new(code: impl Into<String>, message: impl Into<String>) -> Self {
        Self { error: ErrorBody { code: code.into(), message: message.into(), details: None } }
    }
}

/// Declares [`ErrorCode`] with each variant's wire string written once.
macro_rules! error_codes {
    ($($(#[$doc:meta])* $variant:ident = $code:literal,)*) => {
        /// Every `error.code` this registry answers with. The strings are stable: clients
        /// match on them.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
        pub enum ErrorCode {
            $($(#[$doc])* #[serde(rename = $code)] $variant,)*
        }

        impl ErrorCode {
            /// Every code, in declaration order.
            pub const ALL: &[ErrorCode] = &[$(Self::$variant),*];

            /// The wire string, e.g. `version_conflict`.
            pub const fn as_str(self) -> &'static str {
                match self {
                    $(Self::$variant => $code,)*
                }
            }
        }
    };
}

error_codes! {
    /// A query parameter is unknown or invalid; `details.parameter` names it.
    InvalidQuery = "invalid_query",
    /// A JSON request body is malformed or does not match its schema.
    InvalidJson = "invalid_json",
    InvalidManifest = "invalid_manifest",
    FileHeaderTooLarge = "file_header_too_large",
    MissingBlobs = "missing_blobs",
    InvalidModelName = "invalid_model_name",
    InvalidVersion = "invalid_version",
    InvalidSelector = "invalid_selector",
    InvalidAlias = "invalid_alias",
    InvalidDigest = "invalid_digest",
    InvalidContentLength = "invalid_content_length",
    InvalidSize = "invalid_size",
    InvalidPart = "invalid_part",
    InvalidReason = "invalid_reason",
    InvalidTokenName = "invalid_token_name",
    InvalidNamespaces = "invalid_namespaces",
    InvalidExpiry = "invalid_expiry",
    TokenNameTaken = "token_name_taken",
    TooManyDigests = "too_many_digests",
    /// Hugging Face protocol: a malformed LFS object id.
    InvalidOid = "invalid_oid",
    /// Hugging Face protocol: a malformed commit.
    InvalidCommit = "invalid_commit",
    /// Hugging Face protocol: an unknown commit operation.
    InvalidOperation = "invalid_operation",
    /// Hugging Face protocol: a malformed branch name.
    InvalidBranch = "invalid_branch",
    /// Hugging Face protocol: a malformed tag.
    InvalidTag = "invalid_tag",
    /// Hugging Face protocol: a malformed repository id.
    InvalidRepo = "invalid_repo",
    /// Hugging Face protocol: a malformed revision.
    InvalidRevision = "invalid_revision",
    /// Hugging Face protocol: too many objects in one LFS batch.
    TooManyObjects = "too_many_objects",
    DigestMismatch = "digest_mismatch",
    SizeMismatch = "size_mismatch",
    BodyInterrupted = "body_interrupted",
    BodyTimeout = "body_timeout",
    BodyTooSlow = "body_too_slow",
    BlobTooLarge = "blob_too_large",
    BodyTooLarge = "body_too_large",
    LengthRequired = "length_required",
    RangeNotSatisfiable = "range_not_satisfiable",
    ModelNotFound = "model_not_found",
    VersionNotFound = "version_not_found",
    BlobNotFound = "blob_not_found",
    UploadNotFound = "upload_not_found",
    AliasNotFound = "alias_not_found",
    TokenNotFound = "token_not_found",
    PartTooLarge = "part_too_large",
    PartOutOfOrder = "part_out_of_order",
    PartConflict = "part_conflict",
    UploadIncomplete = "upload_incomplete",
    TooManyUploads = "too_many_uploads",
    VersionConflict = "version_conflict",
    VersionYanked = "version_yanked",
    VersionDeleted = "version_deleted",
    /// Hugging Face protocol: the revision moved since the commit's parent.
    StaleParent = "stale_parent",
    /// Hugging Face protocol: the repository, branch or tag exists.
    AlreadyExists = "already_exists",
    /// No valid token (with `WWW-Authenticate: Bearer`).
    Unauthorized = "unauthorized",
    /// The token's scope or namespaces do not cover the request.
    Forbidden = "forbidden",
    /// No route for the path.
    NotFound = "not_found",
    /// The path exists, the method does not.
    MethodNotAllowed = "method_not_allowed",
    /// The database or the blob store is unreachable; retry.
    Unavailable = "unavailable",
    /// A server fault; the body says only "internal server error".
    Internal = "internal",
}

impl std::fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::ErrorCode;

    #[test]
    fn every_code_serialises_as_its_wire_string_and_is_unique() {
        let mut seen = std::collections::HashSet::new();
        for code in ErrorCode::ALL {
            assert_eq!(serde_json::to_value(code).unwrap(), code.as_str());
            assert!(seen.insert(code.as_str()), "{code} twice");
            let snake = code.as_str().bytes().all(|b| b.is_ascii_lowercase() || b == b'_');
            assert!(snake, "{code}");
        }
    }
}
