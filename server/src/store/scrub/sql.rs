//! Scrubbing's SQL, written once for both dialects and instantiated for each by
//! `impl_sql_stores!` (`dialect`): the page of referenced blobs is built with sqlx's
//! `QueryBuilder`, which numbers each dialect's placeholders. Only `damaged_blobs` is written
//! here; the catalog's tables are only read.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use modelreg_api::Digest;
use sqlx::{Database, Encode, QueryBuilder, Type};

use super::{BlobReference, ReferencedBlob};
use crate::store::StoreError;
use crate::store::convert::{parse_stored, to_u64};

/// Digests per `damaged_blobs` query: far below both dialects' limits on bound parameters.
pub(in crate::store) const CHUNK: usize = 500;

/// Every reference of the next `limit` referenced digests after `after` (optionally only
/// digests that a version published since `since` references), ordered by digest. Paging and
/// ordering use the same (the database's) text order, so pages neither overlap nor skip.
pub(in crate::store) fn page_query<DB>(
    after: Option<&Digest>,
    since: Option<DateTime<Utc>>,
    limit: u32,
) -> QueryBuilder<DB>
where
    DB: Database,
    for<'t> String: Encode<'t, DB> + Type<DB>,
    for<'t> i64: Encode<'t, DB> + Type<DB>,
    for<'t> DateTime<Utc>: Encode<'t, DB> + Type<DB>,
{
    let mut qb = QueryBuilder::<DB>::new(
        "SELECT f.digest AS digest, f.size_bytes AS size_bytes, m.namespace AS namespace, m.name AS name,
                v.version AS version, f.path AS path,
                CAST(CASE WHEN v.yanked_at IS NULL THEN 0 ELSE 1 END AS BIGINT) AS yanked,
                CAST(CASE WHEN m.deleted_at IS NULL THEN 0 ELSE 1 END AS BIGINT) AS model_deleted
         FROM version_files f
         JOIN versions v ON v.id = f.version_id
         JOIN models m ON m.id = v.model_id
         WHERE f.digest IN (SELECT DISTINCT p.digest FROM version_files p",
    );
    if since.is_some() {
        qb.push(" JOIN versions pv ON pv.id = p.version_id");
    }
    qb.push(" WHERE p.digest > ").push_bind(after.map_or_else(String::new, ToString::to_string));
    if let Some(since) = since {
        qb.push(" AND pv.published_at >= ").push_bind(since);
    }
    qb.push(" ORDER BY p.digest LIMIT ").push_bind(i64::from(limit));
    qb.push(") ORDER BY f.digest");
    qb
}

/// One reference of a blob.
#[derive(sqlx::FromRow)]
pub(in crate::store) struct ReferenceRow {
    digest: String,
    size_bytes: i64,
    namespace: String,
    name: String,
    version: String,
    path: String,
    yanked: i64,
    model_deleted: i64,
}

/// Groups the rows of a page by digest, in the order they came (the database's).
pub(in crate::store) fn group(rows: Vec<ReferenceRow>) -> Result<Vec<ReferencedBlob>, StoreError> {
    let mut out: Vec<ReferencedBlob> = Vec::new();
    let mut index: BTreeMap<String, usize> = BTreeMap::new();
    for r in rows {
        let reference = BlobReference {
            model: format!("{}/{}", r.namespace, r.name),
            version: r.version,
            path: r.path,
            yanked: r.yanked != 0,
            model_deleted: r.model_deleted != 0,
        };
        let at = match index.get(&r.digest) {
            Some(&at) => at,
            None => {
                out.push(ReferencedBlob {
                    digest: parse_stored("digest", &r.digest)?,
                    size: to_u64("size_bytes", r.size_bytes)?,
                    references: Vec::new(),
                });
                index.insert(r.digest, out.len() - 1);
                out.len() - 1
            }
        };
        out[at].references.push(reference);
    }
    Ok(out)
}

macro_rules! impl_scrub_store {
    ($store:ty, $db:ty, $dialect:expr) => {
        // A const block scopes the imports to this expansion.
        const _: () = {
            use std::collections::BTreeSet;

            use chrono::{DateTime, Utc};
            use modelreg_api::Digest;
            use $crate::store::StoreError;
            use $crate::store::convert::{db_err, parse_stored};
            use $crate::store::scrub::sql::{CHUNK, ReferenceRow, group, page_query};
            use $crate::store::scrub::{ReferencedBlob, ScrubStore};

            #[async_trait::async_trait]
            impl ScrubStore for $store {
                async fn referenced_blobs(
                    &self,
                    after: Option<&Digest>,
                    since: Option<DateTime<Utc>>,
                    limit: u32,
                ) -> Result<Vec<ReferencedBlob>, StoreError> {
                    let mut qb = page_query::<$db>(after, since, limit);
                    let rows =
                        qb.build_query_as::<ReferenceRow>().fetch_all(&self.pool).await.map_err(db_err)?;
                    group(rows)
                }

                async fn mark_blob_damaged(
                    &self,
                    digest: &Digest,
                    problem: &str,
                    at: DateTime<Utc>,
                ) -> Result<(), StoreError> {
                    sqlx::query::<$db>(
                        "INSERT INTO damaged_blobs (digest, problem, found_at) VALUES ($1, $2, $3)
                         ON CONFLICT (digest) DO UPDATE SET problem = $2",
                    )
                    .bind(digest.to_string())
                    .bind(problem)
                    .bind(at)
                    .execute(&self.pool)
                    .await
                    .map_err(db_err)?;
                    Ok(())
                }

                async fn clear_blob_damage(&self, digest: &Digest) -> Result<(), StoreError> {
                    sqlx::query::<$db>("DELETE FROM damaged_blobs WHERE digest = $1")
                        .bind(digest.to_string())
                        .execute(&self.pool)
                        .await
                        .map_err(db_err)?;
                    Ok(())
                }

                async fn damaged_blobs(&self, digests: &[Digest]) -> Result<BTreeSet<Digest>, StoreError> {
                    let mut out = BTreeSet::new();
                    for chunk in digests.chunks(CHUNK) {
                        let mut qb = sqlx::QueryBuilder::<$db>::new(
                            "SELECT digest FROM damaged_blobs WHERE digest IN (",
                        );
                        let mut list = qb.separated(", ");
                        for d in chunk {
                            list.push_bind(d.to_string());
                        }
                        qb.push(")");
                        let rows: Vec<(String,)> =
                            qb.build_query_as().fetch_all(&self.pool).await.map_err(db_err)?;
                        for (digest,) in rows {
                            out.insert(parse_stored("digest", &digest)?);
                        }
                    }
                    Ok(out)
                }
            }
        };
    };
}

pub(in crate::store) use impl_scrub_store;
