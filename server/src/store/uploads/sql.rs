//! The upload sessions' SQL, written once for both dialects and instantiated for each by
//! `impl_sql_stores!` (`dialect`). Its SQL is portable: `$N` placeholders numbered in order
//! of first use (which SQLite also accepts), and column types both drivers decode alike
//! (`bytea`/`blob` as bytes, timestamps as `DateTime<Utc>`). Nothing here touches the parts'
//! bytes.

use chrono::{DateTime, Utc};

use super::{ExpiredUpload, UploadPartRecord, UploadPhase, UploadRecord};
use crate::store::StoreError;
use crate::store::convert::{parse_stored, to_u32, to_u64};

/// A session joined with one of its parts (or none).
#[derive(sqlx::FromRow)]
pub(in crate::store) struct SessionPartRow {
    id: String,
    owner: Option<String>,
    digest: String,
    size_bytes: i64,
    part_size: i64,
    part_count: i64,
    backend_upload_id: Option<String>,
    hashed_parts: i64,
    hash_state: Vec<u8>,
    state: String,
    created_at: DateTime<Utc>,
    expires_at: DateTime<Utc>,
    part_number: Option<i64>,
    part_bytes: Option<i64>,
    part_sha256: Option<String>,
    part_state_before: Option<Vec<u8>>,
    part_content_id: Option<String>,
}

#[derive(sqlx::FromRow)]
pub(in crate::store) struct ExpiredRow {
    id: String,
    digest: String,
    part_count: i64,
    backend_upload_id: Option<String>,
    state: String,
}

pub(in crate::store) const SELECT_SESSION: &str =
    "SELECT s.id, s.owner, s.digest, s.size_bytes, s.part_size, s.part_count,
        s.backend_upload_id, s.hashed_parts, s.hash_state, s.state, s.created_at, s.expires_at,
        p.part_number, p.size_bytes AS part_bytes, p.sha256 AS part_sha256,
        p.state_before AS part_state_before, p.content_id AS part_content_id
     FROM upload_sessions s
     LEFT JOIN upload_parts p ON p.session_id = s.id AND ($2 IS NULL OR p.part_number = $2)
     WHERE s.id = $1
     ORDER BY p.part_number";

/// Folds the joined rows of one session into its record (`None` for no rows).
pub(in crate::store) fn upload_record(rows: Vec<SessionPartRow>) -> Result<Option<UploadRecord>, StoreError> {
    let mut rows = rows.into_iter();
    let Some(first) = rows.next() else { return Ok(None) };
    let mut record = UploadRecord {
        id: first.id.clone(),
        owner: first.owner.clone(),
        digest: parse_stored("digest", &first.digest)?,
        size: to_u64("size_bytes", first.size_bytes)?,
        part_size: to_u64("part_size", first.part_size)?,
        part_count: to_u32("part_count", first.part_count)?,
        backend_upload_id: first.backend_upload_id.clone(),
        hashed_parts: to_u32("hashed_parts", first.hashed_parts)?,
        hash_state: first.hash_state.clone(),
        phase: UploadPhase::parse(&first.state)?,
        created_at: first.created_at,
        expires_at: first.expires_at,
        parts: Vec::new(),
    };
    for row in std::iter::once(first).chain(rows) {
        let (Some(number), Some(size), Some(sha256)) = (row.part_number, row.part_bytes, row.part_sha256)
        else {
            continue;
        };
        record.parts.push(UploadPartRecord {
            number: to_u32("part_number", number)?,
            size: to_u64("part size", size)?,
            sha256: parse_stored("part sha256", &sha256)?,
            state_before: row.part_state_before,
            content_id: row.part_content_id,
        });
    }
    Ok(Some(record))
}

pub(in crate::store) fn expired(row: ExpiredRow) -> Result<ExpiredUpload, StoreError> {
    Ok(ExpiredUpload {
        digest: parse_stored("digest", &row.digest)?,
        part_count: to_u32("part_count", row.part_count)?,
        phase: UploadPhase::parse(&row.state)?,
        id: row.id,
        backend_upload_id: row.backend_upload_id,
    })
}

