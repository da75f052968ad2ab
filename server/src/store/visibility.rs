//! Who may see a blob: the namespaces of the live versions that reference it, and the
//! upload grants (a token that sent the blob's bytes may use it for a while before any
//! version references it). The store only reports these facts; the service decides with
//! the caller's namespace patterns. This module knows nothing of HTTP or of the blob store.

use std::collections::BTreeMap;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use modelreg_api::Digest;
use sqlx::{Database, Encode, QueryBuilder, Type};

use super::{PostgresStore, SqliteStore, StoreError, db_err, parse_stored};

/// Digests per query: far below both dialects' limits on bound parameters.
const CHUNK: usize = 500;

/// What the store knows about who may see one blob.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BlobAccess {
    /// Distinct namespaces of the live (not deleted; yanked ones count) versions that
    /// reference the blob, sorted.
    pub namespaces: Vec<String>,
    /// Whether the asking token holds an unexpired upload grant for it.
    pub granted: bool,
}

#[async_trait]
pub trait BlobVisibilityStore: Send + Sync + 'static {
    /// What is known about each of `digests` (absent from the map: nothing references it and
    /// `token` holds no grant). `token` is the caller's token name, `None` for anonymous
    /// callers, who hold no grants. One indexed query per few hundred digests.
    async fn blob_access(
        &self,
        digests: &[Digest],
        token: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<BTreeMap<Digest, BlobAccess>, StoreError>;

    /// Records that `token` uploaded the bytes of `digest`, valid until `until` (an
    /// existing grant is extended, never shortened).
    async fn grant_blob(&self, digest: &Digest, token: &str, until: DateTime<Utc>) -> Result<(), StoreError>;

    /// Forgets grants that expired before `now`; returns how many.
    async fn delete_expired_grants(&self, now: DateTime<Utc>) -> Result<u64, StoreError>;
}

/// The query for `chunk`: one row per (digest, namespace) of a live version referencing it,
/// and a row with a NULL namespace for an unexpired grant to `token`. sqlx's `QueryBuilder`
/// numbers the placeholders, so the digests are bound once per list.
fn access_query<DB>(chunk: &[Digest], token: Option<&str>, now: DateTime<Utc>) -> QueryBuilder<DB>
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

fn fold(
    rows: Vec<(String, Option<String>)>,
    into: &mut BTreeMap<Digest, BlobAccess>,
) -> Result<(), StoreError> {
    for (digest, namespace) in rows {
        let entry = into.entry(parse_stored("digest", &digest)?).or_default();
        match namespace {
            Some(ns) => entry.namespaces.push(ns),
            None => entry.granted = true,
        }
    }
    Ok(())
}

macro_rules! impl_blob_visibility_store {
    ($store:ty, $db:ty) => {
        #[async_trait]
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
                    let rows = qb
                        .build_query_as::<(String, Option<String>)>()
                        .fetch_all(&self.pool)
                        .await
                        .map_err(db_err)?;
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
}

impl_blob_visibility_store!(PostgresStore, sqlx::Postgres);
impl_blob_visibility_store!(SqliteStore, sqlx::Sqlite);
