//! The filter clauses of the lookup (`AND ...` over one version's columns, its `facets` or
//! join tables, and the namespace visibility of its model), shared by every strategy in
//! `lookup`. Pure SQL text and binds; no strategy or ordering decisions here.

use modelreg_api::{LanguageTag, LookupQuery};
use sqlx::{Database, Encode, QueryBuilder, Type};

use crate::store::dialect::Dialect;
use crate::store::search::{Facet, bit_length, normalize_license_id, whole_ms};

pub(super) fn push_visible<DB>(qb: &mut QueryBuilder<DB>, q: &LookupQuery, models: &str)
where
    DB: Database,
    for<'t> String: Encode<'t, DB> + Type<DB>,
{
    if !q.visible_namespaces.is_empty() {
        qb.push(" AND (");
        for (i, pattern) in q.visible_namespaces.iter().enumerate() {
            if i > 0 {
                qb.push(" OR ");
            }
            let like = escape_like(pattern.as_str()).replace('*', "%");
            qb.push(format!("{models}.namespace LIKE ")).push_bind(like).push(" ESCAPE '\\'");
        }
        qb.push(")");
    }
}

/// ` AND {column} IN (values)`.
fn push_in<DB, T>(qb: &mut QueryBuilder<DB>, column: &str, values: impl IntoIterator<Item = T>)
where
    DB: Database,
    for<'t> T: Encode<'t, DB> + Type<DB>,
{
    qb.push(" AND ");
    in_list(qb, column, values);
}

/// `{column} IN (values)`, each value bound.
fn in_list<DB, T>(qb: &mut QueryBuilder<DB>, column: &str, values: impl IntoIterator<Item = T>)
where
    DB: Database,
    for<'t> T: Encode<'t, DB> + Type<DB>,
{
    qb.push(format!("{column} IN ("));
    let mut list = qb.separated(", ");
    for v in values {
        list.push_bind(v);
    }
    qb.push(")");
}

fn exists<DB: Database>(qb: &mut QueryBuilder<DB>, table: &str, a: &str) {
    qb.push(format!(" AND EXISTS (SELECT 1 FROM {table} x WHERE x.version_id = {a}.id AND "));
}

/// ` AND` version `a` has at least one of `facets`. PostgreSQL reads its `facets` array (one
/// GIN index intersects any number of these filters, and a row in hand needs no probe);
/// SQLite has no arrays, and `join` writes the same test over a join table.
fn push_any_facet<DB>(
    qb: &mut QueryBuilder<DB>,
    dialect: Dialect,
    a: &str,
    facets: &[Facet<'_>],
    join: impl FnOnce(&mut QueryBuilder<DB>),
) where
    DB: Database,
    for<'t> String: Encode<'t, DB> + Type<DB>,
{
    match dialect {
        Dialect::Postgres => {
            qb.push(format!(" AND {a}.facets && ARRAY["));
            let mut list = qb.separated(", ");
            for f in facets {
                list.push_bind(f.term());
            }
            qb.push("]::text[]");
        }
        Dialect::Sqlite => join(qb),
    }
}

/// ` AND` version `a`'s single-valued `field` is one of `values`: on PostgreSQL its
/// [`Facet::Field`] terms (migration 0015), so that the GIN index intersects them with the
/// other facet filters instead of AND-ing one bitmap per btree; on SQLite the column.
fn push_field_in<DB>(
    qb: &mut QueryBuilder<DB>,
    dialect: Dialect,
    a: &str,
    field: &'static str,
    values: Vec<String>,
) where
    DB: Database,
    for<'t> String: Encode<'t, DB> + Type<DB>,
{
    let facets: Vec<Facet<'_>> = values.iter().map(|v| Facet::Field(field, v)).collect();
    push_any_facet(qb, dialect, a, &facets, |qb| {
        push_in(qb, &format!("{a}.{field}"), values.iter().cloned())
    });
}

/// `fr` matches fr, fr-CA, ...; `pt-BR` matches only pt-BR.
pub(super) fn language_facet(tag: &LanguageTag) -> Facet<'_> {
    if tag.as_str() == tag.primary() {
        Facet::Language(tag.primary())
    } else {
        Facet::LanguageTag(tag.as_str())
    }
}

