//! The lookup query, written once for both dialects with sqlx's `QueryBuilder` (which
//! writes each dialect's placeholders): filters over typed columns and join tables, the
//! best matching version per model, keyset paging on (sort key, version id).

use modelreg_api::{LookupQuery, Order, SortKey, VersionsMode};
use serde::{Deserialize, Serialize};
use sqlx::{Database, Encode, QueryBuilder, Type};

use super::search_doc::normalize_license_id;

/// Which SQL dialect a query is for (only collation differs).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Dialect {
    Postgres,
    Sqlite,
}

/// Null numeric sort keys sort last in both directions.
const NULL_LAST_ASC: i64 = i64::MAX;
const NULL_LAST_DESC: i64 = -1;

/// A position in a result list: the sort key and version id of the last row seen.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Cursor {
    #[serde(rename = "s")]
    sort: SortKey,
    #[serde(rename = "o")]
    order: Order,
    #[serde(rename = "k")]
    key: SortValue,
    #[serde(rename = "i")]
    id: i64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum SortValue {
    Int(i64),
    Float(f64),
    Text(String),
}

impl Cursor {
    /// The opaque form handed to clients.
    pub fn encode(&self) -> String {
        hex::encode(serde_json::to_vec(self).expect("cursor serialises"))
    }

    /// Parses a client's cursor; it must belong to a query with the same sort and order.
    pub fn decode(raw: &str, q: &LookupQuery) -> Result<Self, String> {
        let bytes = hex::decode(raw).map_err(|_| "not a cursor this registry issued".to_owned())?;
        let cursor: Self =
            serde_json::from_slice(&bytes).map_err(|_| "not a cursor this registry issued".to_owned())?;
        if cursor.sort != q.sort || cursor.order != q.order {
            return Err("the cursor belongs to a query with another sort or order".into());
        }
        Ok(cursor)
    }

    /// (namespace, name) of a cursor of the name sort.
    fn name_key(&self) -> (&str, &str) {
        let text = match &self.key {
            SortValue::Text(t) => t.as_str(),
            _ => "",
        };
        text.split_once('/').unwrap_or((text, ""))
    }

    /// The cursor after `hit`.
    pub fn after(hit: &LookupHit, q: &LookupQuery) -> Self {
        let null = if q.order == Order::Asc { NULL_LAST_ASC } else { NULL_LAST_DESC };
        let key = match q.sort {
            SortKey::Name => SortValue::Text(format!("{}/{}", hit.namespace, hit.name)),
            SortKey::Created => SortValue::Int(hit.created_ms),
            SortKey::Updated => SortValue::Int(hit.published_ms),
            SortKey::Parameters => SortValue::Int(hit.parameters.unwrap_or(null)),
            SortKey::Size => SortValue::Int(hit.size_bytes),
            SortKey::ContextLength => SortValue::Int(hit.context_length.unwrap_or(null)),
            SortKey::Latency => SortValue::Float(hit.min_latency_ms.unwrap_or(null as f64)),
        };
        Self { sort: q.sort, order: q.order, key, id: hit.id }
    }
}

/// One matching version, as read from the database.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct LookupHit {
    pub id: i64,
    pub namespace: String,
    pub name: String,
    pub version: String,
    pub digest: String,
    pub license: String,
    pub license_class: String,
    pub commercial_use: String,
    pub task: Option<String>,
    pub modalities_json: String,
    pub languages_json: String,
    pub context_length: Option<i64>,
    pub parameters: Option<i64>,
    pub size_bytes: i64,
    pub format: Option<String>,
    pub description: Option<String>,
    pub published_ms: i64,
    pub created_ms: i64,
    pub min_latency_ms: Option<f64>,
}

const COLUMNS: &str = "v.id, m.namespace, m.name, v.version, v.digest, v.license, v.license_class, v.commercial_use, \
     v.task, v.modalities_json, v.languages_json, v.context_length, v.parameters, v.size_bytes, v.format, \
     v.description, v.published_ms, m.created_ms, v.min_latency_ms";

