//! Browser sessions of the web UI: signing in checks a token once, exactly as a bearer token
//! is checked, and exchanges it for a random session id that only the browser keeps (the
//! store keeps its sha256). A session resolves to its token's principal, so pages apply the
//! token's scope and namespaces; it ends at its expiry (never later than the token's), when
//! the token is revoked or expires (checked on every use), or at sign-out. Cookies and
//! origins are the HTTP layer's business, not this module's.

use chrono::{DateTime, Utc};

use super::auth::hash_token;
use super::{Principal, Registry, RegistryError, TokenRecord};
use crate::store::NewSession;

/// How long a session lasts when no configuration says otherwise.
pub const DEFAULT_SESSION_LIFETIME: std::time::Duration = std::time::Duration::from_secs(12 * 60 * 60);
/// Most dead sessions one sign-in deletes. Sessions are created only by sign-ins, and each
/// sign-in deletes up to this many dead ones, so the backlog cannot grow without bound.
const SESSION_GC_BATCH: u32 = 1000;
/// Hex digits of a session id (256 random bits).
const SESSION_ID_HEX: usize = 64;

/// Session policy.
#[derive(Debug, Clone)]
pub struct SessionSettings {
    /// How long a session lasts after sign-in, at most (the token's expiry may end it first).
    pub lifetime: std::time::Duration,
}

impl Default for SessionSettings {
    fn default() -> Self {
        Self { lifetime: DEFAULT_SESSION_LIFETIME }
    }
}

/// A session just started: its id (for the browser only; shown once, never stored) and when
/// it ends.
pub struct SessionStarted {
    pub id: String,
    pub token_name: String,
    pub expires_at: DateTime<Utc>,
}

impl std::fmt::Debug for SessionStarted {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SessionStarted")
            .field("id", &"<redacted>")
            .field("token_name", &self.token_name)
            .field("expires_at", &self.expires_at)
            .finish()
    }
}

/// A new session id: 256 bits from the operating system's CSPRNG, as 64 hex digits.
fn generate_session_id() -> String {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).expect("the OS random source is available");
    modelreg_api::Digest::from_bytes(bytes).hex()
}

/// Whether `id` has the shape of a session id (anything else is not looked up).
fn is_session_id(id: &str) -> bool {
    id.len() == SESSION_ID_HEX && id.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

impl Registry {
    /// Replaces the default session settings.
    pub fn with_session_settings(mut self, sessions: SessionSettings) -> Self {
        self.sessions = sessions;
        self
    }

    /// Checks `secret` as a bearer token and starts a session for it, ending no later than
    /// the token. A refused token is the same 401 as on the API. Dead sessions are collected
    /// here, a bounded batch at a time.
    pub async fn sign_in(&self, secret: &str) -> Result<SessionStarted, RegistryError> {
        let (principal, record) = self.authenticate(secret).await?;
        let now = Utc::now();
        match self.meta.delete_dead_sessions(now, SESSION_GC_BATCH).await {
            Ok(0) => {}
            Ok(n) => tracing::info!(sessions = n, "deleted ended browser sessions"),
            Err(e) => tracing::warn!(error = %e, "could not delete ended browser sessions"),
        }
        let lifetime = chrono::Duration::from_std(self.sessions.lifetime)
            .map_err(|_| RegistryError::internal("session lifetime out of range"))?;
        let by_lifetime = now.checked_add_signed(lifetime).unwrap_or(DateTime::<Utc>::MAX_UTC);
        let expires_at = record.expires_at.map_or(by_lifetime, |t| t.min(by_lifetime));
        let id = generate_session_id();
        let session = NewSession {
            id_hash: hash_token(&id),
            token_name: principal.token_name.clone(),
            created_at: now,
            expires_at,
        };
        if !self.meta.create_session(&session).await? {
            return Err(RegistryError::Unauthorized("the token is not valid (unknown, revoked or expired)"));
        }
        tracing::info!(token.name = principal.token_name, "browser session started");
        Ok(SessionStarted { id, token_name: principal.token_name, expires_at })
    }

    /// The caller behind a session id: None when the id is malformed or unknown, the session
    /// has ended, or its token is revoked or expired.
    pub async fn session_caller(&self, id: &str) -> Result<Option<(Principal, TokenRecord)>, RegistryError> {
        if !is_session_id(id) {
            return Ok(None);
        }
        let now = Utc::now();
        let Some(record) = self.meta.find_session(&hash_token(id), now).await? else {
            return Ok(None);
        };
        Ok(self.live_caller(record, now).await)
    }

    /// Ends a session; an unknown or malformed id is already ended.
    pub async fn sign_out(&self, id: &str) -> Result<(), RegistryError> {
        if is_session_id(id) && self.meta.delete_session(&hash_token(id)).await? {
            tracing::info!("browser session ended by sign-out");
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::{generate_session_id, is_session_id};

    #[test]
    fn session_ids_are_random_hex_and_only_that_shape_is_looked_up() {
        let (a, b) = (generate_session_id(), generate_session_id());
        assert_ne!(a, b);
        assert!(is_session_id(&a) && is_session_id(&b));
        assert!(!is_session_id(&a.to_uppercase()));
        assert!(!is_session_id(&a[1..]));
        assert!(!is_session_id(&format!("mrg_{}", &a[4..])));
        assert!(!is_session_id(""));
    }
}