/// ` AND` version `a` matches every filter of `q`; its model is `m`.
pub(super) fn push_filters<DB>(qb: &mut QueryBuilder<DB>, q: &LookupQuery, a: &str, dialect: Dialect)
where
    DB: Database,
    for<'t> String: Encode<'t, DB> + Type<DB>,
    for<'t> i64: Encode<'t, DB> + Type<DB>,
    for<'t> f64: Encode<'t, DB> + Type<DB>,
    for<'t> bool: Encode<'t, DB> + Type<DB>,
{
    push_filters_with(qb, q, a, dialect, "m.namespace", Ranges::Columns);
}

/// [`push_filters`] where version `a`'s model is not joined (the namespace filter reads it
/// by primary key), for a scan that finds the versions through the indexes: on PostgreSQL
/// each range also tests its bucket terms ([`push_range_buckets`]).
pub(super) fn push_version_filters<DB>(qb: &mut QueryBuilder<DB>, q: &LookupQuery, a: &str, dialect: Dialect)
where
    DB: Database,
    for<'t> String: Encode<'t, DB> + Type<DB>,
    for<'t> i64: Encode<'t, DB> + Type<DB>,
    for<'t> f64: Encode<'t, DB> + Type<DB>,
    for<'t> bool: Encode<'t, DB> + Type<DB>,
{
    let namespace = format!("(SELECT n.namespace FROM models n WHERE n.id = {a}.model_id)");
    push_filters_with(qb, q, a, dialect, &namespace, Ranges::Terms(None));
}

/// [`push_version_filters`] for a bucket walk: on PostgreSQL only the ranges on `narrow`
/// fields test their bucket terms (a broad range's terms are most of the index, whose union
/// the GIN scan would build in full), and no range is tested through its btree.
pub(super) fn push_bucket_filters<DB>(
    qb: &mut QueryBuilder<DB>,
    q: &LookupQuery,
    a: &str,
    dialect: Dialect,
    narrow: &[&str],
) where
    DB: Database,
    for<'t> String: Encode<'t, DB> + Type<DB>,
    for<'t> i64: Encode<'t, DB> + Type<DB>,
    for<'t> f64: Encode<'t, DB> + Type<DB>,
    for<'t> bool: Encode<'t, DB> + Type<DB>,
{
    let namespace = format!("(SELECT n.namespace FROM models n WHERE n.id = {a}.model_id)");
    push_filters_with(qb, q, a, dialect, &namespace, Ranges::Terms(Some(narrow)));
}

/// How the range filters are written: as column tests, or (PostgreSQL) as column tests no
/// btree answers (`+ 0`) with the bucket terms of every range or of the listed fields.
#[derive(Clone, Copy)]
enum Ranges<'a> {
    Columns,
    Terms(Option<&'a [&'a str]>),
}

impl Ranges<'_> {
    /// Whether a range on `field` is written `+ 0`, and whether with its bucket terms.
    fn on(self, field: &str, dialect: Dialect) -> Option<bool> {
        match self {
            Ranges::Terms(only) if dialect == Dialect::Postgres => {
                Some(only.is_none_or(|fields| fields.contains(&field)))
            }
            _ => None,
        }
    }
}

