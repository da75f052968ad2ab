//! Wire types shared by the modelreg server and CLI: validated names, versions and
//! selectors, digests, file paths, licence expressions and what they allow, language tags,
//! the manifest with its metadata and derived facts, the lookup query, token scopes and
//! namespace patterns, the upload part layout, request/response bodies and the error
//! envelope. This crate parses, validates and serialises; it must never do I/O.

mod access;
pub mod card;
mod choose;
mod commit;
mod digest;
mod error;
mod facts;
mod hf_upload;
mod license;
mod lookup;
mod manifest;
mod memory;
mod metadata;
mod name;
mod path;
mod schema;
mod upload;
mod version;
mod wire;
pub mod words;

pub use access::{
    AliasInfo, AliasList, AliasMove, AliasName, AuditEntry, AuditPage, CreateTokenRequest, CreatedToken,
    MAX_TOKEN_LIFETIME_DAYS, NamespacePattern, Scope, SetAliasRequest, TokenInfo, TokenList, YankInfo,
    YankRequest,
};
pub use choose::{
    Candidate, ChooseQuery, ChooseRequest, ChooseResponse, Criterion, CriterionScore, DEFAULT_CHOOSE_LIMIT,
    MAX_CANDIDATES, MAX_CHOOSE_LIMIT, MAX_NEAR_MISSES, MAX_PREFERENCES, NOT_CONSTRAINTS, NearMiss,
    Preference, PreferenceDirection, QUALIFIERS,
};
pub use commit::{CommitId, CommitIdError};
pub use digest::{Digest, DigestError};
pub use error::{ErrorBody, ErrorCode, ErrorEnvelope, InvalidQueryDetails};
pub use facts::{Contradiction, ContradictionDetails, Fact, FactSource, Facts};
pub use hf_upload::{
    HfCommit, HfCommitOperation, LfsBatchRequest, LfsObject, MAX_COMMIT_OPERATIONS, PreuploadAnswer,
    PreuploadFile, PreuploadRequest, PreuploadResponse, lfs_oid, parse_hf_commit,
};
pub use license::{
    BaseVerdict, CommercialUse, EffectiveLicense, LicenseAssessment, LicenseClass, LicenseConflict,
    LicenseError, LicenseExpr, LicenseTermError, LicenseTerms, LicenseVerdict, MAX_LINEAGE_DEPTH,
    OTHER_LICENSE_REF, assess, canonical_license_id, effective_license, from_hf_license, known_licenses,
    license_terms, permits,
};
pub use lookup::{
    DEFAULT_LIMIT, Derivative, DerivativeList, Direction, EvalFilter, EvalKey, EvalOp, LOOKUP_KEYS,
    LookupError, LookupPage, LookupQuery, LookupRow, MAX_EVAL_FILTERS, MAX_EVAL_LANGUAGES, MAX_LIMIT,
    MAX_QUERY_PARAMS, MAX_VALUES_PER_PARAM, MEMORY_PARAMS, MemoryFilter, Order, SortKey, VersionsMode,
    metric_direction, normalize_eval_name,
};
pub use manifest::{FileEntry, Manifest, ManifestError};
pub use memory::{
    KvCacheShape, MAX_BATCH, MAX_CONTEXT_TOKENS, MemoryNeed, OVERHEAD_DIVISOR, OVERHEAD_FIXED_BYTES,
    kv_precision_bits, memory_need, parse_byte_size, tokens_at,
};
pub use metadata::{
    BaseModel, BaseRelation, DerivedField, Evaluation, Format, HardwareNeeds, LanguageError, LanguageTag,
    Latency, LicenseTermsDeclared, MAX_BASES, Metadata, MetadataError, Modalities, Modality, Precision,
    Risks, Task,
};
pub use name::{ModelName, NameError};
pub use path::{FilePath, PathError};
pub use upload::{
    CreateUploadRequest, MAX_PART_SIZE, MAX_UPLOAD_PARTS, MIN_PART_SIZE, PartLayout, PartUploaded,
    UploadSession, UploadState,
};
pub use version::{Version, VersionError, VersionSelector};
pub use wire::{
    BlobUploaded, MissingBlobsRequest, MissingBlobsResponse, ModelSummary, PublishResponse, VersionList,
    VersionManifest, VersionSummary,
};

/// Largest number of digests one `POST /v1/blobs/missing` may ask about.
pub const MAX_MISSING_QUERY: usize = 10_000;
