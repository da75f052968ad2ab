//! Where SQLite's lookup scan starts (migration 0023): the versions of the query's rarest
//! facet or range filter, read from `version_terms` in one index range per term, instead of
//! every version. PostgreSQL intersects the same terms in its GIN index and needs none of this.
//! Only the driving set: every filter is still tested on each row (`filters`), so all this
//! must give is a superset of the matches. A filter left out here costs speed, never a row.

use modelreg_api::LookupQuery;
use sqlx::{Database, Encode, QueryBuilder, Type};

use super::filters::{language_facet, range_bucket_terms};
use crate::store::search::{Facet, normalize_license_id, whole_ms};

/// The filters of `q` that can drive the scan, each as the terms of which a matching version
/// has at least one: the facet filters, then the ranges.
pub(in crate::store) fn candidate_groups(q: &LookupQuery) -> Vec<Vec<String>> {
    let mut groups = facet_groups(q);
    groups.extend(range_groups(q));
    groups
}

/// The range filters of `q` that have bucket terms (migration 0017), each as the buckets it
/// allows, by the rule PostgreSQL's scan tests (`filters::push_range_buckets`). Sizes have
/// no buckets; a latency bound for one hardware tests that hardware's row, not the bucketed
/// fastest latency, so it is left to the row checks as on PostgreSQL.
fn range_groups(q: &LookupQuery) -> Vec<Vec<String>> {
    let bound = |b: u64| i64::try_from(b).unwrap_or(i64::MAX);
    let mut groups = Vec::new();
    for (value, field, at_most) in [
        (q.min_context, "context_length", false),
        (q.max_context, "context_length", true),
        (q.min_params, "parameters", false),
        (q.max_params, "parameters", true),
    ] {
        if let Some(b) = value {
            groups.push(range_bucket_terms(field, at_most, bound(b)));
        }
    }
    if let (Some(ms), None) = (q.max_latency_ms, &q.hardware) {
        groups.push(range_bucket_terms("latency", true, whole_ms(ms)));
    }
    groups
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

    fn query(s: &str) -> LookupQuery {
        LookupQuery::from_pairs(s.split('&').map(|p| p.split_once('=').unwrap())).unwrap()
    }

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
}
