//! The lookup query, written once for both dialects with sqlx's `QueryBuilder` (which
//! writes each dialect's placeholders): the best matching version per model (or every
//! matching version) by one of three strategies, ordering with missing values last, keyset
//! paging on (sort key, version id). The filter clauses live in `lookup_filters`, the bounded
//! windows of the automatic strategy in `lookup_window`.

use modelreg_api::{LookupQuery, Order, SortKey, VersionsMode};
use serde::{Deserialize, Serialize};
use sqlx::{Database, Encode, QueryBuilder, Type};

use super::lookup_filters::{push_filters, push_version_filters, push_visible};
use super::lookup_window::{Window, push_models, push_versions};

/// Which SQL dialect a query is for (collation, and how PostgreSQL's planner is steered).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Dialect {
    Postgres,
    Sqlite,
}

/// A position in a result list: the sort key and version id of the last row seen.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Cursor {
    #[serde(rename = "s")]
    sort: SortKey,
    #[serde(rename = "o")]
    order: Order,
    /// `None` when the last row had no value for the sort key (such rows come last).
    #[serde(rename = "k")]
    pub(super) key: Option<SortValue>,
    #[serde(rename = "i")]
    id: i64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum SortValue {
    Int(i64),
    Float(f64),
    Text(String),
}

impl Cursor {
    /// The opaque form handed to clients.
    pub fn encode(&self) -> String {
        hex::encode(serde_json::to_vec(self).expect("cursor serialises"))
    }

    /// Parses a client's cursor; it must belong to a query with the same sort and order.
    pub fn decode(raw: &str, q: &LookupQuery) -> Result<Self, String> {
        let bytes = hex::decode(raw).map_err(|_| "not a cursor this registry issued".to_owned())?;
        let mut cursor: Self =
            serde_json::from_slice(&bytes).map_err(|_| "not a cursor this registry issued".to_owned())?;
        if cursor.sort != q.sort || cursor.order != q.order {
            return Err("the cursor belongs to a query with another sort or order".into());
        }
        // Cursors issued before missing values were ordered natively carry a stand-in for
        // them (i64::MAX ascending, -1 descending), a value no row of a nullable key has.
        let stand_in = match &cursor.key {
            Some(SortValue::Int(i)) => *i == i64::MAX || *i == -1,
            Some(SortValue::Float(f)) => *f == i64::MAX as f64 || *f == -1.0,
            _ => false,
        };
        if stand_in && sort_column(q.sort).is_some_and(|c| c.nullable) {
            cursor.key = None;
        }
        Ok(cursor)
    }

    /// (namespace, name) of a cursor of the name sort.
    pub(super) fn name_key(&self) -> (&str, &str) {
        let text = match &self.key {
            Some(SortValue::Text(t)) => t.as_str(),
            _ => "",
        };
        text.split_once('/').unwrap_or((text, ""))
    }

    /// The cursor after `hit`.
    pub fn after(hit: &LookupHit, q: &LookupQuery) -> Self {
        let key = match q.sort {
            SortKey::Name => Some(SortValue::Text(format!("{}/{}", hit.namespace, hit.name))),
            SortKey::Created => Some(SortValue::Int(hit.created_ms)),
            SortKey::Updated => Some(SortValue::Int(hit.published_ms)),
            SortKey::Parameters => hit.parameters.map(SortValue::Int),
            SortKey::Size => Some(SortValue::Int(hit.size_bytes)),
            SortKey::ContextLength => hit.context_length.map(SortValue::Int),
            SortKey::Latency => hit.min_latency_ms.map(SortValue::Float),
        };
        Self { sort: q.sort, order: q.order, key, id: hit.id }
    }
}

/// One matching version, as read from the database.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct LookupHit {
    pub id: i64,
    pub namespace: String,
    pub name: String,
    pub version: String,
    pub digest: String,
    pub license: String,
    pub license_class: String,
    pub commercial_use: String,
    pub task: Option<String>,
    pub modalities_json: String,
    pub languages_json: String,
    pub context_length: Option<i64>,
    pub parameters: Option<i64>,
    pub size_bytes: i64,
    pub format: Option<String>,
    pub description: Option<String>,
    pub published_ms: i64,
    pub created_ms: i64,
    pub min_latency_ms: Option<f64>,
}

