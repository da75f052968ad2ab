//! The typed path parameters of the `/v1` routes: one struct per route shape, its fields named
//! as the route template's segments. Values stay strings here and are parsed by the handler
//! (so each keeps its own error code); the schemas say what they must hold, and [`PathParams`]
//! which codes a malformed one is refused with, so the document's 400s follow from the type.

use modelreg_api::ErrorCode;
use schemars::JsonSchema;
use serde::Deserialize;

/// A route shape's path parameters.
pub trait PathParams: JsonSchema {
    /// The codes (all 400) the handler refuses a malformed segment with, before looking
    /// anything up; empty when every value parses (an unknown one is a 404).
    const REFUSED: &'static [ErrorCode];
}

macro_rules! refused {
    ($($t:ident => [$($code:ident),*];)*) => {
        $(impl PathParams for $t { const REFUSED: &'static [ErrorCode] = &[$(ErrorCode::$code),*]; })*
    };
}

refused! {
    ModelPath => [InvalidModelName];
    VersionPath => [InvalidModelName, InvalidVersion];
    SelectorPath => [InvalidModelName, InvalidSelector];
    AliasPath => [InvalidModelName, InvalidAlias];
    DigestPath => [InvalidDigest];
    UploadPath => [];
    PartPath => [InvalidPart];
    TokenPath => [];
}

/// `{namespace}/{name}`.
#[derive(Debug, Deserialize, JsonSchema)]
pub struct ModelPath {
    /// The model's namespace (lower-case `[a-z0-9]` with `.`, `_`, `-` inside).
    pub namespace: String,
    /// The model's name within its namespace.
    pub name: String,
}

/// `{namespace}/{name}/versions/{version}`, `{version}` an exact version.
#[derive(Debug, Deserialize, JsonSchema)]
pub struct VersionPath {
    /// The model's namespace.
    pub namespace: String,
    /// The model's name within its namespace.
    pub name: String,
    /// Strict semver, e.g. 1.4.0.
    #[schemars(with = "modelreg_api::Version")]
    pub version: String,
}

/// `{namespace}/{name}/versions/{version}`, `{version}` any selector.
#[derive(Debug, Deserialize, JsonSchema)]
pub struct SelectorPath {
    /// The model's namespace.
    pub namespace: String,
    /// The model's name within its namespace.
    pub name: String,
    /// A selector, percent-encoded: an exact version, a semver requirement such as ^1.4,
    /// latest, or an alias.
    pub version: String,
}

/// `{namespace}/{name}/aliases/{alias}`.
#[derive(Debug, Deserialize, JsonSchema)]
pub struct AliasPath {
    /// The model's namespace.
    pub namespace: String,
    /// The model's name within its namespace.
    pub name: String,
    /// The alias, e.g. production; it may not read as a version.
    pub alias: String,
}

/// `/v1/blobs/{digest}`.
#[derive(Debug, Deserialize, JsonSchema)]
pub struct DigestPath {
    #[schemars(with = "modelreg_api::Digest")]
    pub digest: String,
}

/// `/v1/uploads/{id}`.
#[derive(Debug, Deserialize, JsonSchema)]
pub struct UploadPath {
    /// Session id from POST /v1/uploads.
    pub id: String,
}

/// `/v1/uploads/{id}/parts/{part}`.
#[derive(Debug, Deserialize, JsonSchema)]
pub struct PartPath {
    /// Session id from POST /v1/uploads.
    pub id: String,
    /// 1-based part number.
    #[schemars(with = "std::num::NonZeroU32")]
    pub part: String,
}

/// `/v1/tokens/{name}`.
#[derive(Debug, Deserialize, JsonSchema)]
pub struct TokenPath {
    /// The token's name.
    pub name: String,
}
