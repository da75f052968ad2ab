//! The bounded windows of the automatic lookup: which models (`Walk`, for sorts in a model
//! order) or versions (`Seek`, for sorts on a version column) after the cursor a walk
//! examines, as the `FROM` item `m` or `v` of the lookup statement. Only which rows are
//! read; the strategy's joins, filters and ordering, and the choice of strategy,
//! stay in `lookup`.
//!
//! Window sizes are written into the SQL as literals, not bound: they are the registry's own
//! constants, and a literal `LIMIT` gives PostgreSQL the true row count in every plan,
//! including the generic plan of a statement sqlx has prepared before.

use modelreg_api::{LookupQuery, Order, VersionsMode};
use sqlx::{Database, Encode, QueryBuilder, Type};

use super::filters::push_visible;
use super::keys::{Cursor, SortColumn, SortValue, order_terms, push_after, push_value};

/// How many models an automatic walk examines at most before it gives up and scans
/// instead: a query matching at least about one model in 25 fills its page within this
/// window, and one matching fewer has few enough matches to scan cheaply.
pub(super) const WALK_WINDOW: i64 = 500;

/// How many versions an automatic seek examines at most before it gives up and scans
/// instead: about the same share of the registry as [`WALK_WINDOW`] at a few versions per
/// model.
pub(super) const SEEK_WINDOW: i64 = 2000;

/// An automatic walk first examines this share of its window: a query whose matches are
/// too rare there to fill the page within the whole window goes straight to the scan, so a
/// selective query pays for a short walk only; otherwise the walk goes on with the rest.
pub(in crate::store) const SHORT_WINDOW_DIVISOR: i64 = 5;

/// Which rows after the cursor (models for `Walk`, versions for `Seek`) a bounded walk
/// examines, in walk order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(in crate::store) struct Window {
    pub skip: i64,
    pub take: i64,
}

/// Pushes the models a `Walk` reads, as `m`: the window of them after the cursor in the
/// sort's model order, or all of them without a window (or for a sort a model has no order
/// for).
pub(super) fn push_models<DB>(
    qb: &mut QueryBuilder<DB>,
    q: &LookupQuery,
    cursor: Option<&Cursor>,
    collate: &str,
    column: Option<&SortColumn>,
    window: Option<Window>,
) where
    DB: Database,
    for<'t> String: Encode<'t, DB> + Type<DB>,
    for<'t> i64: Encode<'t, DB> + Type<DB>,
    for<'t> f64: Encode<'t, DB> + Type<DB>,
{
    let Some(w) = window else {
        qb.push("models m");
        return;
    };
    match column {
        None => push_name_window(qb, q, cursor, collate, w),
        Some(c) if !c.on_versions && !c.computed => push_created_window(qb, q, cursor, c, w),
        Some(_) => {
            qb.push("models m");
        }
    }
}

/// Models by name: one row each, so the window is a plain `LIMIT` over them after the
/// cursor's model (including it with `versions=all`, whose next row may be another version
/// of the same model).
fn push_name_window<DB>(
    qb: &mut QueryBuilder<DB>,
    q: &LookupQuery,
    cursor: Option<&Cursor>,
    collate: &str,
    w: Window,
) where
    DB: Database,
    for<'t> String: Encode<'t, DB> + Type<DB>,
{
    let (after, dir) = match (q.order, q.versions == VersionsMode::Best) {
        (Order::Asc, true) => (">", "ASC"),
        (Order::Asc, false) => (">=", "ASC"),
        (Order::Desc, true) => ("<", "DESC"),
        (Order::Desc, false) => ("<=", "DESC"),
    };
    qb.push("(SELECT * FROM models mm WHERE mm.deleted_at IS NULL");
    push_visible(qb, q, "mm");
    if let Some(cur) = cursor {
        let (ns, name) = cur.name_key();
        qb.push(format!(" AND (mm.namespace{collate}, mm.name{collate}) {after} ("));
        qb.push_bind(ns.to_owned()).push(", ").push_bind(name.to_owned()).push(")");
    }
    qb.push(format!(" ORDER BY mm.namespace{collate} {dir}, mm.name{collate} {dir}"));
    qb.push(format!(" LIMIT {} OFFSET {}) m", w.take, w.skip));
}

