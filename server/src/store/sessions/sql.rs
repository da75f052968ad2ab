//! The sessions' SQL, written once for both dialects and instantiated for each by
//! `impl_sql_stores!` (`dialect`): `$N` placeholders, text and timestamp columns. Only
//! `ui_sessions` is written here; `tokens` is only read.

macro_rules! impl_session_store {
    ($store:ty, $db:ty, $dialect:expr) => {
        // A const block scopes the imports to this expansion.
        const _: () = {
            use chrono::{DateTime, Utc};
            use $crate::store::StoreError;
            use $crate::store::access::TokenRecord;
            use $crate::store::access::rows::TokenRow;
            use $crate::store::convert::db_err;
            use $crate::store::sessions::{NewSession, SessionStore};

            #[async_trait::async_trait]
            impl SessionStore for $store {
                async fn create_session(&self, s: &NewSession) -> Result<bool, StoreError> {
                    let done = sqlx::query::<$db>(
                        "INSERT INTO ui_sessions (id_hash, token_id, created_at, expires_at)
                     SELECT $1, id, $3, $4 FROM tokens WHERE name = $2",
                    )
                    .bind(&s.id_hash)
                    .bind(&s.token_name)
                    .bind(s.created_at)
                    .bind(s.expires_at)
                    .execute(&self.pool)
                    .await
                    .map_err(db_err)?;
                    Ok(done.rows_affected() == 1)
                }

                async fn find_session(
                    &self,
                    id_hash: &str,
                    now: DateTime<Utc>,
                ) -> Result<Option<TokenRecord>, StoreError> {
                    let row: Option<TokenRow> = sqlx::query_as::<$db, TokenRow>(
                        "SELECT t.name, t.scope, t.namespaces, t.created_by, t.created_at, t.expires_at,
                            t.last_used_at, t.revoked_at
                     FROM ui_sessions s JOIN tokens t ON t.id = s.token_id
                     WHERE s.id_hash = $1 AND s.expires_at > $2",
                    )
                    .bind(id_hash)
                    .bind(now)
                    .fetch_optional(&self.pool)
                    .await
                    .map_err(db_err)?;
                    row.map(TokenRow::into_record).transpose()
                }

                async fn delete_session(&self, id_hash: &str) -> Result<bool, StoreError> {
                    let done = sqlx::query::<$db>("DELETE FROM ui_sessions WHERE id_hash = $1")
                        .bind(id_hash)
                        .execute(&self.pool)
                        .await
                        .map_err(db_err)?;
                    Ok(done.rows_affected() > 0)
                }

                async fn delete_dead_sessions(
                    &self,
                    now: DateTime<Utc>,
                    limit: u32,
                ) -> Result<u64, StoreError> {
                    // Bounded: one sign-in never pays for an unbounded backlog.
                    let done = sqlx::query::<$db>(
                        "DELETE FROM ui_sessions WHERE id_hash IN (
                         SELECT s.id_hash FROM ui_sessions s JOIN tokens t ON t.id = s.token_id
                         WHERE s.expires_at <= $1 OR t.revoked_at IS NOT NULL OR t.expires_at <= $1
                         LIMIT $2)",
                    )
                    .bind(now)
                    .bind(i64::from(limit))
                    .execute(&self.pool)
                    .await
                    .map_err(db_err)?;
                    Ok(done.rows_affected())
                }
            }
        };
    };
}

pub(in crate::store) use impl_session_store;
