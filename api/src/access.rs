//! Access control and the version lifecycle on the wire: token scopes and namespace
//! patterns, aliases and their history, yanks, the audit log and garbage-collection reports.

use std::fmt;
use std::str::FromStr;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::schema::string_newtype_serde;
use crate::{ModelName, Version};

mod glob;

/// The longest token lifetime a request may ask for, in days (about a hundred years).
pub const MAX_TOKEN_LIFETIME_DAYS: u32 = 36_500;

/// What a token may do: read < write < admin.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Scope {
    Read,
    Write,
    Admin,
}

impl Scope {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Read => "read",
            Self::Write => "write",
            Self::Admin => "admin",
        }
    }
}

impl FromStr for Scope {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        match s.trim() {
            "read" => Ok(Self::Read),
            "write" => Ok(Self::Write),
            "admin" => Ok(Self::Admin),
            other => Err(format!("unknown scope '{other}': expected read, write or admin")),
        }
    }
}

impl fmt::Display for Scope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A namespace or a glob over namespaces (`acme`, `team-*`), restricting a token.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct NamespacePattern(String);

impl NamespacePattern {
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Whether `namespace` matches (`*` matches any run of characters). Linear time.
    pub fn matches(&self, namespace: &str) -> bool {
        glob::glob_matches(&self.0, namespace)
    }

    /// Whether every namespace `other` matches is also matched by this pattern
    /// (`team-*` covers `team-a` and `team-a*`; `a*` does not cover `*`).
    ///
    /// Decided by matching `other` read literally, its stars included: a star of `other`
    /// can only fall into a stretch that a star of this pattern absorbs, because this
    /// pattern's literal characters are never `*`. That is sound (whatever `other`'s stars
    /// stand for, this pattern's stars absorb it) and linear. It may refuse a few exotic
    /// pairs that cover each other only because the namespace alphabet is finite; refusing
    /// is the safe side.
    pub fn covers(&self, other: &NamespacePattern) -> bool {
        glob::glob_matches(&self.0, &other.0)
    }
}

impl FromStr for NamespacePattern {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        let ok = !s.is_empty()
            && s.len() <= 64
            && s.chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '.' | '_' | '-' | '*'));
        if ok {
            Ok(Self(s.to_owned()))
        } else {
            Err(format!("invalid namespace pattern '{s}': use a-z, 0-9, '.', '_', '-' and '*' (at most 64)"))
        }
    }
}

impl fmt::Display for NamespacePattern {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

string_newtype_serde!(NamespacePattern, "Namespace or glob over namespaces, e.g. 'acme' or 'team-*'.", None);

/// A token as the registry shows it; never its secret.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct TokenInfo {
    pub name: String,
    pub scope: Scope,
    /// Namespaces the token is limited to; empty = all.
    pub namespaces: Vec<NamespacePattern>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_by: Option<String>,
    pub created_at: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires_at: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_used_at: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub revoked_at: Option<String>,
}

/// `POST /v1/tokens` (admin).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateTokenRequest {
    pub name: String,
    pub scope: Scope,
    #[serde(default)]
    pub namespaces: Vec<NamespacePattern>,
    /// Lifetime in days, at most 36500; absent = no expiry.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(max = 36500))]
    pub expires_in_days: Option<u32>,
}

/// The answer to a token creation: the secret, shown this once.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct CreatedToken {
    pub token: String,
    pub info: TokenInfo,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct TokenList {
    pub tokens: Vec<TokenInfo>,
}

/// An alias name: lower-case, starts with a letter, and never parses as a version or a
/// version requirement (so `@production` can't be mistaken for a selector).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct AliasName(String);

impl AliasName {
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl FromStr for AliasName {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        let err = |why: &str| Err(format!("invalid alias '{s}': {why}"));
        if s.is_empty() || s.len() > 64 {
            return err("use 1-64 characters");
        }
        if !s.starts_with(|c: char| c.is_ascii_lowercase()) {
            return err("must start with a lower-case letter");
        }
        if !s.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '.' | '_' | '-')) {
            return err("use a-z, 0-9, '.', '_' and '-'");
        }
        if s == "latest" || semver::VersionReq::parse(s).is_ok() {
            return err("reads as a version selector");
        }
        Ok(Self(s.to_owned()))
    }
}

impl fmt::Display for AliasName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

string_newtype_serde!(
    AliasName,
    "Alias such as 'production': lower-case, starts with a letter, never a version.",
    None
);

