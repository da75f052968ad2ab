//! Effective licences through lineage: the bases every version names (`version_bases`) and
//! the licence after its chain of bases, stored in typed columns of `versions` for the
//! lookup. The publish transaction writes a version's bases, computes its effective licence
//! from its bases' stored ones and recomputes its derivatives' down to
//! [`MAX_LINEAGE_DEPTH`](modelreg_api::MAX_LINEAGE_DEPTH) links (which also ends cycles).
//! The licence rules are `modelreg_api::effective_license`'s; this module only gathers
//! the inputs and stores the answer.

pub(super) mod sql;

use async_trait::async_trait;
use modelreg_api::{BaseVerdict, LicenseVerdict, Version, VersionSelector, assess};

use super::StoreError;

#[async_trait]
pub trait LineageStore: Send + Sync + 'static {
    /// Computes the effective licence of every version that still waits for it (versions
    /// with a base published before migration 0011), with their derivatives; returns how
    /// many it computed. Idempotent; run at start-up.
    async fn refresh_stale_effective_licenses(&self) -> Result<u64, StoreError>;
}

/// One published version of a base model, as the effective-licence computation reads it.
#[derive(Debug, Clone, sqlx::FromRow)]
pub(in crate::store) struct BaseCandidate {
    pub version: String,
    pub effective_license_class: String,
    pub effective_commercial_use: String,
    pub yanked: bool,
}

/// One row of `version_bases`.
#[derive(Debug, Clone, sqlx::FromRow)]
pub(in crate::store) struct BaseRow {
    pub base_namespace: String,
    pub base_name: String,
    pub base_version: Option<String>,
    pub declared_license: Option<String>,
}

pub(in crate::store) fn stored_verdict(
    class: &str,
    commercial_use: &str,
) -> Result<LicenseVerdict, StoreError> {
    let corrupt = |e: &dyn std::fmt::Display| StoreError::Corrupt(format!("effective licence column: {e}"));
    Ok(LicenseVerdict {
        class: class.parse().map_err(|e| corrupt(&e))?,
        commercial_use: commercial_use.parse().map_err(|e| corrupt(&e))?,
    })
}

/// The verdict a derivative counts for one of its bases: the named version's effective
/// licence (or, without a version, that of the base's latest release that is not yanked)
/// when the registry holds it; else the licence the derivative's card states for the base;
/// else unknown.
pub(in crate::store) fn base_verdict(
    base: &BaseRow,
    published: &[BaseCandidate],
) -> Result<BaseVerdict, StoreError> {
    let name = format!("{}/{}", base.base_namespace, base.base_name);
    let parsed: Vec<(Version, &BaseCandidate)> =
        published.iter().filter_map(|c| c.version.parse().ok().map(|v| (v, c))).collect();
    let picked = match &base.base_version {
        Some(wanted) => parsed.iter().find(|(v, _)| v.to_string() == *wanted),
        None => {
            let live = parsed.iter().filter(|(_, c)| !c.yanked).map(|(v, _)| v);
            VersionSelector::Latest.select(live).and_then(|latest| parsed.iter().find(|(v, _)| v == latest))
        }
    };
    if let Some((v, c)) = picked {
        let verdict = stored_verdict(&c.effective_license_class, &c.effective_commercial_use)?;
        return Ok(BaseVerdict { base: format!("{name}@{v}"), verdict });
    }
    let stated = base.declared_license.as_deref().and_then(|l| l.parse().ok());
    let verdict = stated.map_or(LicenseVerdict::UNKNOWN, |expr| {
        let a = assess(&expr);
        LicenseVerdict { class: a.class, commercial_use: a.commercial_use }
    });
    let shown = base.base_version.as_ref().map_or(name.clone(), |v| format!("{name}@{v}"));
    Ok(BaseVerdict { base: shown, verdict })
}

#[cfg(test)]
mod refresh_tests;

#[cfg(test)]
mod tests {
    use super::*;
    use modelreg_api::{CommercialUse, LicenseClass};

    fn candidate(version: &str, class: &str, yanked: bool) -> BaseCandidate {
        BaseCandidate {
            version: version.into(),
            effective_license_class: class.into(),
            effective_commercial_use: "allowed".into(),
            yanked,
        }
    }

    fn row(version: Option<&str>, license: Option<&str>) -> BaseRow {
        BaseRow {
            base_namespace: "acme".into(),
            base_name: "base".into(),
            base_version: version.map(Into::into),
            declared_license: license.map(Into::into),
        }
    }

    #[test]
    fn an_unpinned_base_counts_with_its_latest_live_release() {
        let published = [
            candidate("1.0.0", "permissive", false),
            candidate("2.0.0", "copyleft", true),
            candidate("1.5.0", "weak_copyleft", false),
            candidate("3.0.0-rc.1", "non_commercial", false),
        ];
        let b = base_verdict(&row(None, None), &published).unwrap();
        assert_eq!((b.base.as_str(), b.verdict.class), ("acme/base@1.5.0", LicenseClass::WeakCopyleft));
        let b = base_verdict(&row(Some("2.0.0"), None), &published).unwrap();
        assert_eq!(b.verdict.class, LicenseClass::Copyleft, "a pinned version counts even when yanked");
    }

    #[test]
    fn a_base_outside_the_registry_counts_with_its_stated_licence_or_unknown() {
        let b = base_verdict(&row(None, Some("LicenseRef-llama3")), &[]).unwrap();
        assert_eq!(
            (b.verdict.class, b.verdict.commercial_use),
            (LicenseClass::RestrictedUse, CommercialUse::Restricted)
        );
        let b = base_verdict(&row(Some("9.9.9"), None), &[candidate("1.0.0", "permissive", false)]).unwrap();
        assert_eq!((b.base.as_str(), b.verdict), ("acme/base@9.9.9", LicenseVerdict::UNKNOWN));
    }
}
