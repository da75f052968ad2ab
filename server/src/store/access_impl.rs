//! The one implementation of [`AccessStore`](super::AccessStore), instantiated for each
//! dialect by `impl_access_store!(Store, Database, "BEGIN ...")`. Its SQL is portable: `$N`
//! placeholders (numbered in order of first use, which SQLite also accepts), text, integer
//! and timestamp columns only.

macro_rules! impl_access_store {
    ($store:ty, $db:ty, $begin:expr) => {
        #[async_trait::async_trait]
        impl $crate::store::AccessStore for $store {
            async fn create_token(
                &self,
                t: &$crate::store::NewToken,
            ) -> Result<Result<(), $crate::store::NameTaken>, $crate::store::StoreError> {
                use $crate::store::db_err;
                let mut tx = self.pool.begin_with($begin).await.map_err(db_err)?;
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
                    return Ok(Err($crate::store::NameTaken));
                }
                let details = serde_json::json!({ "scope": t.scope, "namespaces": t.namespaces, "expires_at": t.expires_at });
                audit(&mut tx, t.created_at, &t.created_by, "token_create", None, None, details, Some(&t.name)).await?;
                tx.commit().await.map_err(db_err)?;
                Ok(Ok(()))
            }

            async fn find_token(&self, hash: &str) -> Result<Option<$crate::store::TokenRecord>, $crate::store::StoreError> {
                let row: Option<TokenRow> = sqlx::query_as::<$db, TokenRow>(
                    "SELECT name, scope, namespaces, created_by, created_at, expires_at, last_used_at, revoked_at
                     FROM tokens WHERE token_hash = $1",
                )
                .bind(hash)
                .fetch_optional(&self.pool)
                .await
                .map_err($crate::store::db_err)?;
                row.map(token_record).transpose()
            }

            async fn list_tokens(&self) -> Result<Vec<$crate::store::TokenRecord>, $crate::store::StoreError> {
                let rows: Vec<TokenRow> = sqlx::query_as::<$db, TokenRow>(
                    "SELECT name, scope, namespaces, created_by, created_at, expires_at, last_used_at, revoked_at
                     FROM tokens ORDER BY name",
                )
                .fetch_all(&self.pool)
                .await
                .map_err($crate::store::db_err)?;
                rows.into_iter().map(token_record).collect()
            }

            async fn revoke_token(&self, name: &str, actor: &str, at: chrono::DateTime<chrono::Utc>) -> Result<bool, $crate::store::StoreError> {
                use $crate::store::db_err;
                let mut tx = self.pool.begin_with($begin).await.map_err(db_err)?;
                let done = sqlx::query::<$db>("UPDATE tokens SET revoked_at = $1 WHERE name = $2 AND revoked_at IS NULL")
                    .bind(at)
                    .bind(name)
                    .execute(&mut *tx)
                    .await
                    .map_err(db_err)?;
                if done.rows_affected() == 0 {
                    return Ok(false);
                }
                audit(&mut tx, at, actor, "token_revoke", None, None, serde_json::json!({}), Some(name)).await?;
                tx.commit().await.map_err(db_err)?;
                Ok(true)
            }

            async fn touch_token(&self, name: &str, at: chrono::DateTime<chrono::Utc>) -> Result<(), $crate::store::StoreError> {
                sqlx::query::<$db>("UPDATE tokens SET last_used_at = $1 WHERE name = $2")
                    .bind(at)
                    .bind(name)
                    .execute(&self.pool)
                    .await
                    .map_err($crate::store::db_err)?;
                Ok(())
            }

            async fn set_alias(
                &self,
                model: &modelreg_api::ModelName,
                alias: &modelreg_api::AliasName,
                version: &modelreg_api::Version,
                force: bool,
                actor: &str,
                at: chrono::DateTime<chrono::Utc>,
            ) -> Result<$crate::store::AliasOutcome, $crate::store::StoreError> {
                use $crate::store::{AliasOutcome, db_err};
                let mut tx = self.pool.begin_with($begin).await.map_err(db_err)?;
                let target: Option<(i64, Option<chrono::DateTime<chrono::Utc>>)> = sqlx::query_as::<$db, (i64, Option<chrono::DateTime<chrono::Utc>>)>(
                    "SELECT m.id, v.yanked_at FROM versions v JOIN models m ON m.id = v.model_id
                     WHERE m.namespace = $1 AND m.name = $2 AND v.version = $3 AND m.deleted_at IS NULL",
                )
                .bind(model.namespace())
                .bind(model.name())
                .bind(version.to_string())
                .fetch_optional(&mut *tx)
                .await
                .map_err(db_err)?;
                let Some((model_id, yanked_at)) = target else {
                    return Ok(AliasOutcome::NoSuchVersion);
                };
                if yanked_at.is_some() && !force {
                    return Ok(AliasOutcome::Yanked);
                }
                let previous: Option<(String,)> = sqlx::query_as::<$db, (String,)>(
                    "SELECT version FROM aliases WHERE model_id = $1 AND alias = $2",
                )
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
                let from = previous.map(|(v,)| v);
                history(&mut tx, model_id, alias.as_str(), from.as_deref(), Some(&version.to_string()), actor, at).await?;
                let details = serde_json::json!({ "alias": alias, "from": from, "to": version, "force": force });
                audit(&mut tx, at, actor, "alias_set", Some(model), None, details, None).await?;
                tx.commit().await.map_err(db_err)?;
                let from = from.map(|v| v.parse()).transpose().map_err(|e: modelreg_api::VersionError| $crate::store::StoreError::Corrupt(e.to_string()))?;
                Ok(AliasOutcome::Set { from })
            }

            async fn remove_alias(
                &self,
                model: &modelreg_api::ModelName,
                alias: &modelreg_api::AliasName,
                actor: &str,
                at: chrono::DateTime<chrono::Utc>,
            ) -> Result<bool, $crate::store::StoreError> {
                use $crate::store::db_err;
                let mut tx = self.pool.begin_with($begin).await.map_err(db_err)?;
                let found: Option<(i64, String)> = sqlx::query_as::<$db, (i64, String)>(
                    "SELECT a.model_id, a.version FROM aliases a JOIN models m ON m.id = a.model_id
                     WHERE m.namespace = $1 AND m.name = $2 AND a.alias = $3",
                )
                .bind(model.namespace())
                .bind(model.name())
                .bind(alias.as_str())
                .fetch_optional(&mut *tx)
                .await
                .map_err(db_err)?;
                let Some((model_id, version)) = found else {
                    return Ok(false);
                };
                sqlx::query::<$db>("DELETE FROM aliases WHERE model_id = $1 AND alias = $2")
                    .bind(model_id)
                    .bind(alias.as_str())
                    .execute(&mut *tx)
                    .await
                    .map_err(db_err)?;
                history(&mut tx, model_id, alias.as_str(), Some(&version), None, actor, at).await?;
                let details = serde_json::json!({ "alias": alias, "from": version });
                audit(&mut tx, at, actor, "alias_remove", Some(model), None, details, None).await?;
                tx.commit().await.map_err(db_err)?;
                Ok(true)
            }

            async fn get_alias(
                &self,
                model: &modelreg_api::ModelName,
                alias: &modelreg_api::AliasName,
            ) -> Result<Option<modelreg_api::Version>, $crate::store::StoreError> {
                let row: Option<(String,)> = sqlx::query_as::<$db, (String,)>(
                    "SELECT a.version FROM aliases a JOIN models m ON m.id = a.model_id
                     WHERE m.namespace = $1 AND m.name = $2 AND a.alias = $3 AND m.deleted_at IS NULL",
                )
                .bind(model.namespace())
                .bind(model.name())
                .bind(alias.as_str())
                .fetch_optional(&self.pool)
                .await
                .map_err($crate::store::db_err)?;
                row.map(|(v,)| $crate::store::parse_stored("version", &v)).transpose()
            }

            async fn list_aliases(&self, model: &modelreg_api::ModelName) -> Result<Vec<$crate::store::AliasRecord>, $crate::store::StoreError> {
                let rows: Vec<(String, String, chrono::DateTime<chrono::Utc>, String)> =
                    sqlx::query_as::<$db, (String, String, chrono::DateTime<chrono::Utc>, String)>(
                        "SELECT a.alias, a.version, a.updated_at, a.updated_by FROM aliases a JOIN models m ON m.id = a.model_id
                         WHERE m.namespace = $1 AND m.name = $2 ORDER BY a.alias",
                    )
                    .bind(model.namespace())
                    .bind(model.name())
                    .fetch_all(&self.pool)
                    .await
                    .map_err($crate::store::db_err)?;
                rows.into_iter()
                    .map(|(alias, version, updated_at, updated_by)| {
                        Ok($crate::store::AliasRecord {
                            alias: $crate::store::parse_stored("alias", &alias)?,
                            version: $crate::store::parse_stored("version", &version)?,
                            updated_at,
                            updated_by,
                        })
                    })
                    .collect()
            }

            async fn alias_history(&self, model: &modelreg_api::ModelName) -> Result<Vec<$crate::store::AliasMoveRecord>, $crate::store::StoreError> {
                let rows: Vec<(String, Option<String>, Option<String>, String, chrono::DateTime<chrono::Utc>)> =
                    sqlx::query_as::<$db, (String, Option<String>, Option<String>, String, chrono::DateTime<chrono::Utc>)>(
                        "SELECT h.alias, h.from_version, h.to_version, h.actor, h.at FROM alias_history h
                         JOIN models m ON m.id = h.model_id WHERE m.namespace = $1 AND m.name = $2 ORDER BY h.id",
                    )
                    .bind(model.namespace())
                    .bind(model.name())
                    .fetch_all(&self.pool)
                    .await
                    .map_err($crate::store::db_err)?;
                let version = |v: Option<String>| v.map(|v| $crate::store::parse_stored("version", &v)).transpose();
                rows.into_iter()
                    .map(|(alias, from, to, actor, at)| {
                        Ok($crate::store::AliasMoveRecord {
                            alias: $crate::store::parse_stored("alias", &alias)?,
                            from: version(from)?,
                            to: version(to)?,
                            actor,
                            at,
                        })
                    })
                    .collect()
            }

            async fn set_yank(
                &self,
                model: &modelreg_api::ModelName,
                version: &modelreg_api::Version,
                reason: Option<&str>,
                actor: &str,
                at: chrono::DateTime<chrono::Utc>,
            ) -> Result<bool, $crate::store::StoreError> {
                use $crate::store::db_err;
                let mut tx = self.pool.begin_with($begin).await.map_err(db_err)?;
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
                audit(&mut tx, at, actor, action, Some(model), Some(version), details, None).await?;
                tx.commit().await.map_err(db_err)?;
                Ok(true)
            }

            async fn delete_version(
                &self,
                model: &modelreg_api::ModelName,
                version: &modelreg_api::Version,
                actor: &str,
                at: chrono::DateTime<chrono::Utc>,
            ) -> Result<bool, $crate::store::StoreError> {
                use $crate::store::db_err;
                let mut tx = self.pool.begin_with($begin).await.map_err(db_err)?;
                let found: Option<(i64, i64, String)> = sqlx::query_as::<$db, (i64, i64, String)>(
                    "SELECT v.id, m.id, v.digest FROM versions v JOIN models m ON m.id = v.model_id
                     WHERE m.namespace = $1 AND m.name = $2 AND v.version = $3",
                )
                .bind(model.namespace())
                .bind(model.name())
                .bind(version.to_string())
                .fetch_optional(&mut *tx)
                .await
                .map_err(db_err)?;
                let Some((version_id, model_id, digest)) = found else {
                    return Ok(false);
                };
                tombstone(&mut tx, model_id, version_id, &version.to_string(), &digest, actor, at).await?;
                audit(&mut tx, at, actor, "delete_version", Some(model), Some(version), serde_json::json!({ "digest": digest }), None).await?;
                tx.commit().await.map_err(db_err)?;
                Ok(true)
            }

            async fn delete_model(
                &self,
                model: &modelreg_api::ModelName,
                actor: &str,
                at: chrono::DateTime<chrono::Utc>,
            ) -> Result<Option<u64>, $crate::store::StoreError> {
                use $crate::store::db_err;
                let mut tx = self.pool.begin_with($begin).await.map_err(db_err)?;
                let found: Option<(i64,)> = sqlx::query_as::<$db, (i64,)>(
                    "SELECT id FROM models WHERE namespace = $1 AND name = $2 AND deleted_at IS NULL",
                )
                .bind(model.namespace())
                .bind(model.name())
                .fetch_optional(&mut *tx)
                .await
                .map_err(db_err)?;
                let Some((model_id,)) = found else {
                    return Ok(None);
                };
                let versions: Vec<(i64, String, String)> =
                    sqlx::query_as::<$db, (i64, String, String)>("SELECT id, version, digest FROM versions WHERE model_id = $1")
                        .bind(model_id)
                        .fetch_all(&mut *tx)
                        .await
                        .map_err(db_err)?;
                for (version_id, version, digest) in &versions {
                    tombstone(&mut tx, model_id, *version_id, version, digest, actor, at).await?;
                }
                sqlx::query::<$db>("DELETE FROM aliases WHERE model_id = $1").bind(model_id).execute(&mut *tx).await.map_err(db_err)?;
                sqlx::query::<$db>("UPDATE models SET deleted_at = $1 WHERE id = $2")
                    .bind(at)
                    .bind(model_id)
                    .execute(&mut *tx)
                    .await
                    .map_err(db_err)?;
                let details = serde_json::json!({ "versions": versions.iter().map(|v| &v.1).collect::<Vec<_>>() });
                audit(&mut tx, at, actor, "delete_model", Some(model), None, details, None).await?;
                tx.commit().await.map_err(db_err)?;
                Ok(Some(versions.len() as u64))
            }

            async fn list_audit(&self, f: &$crate::store::AuditFilter) -> Result<Vec<$crate::store::AuditRecord>, $crate::store::StoreError> {
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
                        qb.push(" OR model LIKE ").push_bind($crate::store::access::model_like(p)).push(" ESCAPE '\\'");
                    }
                    qb.push(")");
                }
                qb.push(" ORDER BY id LIMIT ").push_bind(f.limit);
                let rows: Vec<(i64, chrono::DateTime<chrono::Utc>, String, String, Option<String>, Option<String>, String)> =
                    qb.build_query_as().fetch_all(&self.pool).await.map_err($crate::store::db_err)?;
                Ok(rows
                    .into_iter()
                    .map(|(id, at, actor, action, model, version, details)| $crate::store::AuditRecord { id, at, actor, action, model, version, details })
                    .collect())
            }

            async fn lease_blobs(
                &self,
                digests: &[modelreg_api::Digest],
                until: chrono::DateTime<chrono::Utc>,
            ) -> Result<Vec<modelreg_api::Digest>, $crate::store::StoreError> {
                use $crate::store::db_err;
                let mut tx = self.pool.begin_with($begin).await.map_err(db_err)?;
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
                digest: &modelreg_api::Digest,
                now: chrono::DateTime<chrono::Utc>,
                until: chrono::DateTime<chrono::Utc>,
            ) -> Result<$crate::store::GcClaim, $crate::store::StoreError> {
                use $crate::store::{GcClaim, db_err};
                let mut tx = self.pool.begin_with($begin).await.map_err(db_err)?;
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
                let referenced: Option<(i64,)> =
                    sqlx::query_as::<$db, (i64,)>("SELECT CAST(1 AS BIGINT) FROM version_files WHERE digest = $1 LIMIT 1")
                        .bind(&d)
                        .fetch_optional(&mut *tx)
                        .await
                        .map_err(db_err)?;
                if referenced.is_some() {
                    // Rolling back drops the claim.
                    return Ok(GcClaim::InUse);
                }
                tx.commit().await.map_err(db_err)?;
                Ok(GcClaim::Claimed)
            }

            async fn release_gc_claim(&self, digest: &modelreg_api::Digest) -> Result<(), $crate::store::StoreError> {
                sqlx::query::<$db>("DELETE FROM blob_locks WHERE digest = $1 AND kind = 'gc'")
                    .bind(digest.to_string())
                    .execute(&self.pool)
                    .await
                    .map_err($crate::store::db_err)?;
                Ok(())
            }

            async fn is_referenced(&self, digest: &modelreg_api::Digest) -> Result<bool, $crate::store::StoreError> {
                let row: Option<(i64,)> = sqlx::query_as::<$db, (i64,)>("SELECT CAST(1 AS BIGINT) FROM version_files WHERE digest = $1 LIMIT 1")
                    .bind(digest.to_string())
                    .fetch_optional(&self.pool)
                    .await
                    .map_err($crate::store::db_err)?;
                Ok(row.is_some())
            }
        }

        type TokenRow = (
            String,
            String,
            String,
            Option<String>,
            chrono::DateTime<chrono::Utc>,
            Option<chrono::DateTime<chrono::Utc>>,
            Option<chrono::DateTime<chrono::Utc>>,
            Option<chrono::DateTime<chrono::Utc>>,
        );

        fn token_record(r: TokenRow) -> Result<$crate::store::TokenRecord, $crate::store::StoreError> {
            let (name, scope, namespaces, created_by, created_at, expires_at, last_used_at, revoked_at) = r;
            Ok($crate::store::TokenRecord {
                scope: scope.parse().map_err($crate::store::StoreError::Corrupt)?,
                namespaces: $crate::store::access::parse_namespaces(&namespaces)?,
                name,
                created_by,
                created_at,
                expires_at,
                last_used_at,
                revoked_at,
            })
        }

        #[expect(clippy::too_many_arguments, reason = "one audit row's columns")]
        async fn audit(
            tx: &mut sqlx::Transaction<'_, $db>,
            at: chrono::DateTime<chrono::Utc>,
            actor: &str,
            action: &str,
            model: Option<&modelreg_api::ModelName>,
            version: Option<&modelreg_api::Version>,
            mut details: serde_json::Value,
            token: Option<&str>,
        ) -> Result<(), $crate::store::StoreError> {
            if let (Some(t), Some(obj)) = (token, details.as_object_mut()) {
                obj.insert("token".into(), serde_json::Value::String(t.to_owned()));
            }
            sqlx::query::<$db>(
                "INSERT INTO audit_log (at, actor, action, model, version, details) VALUES ($1, $2, $3, $4, $5, $6)",
            )
            .bind(at)
            .bind(actor)
            .bind(action)
            .bind(model.map(ToString::to_string))
            .bind(version.map(ToString::to_string))
            .bind($crate::store::access::audit_json(details))
            .execute(&mut **tx)
            .await
            .map_err($crate::store::db_err)?;
            Ok(())
        }

        async fn history(
            tx: &mut sqlx::Transaction<'_, $db>,
            model_id: i64,
            alias: &str,
            from: Option<&str>,
            to: Option<&str>,
            actor: &str,
            at: chrono::DateTime<chrono::Utc>,
        ) -> Result<(), $crate::store::StoreError> {
            sqlx::query::<$db>(
                "INSERT INTO alias_history (model_id, alias, from_version, to_version, actor, at) VALUES ($1, $2, $3, $4, $5, $6)",
            )
            .bind(model_id)
            .bind(alias)
            .bind(from)
            .bind(to)
            .bind(actor)
            .bind(at)
            .execute(&mut **tx)
            .await
            .map_err($crate::store::db_err)?;
            Ok(())
        }

        /// Records the tombstone, removes aliases pointing at the version, and deletes the
        /// version (its files and search rows go with it).
        async fn tombstone(
            tx: &mut sqlx::Transaction<'_, $db>,
            model_id: i64,
            version_id: i64,
            version: &str,
            digest: &str,
            actor: &str,
            at: chrono::DateTime<chrono::Utc>,
        ) -> Result<(), $crate::store::StoreError> {
            use $crate::store::db_err;
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
            let pointing: Vec<(String,)> =
                sqlx::query_as::<$db, (String,)>("SELECT alias FROM aliases WHERE model_id = $1 AND version = $2")
                    .bind(model_id)
                    .bind(version)
                    .fetch_all(&mut **tx)
                    .await
                    .map_err(db_err)?;
            for (alias,) in pointing {
                sqlx::query::<$db>("DELETE FROM aliases WHERE model_id = $1 AND alias = $2")
                    .bind(model_id)
                    .bind(&alias)
                    .execute(&mut **tx)
                    .await
                    .map_err(db_err)?;
                history(tx, model_id, &alias, Some(version), None, actor, at).await?;
            }
            sqlx::query::<$db>("DELETE FROM versions WHERE id = $1").bind(version_id).execute(&mut **tx).await.map_err(db_err)?;
            Ok(())
        }
    };
}

pub(super) use impl_access_store;
