//! The bucket walk of a sort on a bucketed version column (parameters, context length,
//! fastest latency): the matching versions whose key lies in the next few power-of-two
//! buckets (`Facet::Bits`, migration 0017) in sort order, found by intersecting the
//! buckets' terms with the filters' (one GIN scan on PostgreSQL), sorted, and kept if the
//! page fills. Every version of a later bucket sorts after every version of an earlier one,
//! so a window of buckets that fills the page holds the page. A seek in key order reads
//! versions that fail the filters, and the scan every match; this reads the matches of a
//! few buckets. Rows without a key come after every bucket: a walk that runs out of buckets
//! ends in the scan.

use modelreg_api::{LookupQuery, Order, SortKey, VersionsMode};
use sqlx::{Database, Encode, QueryBuilder, Type};

use super::keys::{Cursor, SortValue};
use super::window::{RegistrySize, TermShares, Window};
use crate::store::dialect::Dialect;
use crate::store::search::{Facet, bit_length, whole_ms};

/// Bucket terms go up to this bit length (every positive `i64`).
const TOP_BUCKET: u32 = 63;

/// A bucket window covers this much more than the estimate says the page needs.
const BUCKET_MARGIN: f64 = 2.0;

/// The walk is worth it while its windows are expected to read at most this share of the
/// matches (the scan reads them all, in fewer statements).
const MAX_SHARE_OF_MATCHES: f64 = 0.5;

/// How many windows an automatic bucket walk runs before the scan takes over.
pub(in crate::store) const MAX_BUCKET_WINDOWS: usize = 3;

/// What the statistics know for an automatic bucket walk: the query's weighted filter
/// groups (`driver::weighted_groups`), the terms' shares and the registry's size.
#[derive(Debug, Clone, Copy)]
pub(in crate::store) struct BucketPlan<'a> {
    pub groups: &'a [Vec<(String, f64)>],
    pub shares: &'a TermShares,
    pub size: RegistrySize,
}

/// The bucket terms' field of a sort key, where its column has them.
pub(in crate::store) fn bucket_field(sort: SortKey) -> Option<&'static str> {
    match sort {
        SortKey::Parameters => Some("parameters"),
        SortKey::ContextLength => Some("context_length"),
        SortKey::Latency => Some("latency"),
        _ => None,
    }
}

/// The bucket of a key value: the bit length of the integer its bucket term was made from
/// (a latency rounded up to whole milliseconds, as at publish; a fraction of an integer key
/// rounded up too, which keeps the order both ways).
fn bucket_of(key: &SortValue) -> Option<u32> {
    match key {
        SortValue::Int(i) => Some(bit_length(*i)),
        SortValue::Float(f) => Some(bit_length(whole_ms(*f))),
        SortValue::Text(_) => None,
    }
}

/// The buckets a walk after `cursor` visits, in sort order: from the cursor's bucket (or the
/// first) to the last. Empty when the cursor is past every key (among the rows without one)
/// or the sort has no buckets.
pub(in crate::store) fn bucket_order(q: &LookupQuery, cursor: Option<&Cursor>) -> Vec<u32> {
    if bucket_field(q.sort).is_none() {
        return Vec::new();
    }
    let start = match cursor {
        None => None,
        Some(c) => match c.key.as_ref().map(bucket_of) {
            Some(Some(b)) => Some(b.min(TOP_BUCKET)),
            _ => return Vec::new(),
        },
    };
    match q.order {
        Order::Asc => (start.unwrap_or(0)..=TOP_BUCKET).collect(),
        Order::Desc => (0..=start.unwrap_or(TOP_BUCKET)).rev().collect(),
    }
}

