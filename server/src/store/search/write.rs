//! Writing a version's search columns and join-table rows, once for both dialects: the
//! statements are built with sqlx's `QueryBuilder` and run by the catalog inside the publish
//! transaction. Nothing here runs a statement or reads one back.

use sqlx::{Database, Encode, QueryBuilder, Type};

use chrono::{DateTime, Utc};

use super::SearchDoc;
use crate::store::StoreError;
use crate::store::catalog::NewVersion;
use crate::store::convert::to_i64;
use crate::store::dialect::Dialect;

/// The version row itself, search columns included (written once: a later UPDATE would
/// leave a dead row behind per publish). Returns the new id, or no row when the version
/// already exists.
pub(in crate::store) fn insert_version<DB>(
    model_id: i64,
    new: &NewVersion,
    doc: &SearchDoc,
    dialect: Dialect,
) -> Result<QueryBuilder<DB>, StoreError>
where
    DB: Database,
    for<'t> String: Encode<'t, DB> + Type<DB>,
    for<'t> Option<String>: Encode<'t, DB> + Type<DB>,
    for<'t> i64: Encode<'t, DB> + Type<DB>,
    for<'t> Option<i64>: Encode<'t, DB> + Type<DB>,
    for<'t> Option<f64>: Encode<'t, DB> + Type<DB>,
    for<'t> bool: Encode<'t, DB> + Type<DB>,
    for<'t> Option<bool>: Encode<'t, DB> + Type<DB>,
    for<'t> DateTime<Utc>: Encode<'t, DB> + Type<DB>,
{
    let v = new.version.as_semver();
    let mut qb = QueryBuilder::<DB>::new(
        "INSERT INTO versions (model_id, version, major, minor, patch, prerelease, digest, license, size_bytes, \
         file_count, published_at, published_ms, license_class, commercial_use, task, context_length, \
         max_output_tokens, parameters, precision, quantization, architecture, format, framework, fine_tunable, \
         base_namespace, base_name, base_version, base_relation, has_risk_notes, min_latency_ms, description, \
         search_text, languages_json, modalities_json, facets) ",
    );
    let facets = serde_json::to_string(&doc.facets()).expect("facet terms serialise");
    let row = [(); 1];
    let mut err = None;
    qb.push_values(row, |mut b, ()| {
        let mut num = |n: u64| match to_i64(n) {
            Ok(v) => v,
            Err(e) => {
                err = Some(e);
                0
            }
        };
        let (major, minor, patch, size, files) =
            (num(v.major), num(v.minor), num(v.patch), num(new.size_bytes), num(new.files.len() as u64));
        b.push_bind(model_id)
            .push_bind(new.version.to_string())
            .push_bind(major)
            .push_bind(minor)
            .push_bind(patch)
            .push_bind(v.pre.as_str().to_owned())
            .push_bind(new.digest.to_string())
            .push_bind(new.license.clone())
            .push_bind(size)
            .push_bind(files)
            .push_bind(new.published_at)
            .push_bind(new.published_at.timestamp_millis())
            .push_bind(doc.license_class.as_str().to_owned())
            .push_bind(doc.commercial_use.as_str().to_owned())
            .push_bind(doc.task.clone())
            .push_bind(doc.context_length)
            .push_bind(doc.max_output_tokens)
            .push_bind(doc.parameters)
            .push_bind(doc.precision.clone())
            .push_bind(doc.quantization.clone())
            .push_bind(doc.architecture.clone())
            .push_bind(doc.format.clone())
            .push_bind(doc.framework.clone())
            .push_bind(doc.fine_tunable)
            .push_bind(doc.base.as_ref().map(|b| b.0.clone()))
            .push_bind(doc.base.as_ref().map(|b| b.1.clone()))
            .push_bind(doc.base_version.clone())
            .push_bind(doc.base_relation.clone())
            .push_bind(doc.has_risk_notes)
            .push_bind(doc.min_latency_ms)
            .push_bind(doc.description.clone())
            .push_bind(doc.search_text.clone())
            .push_bind(doc.languages_json.clone())
            .push_bind(doc.modalities_json.clone());
        // A JSON array of text on SQLite; a text array on PostgreSQL, bound as JSON so that
        // the builder stays generic over both dialects.
        match dialect {
            Dialect::Postgres => {
                b.push("ARRAY(SELECT jsonb_array_elements_text(CAST(")
                    .push_bind_unseparated(facets.clone())
                    .push_unseparated(" AS jsonb)))");
            }
            Dialect::Sqlite => {
                b.push_bind(facets.clone());
            }
        }
    });
    if let Some(e) = err {
        return Err(e);
    }
    qb.push(" ON CONFLICT (model_id, version) DO NOTHING RETURNING id");
    Ok(qb)
}

/// The statements that record the manifest, facts and join rows of version `version_id`.
pub(in crate::store) fn statements<DB>(
    version_id: i64,
    manifest_json: &str,
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
    let mut documents =
        QueryBuilder::<DB>::new("INSERT INTO version_documents (version_id, manifest, facts) VALUES (");
    let json = dialect.json_cast();
    documents.push_bind(version_id).push(", ").push_bind(manifest_json.to_owned()).push(json);
    documents.push(", ").push_bind(doc.facts_json.clone()).push(json).push(")");
    out.push(documents);

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
    out.extend(super::evals::insert(version_id, &doc.evaluations));
    out
}
