//! A Hugging Face commit published as one immutable version, through `Registry::publish`
//! (the same validation, derived facts, audit and atomic write as `PUT .../versions/{v}`).
//! The commit is applied to its parent's files (carried over, added, replaced, deleted);
//! which version it becomes follows from the revision (see docs/huggingface.md):
//! a version number publishes exactly that version, `main` the next patch after the highest,
//! an alias the next patch and then moves the alias.

use modelreg_api::card::{
    METADATA_FILE, MetadataSourceError, README_FILE, import_card, merge_metadata, parse_metadata_file,
};
use modelreg_api::{
    AliasName, CommitId, Digest, FileEntry, HfCommit, HfCommitOperation, Manifest, Metadata, ModelName,
    Scope, Version, VersionSelector,
};

use super::super::hf::{Revision, commit_of};
use super::super::{Principal, Registry, RegistryError, ResolvedVersion};
use crate::blob::Sha256Hasher;

/// Largest `modelreg.toml` a commit may carry.
const MAX_METADATA_FILE: u64 = 1 << 20;
/// Largest `README.md` read for metadata (the card's body is kept up to 1 MiB).
const MAX_CARD_FILE: u64 = 2 << 20;

/// A published commit.
#[derive(Debug, Clone)]
pub struct HfCommitted {
    pub version: Version,
    pub digest: Digest,
    pub commit: CommitId,
    /// False when the identical version was already published.
    pub created: bool,
}

/// What a revision to commit to names.
#[derive(Debug, Clone)]
enum Target {
    /// Exactly this version.
    Exact(Version),
    /// The next patch version after the highest; with an alias, which then moves to it.
    Next(Option<AliasName>),
}

/// The next patch version after the highest of `versions` (`0.1.0` when there is none); a
/// pre-release is followed by its release.
pub fn next_patch<'a>(versions: impl IntoIterator<Item = &'a Version>) -> Version {
    let Some(highest) = versions.into_iter().max() else { return Version::new(0, 1, 0) };
    let v = highest.as_semver();
    Version::new(v.major, v.minor, if highest.is_prerelease() { v.patch } else { v.patch + 1 })
}

impl Registry {
    /// Publishes `commit` to `model` at `revision` for `caller`. A stale `parentCommit` is
    /// `StaleParent`; a version number with other content, `VersionConflict`.
    pub async fn hf_commit(
        &self,
        caller: &Principal,
        model: &ModelName,
        revision: &str,
        commit: HfCommit,
    ) -> Result<HfCommitted, RegistryError> {
        self.authorize_model(Some(caller), model, Scope::Write)?;
        let versions = self.meta.list_versions(model).await?;
        let latest = || {
            let live = versions.iter().filter(|v| v.yanked.is_none()).map(|v| &v.version);
            VersionSelector::Latest.select(live).cloned()
        };
        let (target, parent_version) = match Revision::parse(revision) {
            Revision::Selector(VersionSelector::Latest) => (Target::Next(None), latest()),
            Revision::Selector(VersionSelector::Exact(v)) => {
                let parent = if versions.iter().any(|r| r.version == v) { Some(v.clone()) } else { latest() };
                (Target::Exact(v), parent)
            }
            Revision::Selector(VersionSelector::Alias(alias)) => {
                match self.meta.get_alias(model, &alias).await? {
                    Some(v) => (Target::Next(Some(alias)), Some(v)),
                    None => {
                        return Err(RegistryError::VersionNotFound {
                            model: model.clone(),
                            selector: alias.to_string(),
                        });
                    }
                }
            }
            _ => {
                return Err(RegistryError::Invalid {
                    code: crate::service::InvalidCode::InvalidRevision,
                    message: format!(
                        "revision '{}': commit to main, a version number (1.4.0) or an alias",
                        revision.chars().take(100).collect::<String>()
                    ),
                });
            }
        };
        let parent = match &parent_version {
            Some(v) => Some(self.resolve(model, &VersionSelector::Exact(v.clone())).await?),
            None => None,
        };
        if let Some(wanted) = commit.parent_commit {
            let current = parent.as_ref().map(|p| commit_of(model, &p.record));
            if current != Some(wanted) {
                return Err(RegistryError::StaleParent {
                    model: model.clone(),
                    revision: revision.chars().take(100).collect(),
                });
            }
        }
        let manifest = self.apply_commit(caller, parent.as_ref(), commit).await?;
        let version = match &target {
            Target::Exact(v) => v.clone(),
            Target::Next(_) => next_patch(versions.iter().map(|r| &r.version)),
        };
        let published = self.publish(caller, model, &version, manifest).await?;
        if let Target::Next(Some(alias)) = &target {
            self.set_alias(model, alias, &version, false, &caller.token_name).await?;
        }
        let commit = modelreg_api::CommitId::of(model, &version, &published.digest);
        Ok(HfCommitted { version, digest: published.digest, commit, created: published.created })
    }

