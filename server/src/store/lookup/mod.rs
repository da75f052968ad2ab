//! The lookup query, written once for both dialects with sqlx's `QueryBuilder` (which
//! writes each dialect's placeholders): the best matching version per model (or every
//! matching version) by one of three strategies, ordering with missing values last, keyset
//! paging on (sort key, version id). The keys of ordering and paging live in `keys`, the
//! filter clauses in `filters`, the bounded windows of the automatic strategy in `window`
//! and `buckets`, where SQLite's scan starts in `driver`.
//! `filters` and `window` import `keys` (and `window` the visibility filter), never this
//! module. Statements only: running them is the catalog's.

mod buckets;
mod driver;
mod evals;
mod filters;
mod keys;
mod memory;
mod tagged;
mod window;

use std::collections::HashSet;

use modelreg_api::{LookupQuery, Order, SortKey, VersionsMode};
use sqlx::{Database, Encode, QueryBuilder, Type};

pub(super) use self::buckets::{
    BucketPlan, MAX_BUCKET_WINDOWS, bucket_field, bucket_order, bucket_window, narrow_ranges,
};
pub(super) use self::driver::{candidate_groups, weighted_groups};
use self::filters::{push_bucket_filters, push_filters, push_version_filters, push_visible};
pub(super) use self::keys::sort_column;
pub use self::keys::{Cursor, SortValue};
use self::keys::{SortColumn, order_terms, push_after};
pub(super) use self::tagged::plan_tagged;
pub use self::tagged::{MAX_TAGGED_CONSTRAINTS, TaggedVersion};
pub(super) use self::tagged::{build_rows, build_tagged, tagged_sort_column, unpack};
pub(super) use self::window::{
    Progress, RegistrySize, TermShares, Window, estimate, first_window, next_window, text_estimate,
};
use self::window::{SEEK_WINDOW, WALK_WINDOW, push_models, push_versions};
use super::dialect::Dialect;

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
    pub effective_license_class: String,
    pub effective_commercial_use: String,
    /// JSON array of `LicenseConflict`.
    pub license_conflicts: String,
    /// The best value on the evaluation the query sorts by (else its first `eval` filter's).
    pub eval_value: Option<f64>,
}

impl Cursor {
    /// The cursor after `hit`.
    pub fn after(hit: &LookupHit, q: &LookupQuery) -> Self {
        let key = match q.sort {
            SortKey::Name => Some(SortValue::Text(format!("{}/{}", hit.namespace, hit.name))),
            SortKey::Created => Some(SortValue::Int(hit.created_ms)),
            SortKey::Updated => Some(SortValue::Int(hit.published_ms)),
            SortKey::Parameters => hit.parameters.map(SortValue::Int),
            SortKey::Size => Some(SortValue::Int(hit.size_bytes)),
            SortKey::ContextLength => hit.context_length.map(SortValue::Int),
            SortKey::Latency => hit.min_latency_ms.map(SortValue::Float),
            SortKey::Eval => hit.eval_value.map(SortValue::Float),
        };
        let eval = q.eval_sort.as_ref().filter(|_| q.sort == SortKey::Eval).map(ToString::to_string);
        Self { sort: q.sort, order: q.order, key, id: hit.id, eval }
    }
}

const COLUMNS: &str = "v.id, m.namespace, m.name, v.version, v.digest, v.license, v.license_class, v.commercial_use, \
     v.task, v.modalities_json, v.languages_json, v.context_length, v.parameters, v.size_bytes, v.format, \
     v.description, v.published_ms, m.created_ms, v.min_latency_ms, v.effective_license_class, \
     v.effective_commercial_use, v.license_conflicts";

