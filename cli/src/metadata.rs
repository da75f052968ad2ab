//! A version's metadata as the push command builds it: `modelreg.toml` in the pushed
//! directory, converted from TOML to JSON, with command-line flags on top. Talks to no
//! server.

use std::path::Path;

use modelreg_api::{LicenseExpr, Metadata};
use serde_json::Value as Json;

use crate::error::ClientError;
use crate::scan::METADATA_FILE;

/// Reads `dir/modelreg.toml` if it exists and merges `license` over it.
pub fn load_metadata(dir: &Path, license: Option<LicenseExpr>) -> Result<Metadata, ClientError> {
    let path = dir.join(METADATA_FILE);
    let table = match std::fs::read_to_string(&path) {
        Ok(text) => Some(
            text.parse::<toml::Table>()
                .map_err(|e| ClientError::Invalid(format!("{METADATA_FILE} is not valid TOML: {e}")))?,
        ),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
        Err(e) => return Err(ClientError::io(format!("cannot read '{}'", path.display()), e)),
    };
    merge_metadata(table, license)
}

/// Builds the metadata from a TOML table (its keys become metadata keys) and the flags;
/// `--license` wins over the file. A licence is required.
pub fn merge_metadata(
    table: Option<toml::Table>,
    license_flag: Option<LicenseExpr>,
) -> Result<Metadata, ClientError> {
    let mut fields = serde_json::Map::new();
    for (key, value) in table.unwrap_or_default() {
        let json = toml_to_json(value)
            .map_err(|reason| ClientError::Invalid(format!("{METADATA_FILE}: {key}: {reason}")))?;
        fields.insert(key, json);
    }
    if let Some(license) = license_flag {
        fields.insert("license".into(), Json::String(license.to_string()));
    }
    if !fields.contains_key("license") {
        return Err(ClientError::Invalid(format!(
            "a licence is required: set license = \"SPDX-expression\" in {METADATA_FILE} or pass --license"
        )));
    }
    let metadata: Metadata = serde_path_to_error::deserialize(Json::Object(fields)).map_err(|e| {
        let path = e.path().to_string();
        ClientError::Invalid(format!("{METADATA_FILE}: {path}: {}", e.into_inner()))
    })?;
    metadata.validate().map_err(|e| ClientError::Invalid(format!("{METADATA_FILE}: {e}")))?;
    Ok(metadata)
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
mod tests {
    use serde_json::json;

    use super::*;

    fn table(text: &str) -> Option<toml::Table> {
        Some(text.parse().unwrap())
    }

    #[test]
    fn toml_keys_become_metadata_keys_as_json() {
        let meta = merge_metadata(
            table(
                r#"
                license = "Apache-2.0"
                task = "text-classification"
                context_length = 8192
                fine_tunable = true
                languages = ["en", "FR"]
                [labels]
                released = "2024-05-01"
                [modalities]
                input = ["text"]
                "#,
            ),
            None,
        )
        .unwrap();
        assert_eq!(meta.license.as_str(), "Apache-2.0");
        let json = serde_json::to_value(&meta).unwrap();
        assert_eq!(
            json,
            json!({
                "license": "Apache-2.0",
                "task": "text-classification",
                "context_length": 8192,
                "fine_tunable": true,
                "languages": ["en", "fr"],
                "labels": {"released": "2024-05-01"},
                "modalities": {"input": ["text"], "output": []},
            })
        );
    }

    #[test]
    fn unknown_keys_are_refused_by_name() {
        let err =
            merge_metadata(table("license = \"MIT\"\ntemperature = 0.7"), None).unwrap_err().to_string();
        assert!(err.contains("temperature"), "{err}");
    }

    #[test]
    fn the_license_flag_wins_over_the_file() {
        let meta = merge_metadata(table(r#"license = "MIT""#), Some("Apache-2.0".parse().unwrap())).unwrap();
        assert_eq!(meta.license.as_str(), "Apache-2.0");
        assert_eq!(serde_json::to_value(&meta).unwrap(), json!({"license": "Apache-2.0"}));
        let meta = merge_metadata(None, Some("MIT".parse().unwrap())).unwrap();
        assert_eq!(meta.license.as_str(), "MIT");
    }

    #[test]
    fn a_missing_licence_says_how_to_set_one() {
        let err = merge_metadata(table(r#"task = "x""#), None).unwrap_err().to_string();
        assert!(err.contains("modelreg.toml") && err.contains("--license"), "{err}");
        let err = merge_metadata(None, None).unwrap_err().to_string();
        assert!(err.contains("--license"), "{err}");
    }

    #[test]
    fn a_bad_licence_in_the_file_names_the_field() {
        let err = merge_metadata(table(r#"license = "Made-Up-1.0""#), None).unwrap_err().to_string();
        assert!(err.contains("license") && err.contains("Made-Up-1.0"), "{err}");
        let err = merge_metadata(table("license = 3"), None).unwrap_err().to_string();
        assert!(err.contains("expected a string"), "{err}");
    }

    #[test]
    fn the_metadata_file_is_read_from_the_directory() {
        let dir = tempfile::tempdir().unwrap();
        let err = load_metadata(dir.path(), None).unwrap_err();
        assert!(err.to_string().contains("licence is required"), "{err}");
        std::fs::write(dir.path().join(METADATA_FILE), "license = \"MIT\"\ntags = [\"nlp\"]\n").unwrap();
        let meta = load_metadata(dir.path(), None).unwrap();
        assert_eq!(meta.tags, ["nlp"]);
        std::fs::write(dir.path().join(METADATA_FILE), "license = ").unwrap();
        let err = load_metadata(dir.path(), None).unwrap_err().to_string();
        assert!(err.contains("not valid TOML"), "{err}");
    }
}
