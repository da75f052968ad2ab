//! A batch publish, written once for both dialects: many versions in one transaction with
//! multi-row inserts (an import, and how the lookup bench seeds a million versions), each
//! with the outcome `publish_version` would have had for it. Expanded inside the catalog's
//! `const _` block by `impl_catalog_store!`; the rows are `search::write`'s, the same
//! statements a single publish runs.

/// Models or versions per multi-row statement: at most 37 variables a row (a version), well
/// under SQLite's and PostgreSQL's variable limits.
pub(in crate::store) const ROWS_PER_INSERT: usize = 500;

macro_rules! catalog_publish_batch {
    ($db:ty, $dialect:expr) => {
        /// Writes `batch` in `tx` (which holds the lineage lock): models, versions, files,
        /// search rows, effective licences, audit entries.
        async fn publish_batch(
            tx: &mut sqlx::Transaction<'_, $db>,
            batch: &[NewVersion],
        ) -> Result<Vec<PublishOutcome>, StoreError> {
            use std::collections::{HashMap, HashSet};

            use $crate::store::catalog::batch::ROWS_PER_INSERT;

            // Each model once, with the times of its first and last version in the batch.
            let mut models: Vec<(&ModelName, chrono::DateTime<chrono::Utc>, chrono::DateTime<chrono::Utc>)> =
                Vec::new();
            let mut model_index: HashMap<&ModelName, usize> = HashMap::new();
            for new in batch {
                match model_index.get(&new.model) {
                    Some(&i) => models[i].2 = new.published_at,
                    None => {
                        model_index.insert(&new.model, models.len());
                        models.push((&new.model, new.published_at, new.published_at));
                    }
                }
            }
            let mut ids: HashMap<(String, String), i64> = HashMap::new();
            for chunk in models.chunks(ROWS_PER_INSERT) {
                let mut insert = sqlx::QueryBuilder::<$db>::new(
                    "INSERT INTO models (namespace, name, created_at, updated_at, created_ms) ",
                );
                insert.push_values(chunk, |mut b, (name, first, _)| {
                    b.push_bind(name.namespace().to_owned())
                        .push_bind(name.name().to_owned())
                        .push_bind(*first)
                        .push_bind(*first)
                        .push_bind(first.timestamp_millis());
                });
                insert.push(" ON CONFLICT (namespace, name) DO NOTHING");
                insert.build().execute(&mut **tx).await.map_err(db_err)?;
                let mut select =
                    sqlx::QueryBuilder::<$db>::new("SELECT id, namespace, name FROM models WHERE (namespace, name) IN (");
                select.push_values(chunk, |mut b, (name, _, _)| {
                    b.push_bind(name.namespace().to_owned()).push_bind(name.name().to_owned());
                });
                select.push(")");
                let rows: Vec<(i64, String, String)> =
                    select.build_query_as().fetch_all(&mut **tx).await.map_err(db_err)?;
                ids.extend(rows.into_iter().map(|(id, ns, name)| ((ns, name), id)));
            }
            let model_id = |name: &ModelName| -> Result<i64, StoreError> {
                ids.get(&(name.namespace().to_owned(), name.name().to_owned()))
                    .copied()
                    .ok_or_else(|| StoreError::Corrupt(format!("model {name} vanished during a publish")))
            };
            let mut tombstones: HashSet<(i64, String)> = HashSet::new();
            let all_ids: Vec<i64> = ids.values().copied().collect();
            for chunk in all_ids.chunks(ROWS_PER_INSERT) {
                let mut select =
                    sqlx::QueryBuilder::<$db>::new("SELECT model_id, version FROM tombstones WHERE model_id IN (");
                let mut list = select.separated(", ");
                for id in chunk {
                    list.push_bind(*id);
                }
                select.push(")");
                let rows: Vec<(i64, String)> = select.build_query_as().fetch_all(&mut **tx).await.map_err(db_err)?;
                tombstones.extend(rows);
            }

            let mut outcomes: Vec<Option<PublishOutcome>> = vec![None; batch.len()];
            let mut candidates = Vec::new();
            for (i, new) in batch.iter().enumerate() {
                let id = model_id(&new.model)?;
                if tombstones.contains(&(id, new.version.to_string())) {
                    outcomes[i] = Some(PublishOutcome::Tombstoned);
                } else {
                    candidates.push((i, id, SearchDoc::build(&new.model, &new.manifest, &new.facts)));
                }
            }
            // (batch index, version id) of each version created.
            let mut created: Vec<(usize, i64)> = Vec::new();
            let mut created_ids: HashSet<i64> = HashSet::new();
            for chunk in candidates.chunks(ROWS_PER_INSERT) {
                let rows = chunk.iter().map(|(i, id, doc)| (*id, &batch[*i], doc));
                let inserted: Vec<(i64, i64, String)> = search_write::insert_versions::<$db>(rows, $dialect)?
                    .build_query_as()
                    .fetch_all(&mut **tx)
                    .await
                    .map_err(db_err)?;
                let inserted: HashMap<(i64, String), i64> =
                    inserted.into_iter().map(|(id, model, version)| ((model, version), id)).collect();
                for (i, model, _) in chunk {
                    let new = &batch[*i];
                    let version = new.version.to_string();
                    match inserted.get(&(*model, version.clone())) {
                        // A batch naming one version twice creates it once; the repeat is
                        // identical or a conflict, as a second publish would be.
                        Some(&id) if created_ids.insert(id) => created.push((*i, id)),
                        _ => {
                            let (existing,): (String,) =
                                sqlx::query_as("SELECT digest FROM versions WHERE model_id = $1 AND version = $2")
                                    .bind(*model)
                                    .bind(&version)
                                    .fetch_one(&mut **tx)
                                    .await
                                    .map_err(db_err)?;
                            let existing = parse_stored("digest", &existing)?;
                            outcomes[*i] = Some(if existing == new.digest {
                                PublishOutcome::Identical
                            } else {
                                PublishOutcome::Conflict { existing }
                            });
                        }
                    }
                }
            }
            let docs: HashMap<usize, &SearchDoc> = candidates.iter().map(|(i, _, doc)| (*i, doc)).collect();

            let files: Vec<(i64, &NewFile)> =
                created.iter().flat_map(|(i, id)| batch[*i].files.iter().map(move |f| (*id, f))).collect();
            for chunk in files.chunks(FILES_PER_INSERT) {
                let mut insert =
                    sqlx::QueryBuilder::<$db>::new("INSERT INTO version_files (version_id, path, digest, size_bytes) ");
                let mut rows = Vec::with_capacity(chunk.len());
                for (id, f) in chunk {
                    rows.push((*id, f.path.clone(), f.digest.to_string(), to_i64(f.size)?));
                }
                insert.push_values(rows, |mut b, (id, path, digest, size)| {
                    b.push_bind(id).push_bind(path).push_bind(digest).push_bind(size);
                });
                insert.build().execute(&mut **tx).await.map_err(db_err)?;
            }
            let search_rows: Vec<(i64, &str, &SearchDoc)> =
                created.iter().map(|(i, id)| (*id, batch[*i].manifest_json.as_str(), docs[i])).collect();
            for mut statement in search_write::statements_many(&search_rows, $dialect) {
                statement.build().execute(&mut **tx).await.map_err(db_err)?;
            }
            // Effective licences: the insert wrote each version's own, exact without bases.
            let mut touched: Vec<&ModelName> = Vec::new();
            for (i, id) in &created {
                let new = &batch[*i];
                if new.manifest.metadata.bases().next().is_some() {
                    write_bases(tx, *id, &new.manifest).await?;
                    refresh_effective(tx, *id).await?;
                }
                touched.push(&new.model);
            }
            touched.sort();
            touched.dedup();
            for model in &touched {
                propagate(tx, (model.namespace().to_owned(), model.name().to_owned())).await?;
            }
            for chunk in touched.chunks(ROWS_PER_INSERT) {
                // Publishing into a deleted model brings it back (its deleted numbers stay retired).
                let mut update =
                    sqlx::QueryBuilder::<$db>::new("UPDATE models SET deleted_at = NULL, updated_at = CASE id");
                for model in chunk {
                    let last = models[model_index[model]].2;
                    update.push(" WHEN ").push_bind(model_id(model)?).push(" THEN ").push_bind(last);
                }
                update.push(" END WHERE id IN (");
                let mut list = update.separated(", ");
                for model in chunk {
                    list.push_bind(model_id(model)?);
                }
                update.push(")");
                update.build().execute(&mut **tx).await.map_err(db_err)?;
            }
            for chunk in created.chunks(ROWS_PER_INSERT) {
                let entries = chunk.iter().map(|(i, _)| {
                    let new = &batch[*i];
                    let details = serde_json::json!({ "digest": new.digest, "files": new.files.len(), "size_bytes": new.size_bytes });
                    AuditEntry::new(new.published_at, &new.actor, "publish", details).model(&new.model).version(&new.version)
                });
                journal::audits::<$db>(entries).build().execute(&mut **tx).await.map_err(db_err)?;
            }
            for (i, _) in &created {
                outcomes[*i] = Some(PublishOutcome::Created);
            }
            outcomes
                .into_iter()
                .map(|o| o.ok_or_else(|| StoreError::Corrupt("a batch publish left a version undecided".into())))
                .collect()
        }
    };
}

pub(in crate::store) use catalog_publish_batch;
