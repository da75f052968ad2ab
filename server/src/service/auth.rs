//! Token authentication, scope checks and namespace visibility. Secrets are random, shown
//! once, and stored only as their sha256; they never reach a log line or an error message.

use chrono::{Duration, Utc};
use modelreg_api::{ModelName, NamespacePattern, Scope};

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
}

/// The actor name recorded for anonymous callers (reads only) and server-side commands.
pub const SERVER_ACTOR: &str = "server-cli";

const TOKEN_PREFIX: &str = "mrg_";
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

fn check_token_name(name: &str) -> Result<(), RegistryError> {
    let valid = !name.is_empty()
        && name.len() <= 64
        && name.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'));
    if valid {
        Ok(())
    } else {
        Err(RegistryError::Invalid {
            code: "invalid_token_name",
            message: format!(
                "invalid token name '{name}': use 1-64 characters from a-z, A-Z, 0-9, '.', '_', '-'"
            ),
        })
    }
}

impl Registry {
    /// Creates a token and returns its secret (the only time it is available).
    pub async fn create_token(
        &self,
        name: &str,
        scope: Scope,
        namespaces: Vec<NamespacePattern>,
        expires_in_days: Option<u32>,
        actor: &str,
    ) -> Result<(String, TokenRecord), RegistryError> {
        check_token_name(name)?;
        let secret = generate_token_secret();
        let now = Utc::now();
        let new = NewToken {
            name: name.to_owned(),
            scope,
            token_hash: hash_token(&secret),
            namespaces,
            created_by: actor.to_owned(),
            created_at: now,
            expires_at: expires_in_days.map(|d| now + Duration::days(i64::from(d))),
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
                code: "token_name_taken",
                message: format!("a token named '{name}' already exists"),
            }),
        }
    }

    pub async fn list_tokens(&self) -> Result<Vec<TokenRecord>, RegistryError> {
        Ok(self.meta.list_tokens().await?)
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
        let now = Utc::now();
        if record.revoked_at.is_some() || record.expires_at.is_some_and(|t| t <= now) {
            return Err(RegistryError::Unauthorized(REJECTED));
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
        Ok((principal, record))
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
}
