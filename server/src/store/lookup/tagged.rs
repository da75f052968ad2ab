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
#[derive(Debug, Clone, PartialEq)]
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

/// The versions of a scan packed into one text value (see [`build_tagged`]), in no order:
/// each as `id,model_id,major,minor,patch,sort_key,met` (an empty sort key when missing),
/// `;` between them; `None` when it found none.
pub(in crate::store) fn unpack(packed: Option<&str>) -> Result<Vec<TaggedVersion>, String> {
    let Some(packed) = packed.filter(|p| !p.is_empty()) else { return Ok(Vec::new()) };
    packed.split(';').map(unpack_version).collect()
}

fn unpack_version(text: &str) -> Result<TaggedVersion, String> {
    let bad = || format!("a scanned version is unreadable: {text:?}");
    let mut fields = text.split(',');
    let mut int = || fields.next().and_then(|f| f.parse::<i64>().ok()).ok_or_else(bad);
    let (id, model_id, major, minor, patch) = (int()?, int()?, int()?, int()?, int()?);
    let sort_key = match fields.next().ok_or_else(bad)? {
        "" => None,
        key => Some(key.parse::<f64>().map_err(|_| bad())?),
    };
    let met = fields.next().and_then(|f| f.parse::<i64>().ok()).ok_or_else(bad)?;
    if fields.next().is_some() {
        return Err(bad());
    }
    Ok(TaggedVersion { id, model_id, major, minor, patch, sort_key, met })
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
/// their sort key: the first `cap` found, each tagged with the constraints it meets, packed
/// into one value ([`unpack`]). `constraints` holds 2 to
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
    // One row however many versions: SQLite's driver hands each row over on its own, about
    // 5 µs apiece, more than the scan reads it in. Sort keys are written so that they read
    // back exactly (17 significant digits; PostgreSQL's float output is exact by default).
    let pack = match dialect {
        Dialect::Sqlite => {
            "SELECT group_concat(s.id || ',' || s.model_id || ',' || s.major || ',' || \
             s.minor || ',' || s.patch || ',' || CASE WHEN s.sort_key IS NULL THEN '' \
             ELSE printf('%!.17g', s.sort_key) END || ',' || s.met, ';') AS packed FROM ("
        }
        Dialect::Postgres => {
            "SELECT string_agg(concat_ws(',', s.id, s.model_id, s.major, s.minor, \
             s.patch, COALESCE(s.sort_key::text, ''), s.met), ';') AS packed FROM ("
        }
    };
    let mut qb = QueryBuilder::<DB>::new(if explain { "EXPLAIN " } else { pack });
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
        qb.push(") s");
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

    #[test]
    fn a_packed_scan_reads_back_every_version_and_refuses_a_malformed_one() {
        let versions = unpack(Some("7,3,1,2,0,0.30000000000000004,5;8,3,2,0,0,,7")).unwrap();
        assert_eq!(
            versions,
            [
                TaggedVersion {
                    id: 7,
                    model_id: 3,
                    major: 1,
                    minor: 2,
                    patch: 0,
                    sort_key: Some(0.1 + 0.2),
                    met: 5
                },
                TaggedVersion { id: 8, model_id: 3, major: 2, minor: 0, patch: 0, sort_key: None, met: 7 },
            ]
        );
        // SQLite's `%!.17g` writes a whole number with a fraction.
        assert_eq!(unpack(Some("1,1,1,0,0,2000000000.0,3")).unwrap()[0].sort_key, Some(2e9));
        assert_eq!(unpack(None).unwrap(), []);
        for bad in ["1,1,1,0,0,2.5", "1,1,1,0,0,2.5,3,9", "1,x,1,0,0,,3", "1,1,1,0,0,nope,3"] {
            assert!(unpack(Some(bad)).is_err(), "{bad}");
        }
    }
}
