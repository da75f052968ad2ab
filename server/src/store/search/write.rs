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
    let mut qb = version_rows([(model_id, new, doc)], dialect)?;
    qb.push(" ON CONFLICT (model_id, version) DO NOTHING RETURNING id");
    Ok(qb)
}

/// [`insert_version`] for many versions in one statement (a batch publish): returns the id,
/// model id and version of each one inserted; one that already exists returns no row.
pub(in crate::store) fn insert_versions<'a, DB>(
    rows: impl IntoIterator<Item = (i64, &'a NewVersion, &'a SearchDoc)>,
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
    let mut qb = version_rows(rows, dialect)?;
    qb.push(" ON CONFLICT (model_id, version) DO NOTHING RETURNING id, model_id, version");
    Ok(qb)
}

/// `INSERT INTO versions (...) VALUES (...), ...`. The effective licence is written as the
/// version's own (exact for a version without bases); the publish recomputes it from the
/// bases when there are some.
fn version_rows<'a, DB>(
    rows: impl IntoIterator<Item = (i64, &'a NewVersion, &'a SearchDoc)>,
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
    let mut qb = QueryBuilder::<DB>::new(
        "INSERT INTO versions (model_id, version, major, minor, patch, prerelease, digest, license, size_bytes, \
         file_count, published_at, published_ms, license_class, commercial_use, task, context_length, \
         max_output_tokens, parameters, precision, quantization, architecture, format, framework, fine_tunable, \
         base_namespace, base_name, base_version, base_relation, has_risk_notes, min_latency_ms, description, \
         search_text, languages_json, modalities_json, effective_license_class, effective_commercial_use, commit_id, facets) ",
    );
    let mut err = None;
    qb.push_values(rows, |mut b, (model_id, new, doc)| {
        let v = new.version.as_semver();
        let facets = serde_json::to_string(&doc.facets()).expect("facet terms serialise");
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
            .push_bind(doc.modalities_json.clone())
            .push_bind(doc.license_class.as_str().to_owned())
            .push_bind(doc.commercial_use.as_str().to_owned())
            .push_bind(modelreg_api::CommitId::of(&new.model, &new.version, &new.digest).to_string());
        // A JSON array of text on SQLite; a text array on PostgreSQL, bound as JSON so that
        // the builder stays generic over both dialects.
        match dialect {
            Dialect::Postgres => {
                b.push("ARRAY(SELECT jsonb_array_elements_text(CAST(")
                    .push_bind_unseparated(facets)
                    .push_unseparated(" AS jsonb)))");
            }
            Dialect::Sqlite => {
                b.push_bind(facets);
            }
        }
    });
    match err {
        Some(e) => Err(e),
        None => Ok(qb),
    }
}

/// Rows per multi-row insert into a join table (at most 4 variables each, well under
/// SQLite's variable limit).
const JOIN_ROWS_PER_INSERT: usize = 1000;

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
    statements_many(&[(version_id, manifest_json, doc)], dialect)
}

/// [`statements`] for many versions at once (a batch publish): one multi-row insert per
/// table (per [`JOIN_ROWS_PER_INSERT`] rows) over all of them.
pub(in crate::store) fn statements_many<DB>(
    versions: &[(i64, &str, &SearchDoc)],
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
    let json = dialect.json_cast();
    for chunk in versions.chunks(JOIN_ROWS_PER_INSERT) {
        let mut documents =
            QueryBuilder::<DB>::new("INSERT INTO version_documents (version_id, manifest, facts) ");
        documents.push_values(chunk, |mut b, (id, manifest_json, doc)| {
            b.push_bind(*id)
                .push_bind((*manifest_json).to_owned())
                .push_unseparated(json)
                .push_bind(doc.facts_json.clone())
                .push_unseparated(json);
        });
        out.push(documents);
    }

    /// Pushes one multi-row insert per chunk of `rows` into `table`.
    fn insert_rows<DB: Database, R>(
        out: &mut Vec<QueryBuilder<DB>>,
        table: &str,
        columns: &str,
        rows: Vec<R>,
        mut bind: impl FnMut(sqlx::query_builder::Separated<'_, DB, &'static str>, R),
    ) {
        let mut rows = rows.into_iter().peekable();
        while rows.peek().is_some() {
            let mut qb = QueryBuilder::new(format!("INSERT INTO {table} (version_id, {columns}) "));
            qb.push_values(rows.by_ref().take(JOIN_ROWS_PER_INSERT), &mut bind);
            out.push(qb);
        }
    }
    let rows = |pick: &dyn Fn(i64, &SearchDoc) -> Vec<JoinRow>| -> Vec<JoinRow> {
        versions.iter().flat_map(|(id, _, doc)| pick(*id, doc)).collect()
    };
    let licenses =
        rows(&|id, doc| doc.license_ids.iter().map(|l| (id, vec![Bound::Text(l.clone())])).collect());
    let languages = rows(&|id, doc| {
        doc.languages
            .iter()
            .map(|(t, p)| (id, vec![Bound::Text(t.clone()), Bound::Text(p.clone())]))
            .collect()
    });
    let modalities = rows(&|id, doc| {
        doc.modalities
            .iter()
            .map(|(d, m)| (id, vec![Bound::Text((*d).to_owned()), Bound::Text(m.clone())]))
            .collect()
    });
    let tags = rows(&|id, doc| doc.tags.iter().map(|t| (id, vec![Bound::Text(t.clone())])).collect());
    let labels = rows(&|id, doc| {
        doc.labels.iter().map(|(k, v)| (id, vec![Bound::Text(k.clone()), Bound::Text(v.clone())])).collect()
    });
    let latency = rows(&|id, doc| {
        doc.latency
            .iter()
            .enumerate()
            .map(|(i, (hw, p50))| {
                (id, vec![Bound::Int(i as i64), Bound::Text(hw.clone()), Bound::Real(*p50)])
            })
            .collect()
    });
    for (table, columns, rows) in [
        ("version_licenses", "license_id", licenses),
        ("version_languages", "tag, primary_tag", languages),
        ("version_modalities", "direction, modality", modalities),
        ("version_tags", "tag", tags),
        ("version_labels", "key, value", labels),
        ("version_latency", "position, hardware, p50_ms", latency),
    ] {
        insert_rows(&mut out, table, columns, rows, |mut b, (id, values)| {
            b.push_bind(id);
            for v in values {
                match v {
                    Bound::Text(t) => b.push_bind(t),
                    Bound::Int(i) => b.push_bind(i),
                    Bound::Real(r) => b.push_bind(r),
                };
            }
        });
    }
    for (id, _, doc) in versions {
        if let Some(memory) = &doc.memory {
            out.push(memory.insert(*id));
        }
        out.extend(super::evals::insert(*id, &doc.evaluations));
    }
    out
}

/// A join-table row: the version id and the other columns' values.
type JoinRow = (i64, Vec<Bound>);

/// A value of a join-table row.
enum Bound {
    Text(String),
    Int(i64),
    Real(f64),
}
