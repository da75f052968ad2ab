//! The statements of a choice's single scan (`POST /v1/choose`): every version that meets
//! all of a choice's constraints but at most one, each with a bit per constraint it meets,
//! its model, release and sort key, and nothing else; and the lookup rows of the few
//! version ids the choice keeps. Which versions win is the service's (`service::choose`);
//! the filters are the lookup's own (`filters`), so a scanned version meets a constraint
//! exactly when the lookup with that constraint would find it.

use modelreg_api::{LookupQuery, SortKey};
use sqlx::{Database, Encode, QueryBuilder, Type};

use super::COLUMNS;
use super::driver::weighted_groups;
use super::evals::push_eval_value;
use super::filters::{push_filters, push_visible};
use super::keys::sort_column;
use super::window::TermShares;
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

/// A [`TaggedVersion`] with the number of versions the scan found before it kept the best
/// release of each model per set of constraints met.
#[derive(Debug, sqlx::FromRow)]
pub(in crate::store) struct TaggedRow {
    #[sqlx(flatten)]
    pub version: TaggedVersion,
    pub scanned: i64,
}

/// The most constraints the scan tags (one bit each, and the statement's text grows with
/// their square).
pub const MAX_TAGGED_CONSTRAINTS: usize = 16;

/// The `versions` column `sort` orders by, when the scan can carry it (a column of the
/// version, not of its model nor computed per row).
pub(in crate::store) fn tagged_sort_column(sort: SortKey) -> Option<&'static str> {
    sort_column(sort).filter(|c| c.on_versions && !c.computed).map(|c| c.name)
}

/// What SQLite's term counts say of a choice's single scan.
#[derive(Debug, Clone, PartialEq)]
pub(in crate::store) struct TaggedPlan {
    /// The share of versions expected to meet all constraints but at most one (each
    /// constraint's term filters taken as independent; constraints without terms as met by
    /// every version).
    pub share: f64,
    /// Terms of which every such version has one, when two constraints have terms: the
    /// rarest filter of each of the two rarest constraints (a version fails at most one of
    /// them, so it has a term of the other).
    pub driver: Option<Vec<String>>,
}

/// A filter's share of the versions and its terms.
type Filter = (f64, Vec<String>);

/// The [`TaggedPlan`] of `constraints` from the term shares `shares`.
pub(in crate::store) fn plan_tagged(constraints: &[LookupQuery], shares: &TermShares) -> TaggedPlan {
    // Per constraint: the share meeting it, and its rarest filter with that filter's share.
    let mut each: Vec<(f64, Option<Filter>)> = Vec::with_capacity(constraints.len());
    for c in constraints {
        let groups = weighted_groups(c);
        let met: f64 = groups.iter().map(|g| shares.group_share(g)).product();
        let rarest = groups
            .iter()
            .map(|g| (shares.group_share(g), g.iter().map(|(t, _)| t.clone()).collect::<Vec<_>>()))
            .min_by(|a, b| a.0.total_cmp(&b.0));
        each.push((met, rarest));
    }
    let all: f64 = each.iter().map(|(s, _)| s).product();
    let all_but_one: f64 = (0..each.len())
        .map(|i| {
            (1.0 - each[i].0)
                * each.iter().enumerate().filter(|(j, _)| *j != i).map(|(_, (s, _))| s).product::<f64>()
        })
        .sum();
    let mut drivers: Vec<&Filter> = each.iter().filter_map(|(_, r)| r.as_ref()).collect();
    drivers.sort_by(|a, b| a.0.total_cmp(&b.0));
    let driver = (drivers.len() >= 2).then(|| [drivers[0].1.clone(), drivers[1].1.clone()].concat());
    TaggedPlan { share: (all + all_but_one).clamp(0.0, 1.0), driver }
}

/// The versions (not pre-releases, of a visible model not deleted) that match `base` and
/// all of `constraints` (each a lookup of one constraint) but at most one, with `column` as
/// their sort key: of the first `cap` found, the best release of each model per set of
/// constraints met ([`TaggedRow`], with how many were found). A choice picks per model the
/// best release among those meeting some constraints, which is always one of these, and
/// a model's releases mostly meet the same ones: a fifth of the rows to hand over (SQLite
/// passes each row to the server one at a time). `constraints` holds 2 to
/// [`MAX_TAGGED_CONSTRAINTS`]. With `explain`, the PostgreSQL plan of the scan instead (its
/// first row, the estimate of the versions found).
/// With `driver` (SQLite, [`TaggedPlan::driver`]), only the versions with one of its terms
/// are read (`version_terms`, migration 0023).
pub(in crate::store) fn build_tagged<DB>(
    explain: bool,
    base: &LookupQuery,
    constraints: &[LookupQuery],
    column: &str,
    cap: i64,
    dialect: Dialect,
    driver: Option<&[String]>,
) -> QueryBuilder<DB>
where
    DB: Database,
    for<'t> String: Encode<'t, DB> + Type<DB>,
    for<'t> i64: Encode<'t, DB> + Type<DB>,
    for<'t> f64: Encode<'t, DB> + Type<DB>,
    for<'t> bool: Encode<'t, DB> + Type<DB>,
{
    let mut qb = QueryBuilder::<DB>::new(if explain {
        "EXPLAIN "
    } else {
        "SELECT id, model_id, major, minor, patch, sort_key, met, scanned FROM (SELECT s.*, \
         ROW_NUMBER() OVER (PARTITION BY s.model_id, s.met ORDER BY s.major DESC, s.minor DESC, s.patch DESC, s.id DESC) AS nth, \
         COUNT(*) OVER () AS scanned FROM ("
    });
    qb.push(format!(
        "SELECT f.id, f.model_id, f.major, f.minor, f.patch, CAST(f.{column} AS DOUBLE PRECISION) AS sort_key, CAST(0"
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
    if let Some(terms) = driver.filter(|t| !t.is_empty()) {
        qb.push(" AND f.id IN (SELECT t.version_id FROM version_terms t WHERE t.term IN (");
        let mut list = qb.separated(", ");
        for term in terms {
            list.push_bind(term.clone());
        }
        qb.push("))");
    }
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
    if !explain {
        qb.push(") s) g WHERE g.nth = 1");
    }
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::lookup::tests::query;

    #[test]
    fn the_two_rarest_constraints_drive_and_the_share_counts_all_but_one() {
        let shares = TermShares {
            shares: [("task:translation", 0.1), ("license:mit", 0.5), ("format:gguf", 0.2)]
                .into_iter()
                .map(|(t, s)| (t.to_owned(), s))
                .collect(),
            unlisted: 0.0,
            ..TermShares::default()
        };
        let constraints = [query("license=MIT"), query("task=translation"), query("format=gguf")];
        let plan = plan_tagged(&constraints, &shares);
        assert_eq!(plan.driver, Some(vec!["task:translation".to_owned(), "format:gguf".to_owned()]));
        // All three 0.01, all but licence 0.01, all but task 0.09, all but format 0.04.
        assert!((plan.share - 0.15).abs() < 1e-12, "{plan:?}");
        // One constraint without terms (free text): it cannot drive, and counts as met.
        let plan = plan_tagged(&[query("q=llama"), query("license=MIT")], &shares);
        assert_eq!(plan.driver, None);
        assert!((plan.share - 1.0).abs() < 1e-12, "{plan:?}");
    }
}