    /// The manifest `commit` makes of `parent` (none: an empty repository). Inline files are
    /// stored (hashed as they are written) and granted to the caller; LFS files must be blobs
    /// the caller can see. Metadata is rebuilt from `README.md` and `modelreg.toml` when the
    /// commit touches either, and otherwise kept from the parent.
    async fn apply_commit(
        &self,
        caller: &Principal,
        parent: Option<&ResolvedVersion>,
        commit: HfCommit,
    ) -> Result<Manifest, RegistryError> {
        let mut files: Vec<FileEntry> = parent.map(|p| p.manifest.files.clone()).unwrap_or_default();
        let mut touched_metadata = parent.is_none();
        for op in commit.operations {
            let touched = match &op {
                HfCommitOperation::Inline { path, .. }
                | HfCommitOperation::Lfs { path, .. }
                | HfCommitOperation::DeleteFile { path } => is_metadata_source(path.as_str()),
                HfCommitOperation::DeleteFolder { prefix } => prefix.is_empty(),
            };
            touched_metadata |= touched;
            match op {
                HfCommitOperation::Inline { path, content } => {
                    let mut hasher = Sha256Hasher::new();
                    hasher.update(&content);
                    let digest = hasher.finish();
                    let size = content.len() as u64;
                    let body =
                        futures_util::stream::iter([Ok::<_, std::io::Error>(bytes::Bytes::from(content))]);
                    self.upload_blob(caller, digest, size, body).await?;
                    put_file(&mut files, FileEntry { path, digest, size });
                }
                HfCommitOperation::Lfs { path, oid, size } => {
                    let stored = self.visible_size(Some(caller), &oid).await?;
                    match (stored, size) {
                        (None, _) => return Err(RegistryError::MissingBlobs(vec![oid])),
                        (Some(s), Some(declared)) if s != declared => {
                            return Err(RegistryError::SizeMismatch { expected: declared, actual: s });
                        }
                        (Some(s), _) => put_file(&mut files, FileEntry { path, digest: oid, size: s }),
                    }
                }
                HfCommitOperation::DeleteFile { path } => files.retain(|f| f.path != path),
                HfCommitOperation::DeleteFolder { prefix } => {
                    files.retain(|f| {
                        !(prefix.is_empty() || f.path.as_str().starts_with(&format!("{prefix}/")))
                    });
                }
            }
        }
        let metadata = match parent {
            Some(p) if !touched_metadata => p.manifest.metadata.clone(),
            _ => self.metadata_from_files(&files).await?,
        };
        Ok(Manifest { files, metadata, override_derived: Default::default() })
    }

    /// The metadata `README.md` and `modelreg.toml` among `files` give, merged as the CLI
    /// merges them (`modelreg.toml` wins). No licence is a 422 saying what to add.
    async fn metadata_from_files(&self, files: &[FileEntry]) -> Result<Metadata, RegistryError> {
        let text = |name: &'static str, max: u64| async move {
            let Some(f) = files.iter().find(|f| f.path.as_str() == name) else { return Ok(None) };
            if f.size > max {
                return Err(RegistryError::InvalidManifest(format!("{name}: larger than {max} bytes")));
            }
            let bytes = self.blobs.read_prefix(&f.digest, max).await?;
            String::from_utf8(bytes.to_vec())
                .map(Some)
                .map_err(|_| RegistryError::InvalidManifest(format!("{name}: not UTF-8 text")))
        };
        let table = match text(METADATA_FILE, MAX_METADATA_FILE).await? {
            Some(t) => {
                Some(parse_metadata_file(&t).map_err(|e| RegistryError::InvalidManifest(e.to_string()))?)
            }
            None => None,
        };
        let card = text(README_FILE, MAX_CARD_FILE).await?.map(|t| import_card(&t));
        match merge_metadata(table, card, None) {
            Ok(loaded) => Ok(loaded.metadata),
            Err(MetadataSourceError::MissingLicense { why }) => Err(RegistryError::InvalidManifest(format!(
                "a licence is required: add 'license: <id>' (apache-2.0, mit, llama3.1, ...) to the front matter of \
                 {README_FILE}, or license = \"<SPDX id>\" to {METADATA_FILE}{}",
                why.map(|w| format!(" ({w})")).unwrap_or_default()
            ))),
            Err(e) => Err(RegistryError::InvalidManifest(e.to_string())),
        }
    }
}

/// Whether a path is one the metadata is read from.
fn is_metadata_source(path: &str) -> bool {
    path == README_FILE || path == METADATA_FILE
}

/// Adds `file`, replacing a file at the same path.
fn put_file(files: &mut Vec<FileEntry>, file: FileEntry) {
    files.retain(|f| f.path != file.path);
    files.push(file);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn versions(list: &[&str]) -> Vec<Version> {
        list.iter().map(|v| v.parse().unwrap()).collect()
    }

    #[test]
    fn the_next_patch_follows_the_highest_version_and_a_pre_release_its_release() {
        assert_eq!(next_patch(&versions(&[])).to_string(), "0.1.0");
        assert_eq!(next_patch(&versions(&["1.4.0", "2.0.3", "1.9.9"])).to_string(), "2.0.4");
        assert_eq!(next_patch(&versions(&["1.4.0", "1.5.0-rc.1"])).to_string(), "1.5.0");
    }

    #[test]
    fn readme_and_modelreg_toml_are_the_metadata_sources() {
        assert!(is_metadata_source("README.md") && is_metadata_source("modelreg.toml"));
        assert!(!is_metadata_source("docs/README.md"));
    }
}
