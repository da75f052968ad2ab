//! The `fits_memory` filter clause (issue 14 part 1): `AND` the version's memory row says it
//! fits the budget at the asked context, batch and KV precision. The formula is
//! `modelreg_api::memory_need`'s, in floating point so that no product can overflow a
//! PostgreSQL `bigint`:
//!
//! `tokens = min(context_length, at_context)` (either alone when the other is absent),
//! `kv = batch x (full x tokens + windowed x min(tokens, window)) x bits / 8`,
//! `weights + kv + (weights + kv) / 10 + 512 MiB <= budget`.
//!
//! A version without a memory row, without a KV-cache shape, or without any token count
//! does not match.

use modelreg_api::{LookupQuery, OVERHEAD_DIVISOR, OVERHEAD_FIXED_BYTES};
use sqlx::{Database, Encode, QueryBuilder, Type};

use crate::store::dialect::Dialect;

/// ` AND` version `a` fits `q.memory`, when a budget is given.
pub(super) fn push_fits_memory<DB>(qb: &mut QueryBuilder<DB>, q: &LookupQuery, a: &str, dialect: Dialect)
where
    DB: Database,
    for<'t> i64: Encode<'t, DB> + Type<DB>,
    for<'t> f64: Encode<'t, DB> + Type<DB>,
{
    let m = &q.memory;
    let Some(budget) = m.budget_bytes else { return };
    let real = match dialect {
        Dialect::Postgres => "DOUBLE PRECISION",
        Dialect::Sqlite => "REAL",
    };
    let tokens = |qb: &mut QueryBuilder<DB>| match m.at_context {
        Some(at) => {
            let at = i64::try_from(at).unwrap_or(i64::MAX);
            qb.push(format!("(CASE WHEN {a}.context_length IS NULL OR {a}.context_length > "))
                .push_bind(at)
                .push(" THEN ")
                .push_bind(at)
                .push(format!(" ELSE {a}.context_length END)"));
        }
        None => {
            qb.push(format!("{a}.context_length"));
        }
    };
    qb.push(format!(
        " AND EXISTS (SELECT 1 FROM version_memory x WHERE x.version_id = {a}.id AND x.kv_bits IS NOT NULL"
    ));
    if m.at_context.is_none() {
        qb.push(format!(" AND {a}.context_length IS NOT NULL"));
    }
    // need = weights + kv, in floating point.
    qb.push(format!(" AND (CAST(x.weight_bytes AS {real}) + "));
    qb.push_bind(m.batch_or_default() as f64);
    qb.push(format!(" * (CAST(x.kv_full_elements AS {real}) * "));
    tokens(qb);
    qb.push(format!(
        " + CAST(x.kv_window_elements AS {real}) * (CASE WHEN x.kv_window IS NOT NULL AND x.kv_window < "
    ));
    tokens(qb);
    qb.push(" THEN x.kv_window ELSE ");
    tokens(qb);
    qb.push(" END)) * ");
    match m.kv_bits() {
        Some(bits) => {
            qb.push_bind(bits as f64);
        }
        None => {
            qb.push(format!("CAST(x.kv_bits AS {real})"));
        }
    }
    qb.push(format!(" / 8.0) * {} <= ", 1.0 + 1.0 / OVERHEAD_DIVISOR as f64));
    qb.push_bind(budget as f64 - OVERHEAD_FIXED_BYTES as f64);
    qb.push(")");
}