fn push_filters_with<DB>(
    qb: &mut QueryBuilder<DB>,
    q: &LookupQuery,
    a: &str,
    dialect: Dialect,
    namespace: &str,
    ranges: Ranges<'_>,
) where
    DB: Database,
    for<'t> String: Encode<'t, DB> + Type<DB>,
    for<'t> i64: Encode<'t, DB> + Type<DB>,
    for<'t> f64: Encode<'t, DB> + Type<DB>,
    for<'t> bool: Encode<'t, DB> + Type<DB>,
{
    let text = |v: &dyn ToString| v.to_string();
    if !q.include_yanked {
        qb.push(format!(" AND {a}.yanked_at IS NULL"));
    }
    if let Some(words) = &q.q {
        if dialect == Dialect::Sqlite {
            push_text_search(qb, &words.to_lowercase(), a);
        }
        for word in words.to_lowercase().split_whitespace() {
            // A word too common for the trigram index: the same test, which no index answers
            // (`unindexed_words`), so that PostgreSQL reads only the rarer words' postings.
            if dialect == Dialect::Postgres && q.unindexed_words.iter().any(|w| w == word) {
                qb.push(format!(" AND strpos({a}.search_text, ")).push_bind(word.to_owned()).push(") > 0");
                continue;
            }
            qb.push(format!(" AND {a}.search_text LIKE "))
                .push_bind(format!("%{}%", escape_like(word)))
                .push(" ESCAPE '\\'");
        }
    }
    if !q.namespace.is_empty() {
        push_in(qb, namespace, q.namespace.iter().cloned());
    }
    if !q.license.is_empty() {
        let ids: Vec<String> = q.license.iter().map(|l| normalize_license_id(l)).collect();
        let facets: Vec<Facet<'_>> = ids.iter().map(|id| Facet::License(id)).collect();
        push_any_facet(qb, dialect, a, &facets, |qb| {
            exists(qb, "version_licenses", a);
            in_list(qb, "x.license_id", ids.iter().cloned());
            qb.push(")");
        });
    }
    if !q.license_class.is_empty() {
        let classes = q.license_class.iter().map(|c| c.as_str().to_owned()).collect();
        push_field_in(qb, dialect, a, "license_class", classes);
    }
    match q.commercial_use {
        Some(true) => {
            push_field_in(qb, dialect, a, "commercial_use", vec!["allowed".into(), "restricted".into()])
        }
        Some(false) => push_field_in(qb, dialect, a, "commercial_use", vec!["forbidden".into()]),
        None => {}
    }
    for (direction, list) in
        [(None, &q.modality), (Some("input"), &q.input_modality), (Some("output"), &q.output_modality)]
    {
        if list.is_empty() {
            continue;
        }
        let modalities: Vec<String> = list.iter().map(|m| text(m)).collect();
        let facets: Vec<Facet<'_>> = modalities
            .iter()
            .map(|m| match direction {
                Some(d) => Facet::DirectedModality(d, m),
                None => Facet::Modality(m),
            })
            .collect();
        push_any_facet(qb, dialect, a, &facets, |qb| {
            exists(qb, "version_modalities", a);
            // Both directions spelled out, so that either index on the table is used to its
            // version id (without statistics SQLite read all of a modality's rows per version).
            let directions = direction.map_or("'input', 'output'".to_owned(), |d| format!("'{d}'"));
            qb.push(format!("x.direction IN ({directions}) AND "));
            in_list(qb, "x.modality", modalities.iter().cloned());
            qb.push(")");
        });
    }
    if !q.task.is_empty() {
        push_field_in(qb, dialect, a, "task", q.task.iter().map(|t| text(t)).collect());
    }
    let language_match = |qb: &mut QueryBuilder<DB>, tag: &LanguageTag| {
        match language_facet(tag) {
            Facet::Language(primary) => qb.push("x.primary_tag = ").push_bind(primary.to_owned()),
            _ => qb.push("x.tag = ").push_bind(tag.to_string()),
        };
    };
    for tag in &q.language {
        push_any_facet(qb, dialect, a, &[language_facet(tag)], |qb| {
            exists(qb, "version_languages", a);
            language_match(qb, tag);
            qb.push(")");
        });
    }
    if !q.any_language.is_empty() {
        let facets: Vec<Facet<'_>> = q.any_language.iter().map(language_facet).collect();
        push_any_facet(qb, dialect, a, &facets, |qb| {
            exists(qb, "version_languages", a);
            qb.push("(");
            for (i, tag) in q.any_language.iter().enumerate() {
                if i > 0 {
                    qb.push(" OR ");
                }
                language_match(qb, tag);
            }
            qb.push("))");
        });
    }
    for (bound, column, cmp) in [
        (q.min_context, "context_length", ">="),
        (q.max_context, "context_length", "<="),
        (q.min_params, "parameters", ">="),
        (q.max_params, "parameters", "<="),
        (q.max_size_bytes, "size_bytes", "<="),
    ] {
        if let Some(b) = bound {
            let b = i64::try_from(b).unwrap_or(i64::MAX);
            // Sizes have no bucket terms (a version's size is not part of its search doc).
            let terms = ranges.on(column, dialect).filter(|_| column != "size_bytes");
            if let Some(with_buckets) = terms {
                // The buckets find the candidates; the column (`+ 0`: not through its btree,
                // whose bitmap of a broad range would cost more than the buckets save) checks
                // the partial bucket on the heap.
                qb.push(format!(" AND {a}.{column} + 0 {cmp} ")).push_bind(b);
                if with_buckets {
                    push_range_buckets(qb, a, column, cmp == "<=", b);
                }
            } else {
                qb.push(format!(" AND {a}.{column} {cmp} ")).push_bind(b);
            }
        }
    }
    if !q.format.is_empty() {
        push_field_in(qb, dialect, a, "format", q.format.iter().map(|f| text(f)).collect());
    }
    if !q.framework.is_empty() {
        push_field_in(qb, dialect, a, "framework", q.framework.clone());
    }
    if !q.precision.is_empty() {
        push_field_in(qb, dialect, a, "precision", q.precision.iter().map(|p| text(p)).collect());
    }
    if !q.quantization.is_empty() {
        push_in(qb, &format!("{a}.quantization"), q.quantization.iter().cloned());
    }
    if let Some(base) = &q.base_model {
        // Any of the version's bases (a merge names several): version_bases of migration 0011.
        exists(qb, "version_bases", a);
        qb.push("x.base_namespace = ").push_bind(base.namespace().to_owned());
        qb.push(" AND x.base_name = ").push_bind(base.name().to_owned());
        qb.push(")");
    }
    if let Some(ft) = q.fine_tunable {
        qb.push(format!(" AND {a}.fine_tunable = ")).push_bind(ft);
    }
    if let Some(ms) = q.max_latency_ms {
        match &q.hardware {
            // Some p50 is within the bound exactly when the fastest one is: a typed column.
            None if ranges.on("latency", dialect).is_some() => {
                qb.push(format!(" AND {a}.min_latency_ms + 0 <= ")).push_bind(ms);
                if ranges.on("latency", dialect) == Some(true) {
                    push_range_buckets(qb, a, "latency", true, whole_ms(ms));
                }
            }
            None => {
                qb.push(format!(" AND {a}.min_latency_ms <= ")).push_bind(ms);
            }
            Some(hw) => {
                exists(qb, "version_latency", a);
                qb.push("x.p50_ms <= ").push_bind(ms);
                qb.push(" AND x.hardware = ").push_bind(hw.to_lowercase());
                qb.push(")");
            }
        }
    }
    if let Some(risks) = q.has_risk_notes {
        qb.push(format!(" AND {a}.has_risk_notes = ")).push_bind(risks);
    }
    push_effective_license_filters(qb, q, a);
    if !q.tag.is_empty() {
        let facets: Vec<Facet<'_>> = q.tag.iter().map(|t| Facet::Tag(t)).collect();
        push_any_facet(qb, dialect, a, &facets, |qb| {
            exists(qb, "version_tags", a);
            in_list(qb, "x.tag", q.tag.iter().cloned());
            qb.push(")");
        });
    }
    super::evals::push_eval_filters(qb, q, a);
    if !q.label.is_empty() {
        let facets: Vec<Facet<'_>> = q.label.iter().map(|(k, v)| Facet::Label(k, v)).collect();
        push_any_facet(qb, dialect, a, &facets, |qb| {
            exists(qb, "version_labels", a);
            qb.push("(");
            for (i, (k, v)) in q.label.iter().enumerate() {
                if i > 0 {
                    qb.push(" OR ");
                }
                qb.push("(x.key = ")
                    .push_bind(k.clone())
                    .push(" AND x.value = ")
                    .push_bind(v.clone())
                    .push(")");
            }
            qb.push("))");
        });
    }
    super::memory::push_fits_memory(qb, q, a, dialect);
}