macro_rules! impl_upload_store {
    ($store:ty, $db:ty, $dialect:expr) => {
        // A const block scopes the imports to this expansion.
        const _: () = {
        use $crate::store::convert::{db_err, to_i64};
        use $crate::store::uploads::sql::{ExpiredRow, SELECT_SESSION, SessionPartRow, expired, upload_record};
        use $crate::store::uploads::{
            ExpiredUpload, HashedPart, NewUpload, PrefixMoved, TooManyUploads, UploadPhase, UploadRecord, UploadStore,
        };
        use $crate::store::StoreError;
        use chrono::{DateTime, Utc};

        #[async_trait::async_trait]
        impl UploadStore for $store {
            async fn create_upload(
                &self,
                new: &NewUpload,
                max_open: u32,
            ) -> Result<Result<(), TooManyUploads>, StoreError> {
                let mut tx = self.pool.begin_with($dialect.begin_write()).await.map_err(db_err)?;
                sqlx::query::<$db>($dialect.lock_upload_owner()).bind(&new.owner).execute(&mut *tx).await.map_err(db_err)?;
                let open: i64 = sqlx::query_scalar::<$db, i64>(
                    "SELECT COUNT(*) FROM upload_sessions WHERE owner = $1 AND state = 'open' AND expires_at > $2",
                )
                .bind(&new.owner)
                .bind(new.created_at)
                .fetch_one(&mut *tx)
                .await
                .map_err(db_err)?;
                if open >= i64::from(max_open) {
                    return Ok(Err(TooManyUploads));
                }
                sqlx::query::<$db>(
                    "INSERT INTO upload_sessions
                       (id, digest, size_bytes, part_size, part_count, backend_upload_id, hashed_parts,
                        hash_state, state, created_at, expires_at, owner)
                     VALUES ($1, $2, $3, $4, $5, $6, 0, $7, 'open', $8, $9, $10)",
                )
                .bind(&new.id)
                .bind(new.digest.to_string())
                .bind(to_i64(new.size)?)
                .bind(to_i64(new.part_size)?)
                .bind(i64::from(new.part_count))
                .bind(&new.backend_upload_id)
                .bind(&new.hash_state)
                .bind(new.created_at)
                .bind(new.expires_at)
                .bind(&new.owner)
                .execute(&mut *tx)
                .await
                .map_err(db_err)?;
                tx.commit().await.map_err(db_err)?;
                Ok(Ok(()))
            }

            async fn get_upload(
                &self,
                id: &str,
                only_part: Option<u32>,
            ) -> Result<Option<UploadRecord>, StoreError> {
                let rows: Vec<SessionPartRow> = sqlx::query_as::<$db, SessionPartRow>(SELECT_SESSION)
                    .bind(id)
                    .bind(only_part.map(i64::from))
                    .fetch_all(&self.pool)
                    .await
                    .map_err(db_err)?;
                upload_record(rows)
            }

            async fn record_hashed_part(
                &self,
                id: &str,
                part: &HashedPart,
            ) -> Result<Result<(), PrefixMoved>, StoreError> {
                let mut tx = self.pool.begin_with($dialect.begin_write()).await.map_err(db_err)?;
                let advanced = sqlx::query::<$db>(
                    "UPDATE upload_sessions SET hashed_parts = $1, hash_state = $2, expires_at = $3
                     WHERE id = $4 AND state = 'open' AND hashed_parts = $5",
                )
                .bind(i64::from(part.number))
                .bind(&part.hash_state)
                .bind(part.expires_at)
                .bind(id)
                .bind(i64::from(part.number) - 1)
                .execute(&mut *tx)
                .await
                .map_err(db_err)?;
                if advanced.rows_affected() != 1 {
                    return Ok(Err(PrefixMoved));
                }
                sqlx::query::<$db>(
                    "INSERT INTO upload_parts (session_id, part_number, size_bytes, sha256, state_before, content_id)
                     VALUES ($1, $2, $3, $4, $5, NULL)",
                )
                .bind(id)
                .bind(i64::from(part.number))
                .bind(to_i64(part.size)?)
                .bind(part.sha256.to_string())
                .bind(&part.state_before)
                .execute(&mut *tx)
                .await
                .map_err(db_err)?;
                tx.commit().await.map_err(db_err)?;
                Ok(Ok(()))
            }

            async fn record_stored_part(
                &self,
                id: &str,
                number: u32,
                content_id: &str,
            ) -> Result<bool, StoreError> {
                let done = sqlx::query::<$db>(
                    "UPDATE upload_parts SET content_id = $1 WHERE session_id = $2 AND part_number = $3",
                )
                .bind(content_id)
                .bind(id)
                .bind(i64::from(number))
                .execute(&self.pool)
                .await
                .map_err(db_err)?;
                Ok(done.rows_affected() == 1)
            }

            async fn mark_upload_complete(
                &self,
                id: &str,
                expires_at: DateTime<Utc>,
            ) -> Result<bool, StoreError> {
                let done = sqlx::query::<$db>(
                    "UPDATE upload_sessions SET state = $1, expires_at = $2 WHERE id = $3 AND state = $4",
                )
                .bind(UploadPhase::Complete.as_str())
                .bind(expires_at)
                .bind(id)
                .bind(UploadPhase::Open.as_str())
                .execute(&self.pool)
                .await
                .map_err(db_err)?;
                Ok(done.rows_affected() == 1)
            }

            async fn delete_upload(&self, id: &str) -> Result<bool, StoreError> {
                let done = sqlx::query::<$db>("DELETE FROM upload_sessions WHERE id = $1")
                    .bind(id)
                    .execute(&self.pool)
                    .await
                    .map_err(db_err)?;
                Ok(done.rows_affected() == 1)
            }

            async fn expired_uploads(
                &self,
                now: DateTime<Utc>,
                limit: u32,
            ) -> Result<Vec<ExpiredUpload>, StoreError> {
                let rows: Vec<ExpiredRow> = sqlx::query_as::<$db, ExpiredRow>(
                    "SELECT id, digest, part_count, backend_upload_id, state FROM upload_sessions
                     WHERE expires_at < $1 ORDER BY expires_at, id LIMIT $2",
                )
                .bind(now)
                .bind(i64::from(limit))
                .fetch_all(&self.pool)
                .await
                .map_err(db_err)?;
                rows.into_iter().map(expired).collect()
            }

            async fn delete_expired_upload(&self, id: &str, now: DateTime<Utc>) -> Result<bool, StoreError> {
                let done = sqlx::query::<$db>("DELETE FROM upload_sessions WHERE id = $1 AND expires_at < $2")
                    .bind(id)
                    .bind(now)
                    .execute(&self.pool)
                    .await
                    .map_err(db_err)?;
                Ok(done.rows_affected() == 1)
            }
        }
        };
    };
}

pub(in crate::store) use impl_upload_store;
