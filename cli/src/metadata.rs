//! A version's metadata as the push command builds it: `modelreg.toml` in the pushed
//! directory, converted from TOML to JSON, over what the model card (`README.md`) says, with
//! command-line flags on top. Talks to no server.

use std::collections::BTreeSet;
use std::path::Path;

use modelreg_api::{LicenseExpr, Metadata};
use serde_json::Value as Json;

use crate::error::ClientError;
use crate::hf_card::{CardImport, FRONT_MATTER_WARNING, HF_BASE_MODEL_LABEL, README_FILE, import_card};
use crate::scan::METADATA_FILE;

/// The metadata of a push, and what was skipped on the way.
#[derive(Debug, Clone, PartialEq)]
pub struct LoadedMetadata {
    pub metadata: Metadata,
    /// Values of the model card that were not imported, one line each.
    pub warnings: Vec<String>,
}

/// Reads `dir/modelreg.toml` if it exists and, with `import_readme`, `dir/README.md`, and
/// merges them with `license` on top.
pub fn load_metadata(
    dir: &Path,
    license: Option<LicenseExpr>,
    import_readme: bool,
) -> Result<LoadedMetadata, ClientError> {
    let table = read_optional(&dir.join(METADATA_FILE))?
        .map(|text| {
            text.parse::<toml::Table>()
                .map_err(|e| ClientError::Invalid(format!("{METADATA_FILE} is not valid TOML: {e}")))
        })
        .transpose()?;
    let card =
        if import_readme { read_optional(&dir.join(README_FILE))?.map(|t| import_card(&t)) } else { None };
    merge_metadata(table, card, license)
}

fn read_optional(path: &Path) -> Result<Option<String>, ClientError> {
    match std::fs::read(path) {
        Ok(bytes) => String::from_utf8(bytes)
            .map(Some)
            .map_err(|_| ClientError::Invalid(format!("'{}' is not UTF-8 text", path.display()))),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(ClientError::io(format!("cannot read '{}'", path.display()), e)),
    }
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
/// import and the flags. The flags win over the file, the file over the card, key by key
/// (and group by group: `license` with `license_url`, `base_model` with `base_models` and
/// `base_relation`).
/// A licence is required.
pub fn merge_metadata(
    table: Option<toml::Table>,
    card: Option<CardImport>,
    license_flag: Option<LicenseExpr>,
) -> Result<LoadedMetadata, ClientError> {
    let mut fields = serde_json::Map::new();
    for (key, value) in table.unwrap_or_default() {
        let json = toml_to_json(value)
            .map_err(|reason| ClientError::Invalid(format!("{METADATA_FILE}: {key}: {reason}")))?;
        fields.insert(key, json);
    }
    if let Some(license) = license_flag {
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
        let mut message = format!(
            "a licence is required: set license = \"SPDX-expression\" in {METADATA_FILE} or pass --license"
        );
        if let Some((_, why)) =
            skipped.iter().find(|(key, _)| matches!(*key, "license" | FRONT_MATTER_WARNING))
        {
            message.push_str(&format!(" ({why})"));
        }
        return Err(ClientError::Invalid(message));
    }
    let source = |field: &str| {
        let top = field.split(['.', '[']).next().unwrap_or_default();
        if imported.contains(top) { README_FILE } else { METADATA_FILE }
    };
    let metadata: Metadata = serde_path_to_error::deserialize(Json::Object(fields)).map_err(|e| {
        let path = e.path().to_string();
        ClientError::Invalid(format!("{}: {path}: {}", source(&path), e.into_inner()))
    })?;
    metadata.validate().map_err(|e| ClientError::Invalid(format!("{}: {e}", source(&e.field))))?;
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

#[cfg(test)]
mod tests;
