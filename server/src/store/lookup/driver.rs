//! Where SQLite's lookup scan starts (migration 0023): the versions of the query's rarest
//! facet or range filter, read from `version_terms` in one index range per term, instead of
//! every version. PostgreSQL intersects the same terms in its GIN index and needs none of this.
//! Only the driving set: every filter is still tested on each row (`filters`), so all this
//! must give is a superset of the matches. A filter left out here costs speed, never a row.

use modelreg_api::LookupQuery;
use sqlx::{Database, Encode, QueryBuilder, Type};

use super::filters::{language_facet, range_bucket_terms};
use crate::store::search::{Facet, bit_length, normalize_license_id, whole_ms};

/// The filters of `q` that can drive the scan, each as the terms of which a matching version
/// has at least one: the facet filters, then the ranges.
pub(in crate::store) fn candidate_groups(q: &LookupQuery) -> Vec<Vec<String>> {
    weighted_groups(q).into_iter().map(|g| g.into_iter().map(|(term, _)| term).collect()).collect()
}

/// [`candidate_groups`] with the share of each term's versions expected to be in the filter:
/// all of them, except in a range's own bucket, which holds values on both sides of the
/// bound (taken as spread evenly on a log scale, as the buckets are).
pub(in crate::store) fn weighted_groups(q: &LookupQuery) -> Vec<Vec<(String, f64)>> {
    let mut groups: Vec<Vec<(String, f64)>> =
        facet_groups(q).into_iter().map(|g| g.into_iter().map(|t| (t, 1.0)).collect()).collect();
    for (field, at_most, bound) in ranges(q) {
        let edge = Facet::Bits(field, bit_length(bound)).term();
        let inside = bound_bucket_share(at_most, bound);
        let terms = range_bucket_terms(field, at_most, bound);
        groups.push(terms.into_iter().map(|t| if t == edge { (t, inside) } else { (t, 1.0) }).collect());
    }
    groups
}

/// The share of the bucket of `bound` on the `at_most` (else at least) side of it, the
/// bucket's values spread evenly between the logarithms of its ends: the bucket of bit
/// length n holds 2^(n-1) to 2^n - 1 (bucket 0 only 0).
fn bound_bucket_share(at_most: bool, bound: i64) -> f64 {
    let n = bit_length(bound);
    if n == 0 {
        return 1.0;
    }
    let low = f64::from(n - 1);
    let share =
        if at_most { (bound as f64 + 1.0).log2() - low } else { f64::from(n) - (bound as f64).log2() };
    share.clamp(0.0, 1.0)
}

/// The range filters of `q` that have bucket terms (migration 0017), as (field, at most,
/// bound), whose buckets PostgreSQL's scan tests (`filters::push_range_buckets`). Sizes have
/// no buckets; a latency bound for one hardware tests that hardware's row, not the bucketed
/// fastest latency, so it is left to the row checks as on PostgreSQL.
fn ranges(q: &LookupQuery) -> Vec<(&'static str, bool, i64)> {
    let bound = |b: u64| i64::try_from(b).unwrap_or(i64::MAX);
    let mut out = Vec::new();
    for (value, field, at_most) in [
        (q.min_context, "context_length", false),
        (q.max_context, "context_length", true),
        (q.min_params, "parameters", false),
        (q.max_params, "parameters", true),
    ] {
        if let Some(b) = value {
            out.push((field, at_most, bound(b)));
        }
    }
    if let (Some(ms), None) = (q.max_latency_ms, &q.hardware) {
        out.push(("latency", true, whole_ms(ms)));
    }
    out
}

/// The facet filters of `q`, each as the terms of which a matching version has at least one
/// (the same terms `filters` tests on PostgreSQL).
fn facet_groups(q: &LookupQuery) -> Vec<Vec<String>> {
    let text = |v: &dyn ToString| v.to_string();
    let field = |name: &'static str, values: Vec<String>| -> Vec<String> {
        values.iter().map(|v| Facet::Field(name, v).term()).collect()
    };
    let mut groups = Vec::new();
    groups.push(q.license.iter().map(|l| Facet::License(&normalize_license_id(l)).term()).collect());
    groups.push(field("license_class", q.license_class.iter().map(|c| c.as_str().to_owned()).collect()));
    match q.commercial_use {
        Some(true) => groups.push(field("commercial_use", vec!["allowed".into(), "restricted".into()])),
        Some(false) => groups.push(field("commercial_use", vec!["forbidden".into()])),
        None => {}
    }
    groups.push(q.modality.iter().map(|m| Facet::Modality(&text(m)).term()).collect());
    groups.push(q.input_modality.iter().map(|m| Facet::DirectedModality("input", &text(m)).term()).collect());
    groups
        .push(q.output_modality.iter().map(|m| Facet::DirectedModality("output", &text(m)).term()).collect());
    groups.push(field("task", q.task.iter().map(|t| text(t)).collect()));
    groups.extend(q.language.iter().map(|tag| vec![language_facet(tag).term()]));
    groups.push(q.any_language.iter().map(|tag| language_facet(tag).term()).collect());
    groups.push(field("format", q.format.iter().map(|f| text(f)).collect()));
    groups.push(field("framework", q.framework.clone()));
    groups.push(field("precision", q.precision.iter().map(|p| text(p)).collect()));
    groups.push(q.tag.iter().map(|t| Facet::Tag(t).term()).collect());
    groups.push(q.label.iter().map(|(k, v)| Facet::Label(k, v).term()).collect());
    groups.retain(|g: &Vec<String>| !g.is_empty());
    groups
}

