//! Signed LFS transfer URLs for the Hugging Face upload path. The clients send no
//! `Authorization` on an LFS `href` (a part URL, a completion URL), so each URL carries its
//! own proof: an HMAC-SHA256 over what it may do (which object or session part, the oid,
//! the size, the expiry), keyed by a server secret bound to the token that asked for it —
//! the token's stored hash, which never leaves the database. A URL is therefore useless
//! after its expiry, for another object or size, and once its token is revoked or expired.

use chrono::{DateTime, Utc};
use hmac::{Hmac, KeyInit, Mac};
use modelreg_api::Digest;
use sha2::Sha256;

use super::super::{Principal, Registry, RegistryError};

/// How long a signed URL may be used after the batch that issued it.
pub const LFS_URL_TTL_SECS: i64 = 60 * 60;

/// What a signed URL lets its holder do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LfsTarget {
    /// `PUT` the whole object (`basic`).
    Object,
    /// `PUT` part `n` of upload session `id` (`multipart`).
    Part { session: String, part: u32 },
    /// `POST` the completion of upload session `id`.
    Complete { session: String },
}

impl LfsTarget {
    fn canonical(&self) -> String {
        match self {
            Self::Object => "object".into(),
            Self::Part { session, part } => format!("part:{session}:{part}"),
            Self::Complete { session } => format!("complete:{session}"),
        }
    }
}

/// The facts a signed URL carries; `signature` covers all of them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LfsGrant {
    pub token: String,
    pub oid: Digest,
    pub size: u64,
    /// Unix seconds.
    pub expires: i64,
    pub target: LfsTarget,
}

impl LfsGrant {
    fn message(&self) -> String {
        format!(
            "modelreg/hf-lfs/v1\n{}\n{}\n{}\n{}\n{}",
            self.token,
            self.oid,
            self.size,
            self.expires,
            self.target.canonical()
        )
    }

    /// The signature under `key`, as hex.
    pub fn sign(&self, key: &str) -> String {
        let mut mac = Hmac::<Sha256>::new_from_slice(key.as_bytes()).expect("HMAC takes any key length");
        mac.update(self.message().as_bytes());
        hex::encode(mac.finalize().into_bytes())
    }

    /// Whether `signature` (hex) is this grant's under `key`; compared in constant time.
    pub fn verify(&self, key: &str, signature: &str) -> bool {
        let Ok(given) = hex::decode(signature) else { return false };
        let mut mac = Hmac::<Sha256>::new_from_slice(key.as_bytes()).expect("HMAC takes any key length");
        mac.update(self.message().as_bytes());
        mac.verify_slice(&given).is_ok()
    }
}

/// The refusal for every bad signed URL: which check failed is not said.
fn refused() -> RegistryError {
    RegistryError::Forbidden(
        "this upload URL is not valid (expired, altered, or its token was revoked)".into(),
    )
}

impl Registry {
    /// Signs `grant` (issued now for `caller`, expiring after [`LFS_URL_TTL_SECS`]).
    pub(crate) async fn sign_lfs(
        &self,
        caller: &Principal,
        mut grant: LfsGrant,
    ) -> Result<(LfsGrant, String), RegistryError> {
        grant.token.clone_from(&caller.token_name);
        grant.expires = Utc::now().timestamp() + LFS_URL_TTL_SECS;
        let key = self
            .meta
            .token_hash_of(&caller.token_name)
            .await?
            .ok_or_else(|| RegistryError::internal("the calling token has no stored hash"))?;
        let signature = grant.sign(&key);
        Ok((grant, signature))
    }

    /// The caller a signed URL acts for, if its signature holds, it has not expired and its
    /// token is live. Every failure is the same 403.
    pub(crate) async fn lfs_caller(
        &self,
        grant: &LfsGrant,
        signature: &str,
        now: DateTime<Utc>,
    ) -> Result<Principal, RegistryError> {
        if grant.expires < now.timestamp() {
            return Err(refused());
        }
        let Some(key) = self.meta.token_hash_of(&grant.token).await? else { return Err(refused()) };
        if !grant.verify(&key, signature) {
            return Err(refused());
        }
        let Some(record) = self.meta.find_token(&key).await? else { return Err(refused()) };
        if record.revoked_at.is_some() || record.expires_at.is_some_and(|t| t <= now) {
            return Err(refused());
        }
        Ok(Principal { token_name: record.name, scope: record.scope, namespaces: record.namespaces })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn grant() -> LfsGrant {
        LfsGrant {
            token: "ci".into(),
            oid: format!("sha256:{}", "a".repeat(64)).parse().unwrap(),
            size: 300_000,
            expires: 1_900_000_000,
            target: LfsTarget::Part { session: "up_0123".into(), part: 2 },
        }
    }

    #[test]
    fn a_signature_holds_only_for_its_key_and_every_fact_it_covers() {
        let g = grant();
        let sig = g.sign("key-1");
        assert!(g.verify("key-1", &sig));
        assert!(!g.verify("key-2", &sig), "another token's key");
        let altered = [
            LfsGrant { token: "other".into(), ..g.clone() },
            LfsGrant { size: 300_001, ..g.clone() },
            LfsGrant { expires: g.expires + 1, ..g.clone() },
            LfsGrant { oid: format!("sha256:{}", "b".repeat(64)).parse().unwrap(), ..g.clone() },
            LfsGrant { target: LfsTarget::Part { session: "up_0123".into(), part: 3 }, ..g.clone() },
            LfsGrant { target: LfsTarget::Complete { session: "up_0123".into() }, ..g.clone() },
            LfsGrant { target: LfsTarget::Object, ..g.clone() },
        ];
        for other in altered {
            assert!(!other.verify("key-1", &sig), "{other:?}");
        }
        assert!(!g.verify("key-1", "not hex"));
        assert!(!g.verify("key-1", &sig[..10]));
    }
}
