//! What a Hub revision names: `main` (the latest release), a version's commit id, or a
//! selector the registry already understands (`1.4.0`, `v1.4.0`, `^1.4`, an alias). The
//! clients send it URL-quoted; the route has decoded it by the time it gets here.

use modelreg_api::{CommitId, Version, VersionSelector};

/// A parsed Hub revision.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Revision {
    /// A version, requirement, alias or `latest` (which `main` is).
    Selector(VersionSelector),
    /// The commit id of one version.
    Commit(CommitId),
    /// Names nothing the registry can have (answered as an unknown revision).
    Unknown(String),
}

impl Revision {
    /// Parses a decoded revision. Git-style `refs/heads/<alias>` and `refs/tags/<version>`
    /// are read as the alias and the version.
    pub fn parse(raw: &str) -> Self {
        let trimmed = raw.trim();
        let name = trimmed
            .strip_prefix("refs/heads/")
            .or_else(|| trimmed.strip_prefix("refs/tags/"))
            .unwrap_or(trimmed);
        if name == "main" {
            return Self::Selector(VersionSelector::Latest);
        }
        if let Ok(commit) = name.parse::<CommitId>() {
            return Self::Commit(commit);
        }
        if let Some(number) = name.strip_prefix('v').or_else(|| name.strip_prefix('V'))
            && let Ok(version) = number.parse::<Version>()
        {
            return Self::Selector(VersionSelector::Exact(version));
        }
        match name.parse::<VersionSelector>() {
            // `latest` is spelled `main` on the Hub; accepting both costs nothing.
            Ok(selector) => Self::Selector(selector),
            Err(_) => Self::Unknown(raw.chars().take(200).collect()),
        }
    }
}

impl std::fmt::Display for Revision {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Selector(VersionSelector::Latest) => f.write_str("main"),
            Self::Selector(s) => s.fmt(f),
            Self::Commit(c) => c.fmt(f),
            Self::Unknown(raw) => f.write_str(raw),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn selector(raw: &str) -> String {
        match Revision::parse(raw) {
            Revision::Selector(s) => s.to_string(),
            other => panic!("{raw}: {other:?}"),
        }
    }

    #[test]
    fn main_versions_requirements_and_aliases_are_selectors() {
        assert_eq!(selector("main"), "latest");
        assert_eq!(selector("refs/heads/main"), "latest");
        assert_eq!(selector("1.4.0"), "1.4.0");
        assert_eq!(selector("v1.4.0"), "1.4.0");
        assert_eq!(selector("refs/tags/v1.4.0"), "1.4.0");
        assert_eq!(selector("^1.4"), "^1.4");
        assert_eq!(selector("~1.4.2"), "~1.4.2");
        assert_eq!(selector("production"), "production");
        assert_eq!(selector("refs/heads/production"), "production");
    }

    #[test]
    fn forty_lower_case_hex_digits_are_a_commit_id() {
        let hex = "0123456789abcdef0123456789abcdef01234567";
        assert_eq!(Revision::parse(hex), Revision::Commit(hex.parse().unwrap()));
        assert_eq!(Revision::parse(hex).to_string(), hex);
    }

    #[test]
    fn what_names_nothing_is_unknown() {
        for raw in ["refs/pr/1", "no such thing", ""] {
            assert!(matches!(Revision::parse(raw), Revision::Unknown(_)), "{raw}");
        }
    }
}
