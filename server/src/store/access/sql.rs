//! The access concern's SQL, written once for both dialects and instantiated for each by
//! `impl_sql_stores!` (`dialect`). Its SQL is portable: `$N` placeholders (numbered in order
//! of first use, which SQLite also accepts), text, integer and timestamp columns only. Each
//! change writes its audit entry (`journal`) in its own transaction; no decisions on who may
//! make it live here.

macro_rules! impl_access_store {
    ($store:ty, $db:ty, $dialect:expr) => {
        // A const block scopes the imports and the helpers to this expansion.
        const _: () = {
        use $crate::store::access::journal::{self, AliasMove, AuditEntry};
        use $crate::store::access::rows::{
            AliasMoveRow, AliasPointerRow, AliasRow, AliasTargetRow, AuditRow, DoomedVersionRow, TokenRow,
        };
        use $crate::store::access::{
            AccessStore, AliasMoveRecord, AliasOutcome, AliasRecord, AuditFilter, AuditRecord, NameTaken, NewToken,
            TokenRecord, model_like,
        };
        use $crate::store::convert::{db_err, parse_stored};
        use $crate::store::StoreError;
        use chrono::{DateTime, Utc};
        use modelreg_api::{AliasName, ModelName, Version};

        $crate::store::lineage::sql::lineage_helpers!($db);

        /// A base's releases changed: recompute its derivatives' effective licences.
        async fn relineage(tx: &mut sqlx::Transaction<'_, $db>, model: &ModelName) -> Result<(), StoreError> {
            propagate(tx, (model.namespace().to_owned(), model.name().to_owned())).await
        }

        #[async_trait::async_trait]
        impl AccessStore for $store {
            async fn create_token(&self, t: &NewToken) -> Result<Result<(), NameTaken>, StoreError> {
                let mut tx = self.pool.begin_with($dialect.begin_write()).await.map_err(db_err)?;
                let namespaces = serde_json::to_string(&t.namespaces).expect("patterns serialise");
                let done = sqlx::query::<$db>(
                    "INSERT INTO tokens (name, scope, token_hash, created_at, expires_at, namespaces, created_by)
                     VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (name) DO NOTHING",
                )
                .bind(&t.name)
                .bind(t.scope.as_str())
                .bind(&t.token_hash)
                .bind(t.created_at)
                .bind(t.expires_at)
                .bind(&namespaces)
                .bind(&t.created_by)
                .execute(&mut *tx)
                .await
                .map_err(db_err)?;
                if done.rows_affected() != 1 {
                    return Ok(Err(NameTaken));
                }
                let details = serde_json::json!({ "scope": t.scope, "namespaces": t.namespaces, "expires_at": t.expires_at });
                let entry = AuditEntry::new(t.created_at, &t.created_by, "token_create", details).token(&t.name);
                journal::audit::<$db>(entry).build().execute(&mut *tx).await.map_err(db_err)?;
                tx.commit().await.map_err(db_err)?;
                Ok(Ok(()))
            }

            async fn find_token(&self, hash: &str) -> Result<Option<TokenRecord>, StoreError> {
                let row: Option<TokenRow> = sqlx::query_as::<$db, TokenRow>(
                    "SELECT name, scope, namespaces, created_by, created_at, expires_at, last_used_at, revoked_at
                     FROM tokens WHERE token_hash = $1",
                )
                .bind(hash)
                .fetch_optional(&self.pool)
                .await
                .map_err(db_err)?;
                row.map(TokenRow::into_record).transpose()
            }

            async fn token_hash_of(&self, name: &str) -> Result<Option<String>, StoreError> {
                sqlx::query_scalar::<$db, String>("SELECT token_hash FROM tokens WHERE name = $1")
                    .bind(name)
                    .fetch_optional(&self.pool)
                    .await
                    .map_err(db_err)
            }

            async fn list_tokens(&self) -> Result<Vec<TokenRecord>, StoreError> {
                let rows: Vec<TokenRow> = sqlx::query_as::<$db, TokenRow>(
                    "SELECT name, scope, namespaces, created_by, created_at, expires_at, last_used_at, revoked_at
                     FROM tokens ORDER BY name",
                )
                .fetch_all(&self.pool)
                .await
                .map_err(db_err)?;
                rows.into_iter().map(TokenRow::into_record).collect()
            }

            async fn revoke_token(&self, name: &str, actor: &str, at: DateTime<Utc>) -> Result<bool, StoreError> {
                let mut tx = self.pool.begin_with($dialect.begin_write()).await.map_err(db_err)?;
                let done = sqlx::query::<$db>("UPDATE tokens SET revoked_at = $1 WHERE name = $2 AND revoked_at IS NULL")
                    .bind(at)
                    .bind(name)
                    .execute(&mut *tx)
                    .await
                    .map_err(db_err)?;
                if done.rows_affected() == 0 {
                    return Ok(false);
                }
                let entry = AuditEntry::new(at, actor, "token_revoke", serde_json::json!({})).token(name);
                journal::audit::<$db>(entry).build().execute(&mut *tx).await.map_err(db_err)?;
                tx.commit().await.map_err(db_err)?;
                Ok(true)
            }

            async fn touch_token(&self, name: &str, at: DateTime<Utc>) -> Result<(), StoreError> {
                sqlx::query::<$db>("UPDATE tokens SET last_used_at = $1 WHERE name = $2")
                    .bind(at)
                    .bind(name)
                    .execute(&self.pool)
                    .await
                    .map_err(db_err)?;
                Ok(())
            }

            async fn set_alias(
                &self,
                model: &ModelName,
                alias: &AliasName,
                version: &Version,
                force: bool,
                actor: &str,
                at: DateTime<Utc>,
            ) -> Result<AliasOutcome, StoreError> {
                let mut tx = self.pool.begin_with($dialect.begin_write()).await.map_err(db_err)?;
                let target: Option<AliasTargetRow> = sqlx::query_as::<$db, AliasTargetRow>(
                    "SELECT m.id AS model_id, v.yanked_at FROM versions v JOIN models m ON m.id = v.model_id
                     WHERE m.namespace = $1 AND m.name = $2 AND v.version = $3 AND m.deleted_at IS NULL",
                )
                .bind(model.namespace())
                .bind(model.name())
                .bind(version.to_string())
                .fetch_optional(&mut *tx)
                .await
                .map_err(db_err)?;
                let Some(AliasTargetRow { model_id, yanked_at }) = target else {
                    return Ok(AliasOutcome::NoSuchVersion);
                };
                if yanked_at.is_some() && !force {
                    return Ok(AliasOutcome::Yanked);
                }
                let from: Option<String> =
                    sqlx::query_scalar::<$db, String>("SELECT version FROM aliases WHERE model_id = $1 AND alias = $2")
                        .bind(model_id)
                        .bind(alias.as_str())
                        .fetch_optional(&mut *tx)
                        .await
                        .map_err(db_err)?;
                sqlx::query::<$db>(
                    "INSERT INTO aliases (model_id, alias, version, updated_at, updated_by) VALUES ($1, $2, $3, $4, $5)
                     ON CONFLICT (model_id, alias) DO UPDATE SET version = $3, updated_at = $4, updated_by = $5",
                )
                .bind(model_id)
                .bind(alias.as_str())
                .bind(version.to_string())
                .bind(at)
                .bind(actor)
                .execute(&mut *tx)
                .await
                .map_err(db_err)?;
                let to = version.to_string();
                let moved = AliasMove { model_id, alias: alias.as_str(), from: from.as_deref(), to: Some(&to), actor, at };
                journal::alias_move::<$db>(moved).build().execute(&mut *tx).await.map_err(db_err)?;
                let details = serde_json::json!({ "alias": alias, "from": from, "to": version, "force": force });
                let entry = AuditEntry::new(at, actor, "alias_set", details).model(model);
                journal::audit::<$db>(entry).build().execute(&mut *tx).await.map_err(db_err)?;
                tx.commit().await.map_err(db_err)?;
                let from = from
                    .map(|v| v.parse())
                    .transpose()
                    .map_err(|e: modelreg_api::VersionError| StoreError::Corrupt(e.to_string()))?;
                Ok(AliasOutcome::Set { from })
            }

            async fn remove_alias(
                &self,
                model: &ModelName,
                alias: &AliasName,
                actor: &str,
                at: DateTime<Utc>,
            ) -> Result<bool, StoreError> {
                let mut tx = self.pool.begin_with($dialect.begin_write()).await.map_err(db_err)?;
                let found: Option<AliasPointerRow> = sqlx::query_as::<$db, AliasPointerRow>(
                    "SELECT a.model_id, a.version FROM aliases a JOIN models m ON m.id = a.model_id
                     WHERE m.namespace = $1 AND m.name = $2 AND a.alias = $3",
                )
                .bind(model.namespace())
                .bind(model.name())
                .bind(alias.as_str())
                .fetch_optional(&mut *tx)
                .await
                .map_err(db_err)?;
                let Some(AliasPointerRow { model_id, version }) = found else {
                    return Ok(false);
                };
                sqlx::query::<$db>("DELETE FROM aliases WHERE model_id = $1 AND alias = $2")
                    .bind(model_id)
                    .bind(alias.as_str())
                    .execute(&mut *tx)
                    .await
                    .map_err(db_err)?;
                let moved = AliasMove { model_id, alias: alias.as_str(), from: Some(&version), to: None, actor, at };
                journal::alias_move::<$db>(moved).build().execute(&mut *tx).await.map_err(db_err)?;
                let details = serde_json::json!({ "alias": alias, "from": version });
                let entry = AuditEntry::new(at, actor, "alias_remove", details).model(model);
                journal::audit::<$db>(entry).build().execute(&mut *tx).await.map_err(db_err)?;
                tx.commit().await.map_err(db_err)?;
                Ok(true)
            }

            async fn get_alias(&self, model: &ModelName, alias: &AliasName) -> Result<Option<Version>, StoreError> {
                let row: Option<String> = sqlx::query_scalar::<$db, String>(
                    "SELECT a.version FROM aliases a JOIN models m ON m.id = a.model_id
                     WHERE m.namespace = $1 AND m.name = $2 AND a.alias = $3 AND m.deleted_at IS NULL",
                )
                .bind(model.namespace())
                .bind(model.name())
                .bind(alias.as_str())
                .fetch_optional(&self.pool)
                .await
                .map_err(db_err)?;
                row.map(|v| parse_stored("version", &v)).transpose()
            }

            async fn list_aliases(&self, model: &ModelName) -> Result<Vec<AliasRecord>, StoreError> {
                let rows: Vec<AliasRow> = sqlx::query_as::<$db, AliasRow>(
                    "SELECT a.alias, a.version, a.updated_at, a.updated_by FROM aliases a JOIN models m ON m.id = a.model_id
                     WHERE m.namespace = $1 AND m.name = $2 ORDER BY a.alias",
                )
                .bind(model.namespace())
                .bind(model.name())
                .fetch_all(&self.pool)
                .await
                .map_err(db_err)?;
                rows.into_iter().map(AliasRow::into_record).collect()
            }

            async fn alias_history(&self, model: &ModelName) -> Result<Vec<AliasMoveRecord>, StoreError> {
                let rows: Vec<AliasMoveRow> = sqlx::query_as::<$db, AliasMoveRow>(
                    "SELECT h.alias, h.from_version, h.to_version, h.actor, h.at FROM alias_history h
                     JOIN models m ON m.id = h.model_id WHERE m.namespace = $1 AND m.name = $2 ORDER BY h.id",
                )
                .bind(model.namespace())
                .bind(model.name())
                .fetch_all(&self.pool)
                .await
                .map_err(db_err)?;
                rows.into_iter().map(AliasMoveRow::into_record).collect()
            }

            async fn set_yank(
                &self,
                model: &ModelName,
                version: &Version,
                reason: Option<&str>,
                actor: &str,
                at: DateTime<Utc>,
            ) -> Result<bool, StoreError> {
                let mut tx = self.pool.begin_with($dialect.begin_write()).await.map_err(db_err)?;
                // Recomputes derivatives' effective licences (relineage): one writer at a time.
                sqlx::query::<$db>($dialect.lock_lineage()).execute(&mut *tx).await.map_err(db_err)?;
                let yanked_at = reason.map(|_| at);
                let yanked_by = reason.map(|_| actor);
                let done = sqlx::query::<$db>(
                    "UPDATE versions SET yanked_at = $1, yank_reason = $2, yanked_by = $3
                     WHERE version = $4 AND model_id = (SELECT id FROM models WHERE namespace = $5 AND name = $6 AND deleted_at IS NULL)",
                )
                .bind(yanked_at)
                .bind(reason)
                .bind(yanked_by)
                .bind(version.to_string())
                .bind(model.namespace())
                .bind(model.name())
                .execute(&mut *tx)
                .await
                .map_err(db_err)?;
                if done.rows_affected() == 0 {
                    return Ok(false);
                }
                let (action, details) = match reason {
                    Some(r) => ("yank", serde_json::json!({ "reason": r })),
                    None => ("unyank", serde_json::json!({})),
                };
                let entry = AuditEntry::new(at, actor, action, details).model(model).version(version);
                journal::audit::<$db>(entry).build().execute(&mut *tx).await.map_err(db_err)?;
                relineage(&mut tx, model).await?;
                tx.commit().await.map_err(db_err)?;
                Ok(true)
            }

            async fn delete_version(
                &self,
                model: &ModelName,
                version: &Version,
                actor: &str,
                at: DateTime<Utc>,
            ) -> Result<bool, StoreError> {
                let mut tx = self.pool.begin_with($dialect.begin_write()).await.map_err(db_err)?;
                // Recomputes derivatives' effective licences (relineage): one writer at a time.
                sqlx::query::<$db>($dialect.lock_lineage()).execute(&mut *tx).await.map_err(db_err)?;
                let found: Option<DoomedVersionRow> = sqlx::query_as::<$db, DoomedVersionRow>(
                    "SELECT v.id AS version_id, m.id AS model_id, v.version, v.digest
                     FROM versions v JOIN models m ON m.id = v.model_id
                     WHERE m.namespace = $1 AND m.name = $2 AND v.version = $3",
                )
                .bind(model.namespace())
                .bind(model.name())
                .bind(version.to_string())
                .fetch_optional(&mut *tx)
                .await
                .map_err(db_err)?;
                let Some(doomed) = found else {
                    return Ok(false);
                };
                tombstone(&mut tx, &doomed, actor, at).await?;
                let details = serde_json::json!({ "digest": doomed.digest });
                let entry = AuditEntry::new(at, actor, "delete_version", details).model(model).version(version);
                journal::audit::<$db>(entry).build().execute(&mut *tx).await.map_err(db_err)?;
                relineage(&mut tx, model).await?;
                tx.commit().await.map_err(db_err)?;
                Ok(true)
            }

            async fn delete_model(&self, model: &ModelName, actor: &str, at: DateTime<Utc>) -> Result<Option<u64>, StoreError> {
                let mut tx = self.pool.begin_with($dialect.begin_write()).await.map_err(db_err)?;
                // Recomputes derivatives' effective licences (relineage): one writer at a time.
                sqlx::query::<$db>($dialect.lock_lineage()).execute(&mut *tx).await.map_err(db_err)?;
                let found: Option<i64> = sqlx::query_scalar::<$db, i64>(
                    "SELECT id FROM models WHERE namespace = $1 AND name = $2 AND deleted_at IS NULL",
                )
                .bind(model.namespace())
                .bind(model.name())
                .fetch_optional(&mut *tx)
                .await
                .map_err(db_err)?;
                let Some(model_id) = found else {
                    return Ok(None);
                };
                let versions: Vec<DoomedVersionRow> = sqlx::query_as::<$db, DoomedVersionRow>(
                    "SELECT id AS version_id, model_id, version, digest FROM versions WHERE model_id = $1",
                )
                .bind(model_id)
                .fetch_all(&mut *tx)
                .await
                .map_err(db_err)?;
                for doomed in &versions {
                    tombstone(&mut tx, doomed, actor, at).await?;
                }
                sqlx::query::<$db>("DELETE FROM aliases WHERE model_id = $1").bind(model_id).execute(&mut *tx).await.map_err(db_err)?;
                sqlx::query::<$db>("UPDATE models SET deleted_at = $1 WHERE id = $2")
                    .bind(at)
                    .bind(model_id)
                    .execute(&mut *tx)
                    .await
                    .map_err(db_err)?;
                let details = serde_json::json!({ "versions": versions.iter().map(|v| &v.version).collect::<Vec<_>>() });
                let entry = AuditEntry::new(at, actor, "delete_model", details).model(model);
                journal::audit::<$db>(entry).build().execute(&mut *tx).await.map_err(db_err)?;
                relineage(&mut tx, model).await?;
                tx.commit().await.map_err(db_err)?;
                Ok(Some(versions.len() as u64))
            }

            async fn list_audit(&self, f: &AuditFilter) -> Result<Vec<AuditRecord>, StoreError> {
                let mut qb = sqlx::QueryBuilder::<$db>::new("SELECT id, at, actor, action, model, version, details FROM audit_log WHERE 1 = 1");
                if let Some(m) = &f.model {
                    qb.push(" AND model = ").push_bind(m.clone());
                }
                if let Some(a) = &f.actor {
                    qb.push(" AND actor = ").push_bind(a.clone());
                }
                if let Some(s) = f.since {
                    qb.push(" AND at >= ").push_bind(s);
                }
                if let Some(id) = f.after_id {
                    qb.push(" AND id > ").push_bind(id);
                }
                if let Some(patterns) = &f.within {
                    qb.push(" AND (action IN ('token_create', 'token_revoke')");
                    for p in patterns {
                        qb.push(" OR model LIKE ").push_bind(model_like(p)).push(" ESCAPE '\\'");
                    }
                    qb.push(")");
                }
                qb.push(" ORDER BY id LIMIT ").push_bind(f.limit);
                let rows: Vec<AuditRow> = qb.build_query_as().fetch_all(&self.pool).await.map_err(db_err)?;
                Ok(rows.into_iter().map(AuditRow::into_record).collect())
            }
        }

        /// Records the tombstone, removes aliases pointing at the version, and deletes the
        /// version (its files and search rows go with it).
        async fn tombstone(
            tx: &mut sqlx::Transaction<'_, $db>,
            doomed: &DoomedVersionRow,
            actor: &str,
            at: DateTime<Utc>,
        ) -> Result<(), StoreError> {
            let DoomedVersionRow { version_id, model_id, version, digest } = doomed;
            sqlx::query::<$db>(
                "INSERT INTO tombstones (model_id, version, digest, deleted_at, deleted_by) VALUES ($1, $2, $3, $4, $5)
                 ON CONFLICT (model_id, version) DO NOTHING",
            )
            .bind(model_id)
            .bind(version)
            .bind(digest)
            .bind(at)
            .bind(actor)
            .execute(&mut **tx)
            .await
            .map_err(db_err)?;
            let pointing: Vec<String> =
                sqlx::query_scalar::<$db, String>("SELECT alias FROM aliases WHERE model_id = $1 AND version = $2")
                    .bind(model_id)
                    .bind(version)
                    .fetch_all(&mut **tx)
                    .await
                    .map_err(db_err)?;
            for alias in pointing {
                sqlx::query::<$db>("DELETE FROM aliases WHERE model_id = $1 AND alias = $2")
                    .bind(model_id)
                    .bind(&alias)
                    .execute(&mut **tx)
                    .await
                    .map_err(db_err)?;
                let moved = AliasMove { model_id: *model_id, alias: &alias, from: Some(version), to: None, actor, at };
                journal::alias_move::<$db>(moved).build().execute(&mut **tx).await.map_err(db_err)?;
            }
            sqlx::query::<$db>("DELETE FROM versions WHERE id = $1").bind(version_id).execute(&mut **tx).await.map_err(db_err)?;
            Ok(())
        }
        };
    };
}

pub(in crate::store) use impl_access_store;
