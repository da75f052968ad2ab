//! The Hugging Face Hub upload path (issue 11), the part that is not HTTP: `create_repo`,
//! branches (= aliases) and tags (= versions), the LFS batch and its signed transfers
//! (`lfs`, `signing`), and the commit that publishes one version (`commit`). Every write
//! goes through the registry's own operations (publish, upload sessions, aliases) as the
//! calling token, so validation, visibility, namespace limits and audit are the same as on
//! `/v1`.

mod commit;
mod lfs;
mod signing;

use modelreg_api::{AliasName, ModelName, Scope, Version};

use super::hf::Revision;
use super::{Principal, Registry, RegistryError};

pub use commit::{HfCommitted, next_patch};
pub use lfs::{LfsAnswer, MAX_BATCH_OBJECTS, SignedGrant};
pub use signing::{LFS_URL_TTL_SECS, LfsGrant, LfsTarget};

/// The Hub's default branch; here the latest release, never an alias.
const MAIN: &str = "main";

impl Registry {
    /// `create_repo`: a model appears with its first commit, so this only checks that the
    /// caller may write to the namespace and that the model does not exist yet
    /// (`ModelExists`, which `exist_ok=True` tolerates).
    pub async fn hf_create_repo(&self, caller: &Principal, model: &ModelName) -> Result<(), RegistryError> {
        self.authorize_model(Some(caller), model, Scope::Write)?;
        if self.meta.get_model(model).await?.is_some() {
            return Err(RegistryError::RefExists { model: model.clone(), name: None });
        }
        Ok(())
    }

    /// `create_branch`: a new alias at the version `starting_point` names (default `main`).
    /// An existing alias (or `main`) is `RefExists`.
    pub async fn hf_create_branch(
        &self,
        caller: &Principal,
        model: &ModelName,
        branch: &str,
        starting_point: Option<&str>,
    ) -> Result<Version, RegistryError> {
        self.authorize_model(Some(caller), model, Scope::Write)?;
        let alias = branch_alias(branch)?;
        if branch == MAIN || self.meta.get_alias(model, &alias).await?.is_some() {
            return Err(RegistryError::RefExists { model: model.clone(), name: Some(branch.to_owned()) });
        }
        let at = self.hf_resolve(model, &Revision::parse(starting_point.unwrap_or(MAIN))).await?;
        let version = at.resolved.record.version;
        self.set_alias(model, &alias, &version, false, &caller.token_name).await?;
        Ok(version)
    }

    /// `delete_branch`: removes an alias; `main` cannot be deleted.
    pub async fn hf_delete_branch(
        &self,
        caller: &Principal,
        model: &ModelName,
        branch: &str,
    ) -> Result<(), RegistryError> {
        self.authorize_model(Some(caller), model, Scope::Write)?;
        if branch == MAIN {
            return Err(RegistryError::Invalid {
                code: crate::service::InvalidCode::InvalidBranch,
                message: "branch 'main' is the latest release and cannot be deleted".into(),
            });
        }
        self.remove_alias(model, &branch_alias(branch)?, &caller.token_name).await
    }

    /// `create_tag`: tags are versions, so tag `1.2.0` (or `v1.2.0`) publishes the version
    /// `revision` names again under that number, with the same manifest. The same content
    /// under that number already is `RefExists`; other content, `VersionConflict`.
    pub async fn hf_create_tag(
        &self,
        caller: &Principal,
        model: &ModelName,
        revision: &str,
        tag: &str,
    ) -> Result<Version, RegistryError> {
        self.authorize_model(Some(caller), model, Scope::Write)?;
        let number = tag.strip_prefix('v').unwrap_or(tag);
        let version: Version = number.parse().map_err(|_| RegistryError::Invalid {
            code: crate::service::InvalidCode::InvalidTag,
            message: format!(
                "tag '{}': tags are versions here; use a version number such as 1.2.0 (create_branch makes an alias)",
                tag.chars().take(100).collect::<String>()
            ),
        })?;
        let source = self.hf_resolve(model, &Revision::parse(revision)).await?;
        let published = self.publish(caller, model, &version, source.resolved.manifest).await?;
        if !published.created {
            return Err(RegistryError::RefExists { model: model.clone(), name: Some(tag.to_owned()) });
        }
        Ok(version)
    }
}

/// A branch name as an alias; a name that cannot be one is refused naming it.
fn branch_alias(branch: &str) -> Result<AliasName, RegistryError> {
    branch.parse().map_err(|e| RegistryError::Invalid {
        code: crate::service::InvalidCode::InvalidBranch,
        message: format!("branch '{}': {e}", branch.chars().take(100).collect::<String>()),
    })
}
