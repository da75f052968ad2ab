//! Tokens and who may do what: creating, listing and revoking tokens (a token mints only
//! inside its own scope and namespaces), authentication, scope checks and namespace
//! visibility. Secrets are random, shown once, and stored only as their sha256; they never
//! reach a log line or an error message.

use chrono::{DateTime, Duration, Utc};
use modelreg_api::{MAX_TOKEN_LIFETIME_DAYS, ModelName, NamespacePattern, Scope};

use super::{Registry, RegistryError};
use crate::blob::Sha256Hasher;
use crate::store::{NewToken, TokenRecord};

/// Who is calling: the token's name, scope and namespaces (empty = all).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Principal {
    pub token_name: String,
    pub scope: Scope,
    pub namespaces: Vec<NamespacePattern>,
}

impl Principal {
    /// Whether the token covers `namespace`.
    pub fn covers(&self, namespace: &str) -> bool {
        self.namespaces.is_empty() || self.namespaces.iter().any(|p| p.matches(namespace))
    }

    /// Whether every namespace `pattern` matches lies inside the token's namespaces.
    pub fn covers_pattern(&self, pattern: &NamespacePattern) -> bool {
        self.namespaces.is_empty() || self.namespaces.iter().any(|own| own.covers(pattern))
    }

    /// Whether a token limited to `namespaces` (empty = all) lies wholly inside this one's:
    /// only such tokens are visible to it, and only such tokens may it create.
    pub fn covers_token(&self, namespaces: &[NamespacePattern]) -> bool {
        if namespaces.is_empty() {
            self.namespaces.is_empty()
        } else {
            namespaces.iter().all(|p| self.covers_pattern(p))
        }
    }

    /// Checks that this token may create a token with `scope` and `namespaces`: a scope at
    /// most its own, and namespaces inside its own (a limited token never creates an
    /// unlimited one).
    fn may_grant(&self, scope: Scope, namespaces: &[NamespacePattern]) -> Result<(), RegistryError> {
        let refuse =
            |why: String| Err(RegistryError::Forbidden(format!("token '{}' {why}", self.token_name)));
        if scope > self.scope {
            return refuse(format!(
                "has {} scope and may not create a token with scope {}",
                self.scope.as_str(),
                scope.as_str()
            ));
        }
        let own = self.namespaces.iter().map(NamespacePattern::as_str).collect::<Vec<_>>().join(", ");
        if namespaces.is_empty() && !self.namespaces.is_empty() {
            return refuse(format!(
                "is limited to namespaces [{own}] and may not create a token for all namespaces (give namespaces inside its own)"
            ));
        }
        match namespaces.iter().find(|p| !self.covers_pattern(p)) {
            Some(p) => refuse(format!(
                "is limited to namespaces [{own}] and may not create a token for namespace pattern '{p}'"
            )),
            None => Ok(()),
        }
    }
}

/// The actor name recorded for anonymous callers (reads only) and server-side commands.
pub const SERVER_ACTOR: &str = "server-cli";

const TOKEN_PREFIX: &str = "mrg_";
/// Most namespace patterns one token may carry (each is a clause when filtering by them).
const MAX_TOKEN_NAMESPACES: usize = 64;
/// How stale `last_used_at` may get before a request refreshes it.
const TOUCH_EVERY_SECS: i64 = 60;

/// A new random token secret: `mrg_` followed by 64 hex digits (256 bits).
pub fn generate_token_secret() -> String {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).expect("the OS random source is available");
    format!("{TOKEN_PREFIX}{}", modelreg_api::Digest::from_bytes(bytes).hex())
}

/// The stored form of a token: hex sha256 of the secret. Tokens carry 256 random bits, so a
/// fast hash is enough (no password stretching needed). Lookup is by this hash through a
/// unique index, so no secret-dependent comparison happens in our code.
pub fn hash_token(secret: &str) -> String {
    let mut h = Sha256Hasher::new();
    h.update(secret.as_bytes());
    h.finish().hex()
}

/// When a token created `now` with a lifetime of `days` expires; the lifetime is bounded so
/// that the date stays representable.
fn expiry(now: DateTime<Utc>, days: Option<u32>) -> Result<Option<DateTime<Utc>>, RegistryError> {
    let Some(days) = days else { return Ok(None) };
    let too_long = || RegistryError::Invalid {
        code: crate::service::InvalidCode::InvalidExpiry,
        message: format!("expires_in_days: must be between 0 and {MAX_TOKEN_LIFETIME_DAYS}, got {days}"),
    };
    if days > MAX_TOKEN_LIFETIME_DAYS {
        return Err(too_long());
    }
    now.checked_add_signed(Duration::days(i64::from(days))).map(Some).ok_or_else(too_long)
}

fn check_token_name(name: &str) -> Result<(), RegistryError> {
    let valid = !name.is_empty()
        && name.len() <= 64
        && name.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'));
    if valid {
        Ok(())
    } else {
        Err(RegistryError::Invalid {
            code: crate::service::InvalidCode::InvalidTokenName,
            message: format!(
                "invalid token name '{name}': use 1-64 characters from a-z, A-Z, 0-9, '.', '_', '-'"
            ),
        })
    }
}

