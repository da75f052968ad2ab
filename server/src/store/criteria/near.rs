//! The near misses of a choice in one statement: the versions (best of each model, as the
//! lookup ranks them) that meet every constraint but one, for models none of whose versions
//! meets them all, each constraint's first few in the lookup's order. Built from the
//! lookup's own filter clauses (`lookup::push_version_filters`, one constraint at a time),
//! so a constraint means here what it means there. Statement text only.
//!
//! Each version is tagged with the constraint it fails (`failed`, 1-based; 0 when it meets
//! them all). A version failing two or more is never read: `WHERE` asks that all but one
//! hold, written as the alternatives "all but the first", "all but the second", ..., which
//! PostgreSQL can answer from the filters' indexes; beyond [`MAX_ALTERNATIVES`]
//! constraints the statement counts the failures instead (a scan).

use modelreg_api::{LookupQuery, Order, VersionsMode};
use sqlx::{Database, Encode, QueryBuilder, Type};

use crate::store::dialect::Dialect;
use crate::store::lookup::{
    COLUMNS, order_terms, push_eval_value, push_version_filters, push_visible, sort_column,
};

/// Most constraints written as alternatives: the statement grows with their square.
const MAX_ALTERNATIVES: usize = 6;

/// Whether version `a` meets `c`: true or false, never NULL (a missing value fails).
fn push_holds<DB>(qb: &mut QueryBuilder<DB>, c: &LookupQuery, a: &str, dialect: Dialect)
where
    DB: Database,
    for<'t> String: Encode<'t, DB> + Type<DB>,
    for<'t> i64: Encode<'t, DB> + Type<DB>,
    for<'t> f64: Encode<'t, DB> + Type<DB>,
    for<'t> bool: Encode<'t, DB> + Type<DB>,
{
    qb.push("COALESCE((1 = 1");
    push_version_filters(qb, c, a, dialect);
    qb.push("), 1 = 0)");
}

/// The statement: rows of the lookup's columns plus `failed`, at most `per_constraint` per
/// constraint, ordered by constraint and then as `q` sorts. `q` gives the order, the
/// visibility and `include_yanked`; `constraints` (each parsed from its own parameters,
/// with `include_yanked` set so that it adds no clause of its own) are its filters, split.
pub(in crate::store) fn near_query<DB>(
    q: &LookupQuery,
    constraints: &[LookupQuery],
    per_constraint: u32,
    dialect: Dialect,
) -> QueryBuilder<DB>
where
    DB: Database,
    for<'t> String: Encode<'t, DB> + Type<DB>,
    for<'t> i64: Encode<'t, DB> + Type<DB>,
    for<'t> f64: Encode<'t, DB> + Type<DB>,
    for<'t> bool: Encode<'t, DB> + Type<DB>,
{
    let order = match sort_column(q.sort) {
        Some(c) => order_terms(&c, "", q.order),
        None => {
            let (c, dir) = (dialect.bytewise_collation(), if q.order == Order::Asc { "ASC" } else { "DESC" });
            format!("namespace{c} {dir}, name{c} {dir}, id {dir}")
        }
    };
    let mut qb = QueryBuilder::<DB>::new(format!(
        "SELECT * FROM (SELECT hits.*, ROW_NUMBER() OVER (PARTITION BY failed ORDER BY {order}) AS nth FROM (SELECT "
    ));
    qb.push(COLUMNS);
    push_eval_value(&mut qb, q, "v");
    qb.push(
        ", v.failed, ROW_NUMBER() OVER (PARTITION BY v.model_id, v.failed ORDER BY v.major DESC, v.minor DESC, \
         v.patch DESC) AS best_rank, MIN(v.failed) OVER (PARTITION BY v.model_id) AS model_failed \
         FROM (SELECT f.*, CAST(CASE",
    );
    for (i, c) in constraints.iter().enumerate() {
        qb.push(" WHEN NOT ");
        push_holds(&mut qb, c, "f", dialect);
        qb.push(format!(" THEN {}", i + 1));
    }
    qb.push(" ELSE 0 END AS BIGINT) AS failed FROM versions f WHERE f.prerelease = ''");
    // Yanked versions, as the lookup's own clause for `q` (only that: no constraint here).
    let base = LookupQuery {
        include_yanked: q.include_yanked,
        versions: VersionsMode::Best,
        ..LookupQuery::default()
    };
    push_version_filters(&mut qb, &base, "f", dialect);
    if constraints.len() <= MAX_ALTERNATIVES {
        qb.push(" AND (");
        for skip in 0..constraints.len() {
            qb.push(if skip == 0 { "(1 = 1" } else { " OR (1 = 1" });
            for (i, c) in constraints.iter().enumerate() {
                if i != skip {
                    qb.push(" AND ");
                    push_holds(&mut qb, c, "f", dialect);
                }
            }
            qb.push(")");
        }
        qb.push(")");
    } else {
        qb.push(" AND (0");
        for c in constraints {
            qb.push(" + CASE WHEN ");
            push_holds(&mut qb, c, "f", dialect);
            qb.push(" THEN 0 ELSE 1 END");
        }
        qb.push(") <= 1");
    }
    // Matching versions first, then their models (as the lookup's scan): without the fence
    // PostgreSQL may walk models and probe each one's versions.
    if dialect == Dialect::Postgres {
        qb.push(" OFFSET 0");
    }
    qb.push(") v JOIN models m ON m.id = v.model_id WHERE m.deleted_at IS NULL");
    push_visible(&mut qb, q, "m");
    // The best version of each model per failed constraint; none of a model that has a
    // version meeting every constraint (it is a candidate).
    qb.push(") hits WHERE best_rank = 1 AND model_failed > 0) ranked WHERE nth <= ");
    qb.push_bind(i64::from(per_constraint));
    qb.push(" ORDER BY failed, nth");
    qb
}
