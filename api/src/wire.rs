//! Request and response bodies of the v1 blob, publish and model routes (see
//! schema/openapi.json). The bodies of the other routes live with their concern: `lookup`,
//! `upload`, `access` and `error`.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::{Digest, Facts, FileEntry, Metadata, ModelName, Version, YankInfo};

/// `POST /v1/blobs/missing` request.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct MissingBlobsRequest {
    pub digests: Vec<Digest>,
}

/// `POST /v1/blobs/missing` response: the asked-for digests the registry does not hold.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct MissingBlobsResponse {
    pub missing: Vec<Digest>,
}

/// `PUT /v1/blobs/{digest}` response.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct BlobUploaded {
    pub digest: Digest,
    pub size: u64,
    /// False when the registry already held the blob.
    pub created: bool,
}

/// `PUT /v1/models/{ns}/{name}/versions/{version}` response.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct PublishResponse {
    pub model: ModelName,
    pub version: Version,
    /// Digest of the canonical manifest: the version's identity.
    pub digest: Digest,
    /// False when the identical manifest was already published (a no-op).
    pub created: bool,
}

/// A resolved version: `GET /v1/models/{ns}/{name}/versions/{selector}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct VersionManifest {
    pub model: ModelName,
    pub version: Version,
    pub digest: Digest,
    pub size_bytes: u64,
    /// RFC 3339 UTC timestamp.
    pub published_at: String,
    pub files: Vec<FileEntry>,
    pub metadata: Metadata,
    /// Effective values of the fields the registry can also read from the files, each
    /// marked declared, derived or overridden.
    #[serde(default)]
    pub facts: Facts,
    /// The licence after the version's lineage: the most restrictive class and commercial
    /// use on its chain of bases, and the bases that allow less than it declares. Absent
    /// from registries that do not compute it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub effective_license: Option<crate::EffectiveLicense>,
    /// Present when the version is yanked: it still resolves by exact version only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub yanked: Option<YankInfo>,
}

/// One line of a model's version list.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct VersionSummary {
    pub version: Version,
    pub digest: Digest,
    pub size_bytes: u64,
    pub file_count: u64,
    pub published_at: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub yanked: Option<YankInfo>,
}

/// `GET /v1/models/{ns}/{name}/versions`: every version, in semver order (lowest first).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct VersionList {
    pub model: ModelName,
    pub versions: Vec<VersionSummary>,
}

/// `GET /v1/models/{ns}/{name}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct ModelSummary {
    pub name: ModelName,
    /// Highest version that is neither a pre-release nor yanked (what `latest` resolves to), if any.
    pub latest: Option<Version>,
    pub version_count: u64,
    pub created_at: String,
    pub updated_at: String,
}