/// How the matching versions (the best of each model, or all of them) are found. Every
/// strategy returns the same rows for any query; they differ in what the database has to
/// read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Strategy {
    /// A bounded walk in sort order (`Walk` for the name and creation-time sorts, `Seek` for
    /// a sort on a version column; on PostgreSQL `Buckets` first for a sort on a bucketed
    /// one); if that does not fill the page, a scan. What the registry does.
    Auto,
    /// Walk models in sort order (name or creation time), each with a correlated subquery
    /// over its versions (in semver order, for the best one): stops after a page for those
    /// sorts, so fast when many models match.
    Walk,
    /// Walk versions in sort-key order (for the best of each model, keeping a version only if
    /// no higher release of its model also matches): stops after a page for a sort on a
    /// version column (an index in that order), so fast when many versions match.
    Seek,
    /// Collect every matching version (and rank them per model): fast when few match.
    Scan,
    /// Collect the matching versions whose sort key lies in a window of its power-of-two
    /// buckets (`buckets`), in sort order: for a sort on parameters, context length or
    /// latency, fast when many versions match but few in the first buckets. Without a window,
    /// a seek without one.
    Buckets,
}

/// The bounded strategy the automatic one tries first, with its first window: a walk over
/// models for the name and creation-time sorts, a seek over versions for a sort on a version
/// column. With `versions=all` the same windows hold every matching version of what they
/// cover. None for a key computed per row (an evaluation): no index has its order, so the
/// automatic strategy scans.
pub(in crate::store) fn bounded_walk(sort: Option<&SortColumn>) -> Option<(Strategy, i64)> {
    match sort {
        Some(c) if c.computed => None,
        Some(c) if c.on_versions => Some((Strategy::Seek, SEEK_WINDOW)),
        _ => Some((Strategy::Walk, WALK_WINDOW)),
    }
}

/// How many of the walked units matched (models for a walk, versions for a seek): the
/// rate by which the next window is judged. With `versions=all` a model's matching
/// versions are one unit of a walk, so that a single model with several of them does not
/// pass for frequent matches.
pub(in crate::store) fn matched_units(strategy: Strategy, hits: &[LookupHit]) -> usize {
    if strategy != Strategy::Walk {
        return hits.len();
    }
    let models: HashSet<(&str, &str)> =
        hits.iter().map(|h| (h.namespace.as_str(), h.name.as_str())).collect();
    models.len()
}

/// Builds the whole lookup statement; fetches `q.limit + 1` rows so the caller knows
/// whether another page follows. `window` bounds which rows after the cursor a `Walk`
/// (models, for the name and creation-time sorts) or a `Seek` (versions, for a sort on a
/// version column) examines; the result is then complete only if it filled the page.
pub(super) fn build<DB>(
    q: &LookupQuery,
    cursor: Option<&Cursor>,
    dialect: Dialect,
    strategy: Strategy,
    window: Option<Window>,
) -> QueryBuilder<DB>
where
    DB: Database,
    for<'t> String: Encode<'t, DB> + Type<DB>,
    for<'t> i64: Encode<'t, DB> + Type<DB>,
    for<'t> f64: Encode<'t, DB> + Type<DB>,
    for<'t> bool: Encode<'t, DB> + Type<DB>,
{
    build_with(q, cursor, dialect, strategy, window, None)
}

/// The statement of one window of a bucket walk ([`Strategy::Buckets`]) whose ranges on the
/// `narrow` fields only test their bucket terms (`buckets::narrow_ranges`).
pub(super) fn build_buckets<DB>(
    q: &LookupQuery,
    cursor: Option<&Cursor>,
    dialect: Dialect,
    window: Window,
    narrow: &[&str],
) -> QueryBuilder<DB>
where
    DB: Database,
    for<'t> String: Encode<'t, DB> + Type<DB>,
    for<'t> i64: Encode<'t, DB> + Type<DB>,
    for<'t> f64: Encode<'t, DB> + Type<DB>,
    for<'t> bool: Encode<'t, DB> + Type<DB>,
{
    build_with(q, cursor, dialect, Strategy::Buckets, Some(window), Some(narrow))
}