const COLUMNS: &str = "v.id, m.namespace, m.name, v.version, v.digest, v.license, v.license_class, v.commercial_use, \
     v.task, v.modalities_json, v.languages_json, v.context_length, v.parameters, v.size_bytes, v.format, \
     v.description, v.published_ms, m.created_ms, v.min_latency_ms";

/// How the matching versions (the best of each model, or all of them) are found. Every
/// strategy returns the same rows for any query; they differ in what the database has to
/// read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Strategy {
    /// A bounded walk in sort order (`Walk` for the name and creation-time sorts, `Seek` for
    /// a sort on a version column); if that does not fill the page, a scan. What the registry
    /// does.
    Auto,
    /// Walk models in sort order (name or creation time), each with a correlated subquery
    /// over its versions (in semver order, for the best one): stops after a page for those
    /// sorts, so fast when many models match.
    Walk,
    /// Walk versions in sort-key order (for the best of each model, keeping a version only if
    /// no higher release of its model also matches): stops after a page for a sort on a
    /// version column (an index in that order), so fast when many versions match.
    Seek,
    /// Collect every matching version (and rank them per model): fast when few match.
    Scan,
}

/// The column a sort other than by name orders by (the version id breaks ties).
pub(super) struct SortColumn {
    /// As named in both the result rows and its table.
    pub(super) name: &'static str,
    /// Rows without a value come last in either direction.
    pub(super) nullable: bool,
    /// A column of `versions` (else of `models`).
    pub(super) on_versions: bool,
}

pub(super) fn sort_column(sort: SortKey) -> Option<SortColumn> {
    let (name, nullable, on_versions) = match sort {
        SortKey::Name => return None,
        SortKey::Created => ("created_ms", false, false),
        SortKey::Updated => ("published_ms", false, true),
        SortKey::Parameters => ("parameters", true, true),
        SortKey::Size => ("size_bytes", false, true),
        SortKey::ContextLength => ("context_length", true, true),
        SortKey::Latency => ("min_latency_ms", true, true),
    };
    Some(SortColumn { name, nullable, on_versions })
}

/// `ORDER BY` terms for a sort column: the indexes of migration 0007 have this order.
pub(super) fn order_terms(column: &SortColumn, prefix: &str, order: Order) -> String {
    let dir = if order == Order::Asc { "ASC" } else { "DESC" };
    let nulls = if column.nullable { " NULLS LAST" } else { "" };
    format!("{prefix}{} {dir}{nulls}, {prefix}id {dir}", column.name)
}

/// The condition "after `cursor` in the order of [`order_terms`]", parenthesised; the caller
/// writes the `AND` or `WHERE` before it.
pub(super) fn push_after<DB>(
    qb: &mut QueryBuilder<DB>,
    column: &SortColumn,
    prefix: &str,
    order: Order,
    cursor: &Cursor,
) where
    DB: Database,
    for<'t> String: Encode<'t, DB> + Type<DB>,
    for<'t> i64: Encode<'t, DB> + Type<DB>,
    for<'t> f64: Encode<'t, DB> + Type<DB>,
{
    let cmp = if order == Order::Asc { ">" } else { "<" };
    let col = format!("{prefix}{}", column.name);
    match &cursor.key {
        Some(key) => {
            qb.push(format!("(({col}, {prefix}id) {cmp} ("));
            push_value(qb, key);
            qb.push(", ").push_bind(cursor.id).push(")");
            if column.nullable {
                qb.push(format!(" OR {col} IS NULL"));
            }
            qb.push(")");
        }
        None => {
            qb.push(format!("({col} IS NULL AND {prefix}id {cmp} ")).push_bind(cursor.id).push(")");
        }
    }
}

