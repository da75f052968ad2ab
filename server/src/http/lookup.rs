//! The lookup route (`GET /v1/models`) and lineage (`.../derivatives`): parse the query,
//! shape the rows. Which namespaces a caller sees is the service's rule, not this module's.

use actix_web::{HttpResponse, web};
use modelreg_api::{
    CommercialUse, Derivative, DerivativeList, LicenseClass, LookupPage, LookupQuery, LookupRow, ModelName,
};

use super::auth::{Auth, Read};
use super::paths::ModelPath;
use super::query::Query;
use crate::service::{LookupHit, Registry, RegistryError};

pub async fn lookup(
    registry: web::Data<Registry>,
    auth: Auth<Read>,
    query: Query<LookupQuery>,
) -> Result<HttpResponse, RegistryError> {
    let result = registry.lookup(auth.caller(), query.into_inner()).await?;
    let results = result.hits.into_iter().map(row).collect::<Result<Vec<_>, _>>()?;
    Ok(HttpResponse::Ok().json(LookupPage { results, next_cursor: result.next_cursor }))
}

fn corrupt(what: &str, e: impl std::fmt::Display) -> RegistryError {
    RegistryError::internal(format!("stored lookup column {what} is unreadable: {e}"))
}

pub(super) fn row(hit: LookupHit) -> Result<LookupRow, RegistryError> {
    let model = ModelName::from_parts(&hit.namespace, &hit.name).map_err(|e| corrupt("name", e))?;
    let url = format!("/v1/models/{model}/versions/{}", hit.version);
    let published = chrono::DateTime::from_timestamp_millis(hit.published_ms).unwrap_or_default();
    Ok(LookupRow {
        version: hit.version.parse().map_err(|e| corrupt("version", e))?,
        digest: hit.digest.parse().map_err(|e| corrupt("digest", e))?,
        license: hit.license,
        license_class: hit.license_class.parse::<LicenseClass>().map_err(|e| corrupt("license_class", e))?,
        commercial_use: hit
            .commercial_use
            .parse::<CommercialUse>()
            .map_err(|e| corrupt("commercial_use", e))?,
        task: hit.task.map(|t| t.parse()).transpose().map_err(|e| corrupt("task", e))?,
        modalities: serde_json::from_str(&hit.modalities_json).map_err(|e| corrupt("modalities", e))?,
        languages: serde_json::from_str(&hit.languages_json).map_err(|e| corrupt("languages", e))?,
        context_length: hit.context_length.and_then(|v| u64::try_from(v).ok()),
        parameters: hit.parameters.and_then(|v| u64::try_from(v).ok()),
        size_bytes: u64::try_from(hit.size_bytes).unwrap_or(0),
        format: hit.format.map(|f| f.parse()).transpose().map_err(|e| corrupt("format", e))?,
        description: hit.description,
        published_at: published.to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
        eval_value: hit.eval_value,
        url,
        model,
        effective_license_class: hit
            .effective_license_class
            .parse::<LicenseClass>()
            .map_err(|e| corrupt("effective_license_class", e))?,
        effective_commercial_use: hit
            .effective_commercial_use
            .parse::<CommercialUse>()
            .map_err(|e| corrupt("effective_commercial_use", e))?,
        license_conflicts: serde_json::from_str(&hit.license_conflicts)
            .map_err(|e| corrupt("license_conflicts", e))?,
    })
}

pub async fn derivatives(
    registry: web::Data<Registry>,
    auth: Auth<Read>,
    path: web::Path<ModelPath>,
) -> Result<HttpResponse, RegistryError> {
    let model = auth.model(&registry, &path.namespace, &path.name)?;
    let records = registry.derivatives(auth.caller(), &model).await?;
    let derivatives = records
        .into_iter()
        .map(|r| Derivative {
            model: r.model,
            version: r.version,
            relation: r.relation.and_then(|x| x.parse().ok()),
            base_version: r.base_version.and_then(|x| x.parse().ok()),
        })
        .collect();
    Ok(HttpResponse::Ok().json(DerivativeList { model, derivatives }))
}
