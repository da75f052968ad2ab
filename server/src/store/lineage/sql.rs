//! The lineage SQL, written once for both dialects: `lineage_helpers!` expands to the
//! functions the publish transaction calls (write a version's bases, compute its effective
//! licence, recompute its derivatives), and `impl_lineage_store!` to the start-up refresh.
//! Both are instantiated by `impl_sql_stores!`; the rules live in `modelreg_api`.

/// Writing a new version's bases, over a transaction of `$db`; expanded inside the
/// catalog's `const _` block.
macro_rules! lineage_write_bases {
    ($db:ty) => {
        /// Writes the `version_bases` rows of a new version.
        async fn write_bases(
            tx: &mut sqlx::Transaction<'_, $db>,
            version_id: i64,
            manifest: &modelreg_api::Manifest,
        ) -> Result<(), $crate::store::StoreError> {
            for (position, b) in (0_i32..).zip(manifest.metadata.bases()) {
                sqlx::query::<$db>(
                    "INSERT INTO version_bases (version_id, position, base_namespace, base_name, base_version, declared_license)
                     VALUES ($1, $2, $3, $4, $5, $6)",
                )
                .bind(version_id)
                .bind(position)
                .bind(b.model.namespace())
                .bind(b.model.name())
                .bind(b.version.as_ref().map(ToString::to_string))
                .bind(b.license.as_ref().map(ToString::to_string))
                .execute(&mut **tx)
                .await
                .map_err($crate::store::convert::db_err)?;
            }
            Ok(())
        }
    };
}

/// Computing effective licences, over a transaction of `$db`; expanded inside a store's
/// `const _` block.
macro_rules! lineage_helpers {
    ($db:ty) => {
        /// Computes and stores version `version_id`'s effective licence from its own and its
        /// bases' stored ones; returns its model when the stored answer changed.
        async fn refresh_effective(
            tx: &mut sqlx::Transaction<'_, $db>,
            version_id: i64,
        ) -> Result<Option<(String, String)>, $crate::store::StoreError> {
            use $crate::store::convert::db_err;
            use $crate::store::lineage::{BaseCandidate, BaseRow, base_verdict, stored_verdict};
            let (namespace, name, class, commercial_use, old_class, old_use, old_conflicts): (
                String,
                String,
                String,
                String,
                String,
                String,
                String,
            ) = sqlx::query_as(
                "SELECT m.namespace, m.name, v.license_class, v.commercial_use, v.effective_license_class,
                        v.effective_commercial_use, v.license_conflicts
                 FROM versions v JOIN models m ON m.id = v.model_id WHERE v.id = $1",
            )
            .bind(version_id)
            .fetch_one(&mut **tx)
            .await
            .map_err(db_err)?;
            let bases: Vec<BaseRow> = sqlx::query_as(
                "SELECT base_namespace, base_name, base_version, declared_license FROM version_bases
                 WHERE version_id = $1 ORDER BY position",
            )
            .bind(version_id)
            .fetch_all(&mut **tx)
            .await
            .map_err(db_err)?;
            let mut verdicts = Vec::with_capacity(bases.len());
            for base in &bases {
                let published: Vec<BaseCandidate> = sqlx::query_as(
                    "SELECT v.version, v.effective_license_class, v.effective_commercial_use,
                            v.yanked_at IS NOT NULL AS yanked
                     FROM versions v JOIN models m ON m.id = v.model_id
                     WHERE m.namespace = $1 AND m.name = $2 AND m.deleted_at IS NULL AND v.id <> $3",
                )
                .bind(&base.base_namespace)
                .bind(&base.base_name)
                .bind(version_id)
                .fetch_all(&mut **tx)
                .await
                .map_err(db_err)?;
                verdicts.push(base_verdict(base, &published)?);
            }
            let effective = modelreg_api::effective_license(stored_verdict(&class, &commercial_use)?, &verdicts);
            let conflicts = serde_json::to_string(&effective.conflicts).expect("conflicts serialise");
            let (new_class, new_use) = (effective.class.as_str(), effective.commercial_use.as_str());
            sqlx::query::<$db>(
                "UPDATE versions SET effective_license_class = $2, effective_commercial_use = $3,
                        license_conflicts = $4, has_license_conflicts = $5, effective_stale = $6
                 WHERE id = $1",
            )
            .bind(version_id)
            .bind(new_class)
            .bind(new_use)
            .bind(&conflicts)
            .bind(!effective.conflicts.is_empty())
            .bind(false)
            .execute(&mut **tx)
            .await
            .map_err(db_err)?;
            let changed = (new_class, new_use, conflicts.as_str())
                != (old_class.as_str(), old_use.as_str(), old_conflicts.as_str());
            Ok(changed.then_some((namespace, name)))
        }

        /// Recomputes the derivatives of `model`, level by level, for as long as answers
        /// change and at most `MAX_LINEAGE_DEPTH` levels deep (a cycle ends there too).
        async fn propagate(
            tx: &mut sqlx::Transaction<'_, $db>,
            model: (String, String),
        ) -> Result<(), $crate::store::StoreError> {
            let mut frontier = vec![model];
            for _ in 0..modelreg_api::MAX_LINEAGE_DEPTH {
                let mut next: Vec<(String, String)> = Vec::new();
                for (namespace, name) in &frontier {
                    let ids: Vec<(i64,)> = sqlx::query_as(
                        "SELECT DISTINCT version_id FROM version_bases WHERE base_namespace = $1 AND base_name = $2
                         ORDER BY version_id",
                    )
                    .bind(namespace)
                    .bind(name)
                    .fetch_all(&mut **tx)
                    .await
                    .map_err($crate::store::convert::db_err)?;
                    for (id,) in ids {
                        if let Some(changed) = refresh_effective(tx, id).await? {
                            next.push(changed);
                        }
                    }
                }
                next.sort();
                next.dedup();
                if next.is_empty() {
                    break;
                }
                frontier = next;
            }
            Ok(())
        }
    };
}

macro_rules! impl_lineage_store {
    ($store:ty, $db:ty, $dialect:expr) => {
        const _: () = {
            use $crate::store::StoreError;
            use $crate::store::convert::db_err;
            use $crate::store::lineage::LineageStore;

            $crate::store::lineage::sql::lineage_helpers!($db);

            #[async_trait::async_trait]
            impl LineageStore for $store {
                async fn refresh_stale_effective_licenses(&self) -> Result<u64, StoreError> {
                    let mut tx = self.pool.begin_with($dialect.begin_write()).await.map_err(db_err)?;
                    sqlx::query::<$db>($dialect.lock_lineage()).execute(&mut *tx).await.map_err(db_err)?;
                    let stale: Vec<(i64,)> =
                        sqlx::query_as("SELECT id FROM versions WHERE effective_stale ORDER BY id")
                            .fetch_all(&mut *tx)
                            .await
                            .map_err(db_err)?;
                    // Each refresh reads its bases' current answers, and recomputing its
                    // derivatives puts right any that were refreshed before it.
                    for (id,) in &stale {
                        let model = refresh_effective(&mut tx, *id).await?;
                        if let Some(model) = model {
                            propagate(&mut tx, model).await?;
                        }
                    }
                    tx.commit().await.map_err(db_err)?;
                    Ok(stale.len() as u64)
                }
            }
        };
    };
}

pub(in crate::store) use {impl_lineage_store, lineage_helpers, lineage_write_bases};