/// Models by creation time. Models created in the same millisecond are ordered among
/// themselves by the id of the version each contributes, which the window cannot know; so
/// the window is a range of creation times holding whole ties: from the cursor's time up to
/// the time of the window's last model, and past the time of the model before the window
/// when it skips some. Its matches are then exactly those of that range, in any order.
fn push_created_window<DB>(
    qb: &mut QueryBuilder<DB>,
    q: &LookupQuery,
    cursor: Option<&Cursor>,
    column: &SortColumn,
    w: Window,
) where
    DB: Database,
    for<'t> String: Encode<'t, DB> + Type<DB>,
    for<'t> i64: Encode<'t, DB> + Type<DB>,
    for<'t> f64: Encode<'t, DB> + Type<DB>,
{
    let col = column.name;
    let (from, past, upto, dir, first, last) = match q.order {
        Order::Asc => (">=", ">", "<=", "ASC", i64::MIN, i64::MAX),
        Order::Desc => ("<=", "<", ">=", "DESC", i64::MAX, i64::MIN),
    };
    let start = cursor.and_then(|c| c.key.clone()).unwrap_or(SortValue::Int(first));
    // The time of the model at `offset` from the cursor's time, in walk order.
    let nth = |qb: &mut QueryBuilder<DB>, offset: i64| {
        qb.push(format!("(SELECT x.{col} FROM models x WHERE x.deleted_at IS NULL"));
        push_visible(qb, q, "x");
        qb.push(format!(" AND x.{col} {from} "));
        push_value(qb, &start);
        qb.push(format!(" ORDER BY x.{col} {dir}, x.id {dir} LIMIT 1 OFFSET {offset})"));
    };
    qb.push("(SELECT * FROM models mm WHERE mm.deleted_at IS NULL");
    push_visible(qb, q, "mm");
    // Both ends of the range are always written: PostgreSQL estimates a range with an
    // unknown end as a small share of the table (an open one as a third of it).
    qb.push(format!(" AND mm.{col} {from} "));
    push_value(qb, &start);
    if w.skip > 0 {
        // No such model: the earlier window held every one left, and this one is empty.
        qb.push(format!(" AND mm.{col} {past} "));
        nth(qb, w.skip - 1);
    }
    qb.push(format!(" AND mm.{col} {upto} COALESCE("));
    nth(qb, w.skip + w.take - 1);
    qb.push(", ").push_bind(last).push(")) m");
}

/// Pushes the versions a `Seek` reads, as `v`: the window of them after the cursor in the
/// sort key's index order (releases only for the best version of each model), or all of
/// them without a window (or for a sort on a model column).
pub(super) fn push_versions<DB>(
    qb: &mut QueryBuilder<DB>,
    q: &LookupQuery,
    cursor: Option<&Cursor>,
    column: Option<&SortColumn>,
    window: Option<Window>,
) where
    DB: Database,
    for<'t> String: Encode<'t, DB> + Type<DB>,
    for<'t> i64: Encode<'t, DB> + Type<DB>,
    for<'t> f64: Encode<'t, DB> + Type<DB>,
{
    let (Some(w), Some(c)) = (window, column.filter(|c| c.on_versions)) else {
        qb.push("versions v");
        return;
    };
    qb.push("(SELECT * FROM versions w");
    let mut lead = " WHERE ";
    if q.versions == VersionsMode::Best {
        qb.push(" WHERE w.prerelease = ''");
        lead = " AND ";
    }
    if let Some(cur) = cursor {
        qb.push(lead);
        push_after(qb, c, "w.", q.order, cur);
    }
    qb.push(format!(" ORDER BY {}", order_terms(c, "w.", q.order)));
    qb.push(format!(" LIMIT {} OFFSET {}) v", w.take, w.skip));
}