impl Registry {
    /// Creates a token on behalf of `caller`, whose scope and namespaces bound what it may
    /// grant: a scope at most its own, namespaces inside its own.
    pub async fn create_token_as(
        &self,
        caller: &Principal,
        name: &str,
        scope: Scope,
        namespaces: Vec<NamespacePattern>,
        expires_in_days: Option<u32>,
    ) -> Result<(String, TokenRecord), RegistryError> {
        caller.may_grant(scope, &namespaces)?;
        self.create_token(name, scope, namespaces, expires_in_days, &caller.token_name).await
    }

    /// Creates a token and returns its secret (the only time it is available). Unbounded:
    /// for the operator on the server host; API callers go through [`Self::create_token_as`].
    pub async fn create_token(
        &self,
        name: &str,
        scope: Scope,
        namespaces: Vec<NamespacePattern>,
        expires_in_days: Option<u32>,
        actor: &str,
    ) -> Result<(String, TokenRecord), RegistryError> {
        check_token_name(name)?;
        if namespaces.len() > MAX_TOKEN_NAMESPACES {
            return Err(RegistryError::Invalid {
                code: crate::service::InvalidCode::InvalidNamespaces,
                message: format!(
                    "namespaces: at most {MAX_TOKEN_NAMESPACES} patterns, got {}",
                    namespaces.len()
                ),
            });
        }
        let now = Utc::now();
        let expires_at = expiry(now, expires_in_days)?;
        let secret = generate_token_secret();
        let new = NewToken {
            name: name.to_owned(),
            scope,
            token_hash: hash_token(&secret),
            namespaces,
            created_by: actor.to_owned(),
            created_at: now,
            expires_at,
        };
        match self.meta.create_token(&new).await? {
            Ok(()) => {
                tracing::info!(token.name = name, token.scope = scope.as_str(), actor, "token created");
                let record = TokenRecord {
                    name: new.name,
                    scope,
                    namespaces: new.namespaces,
                    created_by: Some(new.created_by),
                    created_at: now,
                    expires_at: new.expires_at,
                    last_used_at: None,
                    revoked_at: None,
                };
                Ok((secret, record))
            }
            Err(_taken) => Err(RegistryError::Invalid {
                code: crate::service::InvalidCode::TokenNameTaken,
                message: format!("a token named '{name}' already exists"),
            }),
        }
    }

    /// Every token (the operator's view).
    pub async fn list_tokens(&self) -> Result<Vec<TokenRecord>, RegistryError> {
        Ok(self.meta.list_tokens().await?)
    }

    /// The tokens `caller` may see: those whose namespaces lie wholly inside its own.
    pub async fn list_tokens_as(&self, caller: &Principal) -> Result<Vec<TokenRecord>, RegistryError> {
        let mut tokens = self.meta.list_tokens().await?;
        tokens.retain(|t| caller.covers_token(&t.namespaces));
        Ok(tokens)
    }

    /// Revokes a token `caller` may see; one it may not see is "not found", as an unknown one.
    pub async fn revoke_token_as(&self, caller: &Principal, name: &str) -> Result<(), RegistryError> {
        let visible = self.list_tokens_as(caller).await?.iter().any(|t| t.name == name);
        if !visible {
            return Err(RegistryError::TokenNotFound(name.to_owned()));
        }
        self.revoke_token(name, &caller.token_name).await
    }

    pub async fn revoke_token(&self, name: &str, actor: &str) -> Result<(), RegistryError> {
        if self.meta.revoke_token(name, actor, Utc::now()).await? {
            tracing::info!(token.name = name, actor, "token revoked");
            Ok(())
        } else {
            Err(RegistryError::TokenNotFound(name.to_owned()))
        }
    }

    /// Resolves a bearer secret to its principal; unknown, revoked and expired tokens are
    /// all the same 401 so as not to tell an attacker which it was.
    pub async fn authenticate(&self, secret: &str) -> Result<(Principal, TokenRecord), RegistryError> {
        const REJECTED: &str = "the token is not valid (unknown, revoked or expired)";
        if !secret.starts_with(TOKEN_PREFIX) || secret.len() != TOKEN_PREFIX.len() + 64 {
            return Err(RegistryError::Unauthorized(REJECTED));
        }
        let record =
            self.meta.find_token(&hash_token(secret)).await?.ok_or(RegistryError::Unauthorized(REJECTED))?;
        self.live_caller(record, Utc::now()).await.ok_or(RegistryError::Unauthorized(REJECTED))
    }

    /// The principal of a stored token that is neither revoked nor expired at `now` (recording
    /// its use, throttled), or None: the one check behind bearer tokens and browser sessions.
    pub(super) async fn live_caller(
        &self,
        record: TokenRecord,
        now: DateTime<Utc>,
    ) -> Option<(Principal, TokenRecord)> {
        if record.revoked_at.is_some() || record.expires_at.is_some_and(|t| t <= now) {
            return None;
        }
        if record.last_used_at.is_none_or(|t| (now - t).num_seconds() >= TOUCH_EVERY_SECS)
            && let Err(e) = self.meta.touch_token(&record.name, now).await
        {
            tracing::warn!(token.name = record.name, error = %e, "could not record token use");
        }
        let principal = Principal {
            token_name: record.name.clone(),
            scope: record.scope,
            namespaces: record.namespaces.clone(),
        };
        Some((principal, record))
    }

