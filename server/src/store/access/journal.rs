//! The records every state change leaves in its own transaction: audit entries and alias
//! moves. Built once for both dialects with sqlx's `QueryBuilder` (which writes each
//! dialect's placeholders); the caller runs them in its transaction. Nothing here reads.

use chrono::{DateTime, Utc};
use modelreg_api::{ModelName, Version};
use sqlx::{Database, Encode, QueryBuilder, Type};

/// One audit entry.
pub(in crate::store) struct AuditEntry<'a> {
    at: DateTime<Utc>,
    actor: &'a str,
    action: &'a str,
    model: Option<&'a ModelName>,
    version: Option<&'a Version>,
    details: serde_json::Value,
    /// The token the action is about (its name), added to the details.
    token: Option<&'a str>,
}

impl<'a> AuditEntry<'a> {
    /// An entry about nothing in particular; [`Self::model`], [`Self::version`] and
    /// [`Self::token`] say what it is about.
    pub fn new(at: DateTime<Utc>, actor: &'a str, action: &'a str, details: serde_json::Value) -> Self {
        Self { at, actor, action, model: None, version: None, details, token: None }
    }

    pub fn model(self, model: &'a ModelName) -> Self {
        Self { model: Some(model), ..self }
    }

    pub fn version(self, version: &'a Version) -> Self {
        Self { version: Some(version), ..self }
    }

    pub fn token(self, token: &'a str) -> Self {
        Self { token: Some(token), ..self }
    }
}

/// One move of an alias: set (`to`), moved (`from` and `to`) or removed (`from`).
pub(in crate::store) struct AliasMove<'a> {
    pub model_id: i64,
    pub alias: &'a str,
    pub from: Option<&'a str>,
    pub to: Option<&'a str>,
    pub actor: &'a str,
    pub at: DateTime<Utc>,
}

/// The statement that appends `entry` to the audit log.
pub(in crate::store) fn audit<DB>(entry: AuditEntry<'_>) -> QueryBuilder<DB>
where
    DB: Database,
    for<'t> String: Encode<'t, DB> + Type<DB>,
    for<'t> Option<String>: Encode<'t, DB> + Type<DB>,
    for<'t> DateTime<Utc>: Encode<'t, DB> + Type<DB>,
{
    audits([entry])
}

/// The statement that appends `entries` (at least one) to the audit log, in order.
pub(in crate::store) fn audits<'a, DB>(entries: impl IntoIterator<Item = AuditEntry<'a>>) -> QueryBuilder<DB>
where
    DB: Database,
    for<'t> String: Encode<'t, DB> + Type<DB>,
    for<'t> Option<String>: Encode<'t, DB> + Type<DB>,
    for<'t> DateTime<Utc>: Encode<'t, DB> + Type<DB>,
{
    let mut qb = QueryBuilder::new("INSERT INTO audit_log (at, actor, action, model, version, details) ");
    qb.push_values(entries, |mut b, entry| {
        let mut details = entry.details;
        if let (Some(t), Some(obj)) = (entry.token, details.as_object_mut()) {
            obj.insert("token".into(), serde_json::Value::String(t.to_owned()));
        }
        b.push_bind(entry.at)
            .push_bind(entry.actor.to_owned())
            .push_bind(entry.action.to_owned())
            .push_bind(entry.model.map(ToString::to_string))
            .push_bind(entry.version.map(ToString::to_string))
            .push_bind(details.to_string());
    });
    qb
}

/// The statement that appends `m` to the alias history.
pub(in crate::store) fn alias_move<DB>(m: AliasMove<'_>) -> QueryBuilder<DB>
where
    DB: Database,
    for<'t> i64: Encode<'t, DB> + Type<DB>,
    for<'t> String: Encode<'t, DB> + Type<DB>,
    for<'t> Option<String>: Encode<'t, DB> + Type<DB>,
    for<'t> DateTime<Utc>: Encode<'t, DB> + Type<DB>,
{
    let mut qb = QueryBuilder::new(
        "INSERT INTO alias_history (model_id, alias, from_version, to_version, actor, at) ",
    );
    qb.push_values([()], |mut b, ()| {
        b.push_bind(m.model_id)
            .push_bind(m.alias.to_owned())
            .push_bind(m.from.map(str::to_owned))
            .push_bind(m.to.map(str::to_owned))
            .push_bind(m.actor.to_owned())
            .push_bind(m.at);
    });
    qb
}
