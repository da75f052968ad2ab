//! The Hugging Face Hub mapping (issue 11), the part that is not HTTP: what a Hub revision
//! means here (`revision`), each version's commit id, the repository's refs and commit
//! history, its file tree (`tree`), and `list_models` as a lookup (`list`). The `/hf` routes
//! call these and shape the Hub's JSON; uploads build on the same revision and commit rules.
//! Visibility is the registry's: every read goes through `resolve` or `lookup` as a caller.

mod list;
mod revision;
mod tree;

use modelreg_api::{AliasName, CommitId, ModelName, Version, VersionSelector};

use super::{ModelRecord, Registry, RegistryError, ResolvedVersion, VersionRecord};

pub use list::{HF_DEFAULT_PAGE, HF_MAX_PAGE, HfListQuery, HfSort};
pub use revision::Revision;
pub use tree::{TreeEntry, TreePage, paths_info, tree_page};

/// A version reached through a Hub revision, with its commit id.
#[derive(Debug, Clone)]
pub struct HfVersion {
    pub resolved: ResolvedVersion,
    pub commit: CommitId,
}

impl HfVersion {
    /// The manifest file at `path`, if the version has one.
    pub fn file(&self, path: &str) -> Option<&modelreg_api::FileEntry> {
        self.resolved.manifest.files.iter().find(|f| f.path.as_str() == path)
    }
}

/// A repository's refs: branches (`main` and the aliases) and tags (the versions).
#[derive(Debug, Clone)]
pub struct HfRefs {
    /// `main` first (when the model has a live release), then aliases by name.
    pub branches: Vec<(String, CommitId)>,
    /// Every version, highest first, with its yank state.
    pub tags: Vec<(VersionRecord, CommitId)>,
}

/// The commit id of a version record of `model`.
pub fn commit_of(model: &ModelName, record: &VersionRecord) -> CommitId {
    CommitId::of(model, &record.version, &record.digest)
}

impl Registry {
    /// The version `revision` names in `model` (the caller's read access to the model is
    /// checked by the caller of this): `main` is `latest`, a commit id is its version, and
    /// anything else is a selector (a version with or without `v`, a requirement, an alias).
    /// An unknown model is `ModelNotFound`; a revision naming nothing, `VersionNotFound`.
    pub async fn hf_resolve(
        &self,
        model: &ModelName,
        revision: &Revision,
    ) -> Result<HfVersion, RegistryError> {
        let selector = match revision {
            Revision::Selector(s) => s.clone(),
            Revision::Commit(commit) => match self.meta.version_for_commit(model, commit).await? {
                Some(v) => VersionSelector::Exact(v),
                None => return Err(self.no_such_revision(model, &commit.to_string()).await),
            },
            Revision::Unknown(raw) => return Err(self.no_such_revision(model, raw).await),
        };
        let resolved = self.resolve(model, &selector).await.map_err(|e| match e {
            RegistryError::AliasNotFound { model, alias } => {
                RegistryError::VersionNotFound { model, selector: alias }
            }
            other => other,
        })?;
        let commit = commit_of(model, &resolved.record);
        Ok(HfVersion { resolved, commit })
    }

    /// `ModelNotFound` when the model is unknown, else `VersionNotFound` for `revision`.
    async fn no_such_revision(&self, model: &ModelName, revision: &str) -> RegistryError {
        match self.meta.get_model(model).await {
            Ok(Some(_)) => {
                RegistryError::VersionNotFound { model: model.clone(), selector: revision.to_owned() }
            }
            Ok(None) => RegistryError::ModelNotFound(model.clone()),
            Err(e) => e.into(),
        }
    }

    /// The model's record (creation and last update times); `ModelNotFound` when unknown.
    pub async fn hf_model_record(&self, model: &ModelName) -> Result<ModelRecord, RegistryError> {
        self.meta.get_model(model).await?.ok_or_else(|| RegistryError::ModelNotFound(model.clone()))
    }

    /// Branches and tags of a model. `main` points at `latest` (the highest live release)
    /// and is left out when there is none.
    pub async fn hf_refs(&self, model: &ModelName) -> Result<HfRefs, RegistryError> {
        let mut versions = self.list_versions(model).await?;
        versions.sort_by(|a, b| b.version.cmp(&a.version));
        let live = versions.iter().filter(|r| r.yanked.is_none()).map(|r| &r.version);
        let latest: Option<Version> = VersionSelector::Latest.select(live).cloned();
        let commit_of_version =
            |v: &Version| versions.iter().find(|r| &r.version == v).map(|r| commit_of(model, r));
        let mut branches = Vec::new();
        if let Some(commit) = latest.as_ref().and_then(commit_of_version) {
            branches.push(("main".to_owned(), commit));
        }
        let (aliases, _) = self.list_aliases(model, false).await?;
        let mut aliases: Vec<(AliasName, Version)> =
            aliases.into_iter().map(|a| (a.alias, a.version)).collect();
        aliases.sort();
        for (alias, version) in aliases {
            if let Some(commit) = commit_of_version(&version) {
                branches.push((alias.to_string(), commit));
            }
        }
        let tags = versions.into_iter().map(|r| {
            let commit = commit_of(model, &r);
            (r, commit)
        });
        Ok(HfRefs { branches, tags: tags.collect() })
    }

    /// The history reachable from `version`: the model's versions published up to it, newest
    /// first (a registry version has no parent commit; its predecessors in time stand in).
    pub async fn hf_history(
        &self,
        model: &ModelName,
        version: &VersionRecord,
    ) -> Result<Vec<(VersionRecord, CommitId)>, RegistryError> {
        let mut versions = self.list_versions(model).await?;
        versions.retain(|r| r.published_at <= version.published_at);
        versions.sort_by(|a, b| b.published_at.cmp(&a.published_at).then_with(|| b.version.cmp(&a.version)));
        Ok(versions
            .into_iter()
            .map(|r| {
                let commit = commit_of(model, &r);
                (r, commit)
            })
            .collect())
    }
}
