//! PostgreSQL implementation of [`MetadataStore`]: plain SQL, native types (`jsonb`,
//! `timestamptz`, `bigint`), migrations from `migrations/postgres`.

use std::time::Duration;

use async_trait::async_trait;
use modelreg_api::{LookupQuery, ModelName, Version};
use sqlx::postgres::{PgPool, PgPoolOptions};

use super::lookup::{self, Cursor, Dialect, LookupHit, Strategy};
use super::rows::{DerivativeRow, ModelRow, VersionDetailRow, VersionRow};
use super::search_doc::SearchDoc;
use super::search_write;
use super::{
    DerivativeRecord, MetadataStore, ModelRecord, NewVersion, PublishOutcome, StoreError, VersionDetail,
    VersionRecord, db_err, parse_stored, to_i64,
};

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("../migrations/postgres");

pub struct PostgresStore {
    pub(super) pool: PgPool,
}

impl PostgresStore {
    /// Connects and runs pending migrations.
    pub async fn connect(url: &str, max_connections: Option<u32>) -> Result<Self, StoreError> {
        let pool = PgPoolOptions::new()
            .max_connections(max_connections.unwrap_or(10))
            .acquire_timeout(Duration::from_secs(10))
            .connect(url)
            .await
            .map_err(db_err)?;
        MIGRATOR.run(&pool).await.map_err(db_err)?;
        Ok(Self { pool })
    }
}

#[async_trait]
impl MetadataStore for PostgresStore {
    async fn ping(&self) -> Result<(), StoreError> {
        sqlx::query("SELECT 1").execute(&self.pool).await.map_err(db_err)?;
        Ok(())
    }

    async fn publish_version(&self, new: &NewVersion) -> Result<PublishOutcome, StoreError> {
        let mut tx = self.pool.begin().await.map_err(db_err)?;
        sqlx::query(
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
        let inserted: Option<(i64,)> = search_write::insert_version::<sqlx::Postgres>(model_id, new, &doc)?
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
        let paths: Vec<&str> = new.files.iter().map(|f| f.path.as_str()).collect();
        let digests: Vec<String> = new.files.iter().map(|f| f.digest.to_string()).collect();
        let sizes = new.files.iter().map(|f| to_i64(f.size)).collect::<Result<Vec<_>, _>>()?;
        sqlx::query(
            "INSERT INTO version_files (version_id, path, digest, size_bytes)
             SELECT $1, * FROM UNNEST($2::text[], $3::text[], $4::bigint[])",
        )
        .bind(version_id)
        .bind(&paths)
        .bind(&digests)
        .bind(&sizes)
        .execute(&mut *tx)
        .await
        .map_err(db_err)?;
        for mut statement in search_write::statements(version_id, &new.manifest_json, &doc, Dialect::Postgres)
        {
            statement.build().execute(&mut *tx).await.map_err(db_err)?;
        }
        sqlx::query("UPDATE models SET updated_at = $2 WHERE id = $1")
            .bind(model_id)
            .bind(new.published_at)
            .execute(&mut *tx)
            .await
            .map_err(db_err)?;
        // Publishing into a deleted model brings it back (its deleted numbers stay retired).
        sqlx::query("UPDATE models SET deleted_at = NULL WHERE id = $1 AND deleted_at IS NOT NULL")
            .bind(model_id)
            .execute(&mut *tx)
            .await
            .map_err(db_err)?;
        let details = serde_json::json!({ "digest": new.digest, "files": new.files.len(), "size_bytes": new.size_bytes });
        audit(
            &mut tx,
            new.published_at,
            &new.actor,
            "publish",
            Some(&new.model),
            Some(&new.version),
            details,
            None,
        )
        .await?;
        tx.commit().await.map_err(db_err)?;
        Ok(PublishOutcome::Created)
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
            "SELECT v.version, v.digest, v.size_bytes, v.file_count::bigint AS file_count, v.published_at, v.yanked_at, v.yank_reason, v.yanked_by
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
            "SELECT v.version, v.digest, v.size_bytes, v.file_count::bigint AS file_count, v.published_at, v.yanked_at, v.yank_reason, v.yanked_by,
                    d.manifest::text AS manifest, d.facts::text AS facts
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
        let run = |strategy, window| {
            lookup::build::<sqlx::Postgres>(q, cursor, Dialect::Postgres, strategy, window)
        };
        let limit = usize::try_from(q.limit).unwrap_or(usize::MAX);
        match strategy {
            Strategy::Auto if lookup::can_walk(q) => {
                let walked: Vec<LookupHit> = run(Strategy::Walk, Some(lookup::WALK_WINDOW))
                    .build_query_as()
                    .fetch_all(&self.pool)
                    .await
                    .map_err(db_err)?;
                if walked.len() > limit {
                    return Ok(walked);
                }
                run(Strategy::Scan, None).build_query_as().fetch_all(&self.pool).await.map_err(db_err)
            }
            other => run(other, None).build_query_as().fetch_all(&self.pool).await.map_err(db_err),
        }
    }

    async fn list_derivatives(&self, name: &ModelName) -> Result<Vec<DerivativeRecord>, StoreError> {
        let rows: Vec<DerivativeRow> = sqlx::query_as(
            "SELECT m.namespace, m.name, v.version, v.base_relation, v.base_version
             FROM versions v JOIN models m ON m.id = v.model_id
             WHERE v.base_namespace = $1 AND v.base_name = $2
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

super::access::impl_access_store!(PostgresStore, sqlx::Postgres, "BEGIN");
