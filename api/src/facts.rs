//! Facts about a version that the registry can also read from its files: each effective
//! value records whether it was declared by the publisher or derived from the files, and,
//! when a declared value overrides a different derived one, both.

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::{DerivedField, FilePath};

/// Where an effective value came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum FactSource {
    /// Stated in the metadata; the files said nothing, or the same.
    Declared,
    /// Read from the files; the metadata said nothing.
    Derived,
    /// Stated in the metadata against a different derived value, with `override_derived`.
    Overridden,
}

/// One effective value.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Fact {
    pub value: serde_json::Value,
    pub source: FactSource,
    /// The value the files gave, when it differs from `value` (overridden) or confirms it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub derived: Option<serde_json::Value>,
    /// The file the derived value was read from.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub file: Option<FilePath>,
}

/// Effective facts of a version, by field.
pub type Facts = BTreeMap<DerivedField, Fact>;

/// A declared value that the version's files contradict: one entry of the `details` of a
/// publish refused with `invalid_manifest` (see `ContradictionDetails`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Contradiction {
    /// The metadata field; name it in `override_derived` to keep the declared value.
    pub field: DerivedField,
    /// The value the metadata declares.
    pub declared: serde_json::Value,
    /// The value the files give.
    pub derived: serde_json::Value,
    /// The file the derived value was read from; the first one when several contributed.
    pub file: FilePath,
    /// How many files contributed to the derived value (summed shards, agreeing GGUF files).
    pub files: u64,
}

/// The `details` of a publish refused because declared metadata contradicts the files:
/// `{"contradictions": [...]}`, every contradicted field at once, in field order.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct ContradictionDetails {
    pub contradictions: Vec<Contradiction>,
}
