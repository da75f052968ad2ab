//! What a lookup answers: one row per matching version (with the selection criteria a client
//! shows), a page of rows with its cursor, and the derivatives of a model.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::{
    CommercialUse, Digest, Format, LanguageTag, LicenseClass, LicenseConflict, Modalities, ModelName, Task,
    Version,
};

/// One result of a lookup.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct LookupRow {
    pub model: ModelName,
    pub version: Version,
    pub digest: Digest,
    pub license: String,
    pub license_class: LicenseClass,
    pub commercial_use: CommercialUse,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub task: Option<Task>,
    pub modalities: Modalities,
    pub languages: Vec<LanguageTag>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub context_length: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parameters: Option<u64>,
    pub size_bytes: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub format: Option<Format>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    pub published_at: String,
    /// With `sort=eval:<dataset>:<metric>` (else the first `eval` filter): the version's best
    /// value on that dataset and metric, in an `eval_language` when given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub eval_value: Option<f64>,
    /// API path of the version: `/v1/models/{ns}/{name}/versions/{version}`.
    pub url: String,
    /// The licence class after the version's lineage (the most restrictive on its base chain).
    #[serde(default = "unknown_class")]
    pub effective_license_class: LicenseClass,
    /// The commercial-use answer after the version's lineage.
    #[serde(default = "unknown_commercial_use")]
    pub effective_commercial_use: CommercialUse,
    /// Bases whose licence allows less than this version declares.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub license_conflicts: Vec<LicenseConflict>,
}

fn unknown_class() -> LicenseClass {
    LicenseClass::Unknown
}

fn unknown_commercial_use() -> CommercialUse {
    CommercialUse::Unknown
}

/// A page of lookup results.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct LookupPage {
    pub results: Vec<LookupRow>,
    /// Pass as `cursor` for the next page; absent on the last page.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_cursor: Option<String>,
}

/// One model derived from another: `GET /v1/models/{ns}/{name}/derivatives`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Derivative {
    pub model: ModelName,
    pub version: Version,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub relation: Option<crate::BaseRelation>,
    /// The base version it names, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub base_version: Option<Version>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct DerivativeList {
    pub model: ModelName,
    pub derivatives: Vec<Derivative>,
}
