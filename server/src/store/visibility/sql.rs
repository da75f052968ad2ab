//! Blob visibility's SQL, written once for both dialects and instantiated for each by
//! `impl_sql_stores!` (`dialect`): the query is built with sqlx's `QueryBuilder`, which
//! numbers each dialect's placeholders. It reports facts; it decides nothing.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use modelreg_api::Digest;
use sqlx::{Database, Encode, QueryBuilder, Type};

use super::BlobAccess;
use crate::store::StoreError;
use crate::store::convert::parse_stored;

/// Digests per query: far below both dialects' limits on bound parameters.
pub(in crate::store) const CHUNK: usize = 500;

/// The query for `chunk`: one row per (digest, namespace) of a live version referencing it,
/// and a row with a NULL namespace for an unexpired grant to `token`. sqlx's `QueryBuilder`
/// numbers the placeholders, so the digests are bound once per list.
pub(in crate::store) fn access_query<DB>(
    chunk: &[Digest],
    token: Option<&str>,
    now: DateTime<Utc>,
) -> QueryBuilder<DB>
where
    DB: Database,
    for<'t> String: Encode<'t, DB> + Type<DB>,
    for<'t> Option<String>: Encode<'t, DB> + Type<DB>,
    for<'t> DateTime<Utc>: Encode<'t, DB> + Type<DB>,
{
    let mut qb = QueryBuilder::<DB>::new(
        "SELECT DISTINCT f.digest AS digest, m.namespace AS namespace
         FROM version_files f
         JOIN versions v ON v.id = f.version_id
         JOIN models m ON m.id = v.model_id
         WHERE m.deleted_at IS NULL AND f.digest IN (",
    );
    push_digests(&mut qb, chunk);
    qb.push(
        ") UNION ALL
         SELECT g.digest AS digest, NULL AS namespace
         FROM blob_grants g
         WHERE g.token_name = ",
    );
    qb.push_bind(token.map(str::to_owned))
        .push(" AND g.expires_at > ")
        .push_bind(now)
        .push(" AND g.digest IN (");
    push_digests(&mut qb, chunk);
    qb.push(")");
    qb
}

fn push_digests<DB>(qb: &mut QueryBuilder<DB>, digests: &[Digest])
where
    DB: Database,
    for<'t> String: Encode<'t, DB> + Type<DB>,
{
    let mut list = qb.separated(", ");
    for d in digests {
        list.push_bind(d.to_string());
    }
}

/// A live version's namespace referencing `digest`, or (no namespace) the caller's grant.
#[derive(sqlx::FromRow)]
pub(in crate::store) struct AccessRow {
    digest: String,
    namespace: Option<String>,
}

pub(in crate::store) fn fold(
    rows: Vec<AccessRow>,
    into: &mut BTreeMap<Digest, BlobAccess>,
) -> Result<(), StoreError> {
    for AccessRow { digest, namespace } in rows {
        let entry = into.entry(parse_stored("digest", &digest)?).or_default();
        match namespace {
            Some(ns) => entry.namespaces.push(ns),
            None => entry.granted = true,
        }
    }
    Ok(())
}

macro_rules! impl_blob_visibility_store {
    ($store:ty, $db:ty, $dialect:expr) => {
        // A const block scopes the imports to this expansion.
        const _: () = {
            use std::collections::BTreeMap;

            use chrono::{DateTime, Utc};
            use modelreg_api::Digest;
            use $crate::store::StoreError;
            use $crate::store::convert::db_err;
            use $crate::store::visibility::sql::{AccessRow, CHUNK, access_query, fold};
            use $crate::store::visibility::{BlobAccess, BlobVisibilityStore};

            #[async_trait::async_trait]
            impl BlobVisibilityStore for $store {
                async fn blob_access(
                    &self,
                    digests: &[Digest],
                    token: Option<&str>,
                    now: DateTime<Utc>,
                ) -> Result<BTreeMap<Digest, BlobAccess>, StoreError> {
                    let mut out = BTreeMap::new();
                    for chunk in digests.chunks(CHUNK) {
                        let mut qb = access_query::<$db>(chunk, token, now);
                        let rows =
                            qb.build_query_as::<AccessRow>().fetch_all(&self.pool).await.map_err(db_err)?;
                        fold(rows, &mut out)?;
                    }
                    for access in out.values_mut() {
                        access.namespaces.sort();
                        access.namespaces.dedup();
                    }
                    Ok(out)
                }

                async fn grant_blob(
                    &self,
                    digest: &Digest,
                    token: &str,
                    until: DateTime<Utc>,
                ) -> Result<(), StoreError> {
                    sqlx::query::<$db>(
                        "INSERT INTO blob_grants (digest, token_name, expires_at) VALUES ($1, $2, $3)
                     ON CONFLICT (digest, token_name) DO UPDATE SET expires_at = $3
                     WHERE blob_grants.expires_at < $3",
                    )
                    .bind(digest.to_string())
                    .bind(token)
                    .bind(until)
                    .execute(&self.pool)
                    .await
                    .map_err(db_err)?;
                    Ok(())
                }

                async fn delete_expired_grants(&self, now: DateTime<Utc>) -> Result<u64, StoreError> {
                    let done = sqlx::query::<$db>("DELETE FROM blob_grants WHERE expires_at < $1")
                        .bind(now)
                        .execute(&self.pool)
                        .await
                        .map_err(db_err)?;
                    Ok(done.rows_affected())
                }
            }
        };
    };
}

pub(in crate::store) use impl_blob_visibility_store;
