//! The catalog's row structs, shared by both dialects (sqlx's `FromRow` derive is generic
//! over the database), and their conversion into validated records. No queries here.

use chrono::{DateTime, Utc};
use modelreg_api::{EffectiveLicense, ModelName};

use super::{DerivativeRecord, ModelRecord, VersionDetail, VersionRecord};
use crate::store::StoreError;
use crate::store::access::YankRecord;
use crate::store::convert::{parse_stored, to_u64};

#[derive(sqlx::FromRow)]
pub(in crate::store) struct ModelRow {
    namespace: String,
    name: String,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
}

#[derive(sqlx::FromRow)]
pub(in crate::store) struct VersionRow {
    version: String,
    digest: String,
    size_bytes: i64,
    file_count: i64,
    published_at: DateTime<Utc>,
    yanked_at: Option<DateTime<Utc>>,
    yank_reason: Option<String>,
    yanked_by: Option<String>,
}

#[derive(sqlx::FromRow)]
pub(in crate::store) struct VersionDetailRow {
    #[sqlx(flatten)]
    row: VersionRow,
    manifest: String,
    facts: String,
    effective_license_class: String,
    effective_commercial_use: String,
    license_conflicts: String,
}

#[derive(sqlx::FromRow)]
pub(in crate::store) struct DerivativeRow {
    namespace: String,
    name: String,
    version: String,
    base_relation: Option<String>,
    base_version: Option<String>,
}

impl DerivativeRow {
    pub(in crate::store) fn into_record(self) -> Result<DerivativeRecord, StoreError> {
        Ok(DerivativeRecord {
            model: ModelName::from_parts(&self.namespace, &self.name)
                .map_err(|e| StoreError::Corrupt(e.to_string()))?,
            version: parse_stored("version", &self.version)?,
            relation: self.base_relation,
            base_version: self.base_version,
        })
    }
}

impl ModelRow {
    pub(in crate::store) fn into_record(self) -> Result<ModelRecord, StoreError> {
        Ok(ModelRecord {
            name: ModelName::from_parts(&self.namespace, &self.name)
                .map_err(|e| StoreError::Corrupt(e.to_string()))?,
            created_at: self.created_at,
            updated_at: self.updated_at,
        })
    }
}

impl VersionRow {
    pub(in crate::store) fn into_record(self) -> Result<VersionRecord, StoreError> {
        Ok(VersionRecord {
            version: parse_stored("version", &self.version)?,
            digest: parse_stored("digest", &self.digest)?,
            size_bytes: to_u64("size_bytes", self.size_bytes)?,
            file_count: to_u64("file_count", self.file_count)?,
            published_at: self.published_at,
            yanked: self.yanked_at.map(|at| YankRecord {
                at,
                reason: self.yank_reason.unwrap_or_default(),
                by: self.yanked_by.unwrap_or_default(),
            }),
        })
    }
}

impl VersionDetailRow {
    pub(in crate::store) fn into_detail(self) -> Result<VersionDetail, StoreError> {
        Ok(VersionDetail {
            record: self.row.into_record()?,
            manifest_json: self.manifest,
            facts_json: self.facts,
            effective_license: effective_license(
                &self.effective_license_class,
                &self.effective_commercial_use,
                &self.license_conflicts,
            )?,
        })
    }
}

/// The effective-licence columns of a version, read back.
pub(in crate::store) fn effective_license(
    class: &str,
    commercial_use: &str,
    conflicts: &str,
) -> Result<EffectiveLicense, StoreError> {
    let verdict = crate::store::lineage::stored_verdict(class, commercial_use)?;
    let conflicts = serde_json::from_str(conflicts)
        .map_err(|e| StoreError::Corrupt(format!("license_conflicts column: {e}")))?;
    Ok(EffectiveLicense { class: verdict.class, commercial_use: verdict.commercial_use, conflicts })
}
