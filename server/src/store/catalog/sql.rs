//! The catalog's SQL, written once for both dialects and instantiated for each by
//! `impl_sql_stores!` (`dialect`): `$N` placeholders, `CAST`,
//! multi-row inserts. What differs per dialect comes from its `Dialect`. The publish writes
//! the version's search columns (`search::write`) and its audit entry (`access::journal`) in
//! its own transaction; nothing here decides what may be published.

/// Rows per multi-row insert of a version's files: 4 variables each, well under SQLite's
/// variable limit.
pub(in crate::store) const FILES_PER_INSERT: usize = 500;

macro_rules! impl_catalog_store {
    ($store:ty, $db:ty, $dialect:expr) => {
        // A const block scopes the imports to this expansion.
        const _: () = {
        use $crate::store::access::journal::{self, AuditEntry};
        use $crate::store::catalog::rows::{DerivativeRow, ModelRow, VersionDetailRow, VersionRow};
        use $crate::store::catalog::sql::FILES_PER_INSERT;
        use $crate::store::catalog::term_stats::TermShareSource;
        use $crate::store::catalog::{
            CatalogStore, DerivativeRecord, ModelRecord, NewFile, NewVersion, PublishOutcome, VersionDetail,
            VersionRecord,
        };
        use $crate::store::convert::{db_err, parse_stored, to_i64};
        use $crate::store::lookup::{self, Cursor, LookupHit, Strategy};
        use $crate::store::search::{SearchDoc, write as search_write};
        use $crate::store::StoreError;
        use modelreg_api::{LookupQuery, ModelName, Version};

        $crate::store::lineage::sql::lineage_helpers!($db);
        $crate::store::lineage::sql::lineage_write_bases!($db);
        $crate::store::catalog::batch::catalog_publish_batch!($db, $dialect);

        #[async_trait::async_trait]
        impl CatalogStore for $store {
            async fn publish_version(&self, new: &NewVersion) -> Result<PublishOutcome, StoreError> {
                let mut tx = self.pool.begin_with($dialect.begin_write()).await.map_err(db_err)?;
                sqlx::query::<$db>($dialect.lock_lineage()).execute(&mut *tx).await.map_err(db_err)?;
                sqlx::query::<$db>(
                    "INSERT INTO models (namespace, name, created_at, updated_at, created_ms)
                     VALUES ($1, $2, $3, $3, $4)
                     ON CONFLICT (namespace, name) DO NOTHING",
                )
                .bind(new.model.namespace())
                .bind(new.model.name())
                .bind(new.published_at)
                .bind(new.published_at.timestamp_millis())
                .execute(&mut *tx)
                .await
                .map_err(db_err)?;
                let (model_id,): (i64,) = sqlx::query_as("SELECT id FROM models WHERE namespace = $1 AND name = $2")
                    .bind(new.model.namespace())
                    .bind(new.model.name())
                    .fetch_one(&mut *tx)
                    .await
                    .map_err(db_err)?;
                let version = new.version.to_string();
                let tombstone: Option<(i64,)> =
                    sqlx::query_as("SELECT CAST(1 AS BIGINT) FROM tombstones WHERE model_id = $1 AND version = $2")
                        .bind(model_id)
                        .bind(&version)
                        .fetch_optional(&mut *tx)
                        .await
                        .map_err(db_err)?;
                if tombstone.is_some() {
                    return Ok(PublishOutcome::Tombstoned);
                }
                // Of concurrent inserts of one (model, version), the losers wait for the winner's
                // commit and then see the conflict: exactly one publish creates the version.
                let doc = SearchDoc::build(&new.model, &new.manifest, &new.facts);
                let inserted: Option<(i64,)> = search_write::insert_version::<$db>(model_id, new, &doc, $dialect)?
                    .build_query_as()
                    .fetch_optional(&mut *tx)
                    .await
                    .map_err(db_err)?;
                let Some((version_id,)) = inserted else {
                    let (existing,): (String,) =
                        sqlx::query_as("SELECT digest FROM versions WHERE model_id = $1 AND version = $2")
                            .bind(model_id)
                            .bind(&version)
                            .fetch_one(&mut *tx)
                            .await
                            .map_err(db_err)?;
                    let existing = parse_stored("digest", &existing)?;
                    return Ok(if existing == new.digest {
                        PublishOutcome::Identical
                    } else {
                        PublishOutcome::Conflict { existing }
                    });
                };
                for chunk in new.files.chunks(FILES_PER_INSERT) {
                    let mut insert = sqlx::QueryBuilder::<$db>::new("INSERT INTO version_files (version_id, path, digest, size_bytes) ");
                    let mut rows = Vec::with_capacity(chunk.len());
                    for f in chunk {
                        rows.push((f.path.clone(), f.digest.to_string(), to_i64(f.size)?));
                    }
                    insert.push_values(rows, |mut b, (path, digest, size)| {
                        b.push_bind(version_id).push_bind(path).push_bind(digest).push_bind(size);
                    });
                    insert.build().execute(&mut *tx).await.map_err(db_err)?;
                }
                for mut statement in search_write::statements(version_id, &new.manifest_json, &doc, $dialect)
                {
                    statement.build().execute(&mut *tx).await.map_err(db_err)?;
                }
                // Effective licence through lineage: this version's, then its derivatives'.
                write_bases(&mut tx, version_id, &new.manifest).await?;
                refresh_effective(&mut tx, version_id).await?;
                propagate(&mut tx, (new.model.namespace().to_owned(), new.model.name().to_owned())).await?;
                sqlx::query::<$db>("UPDATE models SET updated_at = $2 WHERE id = $1")
                    .bind(model_id)
                    .bind(new.published_at)
                    .execute(&mut *tx)
                    .await
                    .map_err(db_err)?;
                // Publishing into a deleted model brings it back (its deleted numbers stay retired).
                sqlx::query::<$db>("UPDATE models SET deleted_at = NULL WHERE id = $1 AND deleted_at IS NOT NULL")
                    .bind(model_id)
                    .execute(&mut *tx)
                    .await
                    .map_err(db_err)?;
                let details = serde_json::json!({ "digest": new.digest, "files": new.files.len(), "size_bytes": new.size_bytes });
                let entry =
                    AuditEntry::new(new.published_at, &new.actor, "publish", details).model(&new.model).version(&new.version);
                journal::audit::<$db>(entry).build().execute(&mut *tx).await.map_err(db_err)?;
                tx.commit().await.map_err(db_err)?;
                Ok(PublishOutcome::Created)
            }

            async fn publish_versions(&self, batch: &[NewVersion]) -> Result<Vec<PublishOutcome>, StoreError> {
                let mut tx = self.pool.begin_with($dialect.begin_write()).await.map_err(db_err)?;
                sqlx::query::<$db>($dialect.lock_lineage()).execute(&mut *tx).await.map_err(db_err)?;
                let outcomes = publish_batch(&mut tx, batch).await?;
                tx.commit().await.map_err(db_err)?;
                Ok(outcomes)
            }

            async fn get_model(&self, name: &ModelName) -> Result<Option<ModelRecord>, StoreError> {
                let row: Option<ModelRow> = sqlx::query_as(
                    "SELECT namespace, name, created_at, updated_at FROM models
                     WHERE namespace = $1 AND name = $2 AND deleted_at IS NULL",
                )
                .bind(name.namespace())
                .bind(name.name())
                .fetch_optional(&self.pool)
                .await
                .map_err(db_err)?;
                row.map(ModelRow::into_record).transpose()
            }

            async fn list_versions(&self, name: &ModelName) -> Result<Vec<VersionRecord>, StoreError> {
                let rows: Vec<VersionRow> = sqlx::query_as(
                    "SELECT v.version, v.digest, v.size_bytes, v.file_count AS file_count, v.published_at, v.yanked_at, v.yank_reason, v.yanked_by
                     FROM versions v JOIN models m ON m.id = v.model_id
                     WHERE m.namespace = $1 AND m.name = $2",
                )
                .bind(name.namespace())
                .bind(name.name())
                .fetch_all(&self.pool)
                .await
                .map_err(db_err)?;
                rows.into_iter().map(VersionRow::into_record).collect()
            }

            async fn get_version(
                &self,
                name: &ModelName,
                version: &Version,
            ) -> Result<Option<VersionDetail>, StoreError> {
                let row: Option<VersionDetailRow> = sqlx::query_as(
                    "SELECT v.version, v.digest, v.size_bytes, v.file_count AS file_count, v.published_at, v.yanked_at, v.yank_reason, v.yanked_by,
                            CAST(d.manifest AS TEXT) AS manifest, CAST(d.facts AS TEXT) AS facts,
                            v.effective_license_class, v.effective_commercial_use, v.license_conflicts
                     FROM versions v JOIN models m ON m.id = v.model_id JOIN version_documents d ON d.version_id = v.id
                     WHERE m.namespace = $1 AND m.name = $2 AND v.version = $3",
                )
                .bind(name.namespace())
                .bind(name.name())
                .bind(version.to_string())
                .fetch_optional(&self.pool)
                .await
                .map_err(db_err)?;
                row.map(VersionDetailRow::into_detail).transpose()
            }

            async fn lookup(
                &self,
                q: &LookupQuery,
                cursor: Option<&Cursor>,
                strategy: Strategy,
            ) -> Result<Vec<LookupHit>, StoreError> {
                // PostgreSQL looks up only the rarer words of `q` in its text index, and its
                // text sample says how common the rarest is.
                let judged;
                let mut text_share = None;
                let q = match q.q.as_deref() {
                    Some(words) if $dialect == $crate::store::dialect::Dialect::Postgres => {
                        match self.term_shares(&[]).await? {
                            Some(shares) => {
                                let words = words.to_lowercase();
                                text_share = shares.text_share(&words);
                                match shares.common_words(&words) {
                                    common if common.is_empty() => q,
                                    common => {
                                        judged = LookupQuery { unindexed_words: common, ..q.clone() };
                                        &judged
                                    }
                                }
                            }
                            None => q,
                        }
                    }
                    _ => q,
                };
                let run = |strategy, window| {
                    lookup::build::<$db>(q, cursor, $dialect, strategy, window)
                };
                let limit = usize::try_from(q.limit).unwrap_or(usize::MAX);
                let wanted = i64::from(q.limit) + 1;
                // A bounded walk that fills the page is the answer; otherwise it goes on, window
                // after window, while the rate of matches it has seen says that walking on reads
                // less than a scan of every match (`lookup::next_window`), and scans if not.
                // Where the statistics know the query's terms, they size the first window, or
                // skip a walk that could only end in the scan (`lookup::first_window`).
                let groups = lookup::candidate_groups(q);
                // PostgreSQL walks only the models with the query's terms (`models.terms`).
                let candidates = $dialect == $crate::store::dialect::Dialect::Postgres && !groups.is_empty();
                let column = lookup::sort_column(q.sort);
                if strategy == Strategy::Auto
                    && let Some((bounded, first)) = lookup::bounded_walk(column.as_ref())
                {
                    let mut size = None;
                    let mut first = Some(first);
                    // A walk in name order over the candidate models finds a match in most of
                    // them, whatever the share of all models.
                    let candidates_by_name = candidates && bounded == Strategy::Walk && column.is_none();
                    // What the statistics expect of the query: from its terms, or from the
                    // text sample for text alone.
                    let expected = if !groups.is_empty()
                        && !candidates_by_name
                        && let Some(shares) = self.term_shares(&groups).await?
                    {
                        let registry = *size.insert(self.registry_size().await?);
                        let weighted = lookup::weighted_groups(q);
                        // On PostgreSQL, a sort on a bucketed key first tries the matches of its
                        // first buckets (`lookup::bucket_window`): one GIN scan of every term
                        // instead of a seek through versions that mostly fail the filters (at a
                        // million versions a seek of 20,000 rows took 50-70 ms, this 10-20).
                        if candidates && lookup::bucket_field(q.sort).is_some() {
                            let plan = lookup::BucketPlan { groups: &weighted, shares: &shares, size: registry };
                            if let Some(hits) = self.walk_buckets(q, cursor, Some(plan)).await? {
                                return Ok(hits);
                            }
                        }
                        Some((lookup::estimate(&weighted, &shares, $dialect), registry))
                    } else if groups.is_empty()
                        && let Some(share) = text_share
                    {
                        // A rare word's matches are read through the trigram index for less
                        // than a walk that rarely finds one (at a million versions a first walk
                        // of 100 models for `q=number 1234` took 3 ms of the line's 8.5).
                        Some((lookup::text_estimate(share), *size.insert(self.registry_size().await?)))
                    } else {
                        None
                    };
                    if let Some((expected, registry)) = expected {
                        let best = q.versions == modelreg_api::VersionsMode::Best;
                        first = first.and_then(|f| lookup::first_window(bounded, best, f, expected, wanted, registry));
                    }
                    let mut walked: Vec<LookupHit> = Vec::new();
                    let mut window = first.map(|take| lookup::Window { skip: 0, take });
                    while let Some(w) = window {
                        // Every hit of a window comes after every hit of the windows before it.
                        let hits: Vec<LookupHit> = run(bounded, Some(w))
                            .build_query_as()
                            .fetch_all(&self.pool)
                            .await
                            .map_err(db_err)?;
                        walked.extend(hits);
                        if walked.len() > limit {
                            walked.truncate(limit + 1);
                            return Ok(walked);
                        }
                        let progress = lookup::Progress {
                            walked: w.skip + w.take,
                            matched: lookup::matched_units(bounded, &walked) as i64,
                            rows: walked.len() as i64,
                        };
                        if progress.matched == 0 {
                            break;
                        }
                        let registry = match size {
                            Some(size) => size,
                            None => *size.insert(self.registry_size().await?),
                        };
                        window = lookup::next_window(bounded, progress, wanted, registry)
                            .map(|take| lookup::Window { skip: progress.walked, take });
                    }
                }
                if strategy == Strategy::Buckets
                    && let Some(hits) = self.walk_buckets(q, cursor, None).await?
                {
                    return Ok(hits);
                }
                // The scan: on PostgreSQL with facet or range filters, every candidate model
                // with its best (or every) matching version, then the page in sort order.
                let strategy = match strategy {
                    Strategy::Buckets => Strategy::Scan,
                    Strategy::Auto if candidates => Strategy::Walk,
                    Strategy::Auto => Strategy::Scan,
                    other => other,
                };
                run(strategy, None).build_query_as().fetch_all(&self.pool).await.map_err(db_err)
            }

            async fn list_derivatives(&self, name: &ModelName) -> Result<Vec<DerivativeRecord>, StoreError> {
                let rows: Vec<DerivativeRow> = sqlx::query_as(
                    "SELECT m.namespace, m.name, v.version, v.base_relation, b.base_version
                     FROM version_bases b JOIN versions v ON v.id = b.version_id JOIN models m ON m.id = v.model_id
                     WHERE b.base_namespace = $1 AND b.base_name = $2
                     ORDER BY m.namespace, m.name, v.id",
                )
                .bind(name.namespace())
                .bind(name.name())
                .fetch_all(&self.pool)
                .await
                .map_err(db_err)?;
                rows.into_iter().map(DerivativeRow::into_record).collect()
            }
        }

        impl $store {
            /// The bucket walk of a sort on a bucketed version column (`lookup::Strategy::Buckets`):
            /// window after window of the key's buckets in sort order until the page is full
            /// (the rows, then), the buckets run out or, with a `plan` from the statistics, the
            /// windows would read too much of the matches (None: the scan answers). Without a
            /// plan, eight buckets a window.
            async fn walk_buckets(
                &self,
                q: &LookupQuery,
                cursor: Option<&Cursor>,
                plan: Option<lookup::BucketPlan<'_>>,
            ) -> Result<Option<Vec<LookupHit>>, StoreError> {
                let limit = usize::try_from(q.limit).unwrap_or(usize::MAX);
                let order = lookup::bucket_order(q, cursor);
                let narrow = plan.as_ref().map(|p| lookup::narrow_ranges(p.groups, p.shares));
                let mut walked: Vec<LookupHit> = Vec::new();
                let mut skip = 0;
                let mut windows = 0;
                while skip < order.len() {
                    let wanted = (limit + 1 - walked.len()) as i64;
                    let take = match &plan {
                        Some(_) if windows == lookup::MAX_BUCKET_WINDOWS => return Ok(None),
                        Some(p) => match lookup::bucket_window(q, &order, skip, wanted, walked.len(), p) {
                            Some(take) => take,
                            None => return Ok(None),
                        },
                        None => 8,
                    };
                    let window = lookup::Window { skip: skip as i64, take };
                    let mut statement = match &narrow {
                        Some(fields) => lookup::build_buckets::<$db>(q, cursor, $dialect, window, fields),
                        None => lookup::build::<$db>(q, cursor, $dialect, Strategy::Buckets, Some(window)),
                    };
                    let hits: Vec<LookupHit> = statement
                        .build_query_as()
                        .fetch_all(&self.pool)
                        .await
                        .map_err(db_err)?;
                    walked.extend(hits);
                    if walked.len() > limit {
                        walked.truncate(limit + 1);
                        return Ok(Some(walked));
                    }
                    skip += usize::try_from(take).unwrap_or(usize::MAX);
                    windows += 1;
                }
                Ok(None)
            }

            /// The registry's size for the automatic lookup's windows, from the largest ids
            /// (one indexed read each).
            async fn registry_size(&self) -> Result<lookup::RegistrySize, StoreError> {
                let (models, versions): (Option<i64>, Option<i64>) =
                    sqlx::query_as("SELECT (SELECT MAX(id) FROM models), (SELECT MAX(id) FROM versions)")
                        .fetch_one(&self.pool)
                        .await
                        .map_err(db_err)?;
                Ok(lookup::RegistrySize { models: models.unwrap_or(0), versions: versions.unwrap_or(0) })
            }
        }
        };
    };
}

pub(in crate::store) use impl_catalog_store;
