//! The keys of lookup paging and ordering, shared by the statement (`lookup`), its filters
//! and its windows: the cursor clients hand back, the sort column a key orders by, and the
//! SQL fragments that order by it and resume after a cursor. Only key handling; no strategy
//! and no filters here.

use modelreg_api::{LookupQuery, Order, SortKey};
use serde::{Deserialize, Serialize};
use sqlx::{Database, Encode, QueryBuilder, Type};

/// A position in a result list: the sort key and version id of the last row seen.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Cursor {
    #[serde(rename = "s")]
    pub(super) sort: SortKey,
    #[serde(rename = "o")]
    pub(super) order: Order,
    /// `None` when the last row had no value for the sort key (such rows come last).
    #[serde(rename = "k")]
    pub(super) key: Option<SortValue>,
    #[serde(rename = "i")]
    pub(super) id: i64,
    /// `<dataset>:<metric>` of an evaluation sort.
    #[serde(rename = "e", default, skip_serializing_if = "Option::is_none")]
    pub(super) eval: Option<String>,
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
        let eval = q.eval_sort.as_ref().filter(|_| q.sort == SortKey::Eval).map(ToString::to_string);
        if cursor.sort != q.sort || cursor.order != q.order || cursor.eval != eval {
            return Err("the cursor belongs to a query with another sort or order".into());
        }
        // Cursors issued before missing values were ordered natively carry a stand-in for
        // them (i64::MAX ascending, -1 descending), a value no row of a nullable key has.
        let stand_in = match &cursor.key {
            Some(SortValue::Int(i)) => *i == i64::MAX || *i == -1,
            Some(SortValue::Float(f)) => *f == i64::MAX as f64 || *f == -1.0,
            _ => false,
        };
        // Evaluation sorts came later and never had them: their -1.0 is a real value.
        if stand_in && sort_column(q.sort).is_some_and(|c| c.nullable && !c.computed) {
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
}

/// The column a sort other than by name orders by (the version id breaks ties).
pub(in crate::store) struct SortColumn {
    /// As named in both the result rows and its table.
    pub(super) name: &'static str,
    /// Rows without a value come last in either direction.
    pub(super) nullable: bool,
    /// A column of `versions` (else of `models`, unless computed).
    pub(super) on_versions: bool,
    /// Computed per row by the statement (no table has it, no index its order).
    pub(super) computed: bool,
}

pub(in crate::store) fn sort_column(sort: SortKey) -> Option<SortColumn> {
    let (name, nullable, on_versions) = match sort {
        SortKey::Name => return None,
        SortKey::Created => ("created_ms", false, false),
        SortKey::Updated => ("published_ms", false, true),
        SortKey::Parameters => ("parameters", true, true),
        SortKey::Size => ("size_bytes", false, true),
        SortKey::ContextLength => ("context_length", true, true),
        SortKey::Latency => ("min_latency_ms", true, true),
        SortKey::Eval => {
            return Some(SortColumn {
                name: "eval_value",
                nullable: true,
                on_versions: false,
                computed: true,
            });
        }
    };
    Some(SortColumn { name, nullable, on_versions, computed: false })
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
        let cursor = Cursor { sort: SortKey::Parameters, order: Order::Desc, key: None, id: 7, eval: None };
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
        let cursor = Cursor {
            sort: SortKey::Size,
            order: Order::Asc,
            key: Some(SortValue::Int(1)),
            id: 1,
            eval: None,
        };
        assert!(Cursor::decode(&cursor.encode(), &query("sort=parameters")).is_err());
        assert!(Cursor::decode("zz", &query("sort=size")).is_err());
    }

    #[test]
    fn an_evaluation_cursor_keeps_a_value_of_minus_one_and_belongs_to_its_dataset_and_metric() {
        let q = query("sort=eval:glue:score&order=desc");
        let cursor = Cursor {
            sort: SortKey::Eval,
            order: Order::Desc,
            key: Some(SortValue::Float(-1.0)),
            id: 3,
            eval: Some("glue:score".into()),
        };
        assert_eq!(Cursor::decode(&cursor.encode(), &q).unwrap(), cursor);
        assert!(Cursor::decode(&cursor.encode(), &query("sort=eval:glue:other&order=desc")).is_err());
        let without = Cursor { eval: None, ..cursor };
        assert!(Cursor::decode(&without.encode(), &q).is_err());
    }
}
