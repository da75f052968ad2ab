//! The access concern's row structs, shared by both dialects (sqlx's `FromRow` derive is
//! generic over the database), and their conversion into validated records. No queries here.

use chrono::{DateTime, Utc};
use modelreg_api::NamespacePattern;

use super::{AliasMoveRecord, AliasRecord, AuditRecord, TokenRecord};
use crate::store::StoreError;
use crate::store::convert::parse_stored;

#[derive(sqlx::FromRow)]
pub(in crate::store) struct TokenRow {
    name: String,
    scope: String,
    /// JSON array of namespace patterns.
    namespaces: String,
    created_by: Option<String>,
    created_at: DateTime<Utc>,
    expires_at: Option<DateTime<Utc>>,
    last_used_at: Option<DateTime<Utc>>,
    revoked_at: Option<DateTime<Utc>>,
}

impl TokenRow {
    pub(in crate::store) fn into_record(self) -> Result<TokenRecord, StoreError> {
        let namespaces: Vec<NamespacePattern> = serde_json::from_str(&self.namespaces)
            .map_err(|e| StoreError::Corrupt(format!("token namespaces '{}': {e}", self.namespaces)))?;
        Ok(TokenRecord {
            scope: self.scope.parse().map_err(StoreError::Corrupt)?,
            namespaces,
            name: self.name,
            created_by: self.created_by,
            created_at: self.created_at,
            expires_at: self.expires_at,
            last_used_at: self.last_used_at,
            revoked_at: self.revoked_at,
        })
    }
}

/// A version an alias may point at: its model, and whether it is yanked.
#[derive(sqlx::FromRow)]
pub(in crate::store) struct AliasTargetRow {
    pub model_id: i64,
    pub yanked_at: Option<DateTime<Utc>>,
}

/// An alias by its model's id, and the version it points at.
#[derive(sqlx::FromRow)]
pub(in crate::store) struct AliasPointerRow {
    pub model_id: i64,
    pub version: String,
}

/// A version about to be deleted, with what its tombstone keeps.
#[derive(sqlx::FromRow)]
pub(in crate::store) struct DoomedVersionRow {
    pub version_id: i64,
    pub model_id: i64,
    pub version: String,
    pub digest: String,
}

#[derive(sqlx::FromRow)]
pub(in crate::store) struct AliasRow {
    alias: String,
    version: String,
    updated_at: DateTime<Utc>,
    updated_by: String,
}

impl AliasRow {
    pub(in crate::store) fn into_record(self) -> Result<AliasRecord, StoreError> {
        Ok(AliasRecord {
            alias: parse_stored("alias", &self.alias)?,
            version: parse_stored("version", &self.version)?,
            updated_at: self.updated_at,
            updated_by: self.updated_by,
        })
    }
}

#[derive(sqlx::FromRow)]
pub(in crate::store) struct AliasMoveRow {
    alias: String,
    from_version: Option<String>,
    to_version: Option<String>,
    actor: String,
    at: DateTime<Utc>,
}

impl AliasMoveRow {
    pub(in crate::store) fn into_record(self) -> Result<AliasMoveRecord, StoreError> {
        let version = |v: Option<String>| v.map(|v| parse_stored("version", &v)).transpose();
        Ok(AliasMoveRecord {
            alias: parse_stored("alias", &self.alias)?,
            from: version(self.from_version)?,
            to: version(self.to_version)?,
            actor: self.actor,
            at: self.at,
        })
    }
}

#[derive(sqlx::FromRow)]
pub(in crate::store) struct AuditRow {
    id: i64,
    at: DateTime<Utc>,
    actor: String,
    action: String,
    model: Option<String>,
    version: Option<String>,
    details: String,
}

impl AuditRow {
    pub(in crate::store) fn into_record(self) -> AuditRecord {
        let Self { id, at, actor, action, model, version, details } = self;
        AuditRecord { id, at, actor, action, model, version, details }
    }
}