/// ` AND` version `a` has a term of the filter of `q` ([`candidate_groups`]) whose terms the
/// fewest versions have (the sum of their `version_term_counts`), when `q` has such a
/// filter: SQLite takes the subquery's versions as the rows to read, by primary key.
pub(super) fn push_rarest_group<DB>(qb: &mut QueryBuilder<DB>, q: &LookupQuery, a: &str)
where
    DB: Database,
    for<'t> String: Encode<'t, DB> + Type<DB>,
{
    let groups = candidate_groups(q);
    if groups.is_empty() {
        return;
    }
    qb.push(format!(" AND {a}.id IN (WITH g (grp, term) AS (VALUES "));
    let mut first = true;
    for (i, group) in groups.into_iter().enumerate() {
        for term in group {
            if !first {
                qb.push(", ");
            }
            first = false;
            qb.push(format!("({i}, ")).push_bind(term).push(")");
        }
    }
    // The terms' versions by primary key (CROSS JOIN keeps that order: with statistics,
    // SQLite would otherwise scan every term for a join it thinks small).
    qb.push(
        ") SELECT t.version_id FROM g CROSS JOIN version_terms t ON t.term = g.term WHERE g.grp = \
         (SELECT h.grp FROM g h LEFT JOIN version_term_counts c ON c.term = h.term \
         GROUP BY h.grp ORDER BY SUM(COALESCE(c.versions, 0)), h.grp LIMIT 1))",
    );
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::lookup::tests::query;

    #[test]
    fn each_facet_filter_is_one_group_of_alternative_terms() {
        let q = query(
            "license=MIT&license=GPL-3.0-or-later&commercial_use=true&modality=text&language=fr&language=pt-BR\
             &any_language=de&any_language=en&task=translation&min_context=8000&label=team:nlp",
        );
        assert_eq!(
            facet_groups(&q),
            [
                vec!["license:mit", "license:gpl-3.0"],
                vec!["commercial_use:allowed", "commercial_use:restricted"],
                vec!["modality:text"],
                vec!["task:translation"],
                vec!["language:fr"],
                vec!["language_tag:pt-BR"],
                vec!["language:de", "language:en"],
                vec!["label:team:nlp"],
            ]
        );
        assert!(facet_groups(&query("min_context=8000&max_params=3000000000")).is_empty());
    }

    #[test]
    fn each_bucketed_range_is_one_group_of_its_buckets_after_the_facets() {
        let bits = |field: &str, r: std::ops::RangeInclusive<u32>| -> Vec<String> {
            r.map(|n| format!("{field}:bits:{n}")).collect()
        };
        // 8000 has 13 bits, 3e9 has 32, 50.2 ms rounds up to 51 (6 bits).
        let q = query(
            "task=translation&min_context=8000&max_params=3000000000&max_latency_ms=50.2&max_size_bytes=9",
        );
        assert_eq!(
            candidate_groups(&q),
            [
                vec!["task:translation".to_owned()],
                bits("context_length", 13..=63),
                bits("parameters", 0..=32),
                bits("latency", 0..=6),
            ]
        );
        // A bound for one hardware tests that hardware's latency, not the bucketed fastest.
        assert!(candidate_groups(&query("max_latency_ms=50&hardware=a100")).is_empty());
        assert_eq!(
            candidate_groups(&query("min_params=0&max_context=1")),
            [bits("context_length", 0..=1), bits("parameters", 0..=63)]
        );
    }

    #[test]
    fn a_ranges_own_bucket_counts_for_the_share_on_its_side_of_the_bound() {
        let groups = weighted_groups(&query("task=translation&min_context=8000&max_params=3000000000"));
        assert!(groups[0].iter().all(|(_, w)| *w == 1.0));
        let weight = |g: usize, term: &str| groups[g].iter().find(|(t, _)| t == term).unwrap().1;
        // 8000 to 8191 of 4096 to 8191: the top 3.4% of that bucket's logarithms.
        assert!((weight(1, "context_length:bits:13") - 0.0342).abs() < 1e-3);
        assert_eq!(weight(1, "context_length:bits:14"), 1.0);
        // 2^31 to 3e9 of 2^31 to 2^32: 48%.
        assert!((weight(2, "parameters:bits:32") - 0.482).abs() < 1e-3);
        assert_eq!(weight(2, "parameters:bits:0"), 1.0);
        assert_eq!(bound_bucket_share(true, 0), 1.0);
        assert_eq!(bound_bucket_share(false, 1), 1.0);
    }
}