/// How the best version of each model is found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Strategy {
    /// Walk a window of models; if that does not fill the page, scan (what the registry does).
    Auto,
    /// Walk models in name order, each with a correlated subquery over its versions in semver
    /// order, and stop after a page: fast when many models match.
    Walk,
    /// Collect every matching version and rank them per model: fast when few match, and the
    /// only way for sorts on version columns.
    Scan,
}

/// How many models an automatic walk examines before it gives up and scans instead: a
/// query matching at least about one model in 25 fills its page within this window, and one
/// matching fewer has few enough matches to scan cheaply.
pub(super) const WALK_WINDOW: i64 = 500;

/// Whether the query can walk (only the default sort of the best mode can).
pub(super) fn can_walk(q: &LookupQuery) -> bool {
    q.versions == VersionsMode::Best && q.sort == SortKey::Name
}

fn push_visible<DB>(qb: &mut QueryBuilder<DB>, q: &LookupQuery, models: &str)
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

/// Builds the whole lookup statement; fetches `q.limit + 1` rows so the caller knows
/// whether another page follows. With `Walk`, `window` bounds how many models (after the
/// cursor) are examined; the result is then complete only if it filled the page.
pub(super) fn build<DB>(
    q: &LookupQuery,
    cursor: Option<&Cursor>,
    dialect: Dialect,
    strategy: Strategy,
    window: Option<i64>,
) -> QueryBuilder<DB>
where
    DB: Database,
    for<'t> String: Encode<'t, DB> + Type<DB>,
    for<'t> i64: Encode<'t, DB> + Type<DB>,
    for<'t> f64: Encode<'t, DB> + Type<DB>,
    for<'t> bool: Encode<'t, DB> + Type<DB>,
{
    let best = q.versions == VersionsMode::Best;
    let collate = match dialect {
        Dialect::Postgres => " COLLATE \"C\"",
        Dialect::Sqlite => "",
    };
    let mut qb = QueryBuilder::<DB>::new("SELECT * FROM (SELECT ");
    qb.push(COLUMNS);
    match (best, strategy) {
        (true, Strategy::Walk) => {
            // The model's versions in semver order (index versions_model_semver_idx): the
            // outer query walks models in name order and stops after a page.
            qb.push(", 1 AS best_rank FROM ");
            if let Some(w) = window {
                qb.push("(SELECT * FROM models mm WHERE mm.deleted_at IS NULL");
                push_visible(&mut qb, q, "mm");
                if let Some(cur) = cursor {
                    let (ns, name) = cur.name_key();
                    qb.push(format!(" AND (mm.namespace{collate}, mm.name{collate}) > ("));
                    qb.push_bind(ns.to_owned()).push(", ").push_bind(name.to_owned()).push(")");
                }
                qb.push(format!(" ORDER BY mm.namespace{collate}, mm.name{collate} LIMIT "))
                    .push_bind(w)
                    .push(") m");
            } else {
                qb.push("models m");
            }
            qb.push(" JOIN versions v ON v.id = (SELECT f.id FROM versions f WHERE f.model_id = m.id AND f.prerelease = ''");
            push_filters(&mut qb, q, "f");
            qb.push(" ORDER BY f.major DESC, f.minor DESC, f.patch DESC LIMIT 1)");
        }
        (true, Strategy::Scan | Strategy::Auto) => {
            qb.push(
                ", ROW_NUMBER() OVER (PARTITION BY v.model_id ORDER BY v.major DESC, v.minor DESC, v.patch DESC) \
                 AS best_rank FROM models m JOIN versions v ON v.model_id = m.id AND v.prerelease = ''",
            );
            push_filters(&mut qb, q, "v");
        }
        (false, _) => {
            qb.push(", 1 AS best_rank FROM models m JOIN versions v ON v.model_id = m.id");
            push_filters(&mut qb, q, "v");
        }
    }
    qb.push(" WHERE m.deleted_at IS NULL");
    push_visible(&mut qb, q, "m");
    qb.push(") hits WHERE best_rank = 1");

    let (cmp, dir) = if q.order == Order::Asc { (">", "ASC") } else { ("<", "DESC") };
    if q.sort == SortKey::Name {
        let c = collate;
        if let Some(cur) = cursor {
            let (ns, name) = cur.name_key();
            qb.push(format!(" AND (namespace{c}, name{c}, id) {cmp} ("));
            qb.push_bind(ns.to_owned())
                .push(", ")
                .push_bind(name.to_owned())
                .push(", ")
                .push_bind(cur.id)
                .push(")");
        }
        qb.push(format!(" ORDER BY namespace{c} {dir}, name{c} {dir}, id {dir} LIMIT "));
    } else {
        let key = sort_key(q);
        if let Some(c) = cursor {
            qb.push(" AND (").push(&key).push(format!(" {cmp} "));
            push_value(&mut qb, &c.key);
            qb.push(" OR (").push(&key).push(" = ");
            push_value(&mut qb, &c.key);
            qb.push(format!(" AND id {cmp} ")).push_bind(c.id).push("))");
        }
        qb.push(format!(" ORDER BY {key} {dir}, id {dir} LIMIT "));
    }
    qb.push_bind(i64::from(q.limit) + 1);
    qb
}

