//! Read queries the web UI needs beyond the JSON handlers: which listed versions are yanked,
//! "the version to show" for a model page, and lineage walked upward and downward with the
//! caller's visibility applied. Same visibility rules as every other read (`authorize_model`,
//! `Principal::covers`); nothing here writes.

use std::collections::HashSet;

use modelreg_api::{
    BaseRelation, EffectiveLicense, LicenseConflict, LicenseExpr, Metadata, ModelName, Version,
    VersionSelector,
};

use super::{Principal, Registry, RegistryError, ResolvedVersion};
use crate::store::VersionRecord;
use modelreg_api::Scope;

/// How far up a base chain the UI follows (chains are short; this bounds a cycle or a
/// pathological chain).
pub const MAX_LINEAGE_DEPTH: usize = 16;

/// One step up a model's lineage: the base it names and how it derives from it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LineageStep {
    pub model: ModelName,
    /// The base version named, or the one shown for it when none is named.
    pub version: Option<Version>,
    pub relation: Option<BaseRelation>,
    /// Whether the base exists in this registry (a base may name a model never published here).
    pub present: bool,
    /// The base version's declared licence and its licence through its own bases, when it is
    /// in this registry.
    pub license: Option<(LicenseExpr, EffectiveLicense)>,
}

impl Registry {
    /// Which of these models' versions are yanked.
    pub async fn yanked_versions(
        &self,
        models: &[ModelName],
    ) -> Result<HashSet<(ModelName, Version)>, RegistryError> {
        let mut out = HashSet::new();
        let distinct: HashSet<&ModelName> = models.iter().collect();
        for model in distinct {
            for v in self.meta.list_versions(model).await? {
                if v.yanked.is_some() {
                    out.insert((model.clone(), v.version));
                }
            }
        }
        Ok(out)
    }

    /// The version a page shows for `selector`: what the selector resolves to, except that
    /// `latest` of a model with only pre-releases or yanked versions shows its highest version
    /// rather than nothing.
    pub async fn resolve_for_page(
        &self,
        model: &ModelName,
        selector: &VersionSelector,
    ) -> Result<ResolvedVersion, RegistryError> {
        match self.resolve(model, selector).await {
            Err(RegistryError::VersionNotFound { .. }) if *selector == VersionSelector::Latest => {
                let versions = self.list_versions(model).await?;
                let Some(highest) = versions.last() else {
                    return Err(RegistryError::VersionNotFound {
                        model: model.clone(),
                        selector: selector.to_string(),
                    });
                };
                self.resolve(model, &VersionSelector::Exact(highest.version.clone())).await
            }
            other => other,
        }
    }

    /// [`Self::resolve_for_page`] for a page that has listed the model's versions already
    /// (`list_versions`, oldest first): `latest` or a range is picked from that list rather
    /// than by listing the versions a second time (200 of them cost the model page ~10 ms).
    pub async fn resolve_for_page_listed(
        &self,
        model: &ModelName,
        selector: &VersionSelector,
        versions: &[VersionRecord],
    ) -> Result<ResolvedVersion, RegistryError> {
        if matches!(selector, VersionSelector::Exact(_) | VersionSelector::Alias(_)) {
            return self.resolve_for_page(model, selector).await;
        }
        // A yanked version never matches `latest` or a range (as in `resolve`); `latest` with
        // nothing live shows the highest version (as in `resolve_for_page`).
        let live = versions.iter().filter(|r| r.yanked.is_none()).map(|r| &r.version);
        let highest = || versions.last().map(|r| &r.version);
        let picked = selector
            .select(live)
            .or_else(|| if *selector == VersionSelector::Latest { highest() } else { None });
        match picked {
            Some(version) => self.resolve(model, &VersionSelector::Exact(version.clone())).await,
            // Nothing listed: the unlisted path words the error (no such model or version).
            None => self.resolve_for_page(model, selector).await,
        }
    }

    /// The licence conflicts of a version that name a base the caller may read; one naming a
    /// base it may not read is left out (its verdict still counts in the effective licence).
    pub fn visible_conflicts(
        &self,
        caller: Option<&Principal>,
        effective: &EffectiveLicense,
    ) -> Vec<LicenseConflict> {
        let readable = |base: &str| {
            let name = base.split_once('@').map_or(base, |(name, _)| name);
            name.parse::<ModelName>().is_ok_and(|m| self.authorize_model(caller, &m, Scope::Read).is_ok())
        };
        effective.conflicts.iter().filter(|c| readable(&c.base)).cloned().collect()
    }

    /// The base chain of a version, nearest base first. It stops at a base the caller may not
    /// read (never shown, so its existence is not revealed), at one not in this registry, at a
    /// cycle and after [`MAX_LINEAGE_DEPTH`] steps.
    pub async fn base_chain(
        &self,
        caller: Option<&Principal>,
        start: &ModelName,
        metadata: &Metadata,
    ) -> Result<Vec<LineageStep>, RegistryError> {
        let mut chain = Vec::new();
        let mut seen = HashSet::from([start.clone()]);
        let (mut base, mut relation) = (metadata.base_model.clone(), metadata.base_relation);
        while let Some(b) = base.take() {
            if chain.len() == MAX_LINEAGE_DEPTH
                || !seen.insert(b.model.clone())
                || self.authorize_model(caller, &b.model, Scope::Read).is_err()
            {
                break;
            }
            let selector = b.version.clone().map_or(VersionSelector::Latest, VersionSelector::Exact);
            let resolved = match self.resolve_for_page(&b.model, &selector).await {
                Ok(r) => Some(r),
                Err(RegistryError::ModelNotFound(_) | RegistryError::VersionNotFound { .. }) => None,
                Err(e) => return Err(e),
            };
            let present = resolved.is_some();
            let version = b.version.or_else(|| resolved.as_ref().map(|r| r.record.version.clone()));
            let license =
                resolved.as_ref().map(|r| (r.manifest.metadata.license.clone(), r.effective_license.clone()));
            chain.push(LineageStep { model: b.model, version, relation, present, license });
            if let Some(r) = resolved {
                base = r.manifest.metadata.base_model;
                relation = r.manifest.metadata.base_relation;
            }
        }
        Ok(chain)
    }
}
