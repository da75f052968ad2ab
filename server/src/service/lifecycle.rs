//! The version lifecycle: aliases and their history, yank and un-yank, deletion with
//! tombstones, the audit log (what each caller may see, page by page), and garbage
//! collection that is safe against publishes running at the same time.

use std::collections::HashSet;

use chrono::{DateTime, Duration, Utc};
use futures_util::TryStreamExt;
use modelreg_api::{AliasName, ModelName, Scope, Version};

use super::{Principal, Registry, RegistryError};
use crate::store::{AliasMoveRecord, AliasOutcome, AliasRecord, AuditFilter, AuditRecord, GcClaim};

/// What a garbage collection found and freed.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct GcReport {
    pub dry_run: bool,
    pub blobs_scanned: u64,
    pub blobs_deleted: u64,
    pub bytes_freed: u64,
    pub blobs_in_use: u64,
    pub blobs_too_young: u64,
}

/// What a caller asks of the audit log: filters and one page's worth.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditQuery {
    pub model: Option<ModelName>,
    pub actor: Option<String>,
    pub since: Option<DateTime<Utc>>,
    /// Entries after this id (the previous page's `next_after`).
    pub after_id: Option<i64>,
    pub limit: u32,
}

/// One page of the audit log, oldest first, and the id to continue after when more follow.
#[derive(Debug, Clone)]
pub struct AuditPage {
    pub records: Vec<AuditRecord>,
    pub next_after: Option<i64>,
}

/// Audit entries read per round while filtering for a namespace-limited caller.
const AUDIT_SCAN_BATCH: i64 = 200;

/// Whether a namespace-limited `caller` may see one audit entry; `visible_tokens` are the
/// names of the tokens it can see.
fn audit_entry_visible(caller: &Principal, visible_tokens: &HashSet<String>, entry: &AuditRecord) -> bool {
    if let Some(model) = &entry.model {
        return model.split_once('/').is_some_and(|(namespace, _)| caller.covers(namespace));
    }
    let details: serde_json::Value = serde_json::from_str(&entry.details).unwrap_or_default();
    details["token"].as_str().is_some_and(|name| visible_tokens.contains(name))
}

/// How long a GC claim may stand before another collector may take over.
const GC_CLAIM: Duration = Duration::minutes(10);

impl Registry {
    pub async fn set_alias(
        &self,
        model: &ModelName,
        alias: &AliasName,
        version: &Version,
        force: bool,
        actor: &str,
    ) -> Result<AliasRecord, RegistryError> {
        let now = Utc::now();
        match self.meta.set_alias(model, alias, version, force, actor, now).await? {
            AliasOutcome::Set { from } => {
                tracing::info!(model.name = %model, alias = %alias, from = ?from.map(|v| v.to_string()), to = %version, actor, "alias set");
                Ok(AliasRecord {
                    alias: alias.clone(),
                    version: version.clone(),
                    updated_at: now,
                    updated_by: actor.to_owned(),
                })
            }
            AliasOutcome::NoSuchVersion => {
                Err(RegistryError::VersionNotFound { model: model.clone(), selector: version.to_string() })
            }
            AliasOutcome::Yanked => {
                Err(RegistryError::VersionYanked { model: model.clone(), version: version.clone() })
            }
        }
    }

    pub async fn remove_alias(
        &self,
        model: &ModelName,
        alias: &AliasName,
        actor: &str,
    ) -> Result<(), RegistryError> {
        if self.meta.remove_alias(model, alias, actor, Utc::now()).await? {
            Ok(())
        } else {
            Err(RegistryError::AliasNotFound { model: model.clone(), alias: alias.to_string() })
        }
    }

    pub async fn list_aliases(
        &self,
        model: &ModelName,
        with_history: bool,
    ) -> Result<(Vec<AliasRecord>, Vec<AliasMoveRecord>), RegistryError> {
        if self.meta.get_model(model).await?.is_none() {
            return Err(RegistryError::ModelNotFound(model.clone()));
        }
        let aliases = self.meta.list_aliases(model).await?;
        let history = if with_history { self.meta.alias_history(model).await? } else { Vec::new() };
        Ok((aliases, history))
    }

    /// Yanks (with a reason) or un-yanks (None) a version.
    pub async fn set_yank(
        &self,
        model: &ModelName,
        version: &Version,
        reason: Option<&str>,
        actor: &str,
    ) -> Result<(), RegistryError> {
        if let Some(r) = reason
            && (r.trim().is_empty() || r.len() > 1024)
        {
            return Err(RegistryError::Invalid {
                code: crate::service::InvalidCode::InvalidReason,
                message: "reason: give 1-1024 characters".into(),
            });
        }
        if self.meta.set_yank(model, version, reason, actor, Utc::now()).await? {
            tracing::info!(model.name = %model, model.version = %version, yanked = reason.is_some(), actor, "yank changed");
            self.metrics.yank_changed(reason.is_some());
            Ok(())
        } else {
            Err(RegistryError::VersionNotFound { model: model.clone(), selector: version.to_string() })
        }
    }

    pub async fn delete_version(
        &self,
        model: &ModelName,
        version: &Version,
        actor: &str,
    ) -> Result<(), RegistryError> {
        if self.meta.delete_version(model, version, actor, Utc::now()).await? {
            tracing::info!(model.name = %model, model.version = %version, actor, "version deleted");
            self.metrics.deleted(false);
            Ok(())
        } else {
            Err(RegistryError::VersionNotFound { model: model.clone(), selector: version.to_string() })
        }
    }

