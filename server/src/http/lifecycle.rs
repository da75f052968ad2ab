//! Lifecycle routes: aliases (with history), yank and un-yank, and admin deletion.

use actix_web::{HttpResponse, web};
use modelreg_api::{AliasInfo, AliasList, AliasMove, AliasName, SetAliasRequest, Version, YankRequest};
use schemars::JsonSchema;
use serde::Deserialize;
use serde_json::json;

use super::auth::{Admin, Auth, Read, Write};
use super::body::{Body, JsonLimit, read_request};
use super::models::timestamp;
use super::paths::{AliasPath, ModelPath, VersionPath};
use super::query::{Query, SchemaQuery};
use crate::service::{AliasRecord, Registry, RegistryError};

fn alias_name(raw: &str) -> Result<AliasName, RegistryError> {
    raw.parse().map_err(|message| RegistryError::Invalid {
        code: crate::service::InvalidCode::InvalidAlias,
        message,
    })
}

fn exact_version(raw: &str) -> Result<Version, RegistryError> {
    raw.parse().map_err(|e: modelreg_api::VersionError| RegistryError::Invalid {
        code: crate::service::InvalidCode::InvalidVersion,
        message: e.to_string(),
    })
}

/// `GET .../aliases?history=`.
#[derive(Debug, Deserialize, JsonSchema)]
pub struct AliasQuery {
    /// true: also every move of every alias (who, when, from, to), oldest first.
    history: Option<bool>,
}

impl SchemaQuery for AliasQuery {}

fn alias_info(a: AliasRecord) -> AliasInfo {
    AliasInfo {
        alias: a.alias,
        version: a.version,
        updated_at: timestamp(a.updated_at),
        updated_by: a.updated_by,
    }
}

pub async fn list_aliases(
    registry: web::Data<Registry>,
    auth: Auth<Read>,
    path: web::Path<ModelPath>,
    query: Query<AliasQuery>,
) -> Result<HttpResponse, RegistryError> {
    let model = auth.model(&registry, &path.namespace, &path.name)?;
    let with_history = query.0.history.unwrap_or(false);
    let (aliases, history) = registry.list_aliases(&model, with_history).await?;
    let history = history
        .into_iter()
        .map(|h| AliasMove { alias: h.alias, from: h.from, to: h.to, actor: h.actor, at: timestamp(h.at) })
        .collect();
    Ok(HttpResponse::Ok().json(AliasList {
        model,
        aliases: aliases.into_iter().map(alias_info).collect(),
        history,
    }))
}

pub async fn set_alias(
    registry: web::Data<Registry>,
    auth: Auth<Write>,
    limit: web::Data<JsonLimit>,
    path: web::Path<AliasPath>,
    body: Body,
) -> Result<HttpResponse, RegistryError> {
    let AliasPath { namespace, name, alias } = path.into_inner();
    let model = auth.model(&registry, &namespace, &name)?;
    let alias = alias_name(&alias)?;
    let request: SetAliasRequest = read_request(body, limit.0).await?;
    let set = registry.set_alias(&model, &alias, &request.version, request.force, auth.actor()).await?;
    Ok(HttpResponse::Ok().json(alias_info(set)))
}

pub async fn remove_alias(
    registry: web::Data<Registry>,
    auth: Auth<Write>,
    path: web::Path<AliasPath>,
) -> Result<HttpResponse, RegistryError> {
    let AliasPath { namespace, name, alias } = path.into_inner();
    let model = auth.model(&registry, &namespace, &name)?;
    registry.remove_alias(&model, &alias_name(&alias)?, auth.actor()).await?;
    Ok(HttpResponse::NoContent().finish())
}

pub async fn yank(
    registry: web::Data<Registry>,
    auth: Auth<Write>,
    limit: web::Data<JsonLimit>,
    path: web::Path<VersionPath>,
    body: Body,
) -> Result<HttpResponse, RegistryError> {
    let VersionPath { namespace, name, version } = path.into_inner();
    let model = auth.model(&registry, &namespace, &name)?;
    let version = exact_version(&version)?;
    let request: YankRequest = read_request(body, limit.0).await?;
    registry.set_yank(&model, &version, Some(&request.reason), auth.actor()).await?;
    Ok(HttpResponse::Ok()
        .json(json!({ "model": model, "version": version, "yanked": true, "reason": request.reason })))
}

pub async fn unyank(
    registry: web::Data<Registry>,
    auth: Auth<Write>,
    path: web::Path<VersionPath>,
) -> Result<HttpResponse, RegistryError> {
    let VersionPath { namespace, name, version } = path.into_inner();
    let model = auth.model(&registry, &namespace, &name)?;
    let version = exact_version(&version)?;
    registry.set_yank(&model, &version, None, auth.actor()).await?;
    Ok(HttpResponse::Ok().json(json!({ "model": model, "version": version, "yanked": false })))
}

pub async fn delete_version(
    registry: web::Data<Registry>,
    auth: Auth<Admin>,
    path: web::Path<VersionPath>,
) -> Result<HttpResponse, RegistryError> {
    let VersionPath { namespace, name, version } = path.into_inner();
    let model = auth.model(&registry, &namespace, &name)?;
    registry.delete_version(&model, &exact_version(&version)?, auth.actor()).await?;
    Ok(HttpResponse::NoContent().finish())
}

pub async fn delete_model(
    registry: web::Data<Registry>,
    auth: Auth<Admin>,
    path: web::Path<ModelPath>,
) -> Result<HttpResponse, RegistryError> {
    let model = auth.model(&registry, &path.namespace, &path.name)?;
    let deleted = registry.delete_model(&model, auth.actor()).await?;
    Ok(HttpResponse::Ok().json(json!({ "model": model, "deleted_versions": deleted })))
}