/// ` AND` version `a`'s [`Facet::Bits`] bucket of `field` is one a value on the `at_most`
/// (else at least) side of `bound` can have: a superset of the range, which the GIN index
/// intersects with the other facet filters in one bitmap (instead of a btree bitmap of every
/// version in the range); the column's own test checks the bound's partial bucket on the
/// heap. For a scan only: a row in hand has its column.
fn push_range_buckets<DB>(qb: &mut QueryBuilder<DB>, a: &str, field: &'static str, at_most: bool, bound: i64)
where
    DB: Database,
    for<'t> String: Encode<'t, DB> + Type<DB>,
{
    qb.push(format!(" AND {a}.facets && ARRAY["));
    let mut list = qb.separated(", ");
    for term in range_bucket_terms(field, at_most, bound) {
        list.push_bind(term);
    }
    qb.push("]::text[]");
}

/// The [`Facet::Bits`] terms of `field` that a value on the `at_most` (else at least) side
/// of `bound` can have: every bucket up to (else from) the bound's own, which holds values
/// on both sides. A version in the range has one of them; not every version that has one
/// is in the range.
pub(super) fn range_bucket_terms(field: &'static str, at_most: bool, bound: i64) -> Vec<String> {
    let edge = bit_length(bound);
    let buckets = if at_most { 0..=edge } else { edge..=63 };
    buckets.map(|bits| Facet::Bits(field, bits).term()).collect()
}

/// Effective licence through lineage (issue 14 part 2): typed columns of migration 0011.
fn push_effective_license_filters<DB>(qb: &mut QueryBuilder<DB>, q: &LookupQuery, a: &str)
where
    DB: Database,
    for<'t> String: Encode<'t, DB> + Type<DB>,
    for<'t> bool: Encode<'t, DB> + Type<DB>,
{
    if !q.effective_license_class.is_empty() {
        let classes = q.effective_license_class.iter().map(|c| c.as_str().to_owned());
        push_in(qb, &format!("{a}.effective_license_class"), classes);
    }
    if !q.effective_commercial_use.is_empty() {
        let answers = q.effective_commercial_use.iter().map(|c| c.as_str().to_owned());
        push_in(qb, &format!("{a}.effective_commercial_use"), answers);
    }
    if let Some(conflicts) = q.license_conflicts {
        qb.push(format!(" AND {a}.has_license_conflicts = ")).push_bind(conflicts);
    }
}

/// ` AND` version `a` contains every word of `words` of three characters or more, by SQLite's
/// trigram index (`version_search`, migration 0022): a superset of the LIKE tests, which
/// stay the exact ones (the index folds case beyond ASCII; a shorter word has no trigram).
fn push_text_search<DB>(qb: &mut QueryBuilder<DB>, words: &str, a: &str)
where
    DB: Database,
    for<'t> String: Encode<'t, DB> + Type<DB>,
{
    let phrases: Vec<String> = words
        .split_whitespace()
        .filter(|w| w.chars().count() >= 3)
        .map(|w| format!("\"{}\"", w.replace('"', "\"\"")))
        .collect();
    if phrases.is_empty() {
        return;
    }
    qb.push(format!(" AND {a}.id IN (SELECT rowid FROM version_search WHERE version_search MATCH "))
        .push_bind(phrases.join(" AND "))
        .push(")");
}

fn escape_like(word: &str) -> String {
    word.replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_")
}