/// How many buckets of `order` after the first `skip` the next window takes, from the term
/// statistics: as many as are expected to hold `wanted` more rows (with the margin), at
/// least one. None when the walk so far and this window are expected to read more than
/// [`MAX_SHARE_OF_MATCHES`] of the matches: the scan then reads less. The plan's groups are
/// the query's (`driver::weighted_groups`); a bucket the statistics do not list counts as
/// empty, so a window may fall short and the next one go on.
pub(in crate::store) fn bucket_window(
    q: &LookupQuery,
    order: &[u32],
    skip: usize,
    wanted: i64,
    found: usize,
    plan: &BucketPlan<'_>,
) -> Option<i64> {
    let BucketPlan { groups, shares, size } = *plan;
    let field = bucket_field(q.sort)?;
    let prefix = format!("{field}:bits:");
    // The other filters' share, and the weight of each bucket in a range on the sort's field.
    let (own, others): (Vec<_>, Vec<_>) =
        groups.iter().partition(|g| g.first().is_some_and(|(t, _)| t.starts_with(&prefix)));
    let others: f64 = others.iter().map(|g| shares.group_share(g)).product();
    let weight = |term: &str| -> f64 {
        own.iter().map(|g| g.iter().find(|(t, _)| t == term).map_or(0.0, |(_, w)| *w)).fold(1.0, f64::min)
    };
    let per_model = if q.versions == VersionsMode::Best {
        (size.versions as f64 / size.models.max(1) as f64).max(1.0)
    } else {
        1.0
    };
    let total = size.versions as f64;
    let bucket_rows = |b: u32| {
        let term = Facet::Bits(field, b).term();
        total * others * shares.shares.get(&term).copied().unwrap_or(0.0) * weight(&term)
    };
    let matches: f64 = order.iter().map(|&b| bucket_rows(b)).sum();
    let walked: f64 = order.iter().take(skip).map(|&b| bucket_rows(b)).sum();
    // After a window, the rows it found against those expected correct the estimate (filters
    // without terms and correlated ones make it high), never upward.
    let correction = if skip > 0 && walked > 0.0 {
        (found.max(1) as f64 * per_model / walked).clamp(0.01, 1.0)
    } else {
        1.0
    };
    let needed = wanted as f64 * per_model * BUCKET_MARGIN;
    let mut rows = 0.0;
    let mut take = 0;
    for &b in order.iter().skip(skip) {
        rows += bucket_rows(b) * correction;
        take += 1;
        if rows >= needed {
            break;
        }
    }
    if take == 0 || walked * correction + rows > matches * correction * MAX_SHARE_OF_MATCHES {
        return None;
    }
    Some(take)
}

/// A range whose versions are at most this share of the registry tests its bucket terms in a
/// bucket walk's GIN scan; a broader one only its column, on the rows the other terms find.
const NARROW_RANGE: f64 = 0.25;

/// The fields of the ranges among `groups` narrow enough for their bucket terms to help a
/// bucket walk's GIN scan ([`NARROW_RANGE`]).
pub(in crate::store) fn narrow_ranges(
    groups: &[Vec<(String, f64)>],
    shares: &TermShares,
) -> Vec<&'static str> {
    ["context_length", "parameters", "latency"]
        .into_iter()
        .filter(|field| {
            let prefix = format!("{field}:bits:");
            groups.iter().any(|g| {
                g.first().is_some_and(|(t, _)| t.starts_with(&prefix))
                    && shares.group_share(g) <= NARROW_RANGE
            })
        })
        .collect()
}