fn build_with<DB>(
    q: &LookupQuery,
    cursor: Option<&Cursor>,
    dialect: Dialect,
    strategy: Strategy,
    window: Option<Window>,
    narrow: Option<&[&str]>,
) -> QueryBuilder<DB>
where
    DB: Database,
    for<'t> String: Encode<'t, DB> + Type<DB>,
    for<'t> i64: Encode<'t, DB> + Type<DB>,
    for<'t> f64: Encode<'t, DB> + Type<DB>,
    for<'t> bool: Encode<'t, DB> + Type<DB>,
{
    let best = q.versions == VersionsMode::Best;
    let collate = dialect.bytewise_collation();
    let column = sort_column(q.sort);
    let mut qb = QueryBuilder::<DB>::new("SELECT * FROM (SELECT ");
    qb.push(COLUMNS);
    evals::push_eval_value(&mut qb, q, "v");
    match (strategy, best) {
        (Strategy::Walk, true) => {
            // The model's versions in semver order (index versions_model_semver_idx): the
            // outer query walks models in sort order and stops after a page.
            qb.push(", 1 AS best_rank FROM ");
            push_models(&mut qb, q, cursor, dialect, column.as_ref(), window);
            match dialect {
                // A lateral subquery: one probe per model, always. Joined on a scalar
                // subquery instead, PostgreSQL once hashed all million versions against
                // 3,000 candidate models (700 ms instead of 33).
                Dialect::Postgres => {
                    qb.push(" CROSS JOIN LATERAL (SELECT * FROM versions f WHERE f.model_id = m.id AND f.prerelease = ''");
                    push_filters(&mut qb, q, "f", dialect);
                    qb.push(" ORDER BY f.major DESC, f.minor DESC, f.patch DESC LIMIT 1) v");
                }
                Dialect::Sqlite => {
                    qb.push(
                        " JOIN versions v ON v.id = (SELECT f.id FROM versions f WHERE f.model_id = m.id AND f.prerelease = ''",
                    );
                    push_filters(&mut qb, q, "f", dialect);
                    qb.push(" ORDER BY f.major DESC, f.minor DESC, f.patch DESC LIMIT 1)");
                }
            }
        }
        (Strategy::Walk, false) => {
            qb.push(", 1 AS best_rank FROM ");
            push_models(&mut qb, q, cursor, dialect, column.as_ref(), window);
            match dialect {
                // Each model's matching versions through versions_model_id_version_key: a
                // lateral subquery that cannot be pulled up (OFFSET 0) keeps PostgreSQL from
                // hashing the window against every matching version, a scan's cost.
                Dialect::Postgres => {
                    qb.push(" CROSS JOIN LATERAL (SELECT * FROM versions f WHERE f.model_id = m.id");
                    push_filters(&mut qb, q, "f", dialect);
                    qb.push(" OFFSET 0) v");
                }
                Dialect::Sqlite => {
                    qb.push(" JOIN versions v ON v.model_id = m.id");
                    push_filters(&mut qb, q, "v", dialect);
                }
            }
        }
        (Strategy::Seek | Strategy::Buckets, _) => {
            // Matching versions in sort order (the window reads an index of migration 0007,
            // or the bucket terms of the key with the filters' terms);
            // for the best version of each model, each kept only if no higher release of its
            // model matches, probed through versions_model_semver_idx. The outer query stops
            // after a page.
            let buckets = window.filter(|_| strategy == Strategy::Buckets);
            qb.push(", 1 AS best_rank FROM ");
            push_versions(&mut qb, q, cursor, column.as_ref(), window.filter(|_| strategy == Strategy::Seek));
            qb.push(" JOIN models m ON m.id = v.model_id");
            if best {
                qb.push(" AND v.prerelease = ''");
            }
            match buckets {
                // The filters as the scan writes them (ranges by their bucket terms too): one
                // GIN scan intersects every term, no range's btree bitmap besides.
                Some(w) => {
                    match narrow {
                        Some(fields) => push_bucket_filters(&mut qb, q, "v", dialect, fields),
                        None => push_version_filters(&mut qb, q, "v", dialect),
                    }
                    buckets::push_buckets(&mut qb, q, &bucket_order(q, cursor), w, "v", dialect);
                }
                None => push_filters(&mut qb, q, "v", dialect),
            }
            if best {
                qb.push(
                    " AND NOT EXISTS (SELECT 1 FROM versions h WHERE h.model_id = v.model_id AND h.prerelease = '' \
                     AND (h.major, h.minor, h.patch) > (v.major, v.minor, v.patch)",
                );
                push_filters(&mut qb, q, "h", dialect);
                qb.push(")");
            }
        }
        (Strategy::Scan | Strategy::Auto, true) => match dialect {
            // The best matching version of each model ranked on ids alone, then only those
            // rows read whole and their models joined by primary key (subqueries with OFFSET
            // are never pulled up): at a million versions, hashing every model (200,000) cost
            // more than the matches, and ranking whole rows spilled to disk.
            Dialect::Postgres => {
                qb.push(
                    ", 1 AS best_rank FROM (SELECT r.id FROM (SELECT f.id, ROW_NUMBER() OVER (PARTITION BY f.model_id \
                     ORDER BY f.major DESC, f.minor DESC, f.patch DESC) AS best FROM versions f WHERE f.prerelease = ''",
                );
                push_version_filters(&mut qb, q, "f", dialect);
                qb.push(
                    ") r WHERE r.best = 1 OFFSET 0) b \
                     CROSS JOIN LATERAL (SELECT * FROM versions x WHERE x.id = b.id OFFSET 0) v \
                     CROSS JOIN LATERAL (SELECT * FROM models n WHERE n.id = v.model_id OFFSET 0) m",
                );
            }
            // From the versions of the rarest facet or range filter (`driver`), when there is one.
            Dialect::Sqlite => {
                qb.push(
                    ", ROW_NUMBER() OVER (PARTITION BY v.model_id ORDER BY v.major DESC, v.minor DESC, v.patch DESC) \
                     AS best_rank FROM models m JOIN versions v ON v.model_id = m.id AND v.prerelease = ''",
                );
                push_filters(&mut qb, q, "v", dialect);
                driver::push_rarest_group(&mut qb, q, "v");
            }
        },
        (Strategy::Scan | Strategy::Auto, false) => match dialect {
            // Every matching version first, then their models by primary key, then the page.
            // Without the fence (a subquery with OFFSET is never pulled up) PostgreSQL may
            // walk the sort order instead, hoping to fill the page early, and read thousands
            // of rows for a selective query; the bounded walks above are the cheap way to try
            // that.
            Dialect::Postgres => {
                qb.push(", 1 AS best_rank FROM (SELECT * FROM versions f WHERE TRUE");
                push_version_filters(&mut qb, q, "f", dialect);
                qb.push(" OFFSET 0) v JOIN models m ON m.id = v.model_id");
            }
            Dialect::Sqlite => {
                qb.push(", 1 AS best_rank FROM models m JOIN versions v ON v.model_id = m.id");
                push_filters(&mut qb, q, "v", dialect);
                driver::push_rarest_group(&mut qb, q, "v");
            }
        },
    }
    qb.push(" WHERE m.deleted_at IS NULL");
    push_visible(&mut qb, q, "m");
    qb.push(") hits WHERE best_rank = 1");

    match &column {
        None => {
            let (cmp, dir) = if q.order == Order::Asc { (">", "ASC") } else { ("<", "DESC") };
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
            qb.push(format!(" ORDER BY namespace{c} {dir}, name{c} {dir}, id {dir}"));
        }
        Some(c) => {
            if let Some(cur) = cursor {
                qb.push(" AND ");
                push_after(&mut qb, c, "", q.order, cur);
            }
            qb.push(format!(" ORDER BY {}", order_terms(c, "", q.order)));
        }
    }
    qb.push(" LIMIT ").push_bind(i64::from(q.limit) + 1);
    qb
}

#[cfg(test)]
pub(super) mod tests {
    use modelreg_api::LookupQuery;

    /// A lookup query from its URL query string (`&`-separated `key=value` pairs).
    pub(in crate::store) fn query(s: &str) -> LookupQuery {
        LookupQuery::from_pairs(s.split('&').map(|p| p.split_once('=').unwrap())).unwrap()
    }
}
