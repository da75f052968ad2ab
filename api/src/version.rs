//! `Version` (strict semver 2.0, build metadata dropped) and `VersionSelector` (an exact
//! version, a semver requirement, or `latest`), with selection done here so that every
//! backend orders versions the same way.

use std::fmt;
use std::str::FromStr;

use crate::schema::string_newtype_serde;

/// A published version number. Build metadata (`+...`) is accepted on input and dropped:
/// it never makes a new version.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Version(semver::Version);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid version '{input}': {reason}")]
pub struct VersionError {
    input: String,
    reason: String,
}

impl Version {
    pub fn new(major: u64, minor: u64, patch: u64) -> Self {
        Self(semver::Version::new(major, minor, patch))
    }

    pub fn is_prerelease(&self) -> bool {
        !self.0.pre.is_empty()
    }

    pub fn as_semver(&self) -> &semver::Version {
        &self.0
    }
}

impl FromStr for Version {
    type Err = VersionError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let err = |reason: String| VersionError { input: s.chars().take(80).collect(), reason };
        if s.len() > 128 {
            return Err(err("is longer than 128 characters".into()));
        }
        let mut v = semver::Version::parse(s)
            .map_err(|e| err(format!("{e} (expected strict semver such as 1.4.0)")))?;
        v.build = semver::BuildMetadata::EMPTY;
        Ok(Self(v))
    }
}

impl fmt::Display for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

string_newtype_serde!(Version, "Strict semver 2.0 version, e.g. '1.4.0' or '2.0.0-rc.1'.", None);

/// Which version a pull or a show asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum VersionSelector {
    /// The highest version that is not a pre-release.
    Latest,
    /// Exactly this version (pre-releases included).
    Exact(Version),
    /// The highest version matching a requirement; pre-releases only match when the
    /// requirement names one on the same major.minor.patch, as in Cargo.
    Req(semver::VersionReq),
    /// A named pointer to one version, such as `production`.
    Alias(crate::AliasName),
}

impl VersionSelector {
    /// Picks the version this selector means among `versions` (any order).
    pub fn select<'a>(&self, versions: impl IntoIterator<Item = &'a Version>) -> Option<&'a Version> {
        let mut candidates = versions.into_iter();
        match self {
            Self::Exact(want) => candidates.find(|v| *v == want),
            Self::Latest => candidates.filter(|v| !v.is_prerelease()).max(),
            Self::Req(req) => candidates.filter(|v| req.matches(&v.0)).max(),
            // Aliases are resolved by the registry, not by ordering versions.
            Self::Alias(_) => None,
        }
    }
}

impl FromStr for VersionSelector {
    type Err = VersionError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let trimmed = s.trim();
        if trimmed == "latest" {
            return Ok(Self::Latest);
        }
        if let Ok(v) = trimmed.parse::<Version>() {
            return Ok(Self::Exact(v));
        }
        if trimmed.len() > 128 {
            return Err(VersionError {
                input: trimmed.chars().take(80).collect(),
                reason: "is longer than 128 characters".into(),
            });
        }
        match semver::VersionReq::parse(trimmed) {
            Ok(req) => Ok(Self::Req(req)),
            Err(e) => trimmed.parse::<crate::AliasName>().map(Self::Alias).map_err(|_| VersionError {
                input: trimmed.to_owned(),
                reason: format!(
                    "not a version, a requirement (such as ^1.4 or >=1, <2), 'latest' or an alias: {e}"
                ),
            }),
        }
    }
}

impl fmt::Display for VersionSelector {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Latest => f.write_str("latest"),
            Self::Exact(v) => v.fmt(f),
            Self::Req(r) => r.fmt(f),
            Self::Alias(a) => a.fmt(f),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn versions(list: &[&str]) -> Vec<Version> {
        list.iter().map(|s| s.parse().unwrap()).collect()
    }

    fn pick(sel: &str, list: &[Version]) -> Option<String> {
        sel.parse::<VersionSelector>().unwrap().select(list).map(ToString::to_string)
    }

    #[test]
    fn versions_are_strict_and_drop_build_metadata() {
        assert_eq!("1.4.0+build.7".parse::<Version>().unwrap().to_string(), "1.4.0");
        for bad in ["1.4", "v1.4.0", "01.4.0", "1.4.0.0", "", "latest"] {
            assert!(bad.parse::<Version>().is_err(), "{bad} should be refused");
        }
    }

    #[test]
    fn selectors_pick_like_cargo() {
        let list = versions(&["1.0.0", "1.4.0", "1.4.2", "1.5.0-rc.1", "2.0.0", "2.1.0-beta.1"]);
        assert_eq!(pick("latest", &list).as_deref(), Some("2.0.0"));
        assert_eq!(pick("1.4.0", &list).as_deref(), Some("1.4.0"));
        assert_eq!(pick("1.5.0-rc.1", &list).as_deref(), Some("1.5.0-rc.1"));
        assert_eq!(pick("^1.4", &list).as_deref(), Some("1.4.2"));
        assert_eq!(pick("~1.4.0", &list).as_deref(), Some("1.4.2"));
        assert_eq!(pick(">=1, <2", &list).as_deref(), Some("1.4.2"));
        assert_eq!(pick("1", &list).as_deref(), Some("1.4.2"));
        assert_eq!(pick("^1.5.0-rc.1", &list).as_deref(), Some("1.5.0-rc.1"));
        assert_eq!(pick("^3", &list), None);
        assert_eq!(pick("1.9.9", &list), None);
    }

    #[test]
    fn nonsense_selectors_are_refused() {
        assert!(matches!("production".parse::<VersionSelector>(), Ok(VersionSelector::Alias(_))));
        for bad in ["", "New est", "^^1", "1.x.y.z"] {
            assert!(bad.parse::<VersionSelector>().is_err(), "{bad} should be refused");
        }
    }
}