    /// Deletes every version of a model; returns how many.
    pub async fn delete_model(&self, model: &ModelName, actor: &str) -> Result<u64, RegistryError> {
        let count = self
            .meta
            .delete_model(model, actor, Utc::now())
            .await?
            .ok_or_else(|| RegistryError::ModelNotFound(model.clone()))?;
        tracing::info!(model.name = %model, versions = count, actor, "model deleted");
        self.metrics.deleted(true);
        Ok(count)
    }

    /// The whole audit log (the operator's view).
    pub async fn audit(&self, filter: &AuditFilter) -> Result<Vec<AuditRecord>, RegistryError> {
        Ok(self.meta.list_audit(filter).await?)
    }

    /// The audit entries `caller` may see, oldest first, at most `filter.limit`: entries
    /// about a model in its namespaces and entries about a token it can see (one whose
    /// namespaces lie inside its own). Entries about neither show only to unlimited tokens.
    ///
    /// The store pre-filters by namespace; what it cannot judge (token entries) is judged
    /// here, and the scan continues past hidden entries until the page is full, so hidden
    /// entries never eat into the limit.
    async fn audit_as(
        &self,
        caller: &Principal,
        filter: &AuditFilter,
    ) -> Result<Vec<AuditRecord>, RegistryError> {
        if caller.namespaces.is_empty() {
            return self.audit(filter).await;
        }
        let want = usize::try_from(filter.limit).unwrap_or(0);
        let mut scan = filter.clone();
        scan.limit = filter.limit.max(AUDIT_SCAN_BATCH);
        scan.within = Some(caller.namespaces.clone());
        let visible_tokens: HashSet<String> =
            self.list_tokens_as(caller).await?.into_iter().map(|t| t.name).collect();
        let mut shown = Vec::new();
        while shown.len() < want {
            let batch = self.meta.list_audit(&scan).await?;
            let exhausted = batch.len() < usize::try_from(scan.limit).unwrap_or(usize::MAX);
            scan.after_id = batch.last().map(|r| r.id).or(scan.after_id);
            shown.extend(batch.into_iter().filter(|r| audit_entry_visible(caller, &visible_tokens, r)));
            if exhausted {
                break;
            }
        }
        shown.truncate(want);
        Ok(shown)
    }

    /// One page of the audit entries `caller` may see. Filtering by a model outside its
    /// namespaces answers as any read there would (404).
    pub async fn audit_page_as(
        &self,
        caller: &Principal,
        query: &AuditQuery,
    ) -> Result<AuditPage, RegistryError> {
        if let Some(model) = &query.model {
            self.authorize_model(Some(caller), model, Scope::Read)?;
        }
        let limit = usize::try_from(query.limit).unwrap_or(usize::MAX);
        let filter = AuditFilter {
            model: query.model.as_ref().map(ToString::to_string),
            actor: query.actor.clone(),
            since: query.since,
            after_id: query.after_id,
            within: None,
            // One entry more than the page tells whether another page follows.
            limit: i64::from(query.limit) + 1,
        };
        let mut records = self.audit_as(caller, &filter).await?;
        let next_after = if records.len() > limit {
            records.truncate(limit);
            records.last().map(|r| r.id)
        } else {
            None
        };
        Ok(AuditPage { records, next_after })
    }

    /// Deletes blobs that no version references, that are older than `grace`, and that no
    /// publish holds. Each deletion is claimed in the database first, so a publish racing
    /// with the collector either leases the blob before the claim (and the blob stays) or
    /// finds it claimed and reports it missing (and the client uploads it again).
    pub async fn collect_garbage(
        &self,
        grace: std::time::Duration,
        dry_run: bool,
    ) -> Result<GcReport, RegistryError> {
        let now = Utc::now();
        // A grace reaching before the representable past spares every blob (no overflow).
        let cutoff: DateTime<Utc> = Duration::from_std(grace)
            .ok()
            .and_then(|g| now.checked_sub_signed(g))
            .unwrap_or(DateTime::<Utc>::MIN_UTC);
        let mut report = GcReport { dry_run, ..GcReport::default() };
        let mut blobs = self.blobs.list();
        while let Some(blob) = blobs.try_next().await? {
            report.blobs_scanned += 1;
            if blob.last_modified > cutoff {
                report.blobs_too_young += 1;
                continue;
            }
            if dry_run {
                if self.meta.is_referenced(&blob.digest).await? {
                    report.blobs_in_use += 1;
                } else {
                    report.blobs_deleted += 1;
                    report.bytes_freed += blob.size;
                }
                continue;
            }
            match self.meta.claim_for_gc(&blob.digest, now, now + GC_CLAIM).await? {
                GcClaim::InUse => report.blobs_in_use += 1,
                GcClaim::Claimed => {
                    let deleted = self.blobs.delete(&blob.digest).await;
                    self.meta.release_gc_claim(&blob.digest).await?;
                    deleted?;
                    tracing::info!(blob.digest = %blob.digest, size_bytes = blob.size, "garbage blob deleted");
                    report.blobs_deleted += 1;
                    report.bytes_freed += blob.size;
                }
            }
        }
        Ok(report)
    }
}