/// ` AND` version `a`'s sort key lies in the buckets of `order` the window covers: on
/// PostgreSQL their terms in its `facets` (one GIN scan with the filters' terms), on SQLite
/// its rows in `version_terms`.
pub(super) fn push_buckets<DB>(
    qb: &mut QueryBuilder<DB>,
    q: &LookupQuery,
    order: &[u32],
    w: Window,
    a: &str,
    dialect: Dialect,
) where
    DB: Database,
    for<'t> String: Encode<'t, DB> + Type<DB>,
{
    let Some(field) = bucket_field(q.sort) else { return };
    let skip = usize::try_from(w.skip).unwrap_or(usize::MAX);
    let take = usize::try_from(w.take).unwrap_or(usize::MAX);
    let terms: Vec<String> =
        order.iter().skip(skip).take(take).map(|&b| Facet::Bits(field, b).term()).collect();
    match dialect {
        Dialect::Postgres => qb.push(format!(" AND {a}.facets && ARRAY[")),
        Dialect::Sqlite => {
            qb.push(format!(" AND {a}.id IN (SELECT t.version_id FROM version_terms t WHERE t.term IN ("))
        }
    };
    let mut list = qb.separated(", ");
    for term in terms {
        list.push_bind(term);
    }
    qb.push(if dialect == Dialect::Postgres { "]::text[]" } else { "))" });
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::lookup::driver::weighted_groups;
    use crate::store::lookup::tests::query;

    const MILLION: RegistrySize = RegistrySize { models: 200_000, versions: 1_000_000 };

    #[test]
    fn the_walk_starts_at_the_cursors_bucket_and_goes_in_sort_order() {
        let asc = query("sort=parameters");
        assert_eq!(bucket_order(&asc, None).first(), Some(&0));
        assert_eq!(bucket_order(&asc, None).len(), 64);
        let cursor = |key| Cursor { sort: SortKey::Parameters, order: Order::Asc, key, id: 1, eval: None };
        assert_eq!(
            bucket_order(&asc, Some(&cursor(Some(SortValue::Int(1000))))),
            (10..=63).collect::<Vec<_>>()
        );
        assert!(bucket_order(&asc, Some(&cursor(None))).is_empty(), "past every key");
        let desc = query("sort=latency&order=desc");
        let latency = Cursor {
            sort: SortKey::Latency,
            order: Order::Desc,
            key: Some(SortValue::Float(8.5)),
            id: 1,
            eval: None,
        };
        assert_eq!(bucket_order(&desc, Some(&latency)), vec![4, 3, 2, 1, 0], "8.5 ms is in the bucket of 9");
        assert!(bucket_order(&query("sort=size"), None).is_empty());
    }

    fn shares(list: &[(&str, f64)]) -> TermShares {
        TermShares {
            shares: list.iter().map(|(t, s)| ((*t).to_owned(), *s)).collect(),
            unlisted: 0.0005,
            ..TermShares::default()
        }
    }

    #[test]
    fn a_window_holds_the_page_with_its_margin_and_a_broad_one_scans() {
        // One version in 64 matches the filters; parameters spread over buckets 24 to 34.
        let mut list = vec![("task:translation", 0.125), ("context_length:bits:17", 0.125)];
        let buckets: Vec<(String, f64)> =
            (24..=34).map(|b| (format!("parameters:bits:{b}"), 0.0005 * f64::from(1 << (b - 24)))).collect();
        list.extend(buckets.iter().map(|(t, s)| (t.as_str(), *s)));
        let shares = shares(&list);
        let q = query("task=translation&min_context=65536&sort=parameters&limit=81");
        let groups = weighted_groups(&q);
        let order = bucket_order(&q, None);
        // The task's 1/8 times the context's 0.148 (its bucket 17 and 46 unlisted ones): 18,500
        // matching versions, bucket b holding 9.25 * 2^(b - 24). 82 best rows at 5 versions a
        // model, with the margin, need 820: buckets up to 29 hold 583, up to 30 1,174.
        assert_eq!(
            bucket_window(
                &q,
                &order,
                0,
                82,
                0,
                &BucketPlan { groups: &groups, shares: &shares, size: MILLION }
            ),
            Some(31)
        );
        // Every version: 164 needed; up to 27 hold 139, up to 28 287.
        let all = query("task=translation&min_context=65536&sort=parameters&limit=81&versions=all");
        assert_eq!(
            bucket_window(
                &all,
                &order,
                0,
                82,
                0,
                &BucketPlan { groups: &weighted_groups(&all), shares: &shares, size: MILLION }
            ),
            Some(29)
        );
        // A page as large as the matches: the scan.
        assert_eq!(
            bucket_window(
                &q,
                &order,
                0,
                2000,
                0,
                &BucketPlan { groups: &groups, shares: &shares, size: MILLION }
            ),
            None
        );
        // A range on the sort's own field: buckets outside it hold nothing.
        let ranged = query("task=translation&min_params=1000000000&sort=parameters&limit=5");
        let groups = weighted_groups(&ranged);
        let take = bucket_window(
            &ranged,
            &order,
            0,
            6,
            0,
            &BucketPlan { groups: &groups, shares: &shares, size: MILLION },
        )
        .unwrap();
        assert!(take >= 31, "nothing expected below 2^29: {take}");
        // Every version, after buckets up to 28 found 10 rows where 287 were expected: the next
        // window takes a bucket for 1/28.7 of its estimate, and goes on to 32 (10 + 21 + 41 + 83
        // corrected rows: 155 of the 154 needed for 77 more).
        let all_groups = weighted_groups(&all);
        assert_eq!(
            bucket_window(
                &all,
                &order,
                29,
                77,
                10,
                &BucketPlan { groups: &all_groups, shares: &shares, size: MILLION }
            ),
            Some(4)
        );
        assert_eq!(
            bucket_window(
                &query("sort=size"),
                &order,
                0,
                6,
                0,
                &BucketPlan { groups: &groups, shares: &shares, size: MILLION }
            ),
            None
        );
    }
}