fn push_value<DB>(qb: &mut QueryBuilder<DB>, v: &SortValue)
where
    DB: Database,
    for<'t> String: Encode<'t, DB> + Type<DB>,
    for<'t> i64: Encode<'t, DB> + Type<DB>,
    for<'t> f64: Encode<'t, DB> + Type<DB>,
{
    match v {
        SortValue::Int(i) => qb.push_bind(*i),
        SortValue::Float(f) => qb.push_bind(*f),
        SortValue::Text(t) => qb.push_bind(t.clone()),
    };
}

/// The sort key expression over the `hits` columns, nulls last in either direction.
fn sort_key(q: &LookupQuery) -> String {
    let null = if q.order == Order::Asc { NULL_LAST_ASC } else { NULL_LAST_DESC };
    match q.sort {
        SortKey::Name => "namespace".into(),
        SortKey::Created => "created_ms".into(),
        SortKey::Updated => "published_ms".into(),
        SortKey::Parameters => format!("COALESCE(parameters, {null})"),
        SortKey::Size => "size_bytes".into(),
        SortKey::ContextLength => format!("COALESCE(context_length, {null})"),
        SortKey::Latency => format!("COALESCE(min_latency_ms, {null}.0)"),
    }
}

fn push_in<DB, T>(qb: &mut QueryBuilder<DB>, column: &str, values: impl IntoIterator<Item = T>)
where
    DB: Database,
    for<'t> T: Encode<'t, DB> + Type<DB>,
{
    qb.push(format!(" AND {column} IN ("));
    let mut list = qb.separated(", ");
    for v in values {
        list.push_bind(v);
    }
    qb.push(")");
}

fn exists<DB: Database>(qb: &mut QueryBuilder<DB>, table: &str, a: &str) {
    qb.push(format!(" AND EXISTS (SELECT 1 FROM {table} x WHERE x.version_id = {a}.id AND "));
}

