//! The commit ids' SQL, written once for both dialects and instantiated for each by
//! `impl_sql_stores!` (`dialect`). Only `versions.commit_id` is written here.

/// Sets the commit id of version row `$1` to `$2`.
pub(in crate::store) const SET_COMMIT_ID: &str = "UPDATE versions SET commit_id = $2 WHERE id = $1";

macro_rules! impl_commit_store {
    ($store:ty, $db:ty, $dialect:expr) => {
        // A const block scopes the imports to this expansion.
        const _: () = {
            use modelreg_api::{CommitId, Digest, ModelName, Version};
            use $crate::store::StoreError;
            use $crate::store::commits::sql::SET_COMMIT_ID;
            use $crate::store::commits::{CommitStore, FILL_BATCH};
            use $crate::store::convert::{db_err, parse_stored};

            #[async_trait::async_trait]
            impl CommitStore for $store {
                async fn version_for_commit(
                    &self,
                    model: &ModelName,
                    commit: &CommitId,
                ) -> Result<Option<Version>, StoreError> {
                    let row: Option<(String,)> = sqlx::query_as(
                        "SELECT v.version FROM versions v JOIN models m ON m.id = v.model_id
                     WHERE m.namespace = $1 AND m.name = $2 AND v.commit_id = $3",
                    )
                    .bind(model.namespace())
                    .bind(model.name())
                    .bind(commit.to_string())
                    .fetch_optional(&self.pool)
                    .await
                    .map_err(db_err)?;
                    row.map(|(v,)| parse_stored("version", &v)).transpose()
                }

                async fn fill_missing_commit_ids(&self) -> Result<u64, StoreError> {
                    let mut filled = 0u64;
                    loop {
                        let rows: Vec<(i64, String, String, String, String)> = sqlx::query_as(
                            "SELECT v.id, m.namespace, m.name, v.version, v.digest
                         FROM versions v JOIN models m ON m.id = v.model_id
                         WHERE v.commit_id IS NULL ORDER BY v.id LIMIT $1",
                        )
                        .bind(FILL_BATCH)
                        .fetch_all(&self.pool)
                        .await
                        .map_err(db_err)?;
                        if rows.is_empty() {
                            return Ok(filled);
                        }
                        let mut tx = self.pool.begin_with($dialect.begin_write()).await.map_err(db_err)?;
                        for (id, namespace, name, version, digest) in &rows {
                            let model = ModelName::from_parts(namespace, name)
                                .map_err(|e| StoreError::Corrupt(e.to_string()))?;
                            let version: Version = parse_stored("version", version)?;
                            let digest: Digest = parse_stored("digest", digest)?;
                            sqlx::query::<$db>(SET_COMMIT_ID)
                                .bind(id)
                                .bind(CommitId::of(&model, &version, &digest).to_string())
                                .execute(&mut *tx)
                                .await
                                .map_err(db_err)?;
                        }
                        tx.commit().await.map_err(db_err)?;
                        filled += rows.len() as u64;
                    }
                }
            }
        };
    };
}

pub(in crate::store) use impl_commit_store;