/// Builds the whole lookup statement; fetches `q.limit + 1` rows so the caller knows
/// whether another page follows. `window` bounds which rows after the cursor a `Walk`
/// (models, for the name and creation-time sorts) or a `Seek` (versions, for a sort on a
/// version column) examines; the result is then complete only if it filled the page.
pub(super) fn build<DB>(
    q: &LookupQuery,
    cursor: Option<&Cursor>,
    dialect: Dialect,
    strategy: Strategy,
    window: Option<Window>,
) -> QueryBuilder<DB>
where
    DB: Database,
    for<'t> String: Encode<'t, DB> + Type<DB>,
    for<'t> i64: Encode<'t, DB> + Type<DB>,
    for<'t> f64: Encode<'t, DB> + Type<DB>,
    for<'t> bool: Encode<'t, DB> + Type<DB>,
{
    let best = q.versions == VersionsMode::Best;
    let collate = match dialect {
        Dialect::Postgres => " COLLATE \"C\"",
        Dialect::Sqlite => "",
    };
    let column = sort_column(q.sort);
    let mut qb = QueryBuilder::<DB>::new("SELECT * FROM (SELECT ");
    qb.push(COLUMNS);
    match (strategy, best) {
        (Strategy::Walk, true) => {
            // The model's versions in semver order (index versions_model_semver_idx): the
            // outer query walks models in sort order and stops after a page.
            qb.push(", 1 AS best_rank FROM ");
            push_models(&mut qb, q, cursor, collate, column.as_ref(), window);
            qb.push(" JOIN versions v ON v.id = (SELECT f.id FROM versions f WHERE f.model_id = m.id AND f.prerelease = ''");
            push_filters(&mut qb, q, "f", dialect);
            qb.push(" ORDER BY f.major DESC, f.minor DESC, f.patch DESC LIMIT 1)");
        }
        (Strategy::Walk, false) => {
            qb.push(", 1 AS best_rank FROM ");
            push_models(&mut qb, q, cursor, collate, column.as_ref(), window);
            match dialect {
                // Each model's matching versions through versions_model_id_version_key: a
                // lateral subquery that cannot be pulled up (OFFSET 0) keeps PostgreSQL from
                // hashing the window against every matching version, a scan's cost.
                Dialect::Postgres => {
                    qb.push(" CROSS JOIN LATERAL (SELECT * FROM versions f WHERE f.model_id = m.id");
                    push_filters(&mut qb, q, "f", dialect);
                    qb.push(" OFFSET 0) v");
                }
                Dialect::Sqlite => {
                    qb.push(" JOIN versions v ON v.model_id = m.id");
                    push_filters(&mut qb, q, "v", dialect);
                }
            }
        }
        (Strategy::Seek, _) => {
            // Matching versions in sort order (the window reads an index of migration 0007);
            // for the best version of each model, each kept only if no higher release of its
            // model matches, probed through versions_model_semver_idx. The outer query stops
            // after a page.
            qb.push(", 1 AS best_rank FROM ");
            push_versions(&mut qb, q, cursor, column.as_ref(), window);
            qb.push(" JOIN models m ON m.id = v.model_id");
            if best {
                qb.push(" AND v.prerelease = ''");
            }
            push_filters(&mut qb, q, "v", dialect);
            if best {
                qb.push(
                    " AND NOT EXISTS (SELECT 1 FROM versions h WHERE h.model_id = v.model_id AND h.prerelease = '' \
                     AND (h.major, h.minor, h.patch) > (v.major, v.minor, v.patch)",
                );
                push_filters(&mut qb, q, "h", dialect);
                qb.push(")");
            }
        }
        (Strategy::Scan | Strategy::Auto, true) => {
            qb.push(
                ", ROW_NUMBER() OVER (PARTITION BY v.model_id ORDER BY v.major DESC, v.minor DESC, v.patch DESC) \
                 AS best_rank FROM models m JOIN versions v ON v.model_id = m.id AND v.prerelease = ''",
            );
            push_filters(&mut qb, q, "v", dialect);
        }
        (Strategy::Scan | Strategy::Auto, false) => match dialect {
            // Every matching version first, then their models by primary key, then the page.
            // Without the fence (a subquery with OFFSET is never pulled up) PostgreSQL may
            // walk the sort order instead, hoping to fill the page early, and read thousands
            // of rows for a selective query; the bounded walks above are the cheap way to try
            // that.
            Dialect::Postgres => {
                qb.push(", 1 AS best_rank FROM (SELECT * FROM versions f WHERE TRUE");
                push_version_filters(&mut qb, q, "f", dialect);
                qb.push(" OFFSET 0) v JOIN models m ON m.id = v.model_id");
            }
            Dialect::Sqlite => {
                qb.push(", 1 AS best_rank FROM models m JOIN versions v ON v.model_id = m.id");
                push_filters(&mut qb, q, "v", dialect);
            }
        },
    }
    qb.push(" WHERE m.deleted_at IS NULL");
    push_visible(&mut qb, q, "m");
    qb.push(") hits WHERE best_rank = 1");

    match &column {
        None => {
            let (cmp, dir) = if q.order == Order::Asc { (">", "ASC") } else { ("<", "DESC") };
            let c = collate;
            if let Some(cur) = cursor {
                let (ns, name) = cur.name_key();
                qb.push(format!(" AND (namespace{c}, name{c}, id) {cmp} ("));
                qb.push_bind(ns.to_owned())
                    .push(", ")
                    .push_bind(name.to_owned())
                    .push(", ")
                    .push_bind(cur.id)
                    .push(")");
            }
            qb.push(format!(" ORDER BY namespace{c} {dir}, name{c} {dir}, id {dir}"));
        }
        Some(c) => {
            if let Some(cur) = cursor {
                qb.push(" AND ");
                push_after(&mut qb, c, "", q.order, cur);
            }
            qb.push(format!(" ORDER BY {}", order_terms(c, "", q.order)));
        }
    }
    qb.push(" LIMIT ").push_bind(i64::from(q.limit) + 1);
    qb
}

