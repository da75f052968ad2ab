//! Token authentication and scope checks. Secrets are random, shown once, and stored only as
//! their sha256; they never reach a log line or an error message.

use chrono::Utc;

use super::{Registry, RegistryError};
use crate::blob::Sha256Hasher;
use crate::store::{NewToken, Scope};

/// Who is calling: the token's name and scope.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Principal {
    pub token_name: String,
    pub scope: Scope,
}

const TOKEN_PREFIX: &str = "mrg_";

/// A new random token secret: `mrg_` followed by 64 hex digits (256 bits).
pub fn generate_token_secret() -> String {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).expect("the OS random source is available");
    format!("{TOKEN_PREFIX}{}", modelreg_api::Digest::from_bytes(bytes).hex())
}

/// The stored form of a token: hex sha256 of the secret. Tokens carry 256 random bits, so a
/// fast hash is enough (no password stretching needed).
pub fn hash_token(secret: &str) -> String {
    let mut h = Sha256Hasher::new();
    h.update(secret.as_bytes());
    h.finish().hex()
}

impl Registry {
    /// Creates a token and returns its secret (the only time it is available).
    pub async fn create_token(&self, name: &str, scope: Scope) -> Result<String, RegistryError> {
        let valid = !name.is_empty()
            && name.len() <= 64
            && name.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'));
        if !valid {
            return Err(RegistryError::Invalid {
                code: "invalid_token_name",
                message: format!(
                    "invalid token name '{name}': use 1-64 characters from a-z, A-Z, 0-9, '.', '_', '-'"
                ),
            });
        }
        let secret = generate_token_secret();
        let new = NewToken {
            name: name.to_owned(),
            scope,
            token_hash: hash_token(&secret),
            created_at: Utc::now(),
        };
        match self.meta.create_token(&new).await? {
            Ok(()) => Ok(secret),
            Err(_taken) => Err(RegistryError::Invalid {
                code: "token_name_taken",
                message: format!("a token named '{name}' already exists"),
            }),
        }
    }

    /// Resolves a bearer secret to its principal; unknown, revoked and expired tokens are
    /// all the same 401 so as not to tell an attacker which it was.
    pub async fn authenticate(&self, secret: &str) -> Result<Principal, RegistryError> {
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
        Ok(Principal { token_name: record.name, scope: record.scope })
    }

    /// Checks that a caller (None = anonymous) may act with `needed` scope.
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
}
