//! The blob locks' SQL, written once for both dialects and instantiated for each by
//! `impl_sql_stores!` (`dialect`): `$N` placeholders, upserts guarded by `WHERE`. Only the
//! `blob_locks` table is written here; `version_files` is only read.

/// One row when any version references the blob `$1`.
pub(in crate::store) const REFERENCED: &str =
    "SELECT CAST(1 AS BIGINT) FROM version_files WHERE digest = $1 LIMIT 1";

macro_rules! impl_blob_lock_store {
    ($store:ty, $db:ty, $dialect:expr) => {
        // A const block scopes the imports to this expansion.
        const _: () = {
        use $crate::store::convert::db_err;
        use $crate::store::locks::sql::REFERENCED;
        use $crate::store::locks::{BlobLockStore, GcClaim};
        use $crate::store::StoreError;
        use chrono::{DateTime, Utc};
        use modelreg_api::Digest;

        #[async_trait::async_trait]
        impl BlobLockStore for $store {
            async fn lease_blobs(
                &self,
                digests: &[Digest],
                until: DateTime<Utc>,
            ) -> Result<Vec<Digest>, StoreError> {
                let mut tx = self.pool.begin_with($dialect.begin_write()).await.map_err(db_err)?;
                let mut refused = Vec::new();
                // A collector's claim is honoured only while it lasts: one left by a crashed
                // collector lapses and yields to the lease (the lease's clock, as GC's is its own).
                let now = chrono::Utc::now();
                for d in digests {
                    // Takes or extends a lease; a live row held by the collector is left alone.
                    let done = sqlx::query::<$db>(
                        "INSERT INTO blob_locks (digest, kind, expires_at) VALUES ($1, 'lease', $2)
                         ON CONFLICT (digest) DO UPDATE SET kind = 'lease', expires_at = $2
                         WHERE blob_locks.kind = 'lease' OR blob_locks.expires_at < $3",
                    )
                    .bind(d.to_string())
                    .bind(until)
                    .bind(now)
                    .execute(&mut *tx)
                    .await
                    .map_err(db_err)?;
                    if done.rows_affected() == 0 {
                        refused.push(*d);
                    }
                }
                tx.commit().await.map_err(db_err)?;
                Ok(refused)
            }

            async fn claim_for_gc(
                &self,
                digest: &Digest,
                now: DateTime<Utc>,
                until: DateTime<Utc>,
            ) -> Result<GcClaim, StoreError> {
                let mut tx = self.pool.begin_with($dialect.begin_write()).await.map_err(db_err)?;
                let d = digest.to_string();
                sqlx::query::<$db>("DELETE FROM blob_locks WHERE digest = $1 AND expires_at < $2")
                    .bind(&d)
                    .bind(now)
                    .execute(&mut *tx)
                    .await
                    .map_err(db_err)?;
                let claimed = sqlx::query::<$db>(
                    "INSERT INTO blob_locks (digest, kind, expires_at) VALUES ($1, 'gc', $2) ON CONFLICT (digest) DO NOTHING",
                )
                .bind(&d)
                .bind(until)
                .execute(&mut *tx)
                .await
                .map_err(db_err)?;
                if claimed.rows_affected() == 0 {
                    return Ok(GcClaim::InUse);
                }
                let referenced: Option<i64> =
                    sqlx::query_scalar::<$db, i64>(REFERENCED).bind(&d).fetch_optional(&mut *tx).await.map_err(db_err)?;
                if referenced.is_some() {
                    // Rolling back drops the claim.
                    return Ok(GcClaim::InUse);
                }
                tx.commit().await.map_err(db_err)?;
                Ok(GcClaim::Claimed)
            }

            async fn release_gc_claim(&self, digest: &Digest) -> Result<(), StoreError> {
                sqlx::query::<$db>("DELETE FROM blob_locks WHERE digest = $1 AND kind = 'gc'")
                    .bind(digest.to_string())
                    .execute(&self.pool)
                    .await
                    .map_err(db_err)?;
                Ok(())
            }

            async fn is_referenced(&self, digest: &Digest) -> Result<bool, StoreError> {
                let row: Option<i64> = sqlx::query_scalar::<$db, i64>(REFERENCED)
                    .bind(digest.to_string())
                    .fetch_optional(&self.pool)
                    .await
                    .map_err(db_err)?;
                Ok(row.is_some())
            }
        }
        };
    };
}

pub(in crate::store) use impl_blob_lock_store;
