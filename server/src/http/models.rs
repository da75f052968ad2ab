//! Model routes: publish a version, model summary, version list, resolve a selector. The
//! service picks `latest` and resolves selectors; this module parses paths and shapes bodies.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use chrono::{DateTime, SecondsFormat, Utc};
use modelreg_api::{
    Manifest, ModelSummary, PublishResponse, Version, VersionList, VersionManifest, VersionSelector,
    VersionSummary, YankInfo,
};

use super::auth::{Auth, Read, Write};
use super::body::{Body, JsonLimit, read_json};
use super::paths::{ModelPath, SelectorPath, VersionPath};
use crate::service::{Registry, RegistryError, VersionRecord, YankRecord};

pub(super) fn timestamp(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Millis, true)
}

fn summary(r: &VersionRecord) -> VersionSummary {
    VersionSummary {
        version: r.version.clone(),
        digest: r.digest,
        size_bytes: r.size_bytes,
        file_count: r.file_count,
        published_at: timestamp(r.published_at),
        yanked: r.yanked.as_ref().map(yank_info),
    }
}

pub(super) fn yank_info(y: &YankRecord) -> YankInfo {
    YankInfo { reason: y.reason.clone(), at: timestamp(y.at), by: y.by.clone() }
}

pub async fn publish(
    registry: web::Data<Registry>,
    auth: Auth<Write>,
    limit: web::Data<JsonLimit>,
    path: web::Path<VersionPath>,
    body: Body,
) -> Result<HttpResponse, RegistryError> {
    let VersionPath { namespace, name, version } = path.into_inner();
    let model = auth.model(&registry, &namespace, &name)?;
    let version: Version = version.parse().map_err(|e: modelreg_api::VersionError| {
        RegistryError::Invalid { code: crate::service::InvalidCode::InvalidVersion, message: e.to_string() }
    })?;
    let manifest: Manifest = read_json(body, limit.0, RegistryError::InvalidManifest).await?;
    let published = registry.publish(auth.writer()?, &model, &version, manifest).await?;
    let status = if published.created { StatusCode::CREATED } else { StatusCode::OK };
    Ok(HttpResponse::build(status).json(PublishResponse {
        model,
        version,
        digest: published.digest,
        created: published.created,
    }))
}

pub async fn summary_route(
    registry: web::Data<Registry>,
    auth: Auth<Read>,
    path: web::Path<ModelPath>,
) -> Result<HttpResponse, RegistryError> {
    let name = auth.model(&registry, &path.namespace, &path.name)?;
    let overview = registry.model_summary(&name).await?;
    Ok(HttpResponse::Ok().json(ModelSummary {
        name,
        latest: overview.latest,
        version_count: overview.version_count,
        created_at: timestamp(overview.model.created_at),
        updated_at: timestamp(overview.model.updated_at),
    }))
}

pub async fn versions(
    registry: web::Data<Registry>,
    auth: Auth<Read>,
    path: web::Path<ModelPath>,
) -> Result<HttpResponse, RegistryError> {
    let model = auth.model(&registry, &path.namespace, &path.name)?;
    let versions = registry.list_versions(&model).await?;
    Ok(HttpResponse::Ok().json(VersionList { model, versions: versions.iter().map(summary).collect() }))
}

pub async fn resolve(
    registry: web::Data<Registry>,
    auth: Auth<Read>,
    path: web::Path<SelectorPath>,
) -> Result<HttpResponse, RegistryError> {
    let SelectorPath { namespace, name, version: selector } = path.into_inner();
    let model = auth.model(&registry, &namespace, &name)?;
    let selector: VersionSelector = selector.parse().map_err(|e: modelreg_api::VersionError| {
        RegistryError::Invalid { code: crate::service::InvalidCode::InvalidSelector, message: e.to_string() }
    })?;
    let resolved = registry.resolve(&model, &selector).await?;
    let record = resolved.record;
    Ok(HttpResponse::Ok().json(VersionManifest {
        model: resolved.model,
        version: record.version,
        digest: record.digest,
        size_bytes: record.size_bytes,
        published_at: timestamp(record.published_at),
        files: resolved.manifest.files,
        metadata: resolved.manifest.metadata,
        facts: resolved.facts,
        effective_license: Some(resolved.effective_license),
        yanked: record.yanked.as_ref().map(yank_info),
    }))
}
