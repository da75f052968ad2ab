//! The manifest: everything a version is. Its canonical JSON (files sorted by path, keys in a
//! fixed order) is what the version digest is computed over.

use std::collections::{BTreeMap, BTreeSet};

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use unicode_normalization::UnicodeNormalization;

use crate::{DerivedField, Digest, FilePath, Metadata, MetadataError};

/// Most files one version may list.
pub const MAX_FILES: usize = 100_000;

/// One file of a version.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct FileEntry {
    pub path: FilePath,
    pub digest: Digest,
    /// Size in bytes.
    pub size: u64,
}

/// A version's files and metadata, as published.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Manifest {
    pub files: Vec<FileEntry>,
    pub metadata: Metadata,
    /// Declared metadata fields that should stand even where the files say otherwise
    /// (recorded with the version; without it a contradiction is refused).
    #[serde(default, skip_serializing_if = "BTreeSet::is_empty")]
    pub override_derived: BTreeSet<DerivedField>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ManifestError {
    #[error("files: a version needs at least one file")]
    NoFiles,
    #[error("files: a version may list at most {MAX_FILES} files")]
    TooManyFiles,
    #[error("files: '{0}' is listed more than once")]
    DuplicatePath(String),
    #[error("files: '{0}' is both a file and a directory")]
    FileIsDirectory(String),
    #[error(
        "files: '{0}' and '{1}' are the same path on case-insensitive or Unicode-normalising file systems \
         (macOS, Windows)"
    )]
    PathsCollide(String, String),
    #[error(transparent)]
    Metadata(#[from] MetadataError),
}

impl Manifest {
    /// Checks what the field types alone cannot: a non-empty, bounded file list without
    /// duplicates, no file that is also another file's directory, and no two paths that
    /// one file system would take for the same (case, NFC/NFD).
    pub fn validate(&self) -> Result<(), ManifestError> {
        if self.files.is_empty() {
            return Err(ManifestError::NoFiles);
        }
        if self.files.len() > MAX_FILES {
            return Err(ManifestError::TooManyFiles);
        }
        let mut seen = BTreeSet::new();
        for f in &self.files {
            if !seen.insert(f.path.as_str()) {
                return Err(ManifestError::DuplicatePath(f.path.to_string()));
            }
        }
        for f in &self.files {
            let mut prefix = String::new();
            for part in f.path.components() {
                if !prefix.is_empty() && seen.contains(prefix.as_str()) {
                    return Err(ManifestError::FileIsDirectory(prefix));
                }
                if !prefix.is_empty() {
                    prefix.push('/');
                }
                prefix.push_str(part);
            }
        }
        check_folded_collisions(&self.files)?;
        self.metadata.validate()?;
        Ok(())
    }

    /// The manifest in canonical form: files sorted by path, metadata normalised.
    pub fn canonicalize(mut self) -> Self {
        self.files.sort_by(|a, b| a.path.cmp(&b.path));
        self.metadata.normalize();
        self
    }

    /// Canonical JSON bytes (call on a canonicalised manifest): struct fields in declaration
    /// order, map keys sorted, absent optional fields omitted.
    pub fn canonical_json(&self) -> Vec<u8> {
        serde_json::to_vec(self).expect("a manifest always serialises")
    }

    /// Total bytes of all files.
    pub fn total_size(&self) -> u64 {
        self.files.iter().map(|f| f.size).sum()
    }
}

/// A path as case-insensitive, normalising file systems see it: NFC, then lower case.
fn folded(path: &str) -> String {
    path.nfc().flat_map(char::to_lowercase).collect()
}

/// Refuses two paths that differ only in case or Unicode normalisation, and a file whose
/// folded path is a folded directory of another (`A` and `a/b`).
fn check_folded_collisions(files: &[FileEntry]) -> Result<(), ManifestError> {
    let mut by_folded: BTreeMap<String, &str> = BTreeMap::new();
    for f in files {
        let path = f.path.as_str();
        if let Some(other) = by_folded.insert(folded(path), path) {
            return Err(ManifestError::PathsCollide(other.to_owned(), path.to_owned()));
        }
    }
    for f in files {
        let path = f.path.as_str();
        for (i, _) in path.match_indices('/') {
            if let Some(other) = by_folded.get(&folded(&path[..i])) {
                return Err(ManifestError::PathsCollide((*other).to_owned(), path.to_owned()));
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn manifest(paths: &[&str]) -> Manifest {
        let digest: Digest = format!("sha256:{}", "0".repeat(64)).parse().unwrap();
        Manifest {
            files: paths.iter().map(|p| FileEntry { path: p.parse().unwrap(), digest, size: 1 }).collect(),
            metadata: Metadata::with_license("MIT".parse().unwrap()),
            override_derived: BTreeSet::new(),
        }
    }

    #[test]
    fn duplicate_and_shadowing_paths_are_refused() {
        assert_eq!(manifest(&[]).validate(), Err(ManifestError::NoFiles));
        assert_eq!(manifest(&["a", "a"]).validate(), Err(ManifestError::DuplicatePath("a".into())));
        assert_eq!(manifest(&["a", "a/b"]).validate(), Err(ManifestError::FileIsDirectory("a".into())));
        assert!(manifest(&["a/b", "a/c", "b"]).validate().is_ok());
    }

    #[test]
    fn paths_that_fold_to_the_same_name_are_refused_naming_both() {
        let nfc = "caf\u{e9}.bin";
        let nfd = "cafe\u{301}.bin";
        for (paths, a, b) in [
            (["Model.bin", "model.bin"], "Model.bin", "model.bin"),
            ([nfc, nfd], nfc, nfd),
            (["Tok/vocab.json", "tok/merges.txt"], "", ""),
            (["README", "readme/x"], "README", "readme/x"),
        ] {
            let result = manifest(&paths).validate();
            if a.is_empty() {
                // Directories differing in case merge on such systems; no file is lost.
                assert!(result.is_ok(), "{paths:?}: {result:?}");
                continue;
            }
            let err = result.unwrap_err();
            assert_eq!(err, ManifestError::PathsCollide(a.into(), b.into()), "{paths:?}");
            assert!(err.to_string().contains(&format!("'{a}' and '{b}'")), "{err}");
        }
    }

    #[test]
    fn canonical_json_ignores_file_order() {
        let a = manifest(&["x", "y"]).canonicalize().canonical_json();
        let b = manifest(&["y", "x"]).canonicalize().canonical_json();
        assert_eq!(a, b);
    }

    #[test]
    fn unknown_top_level_keys_are_refused() {
        let err = serde_json::from_str::<Manifest>(r#"{"files":[],"metadata":{"license":"MIT"},"extra":1}"#)
            .unwrap_err();
        assert!(err.to_string().contains("extra"), "{err}");
    }
}
