//! Access and lifecycle: tokens, aliases with their history, yanks, deletion with
//! tombstones, and the audit log. Every state change writes its audit entry in the same
//! transaction (`journal`). The store records; who may do what is the service's decision.

pub(super) mod journal;
pub(super) mod rows;
pub(super) mod sql;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use modelreg_api::{AliasName, ModelName, NamespacePattern, Scope, Version};

use super::StoreError;

#[derive(Debug, Clone)]
pub struct NewToken {
    pub name: String,
    pub scope: Scope,
    /// Hex sha256 of the secret; the secret itself is never stored.
    pub token_hash: String,
    pub namespaces: Vec<NamespacePattern>,
    pub created_by: String,
    pub created_at: DateTime<Utc>,
    pub expires_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct TokenRecord {
    pub name: String,
    pub scope: Scope,
    pub namespaces: Vec<NamespacePattern>,
    pub created_by: Option<String>,
    pub created_at: DateTime<Utc>,
    pub expires_at: Option<DateTime<Utc>>,
    pub last_used_at: Option<DateTime<Utc>>,
    pub revoked_at: Option<DateTime<Utc>>,
}

/// A token name that is already taken.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NameTaken;

#[derive(Debug, Clone, PartialEq)]
pub struct YankRecord {
    pub reason: String,
    pub at: DateTime<Utc>,
    pub by: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct AliasRecord {
    pub alias: AliasName,
    pub version: Version,
    pub updated_at: DateTime<Utc>,
    pub updated_by: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct AliasMoveRecord {
    pub alias: AliasName,
    pub from: Option<Version>,
    pub to: Option<Version>,
    pub actor: String,
    pub at: DateTime<Utc>,
}

/// What setting an alias did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AliasOutcome {
    Set {
        from: Option<Version>,
    },
    NoSuchVersion,
    /// The target is yanked and `force` was not given.
    Yanked,
}

#[derive(Debug, Clone, PartialEq)]
pub struct AuditRecord {
    pub id: i64,
    pub at: DateTime<Utc>,
    pub actor: String,
    pub action: String,
    pub model: Option<String>,
    pub version: Option<String>,
    pub details: String,
}

#[derive(Debug, Clone, Default)]
pub struct AuditFilter {
    pub model: Option<String>,
    pub actor: Option<String>,
    pub since: Option<DateTime<Utc>>,
    /// Entries with an id above this one (paging).
    pub after_id: Option<i64>,
    /// Only entries about a model in one of these namespaces, plus every entry about a
    /// token (`token_create`, `token_revoke`): a cheap pre-filter for a namespace-limited
    /// reader; the service decides exactly which of these to show.
    pub within: Option<Vec<NamespacePattern>>,
    pub limit: i64,
}

#[async_trait]
pub trait AccessStore: Send + Sync {
    async fn create_token(&self, token: &NewToken) -> Result<Result<(), NameTaken>, StoreError>;
    async fn find_token(&self, token_hash: &str) -> Result<Option<TokenRecord>, StoreError>;
    /// The stored hash of the token called `name` (revoked or not): the key that signs the
    /// token's Hugging Face upload URLs.
    async fn token_hash_of(&self, name: &str) -> Result<Option<String>, StoreError>;
    async fn list_tokens(&self) -> Result<Vec<TokenRecord>, StoreError>;
    /// Revokes a live token; false when there is none by that name.
    async fn revoke_token(&self, name: &str, actor: &str, at: DateTime<Utc>) -> Result<bool, StoreError>;
    /// Records use; cheap and best-effort (callers throttle it).
    async fn touch_token(&self, name: &str, at: DateTime<Utc>) -> Result<(), StoreError>;

    async fn set_alias(
        &self,
        model: &ModelName,
        alias: &AliasName,
        version: &Version,
        force: bool,
        actor: &str,
        at: DateTime<Utc>,
    ) -> Result<AliasOutcome, StoreError>;
    /// Removes an alias; false when it did not exist.
    async fn remove_alias(
        &self,
        model: &ModelName,
        alias: &AliasName,
        actor: &str,
        at: DateTime<Utc>,
    ) -> Result<bool, StoreError>;
    async fn get_alias(&self, model: &ModelName, alias: &AliasName) -> Result<Option<Version>, StoreError>;
    async fn list_aliases(&self, model: &ModelName) -> Result<Vec<AliasRecord>, StoreError>;
    async fn alias_history(&self, model: &ModelName) -> Result<Vec<AliasMoveRecord>, StoreError>;

    /// Yanks (Some(reason)) or un-yanks (None) a version; false when it does not exist.
    async fn set_yank(
        &self,
        model: &ModelName,
        version: &Version,
        reason: Option<&str>,
        actor: &str,
        at: DateTime<Utc>,
    ) -> Result<bool, StoreError>;

    /// Deletes one version, leaving a tombstone; false when it does not exist.
    async fn delete_version(
        &self,
        model: &ModelName,
        version: &Version,
        actor: &str,
        at: DateTime<Utc>,
    ) -> Result<bool, StoreError>;
    /// Deletes every version of a model (tombstoned) and its aliases; the number deleted,
    /// or None for an unknown model.
    async fn delete_model(
        &self,
        model: &ModelName,
        actor: &str,
        at: DateTime<Utc>,
    ) -> Result<Option<u64>, StoreError>;

    async fn list_audit(&self, filter: &AuditFilter) -> Result<Vec<AuditRecord>, StoreError>;
}

/// A `LIKE` pattern (escape character `\\`) matching exactly the model names `ns/name`
/// whose namespace `pattern` matches: `*` becomes `%`, and `_` (a wildcard to `LIKE`) is
/// escaped. A model name holds one `/`, so the `%` stand-ins can only span the namespace.
pub(in crate::store) fn model_like(pattern: &NamespacePattern) -> String {
    let mut like = String::with_capacity(pattern.as_str().len() + 4);
    for c in pattern.as_str().chars() {
        match c {
            '*' => like.push('%'),
            '_' | '%' | '\\' => {
                like.push('\\');
                like.push(c);
            }
            c => like.push(c),
        }
    }
    like.push_str("/%");
    like
}