fn push_filters<DB>(qb: &mut QueryBuilder<DB>, q: &LookupQuery, a: &str)
where
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
        for word in words.to_lowercase().split_whitespace() {
            qb.push(format!(" AND {a}.search_text LIKE "))
                .push_bind(format!("%{}%", escape_like(word)))
                .push(" ESCAPE '\\'");
        }
    }
    if !q.namespace.is_empty() {
        push_in(qb, "m.namespace", q.namespace.iter().cloned());
    }
    if !q.license.is_empty() {
        exists(qb, "version_licenses", a);
        qb.push("x.license_id IN (");
        let mut list = qb.separated(", ");
        for l in &q.license {
            list.push_bind(normalize_license_id(l));
        }
        qb.push("))");
    }
    if !q.license_class.is_empty() {
        push_in(qb, &format!("{a}.license_class"), q.license_class.iter().map(|c| c.as_str().to_owned()));
    }
    match q.commercial_use {
        Some(true) => {
            qb.push(format!(" AND {a}.commercial_use IN ('allowed', 'restricted')"));
        }
        Some(false) => {
            qb.push(format!(" AND {a}.commercial_use = 'forbidden'"));
        }
        None => {}
    }
    for (direction, list) in
        [(None, &q.modality), (Some("input"), &q.input_modality), (Some("output"), &q.output_modality)]
    {
        if list.is_empty() {
            continue;
        }
        exists(qb, "version_modalities", a);
        if let Some(d) = direction {
            qb.push(format!("x.direction = '{d}' AND "));
        }
        qb.push("x.modality IN (");
        let mut sep = qb.separated(", ");
        for m in list.iter() {
            sep.push_bind(text(m));
        }
        qb.push("))");
    }
    if !q.task.is_empty() {
        push_in(qb, &format!("{a}.task"), q.task.iter().map(|t| text(t)));
    }
    // `fr` matches fr, fr-CA, ...; `pt-BR` matches only pt-BR.
    let language_match = |qb: &mut QueryBuilder<DB>, tag: &modelreg_api::LanguageTag| {
        if tag.as_str() == tag.primary() {
            qb.push("x.primary_tag = ").push_bind(tag.to_string());
        } else {
            qb.push("x.tag = ").push_bind(tag.to_string());
        }
    };
    for tag in &q.language {
        exists(qb, "version_languages", a);
        language_match(qb, tag);
        qb.push(")");
    }
    if !q.any_language.is_empty() {
        exists(qb, "version_languages", a);
        qb.push("(");
        for (i, tag) in q.any_language.iter().enumerate() {
            if i > 0 {
                qb.push(" OR ");
            }
            language_match(qb, tag);
        }
        qb.push("))");
    }
    for (bound, column, cmp) in [
        (q.min_context, "context_length", ">="),
        (q.max_context, "context_length", "<="),
        (q.min_params, "parameters", ">="),
        (q.max_params, "parameters", "<="),
        (q.max_size_bytes, "size_bytes", "<="),
    ] {
        if let Some(b) = bound {
            qb.push(format!(" AND {a}.{column} {cmp} ")).push_bind(i64::try_from(b).unwrap_or(i64::MAX));
        }
    }
    if !q.format.is_empty() {
        push_in(qb, &format!("{a}.format"), q.format.iter().map(|f| text(f)));
    }
    if !q.framework.is_empty() {
        push_in(qb, &format!("{a}.framework"), q.framework.iter().cloned());
    }
    if !q.precision.is_empty() {
        push_in(qb, &format!("{a}.precision"), q.precision.iter().map(|p| text(p)));
    }
    if !q.quantization.is_empty() {
        push_in(qb, &format!("{a}.quantization"), q.quantization.iter().cloned());
    }
    if let Some(base) = &q.base_model {
        qb.push(format!(" AND {a}.base_namespace = ")).push_bind(base.namespace().to_owned());
        qb.push(format!(" AND {a}.base_name = ")).push_bind(base.name().to_owned());
    }
    if let Some(ft) = q.fine_tunable {
        qb.push(format!(" AND {a}.fine_tunable = ")).push_bind(ft);
    }
    if let Some(ms) = q.max_latency_ms {
        exists(qb, "version_latency", a);
        qb.push("x.p50_ms <= ").push_bind(ms);
        if let Some(hw) = &q.hardware {
            qb.push(" AND x.hardware = ").push_bind(hw.to_lowercase());
        }
        qb.push(")");
    }
    if let Some(risks) = q.has_risk_notes {
        qb.push(format!(" AND {a}.has_risk_notes = ")).push_bind(risks);
    }
    if !q.tag.is_empty() {
        exists(qb, "version_tags", a);
        qb.push("x.tag IN (");
        let mut sep = qb.separated(", ");
        for t in &q.tag {
            sep.push_bind(t.clone());
        }
        qb.push("))");
    }
    if !q.label.is_empty() {
        exists(qb, "version_labels", a);
        qb.push("(");
        for (i, (k, v)) in q.label.iter().enumerate() {
            if i > 0 {
                qb.push(" OR ");
            }
            qb.push("(x.key = ").push_bind(k.clone()).push(" AND x.value = ").push_bind(v.clone()).push(")");
        }
        qb.push("))");
    }
}

fn escape_like(word: &str) -> String {
    word.replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_")
}
