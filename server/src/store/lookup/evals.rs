//! The evaluation parts of the lookup statement (issue 14): the `eval=` filters as `EXISTS`
//! over `version_evaluations` (migration 0012), restricted to `eval_language` when given, and
//! the `eval_value` column the results carry and `sort=eval:<dataset>:<metric>` orders by.
//! Pure SQL text and binds; ordering and paging on the column are `keys`'.

use modelreg_api::{Direction, EvalKey, LookupQuery, SortKey};
use sqlx::{Database, Encode, QueryBuilder, Type};

/// ` AND` version `a` has, for every `eval` filter, an evaluation within its bound.
pub(super) fn push_eval_filters<DB>(qb: &mut QueryBuilder<DB>, q: &LookupQuery, a: &str)
where
    DB: Database,
    for<'t> String: Encode<'t, DB> + Type<DB>,
    for<'t> f64: Encode<'t, DB> + Type<DB>,
{
    for filter in &q.eval {
        qb.push(" AND EXISTS (SELECT 1 FROM version_evaluations e WHERE ");
        push_key(qb, q, &filter.key, a);
        qb.push(format!(" AND e.value {} ", filter.op.as_sql())).push_bind(filter.value);
        qb.push(")");
    }
}

/// The dataset and metric the results' `eval_value` is of: the sort's, else the first
/// filter's.
fn value_key(q: &LookupQuery) -> Option<&EvalKey> {
    match &q.eval_sort {
        Some(k) if q.sort == SortKey::Eval => Some(k),
        _ => q.eval.first().map(|f| &f.key),
    }
}

/// `, <expr> AS eval_value` for version `v`: its best value (by the metric's direction) on
/// [`value_key`], NULL when it has none or the query names no evaluation.
pub(super) fn push_eval_value<DB>(qb: &mut QueryBuilder<DB>, q: &LookupQuery, v: &str)
where
    DB: Database,
    for<'t> String: Encode<'t, DB> + Type<DB>,
{
    let Some(key) = value_key(q) else {
        // DOUBLE PRECISION is float8 on PostgreSQL and has REAL affinity on SQLite.
        qb.push(", CAST(NULL AS DOUBLE PRECISION) AS eval_value");
        return;
    };
    let best = match key.direction() {
        Direction::HigherIsBetter => "MAX",
        Direction::LowerIsBetter => "MIN",
    };
    qb.push(format!(", (SELECT {best}(e.value) FROM version_evaluations e WHERE "));
    push_key(qb, q, key, v);
    qb.push(") AS eval_value");
}

/// `e` belongs to version `a` and is on `key` (in an `eval_language`, when given).
fn push_key<DB>(qb: &mut QueryBuilder<DB>, q: &LookupQuery, key: &EvalKey, a: &str)
where
    DB: Database,
    for<'t> String: Encode<'t, DB> + Type<DB>,
{
    qb.push(format!("e.version_id = {a}.id AND e.dataset = ")).push_bind(key.dataset.clone());
    qb.push(" AND e.metric = ").push_bind(key.metric.clone());
    if q.eval_language.is_empty() {
        return;
    }
    qb.push(" AND (");
    for (i, tag) in q.eval_language.iter().enumerate() {
        if i > 0 {
            qb.push(" OR ");
        }
        // `sw` matches sw, sw-KE, ...; `pt-BR` matches only pt-BR, as the language filter.
        if tag.as_str() == tag.primary() {
            qb.push("e.primary_language = ").push_bind(tag.primary().to_owned());
        } else {
            qb.push("e.language = ").push_bind(tag.to_string());
        }
    }
    qb.push(")");
}
