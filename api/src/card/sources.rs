//! A version's metadata from the files a push or a Hugging Face commit carries:
//! `modelreg.toml` (its keys are metadata keys) over what the model card (`README.md`) says,
//! with a licence given on the side (`--license`) on top. The CLI and the server's `/hf`
//! commit both build metadata here, so the same files give the same metadata. No I/O: the
//! callers read the files.

use std::collections::BTreeSet;

use serde_json::Value as Json;

use super::import::{CardImport, FRONT_MATTER_WARNING, HF_BASE_MODEL_LABEL, README_FILE};
use crate::{LicenseExpr, Metadata};

/// The metadata file at the top of a push directory or a Hugging Face commit.
pub const METADATA_FILE: &str = "modelreg.toml";

/// The metadata built from the sources, and what of the card was skipped on the way.
#[derive(Debug, Clone, PartialEq)]
pub struct LoadedMetadata {
    pub metadata: Metadata,
    /// Values of the model card that were not imported, one line each.
    pub warnings: Vec<String>,
}

/// Why no metadata could be built. Messages name the file and the field; how to add a
/// missing licence depends on the caller (a flag, a file), so it is theirs to say.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MetadataSourceError {
    #[error("{METADATA_FILE} is not valid TOML: {0}")]
    Toml(String),
    /// No source gave a licence; `why` is the card's reason for not giving one, if it had one.
    #[error("a licence is required{}", why.as_ref().map(|w| format!(" ({w})")).unwrap_or_default())]
    MissingLicense { why: Option<String> },
    /// A value that is not valid metadata, blamed on the file it came from.
    #[error("{file}: {message}")]
    Invalid { file: &'static str, message: String },
}

/// Parses the text of `modelreg.toml`.
pub fn parse_metadata_file(text: &str) -> Result<toml::Table, MetadataSourceError> {
    text.parse::<toml::Table>().map_err(|e| MetadataSourceError::Toml(e.to_string()))
}

/// Keys that are taken from one source together: a licence URL belongs to its licence, a
/// relation (and the Hugging Face base label) to its base model.
fn group_of(key: &str) -> &[&'static str] {
    match key {
        "license" | "license_url" => &["license", "license_url"],
        "base_model" | "base_models" | "base_relation" | HF_BASE_MODEL_LABEL => {
            &["base_model", "base_models", "base_relation"]
        }
        _ => &[],
    }
}

/// Builds the metadata from a TOML table (its keys become metadata keys), the model card
/// import and a licence given on the side. The side licence wins over the file, the file
/// over the card, key by key (and group by group: `license` with `license_url`,
/// `base_model` with `base_models` and `base_relation`). A licence is required.
pub fn merge_metadata(
    table: Option<toml::Table>,
    card: Option<CardImport>,
    license: Option<LicenseExpr>,
) -> Result<LoadedMetadata, MetadataSourceError> {
    let mut fields = serde_json::Map::new();
    for (key, value) in table.unwrap_or_default() {
        let json = toml_to_json(value).map_err(|reason| MetadataSourceError::Invalid {
            file: METADATA_FILE,
            message: format!("{key}: {reason}"),
        })?;
        fields.insert(key, json);
    }
    if let Some(license) = license {
        fields.insert("license".into(), Json::String(license.to_string()));
    }
    let declared: BTreeSet<String> = fields.keys().cloned().collect();
    let taken = |key: &str| declared.contains(key) || group_of(key).iter().any(|k| declared.contains(*k));
    let mut imported = BTreeSet::new();
    let mut skipped: Vec<(&str, String)> = Vec::new();
    if let Some(card) = card {
        for (key, value) in card.fields {
            if !taken(&key) {
                imported.insert(key.clone());
                fields.insert(key, value);
            }
        }
        for (key, value) in card.labels {
            if taken(&key) {
                continue;
            }
            if let Json::Object(labels) =
                fields.entry("labels").or_insert_with(|| Json::Object(serde_json::Map::new()))
                && !labels.contains_key(&key)
            {
                imported.insert("labels".into());
                labels.insert(key, Json::String(value));
            }
        }
        skipped = card.warnings.into_iter().filter(|(key, _)| !taken(key)).collect();
    }
    if !fields.contains_key("license") {
        let why = skipped
            .iter()
            .find(|(key, _)| matches!(*key, "license" | FRONT_MATTER_WARNING))
            .map(|(_, why)| why.clone());
        return Err(MetadataSourceError::MissingLicense { why });
    }
    let source = |field: &str| {
        let top = field.split(['.', '[']).next().unwrap_or_default();
        if imported.contains(top) { README_FILE } else { METADATA_FILE }
    };
    let metadata: Metadata = serde_path_to_error::deserialize(Json::Object(fields)).map_err(|e| {
        let path = e.path().to_string();
        MetadataSourceError::Invalid { file: source(&path), message: format!("{path}: {}", e.into_inner()) }
    })?;
    metadata
        .validate()
        .map_err(|e| MetadataSourceError::Invalid { file: source(&e.field), message: e.to_string() })?;
    Ok(LoadedMetadata { metadata, warnings: skipped.into_iter().map(|(_, w)| w).collect() })
}

/// Converts a TOML value to JSON; datetimes become their RFC 3339 strings.
fn toml_to_json(value: toml::Value) -> Result<Json, String> {
    Ok(match value {
        toml::Value::String(s) => Json::String(s),
        toml::Value::Integer(i) => Json::from(i),
        toml::Value::Float(f) => serde_json::Number::from_f64(f)
            .map(Json::Number)
            .ok_or_else(|| format!("{f} cannot be represented in JSON"))?,
        toml::Value::Boolean(b) => Json::Bool(b),
        toml::Value::Datetime(d) => Json::String(d.to_string()),
        toml::Value::Array(items) => {
            Json::Array(items.into_iter().map(toml_to_json).collect::<Result<_, _>>()?)
        }
        toml::Value::Table(table) => Json::Object(
            table.into_iter().map(|(k, v)| toml_to_json(v).map(|j| (k, j))).collect::<Result<_, _>>()?,
        ),
    })
}
