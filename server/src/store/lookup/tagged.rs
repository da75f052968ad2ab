//! The statements of a choice's single scan (`POST /v1/choose`): every version that meets
//! all of a choice's constraints but at most one, each with a bit per constraint it meets,
//! its model, release and sort key, and nothing else; and the lookup rows of the few
//! version ids the choice keeps. Which versions win is the service's (`service::choose`);
//! the filters are the lookup's own (`filters`), so a scanned version meets a constraint
//! exactly when the lookup with that constraint would find it.

use modelreg_api::{LookupQuery, SortKey};
use sqlx::{Database, Encode, QueryBuilder, Type};

use super::COLUMNS;
use super::evals::push_eval_value;
use super::filters::{push_filters, push_visible};
use super::keys::sort_column;
use crate::store::dialect::Dialect;

/// A version that meets all of a choice's constraints but at most one.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct TaggedVersion {
    pub id: i64,
    pub model_id: i64,
    pub major: i64,
    pub minor: i64,
    pub patch: i64,
    /// The lookup's sort column, as a float (exact below 2^53).
    pub sort_key: Option<f64>,
    /// Bit `i` set when the version meets constraint `i`.
    pub met: i64,
}

/// The most constraints the scan tags (one bit each, and the statement's text grows with
/// their square).
pub const MAX_TAGGED_CONSTRAINTS: usize = 16;

/// The `versions` column `sort` orders by, when the scan can carry it (a column of the
/// version, not of its model nor computed per row).
pub(in crate::store) fn tagged_sort_column(sort: SortKey) -> Option<&'static str> {
    sort_column(sort).filter(|c| c.on_versions && !c.computed).map(|c| c.name)
}

/// The versions (not pre-releases, of a visible model not deleted) that match `base` and
/// all of `constraints` (each a lookup of one constraint) but at most one, with `column` as
/// their sort key; at most `cap` rows. `constraints` holds 2 to [`MAX_TAGGED_CONSTRAINTS`].
/// With `explain`, the statement's PostgreSQL plan instead (its first row, the estimate).
pub(in crate::store) fn build_tagged<DB>(
    explain: bool,
    base: &LookupQuery,
    constraints: &[LookupQuery],
    column: &str,
    cap: i64,
    dialect: Dialect,
) -> QueryBuilder<DB>
where
    DB: Database,
    for<'t> String: Encode<'t, DB> + Type<DB>,
    for<'t> i64: Encode<'t, DB> + Type<DB>,
    for<'t> f64: Encode<'t, DB> + Type<DB>,
    for<'t> bool: Encode<'t, DB> + Type<DB>,
{
    let mut qb = QueryBuilder::<DB>::new(format!(
        "{}SELECT f.id, f.model_id, f.major, f.minor, f.patch, CAST(f.{column} AS DOUBLE PRECISION) AS sort_key, CAST(0",
        if explain { "EXPLAIN " } else { "" }
    ));
    for (i, c) in constraints.iter().enumerate() {
        qb.push(" + CASE WHEN TRUE");
        push_filters(&mut qb, c, "f", dialect);
        qb.push(format!(" THEN {} ELSE 0 END", 1_i64 << i));
    }
    qb.push(" AS BIGINT) AS met FROM versions f JOIN models m ON m.id = f.model_id WHERE f.prerelease = ''");
    push_filters(&mut qb, base, "f", dialect);
    qb.push(" AND m.deleted_at IS NULL");
    push_visible(&mut qb, base, "m");
    // All but one: for each constraint, all the others (each a conjunction an index can
    // answer, so the database can OR their bitmaps instead of reading every version).
    qb.push(" AND (");
    for skipped in 0..constraints.len() {
        if skipped > 0 {
            qb.push(" OR ");
        }
        qb.push("(TRUE");
        for (i, c) in constraints.iter().enumerate() {
            if i != skipped {
                push_filters(&mut qb, c, "f", dialect);
            }
        }
        qb.push(")");
    }
    qb.push(") LIMIT ").push_bind(cap);
    qb
}

/// The lookup rows of `ids` (in no order), with `q`'s evaluation value.
pub(in crate::store) fn build_rows<DB>(q: &LookupQuery, ids: &[i64]) -> QueryBuilder<DB>
where
    DB: Database,
    for<'t> String: Encode<'t, DB> + Type<DB>,
    for<'t> i64: Encode<'t, DB> + Type<DB>,
{
    let mut qb = QueryBuilder::<DB>::new("SELECT ");
    qb.push(COLUMNS);
    push_eval_value(&mut qb, q, "v");
    qb.push(" FROM versions v JOIN models m ON m.id = v.model_id WHERE v.id IN (");
    let mut list = qb.separated(", ");
    for id in ids {
        list.push_bind(*id);
    }
    qb.push(")");
    qb
}
