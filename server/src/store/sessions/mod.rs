//! Browser sessions of the web UI: a session id's hash bound to the token that signed in, with
//! an expiry. A session is found only while it has not expired; the token it returns is the
//! stored token, so the service applies the same revocation and expiry checks as to a bearer
//! token. The store records and finds; it decides nothing about who may sign in.

pub(super) mod sql;

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use super::StoreError;
use super::access::TokenRecord;

/// A session to record: `id_hash` is the hex sha256 of the session id (the id itself is never
/// stored), `token_name` the live token it was exchanged for.
#[derive(Debug, Clone)]
pub struct NewSession {
    pub id_hash: String,
    pub token_name: String,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
}

#[async_trait]
pub trait SessionStore: Send + Sync {
    /// Records a session; false when no token has that name.
    async fn create_session(&self, session: &NewSession) -> Result<bool, StoreError>;
    /// The token behind an unexpired session (revoked or not: the caller checks), or None.
    async fn find_session(
        &self,
        id_hash: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<TokenRecord>, StoreError>;
    /// Ends a session; false when there was none.
    async fn delete_session(&self, id_hash: &str) -> Result<bool, StoreError>;
    /// Deletes at most `limit` sessions that have expired at `now` or whose token is revoked
    /// or expired; the number deleted.
    async fn delete_dead_sessions(&self, now: DateTime<Utc>, limit: u32) -> Result<u64, StoreError>;
}