    /// Checks that a caller (None = anonymous) may act with `needed` scope at all.
    pub fn authorize(&self, caller: Option<&Principal>, needed: Scope) -> Result<(), RegistryError> {
        match caller {
            None if needed == Scope::Read && self.policy.anonymous_read => Ok(()),
            None => Err(RegistryError::Unauthorized(
                "this request needs a token: send 'Authorization: Bearer <token>'",
            )),
            Some(p) if p.scope >= needed => Ok(()),
            Some(p) => Err(RegistryError::Forbidden(format!(
                "token '{}' has {} scope; this request needs {}",
                p.token_name,
                p.scope.as_str(),
                needed.as_str()
            ))),
        }
    }

    /// Checks access to one model's namespace. A read outside the token's namespaces is a
    /// 404 (existence is not revealed); a write there is a 403.
    pub fn authorize_model(
        &self,
        caller: Option<&Principal>,
        model: &ModelName,
        needed: Scope,
    ) -> Result<(), RegistryError> {
        self.authorize(caller, needed)?;
        match caller {
            Some(p) if !p.covers(model.namespace()) => {
                if needed == Scope::Read {
                    Err(RegistryError::ModelNotFound(model.clone()))
                } else {
                    Err(RegistryError::Forbidden(format!(
                        "token '{}' may not write to namespace '{}'",
                        p.token_name,
                        model.namespace()
                    )))
                }
            }
            _ => Ok(()),
        }
    }
}

/// The actor recorded for a caller.
pub fn actor_of(caller: Option<&Principal>) -> &str {
    caller.map_or("anonymous", |p| p.token_name.as_str())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn principals_cover_their_namespaces() {
        let p = |ns: &[&str]| Principal {
            token_name: "t".into(),
            scope: Scope::Write,
            namespaces: ns.iter().map(|s| s.parse().unwrap()).collect(),
        };
        assert!(p(&[]).covers("anything"));
        assert!(p(&["acme", "team-*"]).covers("team-x"));
        assert!(!p(&["acme"]).covers("other"));
    }

    fn principal(scope: Scope, ns: &[&str]) -> Principal {
        Principal {
            token_name: "granter".into(),
            scope,
            namespaces: ns.iter().map(|s| s.parse().unwrap()).collect(),
        }
    }

    fn patterns(ns: &[&str]) -> Vec<NamespacePattern> {
        ns.iter().map(|s| s.parse().unwrap()).collect()
    }

    #[test]
    fn a_token_grants_at_most_its_own_scope_and_namespaces() {
        let team = principal(Scope::Admin, &["team-*", "acme"]);
        assert!(team.may_grant(Scope::Admin, &patterns(&["team-a", "team-b*", "acme"])).is_ok());
        let refused = |p: &Principal, scope, ns: &[&str]| match p.may_grant(scope, &patterns(ns)) {
            Err(RegistryError::Forbidden(message)) => message,
            other => panic!("expected a refusal, got {other:?}"),
        };
        let message = refused(&team, Scope::Read, &[]);
        assert!(message.contains("all namespaces"), "{message}");
        let message = refused(&team, Scope::Read, &["team-a", "*"]);
        assert!(message.contains("'*'"), "{message}");
        let message = refused(&team, Scope::Read, &["acme*"]);
        assert!(message.contains("'acme*'"), "{message}");
        let writer = principal(Scope::Write, &[]);
        assert!(writer.may_grant(Scope::Write, &[]).is_ok());
        let message = refused(&writer, Scope::Admin, &[]);
        assert!(message.contains("scope admin"), "{message}");
    }

    #[test]
    fn only_tokens_wholly_inside_the_callers_namespaces_are_covered() {
        let team = principal(Scope::Admin, &["team-*"]);
        assert!(team.covers_token(&patterns(&["team-a", "team-b*"])));
        assert!(!team.covers_token(&patterns(&["team-a", "acme"])));
        assert!(!team.covers_token(&[]), "an unlimited token is outside every limit");
        assert!(principal(Scope::Admin, &[]).covers_token(&[]));
    }

    #[test]
    fn expiry_is_bounded_and_never_overflows() {
        let now = Utc::now();
        assert_eq!(expiry(now, None).unwrap(), None);
        assert_eq!(expiry(now, Some(0)).unwrap(), Some(now));
        assert!(expiry(now, Some(MAX_TOKEN_LIFETIME_DAYS)).unwrap().is_some());
        for days in [MAX_TOKEN_LIFETIME_DAYS + 1, 100_000_000, u32::MAX] {
            match expiry(now, Some(days)) {
                Err(RegistryError::Invalid { message, .. }) => {
                    assert!(message.contains("expires_in_days"), "{message}")
                }
                other => panic!("{days}: {other:?}"),
            }
        }
    }
}