pub(super) fn push_value<DB>(qb: &mut QueryBuilder<DB>, v: &SortValue)
where
    DB: Database,
    for<'t> String: Encode<'t, DB> + Type<DB>,
    for<'t> i64: Encode<'t, DB> + Type<DB>,
    for<'t> f64: Encode<'t, DB> + Type<DB>,
{
    match v {
        SortValue::Int(i) => qb.push_bind(*i),
        SortValue::Float(f) => qb.push_bind(*f),
        SortValue::Text(t) => qb.push_bind(t.clone()),
    };
}

#[cfg(test)]
mod tests {
    use super::*;

    fn query(s: &str) -> LookupQuery {
        LookupQuery::from_pairs(s.split('&').map(|p| p.split_once('=').unwrap())).unwrap()
    }

    fn raw(json: &str) -> String {
        hex::encode(json)
    }

    #[test]
    fn a_cursor_round_trips_including_a_missing_key() {
        let q = query("sort=parameters&order=desc");
        let cursor = Cursor { sort: SortKey::Parameters, order: Order::Desc, key: None, id: 7 };
        assert_eq!(Cursor::decode(&cursor.encode(), &q).unwrap(), cursor);
        let cursor = Cursor { key: Some(SortValue::Int(42)), ..cursor };
        assert_eq!(Cursor::decode(&cursor.encode(), &q).unwrap(), cursor);
    }

    #[test]
    fn a_cursor_from_before_native_null_ordering_reads_its_stand_in_as_missing() {
        let asc = Cursor::decode(
            &raw(r#"{"s":"parameters","o":"asc","k":9223372036854775807,"i":3}"#),
            &query("sort=parameters"),
        )
        .unwrap();
        assert_eq!(asc.key, None);
        let desc = Cursor::decode(
            &raw(r#"{"s":"latency","o":"desc","k":-1.0,"i":3}"#),
            &query("sort=latency&order=desc"),
        )
        .unwrap();
        assert_eq!(desc.key, None);
        // The same numbers are real values of a key that is never missing.
        let size =
            Cursor::decode(&raw(r#"{"s":"size","o":"desc","k":-1,"i":3}"#), &query("sort=size&order=desc"))
                .unwrap();
        assert_eq!(size.key, Some(SortValue::Int(-1)));
    }

    #[test]
    fn a_cursor_of_another_sort_is_refused() {
        let cursor = Cursor { sort: SortKey::Size, order: Order::Asc, key: Some(SortValue::Int(1)), id: 1 };
        assert!(Cursor::decode(&cursor.encode(), &query("sort=parameters")).is_err());
        assert!(Cursor::decode("zz", &query("sort=size")).is_err());
    }
}