/// `PUT /v1/models/{ns}/{name}/aliases/{alias}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SetAliasRequest {
    pub version: Version,
    /// Allow pointing at a yanked version.
    #[serde(default)]
    pub force: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct AliasInfo {
    pub alias: AliasName,
    pub version: Version,
    pub updated_at: String,
    pub updated_by: String,
}

/// One move of an alias: set (from = None), moved, or removed (to = None).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct AliasMove {
    pub alias: AliasName,
    pub from: Option<Version>,
    pub to: Option<Version>,
    pub actor: String,
    pub at: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct AliasList {
    pub model: ModelName,
    pub aliases: Vec<AliasInfo>,
    /// Every move, oldest first (with `?history=true`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub history: Vec<AliasMove>,
}

/// `POST /v1/models/{ns}/{name}/versions/{version}/yank`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct YankRequest {
    pub reason: String,
}

/// Why and when a version was yanked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct YankInfo {
    pub reason: String,
    pub at: String,
    pub by: String,
}

/// One recorded state change.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct AuditEntry {
    pub id: i64,
    pub at: String,
    /// Token name (or `server-cli` for commands run on the server host).
    pub actor: String,
    /// publish, alias_set, alias_remove, yank, unyank, delete_version, delete_model, token_create, token_revoke
    pub action: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    pub details: serde_json::Value,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct AuditPage {
    pub entries: Vec<AuditEntry>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_cursor: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn namespace_globs_match() {
        let p: NamespacePattern = "team-*".parse().unwrap();
        assert!(p.matches("team-a") && p.matches("team-") && !p.matches("teams"));
        let exact: NamespacePattern = "acme".parse().unwrap();
        assert!(exact.matches("acme") && !exact.matches("acme2"));
        assert!("Team".parse::<NamespacePattern>().is_err());
    }

    fn pattern(s: &str) -> NamespacePattern {
        s.parse().unwrap()
    }

    #[test]
    fn a_pattern_covers_only_patterns_whose_every_namespace_it_matches() {
        let covered = [
            ("team-*", "team-a"),
            ("team-*", "team-a*"),
            ("team-*", "team-*"),
            ("*", "*"),
            ("*", "a*b"),
            ("a*", "ab*"),
            ("*-prod", "eu-*-prod"),
            ("acme", "acme"),
        ];
        for (p, q) in covered {
            assert!(pattern(p).covers(&pattern(q)), "{p} should cover {q}");
        }
        let not_covered = [
            ("a*", "*"),
            ("team-a*", "team-*"),
            ("team-a", "team-*"),
            ("acme", "acme2"),
            ("*-prod", "*"),
            ("a*b", "a*"),
        ];
        for (p, q) in not_covered {
            assert!(!pattern(p).covers(&pattern(q)), "{p} must not cover {q}");
        }
    }

    #[test]
    fn whenever_a_pattern_covers_another_it_matches_every_namespace_the_other_matches() {
        let alphabet = ["a", "b", "*"];
        let mut patterns = vec![String::new()];
        for _ in 0..4 {
            let longer: Vec<String> =
                patterns.iter().flat_map(|p| alphabet.iter().map(move |c| format!("{p}{c}"))).collect();
            patterns.extend(longer);
        }
        patterns.sort();
        patterns.dedup();
        patterns.retain(|p| !p.is_empty());
        let mut names = vec![String::new()];
        for _ in 0..5 {
            let longer: Vec<String> =
                names.iter().flat_map(|n| ["a", "b"].iter().map(move |c| format!("{n}{c}"))).collect();
            names.extend(longer);
        }
        names.sort();
        names.dedup();
        names.retain(|n| !n.is_empty());
        for p in &patterns {
            for q in &patterns {
                let (p, q) = (pattern(p), pattern(q));
                if p.covers(&q) {
                    for n in names.iter().filter(|n| q.matches(n)) {
                        assert!(p.matches(n), "{p} covers {q} but misses {n}");
                    }
                }
            }
        }
    }

    #[test]
    fn aliases_never_read_as_versions() {
        assert!("production".parse::<AliasName>().is_ok());
        assert!("stable-v2".parse::<AliasName>().is_ok());
        for bad in ["latest", "1.0.0", "x", "Prod", "-a", "", "a b"] {
            assert!(bad.parse::<AliasName>().is_err(), "{bad}");
        }
    }
}
