//! Writing a version's search columns and join-table rows, once for both dialects: the
//! statements are built with sqlx's `QueryBuilder` and run inside the publish transaction.

use sqlx::{Database, Encode, QueryBuilder, Type};

use super::lookup::Dialect;
use super::search_doc::SearchDoc;

/// The statements that record `doc` for the version `version_id`, in order.
pub(super) fn statements<DB>(
    version_id: i64,
    published_ms: i64,
    doc: &SearchDoc,
    dialect: Dialect,
) -> Vec<QueryBuilder<DB>>
where
    DB: Database,
    for<'t> String: Encode<'t, DB> + Type<DB>,
    for<'t> Option<String>: Encode<'t, DB> + Type<DB>,
    for<'t> i64: Encode<'t, DB> + Type<DB>,
    for<'t> Option<i64>: Encode<'t, DB> + Type<DB>,
    for<'t> f64: Encode<'t, DB> + Type<DB>,
    for<'t> Option<f64>: Encode<'t, DB> + Type<DB>,
    for<'t> bool: Encode<'t, DB> + Type<DB>,
    for<'t> Option<bool>: Encode<'t, DB> + Type<DB>,
{
    let mut out = Vec::new();
    let mut update = QueryBuilder::<DB>::new("UPDATE versions SET ");
    {
        let mut set = update.separated(", ");
        set.push("published_ms = ").push_bind_unseparated(published_ms);
        set.push("facts = ").push_bind_unseparated(doc.facts_json.clone());
        if dialect == Dialect::Postgres {
            set.push_unseparated("::jsonb");
        }
        set.push("license_class = ").push_bind_unseparated(doc.license_class.as_str().to_owned());
        set.push("commercial_use = ").push_bind_unseparated(doc.commercial_use.as_str().to_owned());
        set.push("task = ").push_bind_unseparated(doc.task.clone());
        set.push("context_length = ").push_bind_unseparated(doc.context_length);
        set.push("max_output_tokens = ").push_bind_unseparated(doc.max_output_tokens);
        set.push("parameters = ").push_bind_unseparated(doc.parameters);
        set.push("precision = ").push_bind_unseparated(doc.precision.clone());
        set.push("quantization = ").push_bind_unseparated(doc.quantization.clone());
        set.push("architecture = ").push_bind_unseparated(doc.architecture.clone());
        set.push("format = ").push_bind_unseparated(doc.format.clone());
        set.push("framework = ").push_bind_unseparated(doc.framework.clone());
        set.push("fine_tunable = ").push_bind_unseparated(doc.fine_tunable);
        set.push("base_namespace = ").push_bind_unseparated(doc.base.as_ref().map(|b| b.0.clone()));
        set.push("base_name = ").push_bind_unseparated(doc.base.as_ref().map(|b| b.1.clone()));
        set.push("base_version = ").push_bind_unseparated(doc.base_version.clone());
        set.push("base_relation = ").push_bind_unseparated(doc.base_relation.clone());
        set.push("has_risk_notes = ").push_bind_unseparated(doc.has_risk_notes);
        set.push("min_latency_ms = ").push_bind_unseparated(doc.min_latency_ms);
        set.push("description = ").push_bind_unseparated(doc.description.clone());
        set.push("search_text = ").push_bind_unseparated(doc.search_text.clone());
        set.push("languages_json = ").push_bind_unseparated(doc.languages_json.clone());
        set.push("modalities_json = ").push_bind_unseparated(doc.modalities_json.clone());
    }
    update.push(" WHERE id = ").push_bind(version_id);
    out.push(update);

    let rows = |table: &str, columns: &str, count: usize| -> Option<QueryBuilder<DB>> {
        (count > 0).then(|| QueryBuilder::new(format!("INSERT INTO {table} (version_id, {columns}) ")))
    };
    if let Some(mut qb) = rows("version_licenses", "license_id", doc.license_ids.len()) {
        qb.push_values(&doc.license_ids, |mut b, id| {
            b.push_bind(version_id).push_bind(id.clone());
        });
        out.push(qb);
    }
    if let Some(mut qb) = rows("version_languages", "tag, primary_tag", doc.languages.len()) {
        qb.push_values(&doc.languages, |mut b, (tag, primary)| {
            b.push_bind(version_id).push_bind(tag.clone()).push_bind(primary.clone());
        });
        out.push(qb);
    }
    if let Some(mut qb) = rows("version_modalities", "direction, modality", doc.modalities.len()) {
        qb.push_values(&doc.modalities, |mut b, (direction, modality)| {
            b.push_bind(version_id).push_bind((*direction).to_owned()).push_bind(modality.clone());
        });
        out.push(qb);
    }
    if let Some(mut qb) = rows("version_tags", "tag", doc.tags.len()) {
        qb.push_values(&doc.tags, |mut b, tag| {
            b.push_bind(version_id).push_bind(tag.clone());
        });
        out.push(qb);
    }
    if let Some(mut qb) = rows("version_labels", "key, value", doc.labels.len()) {
        qb.push_values(&doc.labels, |mut b, (k, v)| {
            b.push_bind(version_id).push_bind(k.clone()).push_bind(v.clone());
        });
        out.push(qb);
    }
    if let Some(mut qb) = rows("version_latency", "position, hardware, p50_ms", doc.latency.len()) {
        qb.push_values(doc.latency.iter().enumerate(), |mut b, (i, (hw, p50))| {
            b.push_bind(version_id).push_bind(i as i64).push_bind(hw.clone()).push_bind(*p50);
        });
        out.push(qb);
    }
    out
}
