//! A version's metadata as the push command builds it: reads `modelreg.toml` and the model
//! card (`README.md`) of the pushed directory and merges them, with `--license` on top,
//! through `modelreg_api::card` (the server's `/hf` commit merges the same way). Talks to
//! no server.

use std::path::Path;

use modelreg_api::LicenseExpr;
use modelreg_api::card::{
    self, CardImport, LoadedMetadata, METADATA_FILE, MetadataSourceError, README_FILE, import_card,
    parse_metadata_file,
};

use crate::error::ClientError;

/// Reads `dir/modelreg.toml` if it exists and, with `import_readme`, `dir/README.md`, and
/// merges them with `license` on top.
pub fn load_metadata(
    dir: &Path,
    license: Option<LicenseExpr>,
    import_readme: bool,
) -> Result<LoadedMetadata, ClientError> {
    let table = read_optional(&dir.join(METADATA_FILE))?
        .map(|text| parse_metadata_file(&text).map_err(|e| ClientError::Invalid(e.to_string())))
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

/// `modelreg_api::card::merge_metadata` with the CLI's advice for a missing licence.
pub fn merge_metadata(
    table: Option<toml::Table>,
    card: Option<CardImport>,
    license_flag: Option<LicenseExpr>,
) -> Result<LoadedMetadata, ClientError> {
    card::merge_metadata(table, card, license_flag).map_err(|e| match e {
        MetadataSourceError::MissingLicense { why } => ClientError::Invalid(format!(
            "a licence is required: set license = \"SPDX-expression\" in {METADATA_FILE} or pass --license{}",
            why.map(|w| format!(" ({w})")).unwrap_or_default()
        )),
        other => ClientError::Invalid(other.to_string()),
    })
}

#[cfg(test)]
mod tests;
