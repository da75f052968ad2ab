//! Token management (admin), `whoami`, and the audit log (admin): the audit query's types
//! are here; which entries a caller sees and how pages continue is the service's.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use modelreg_api::{
    AuditEntry, AuditPage, CreateTokenRequest, CreatedToken, ModelName, TokenInfo, TokenList,
};
use schemars::JsonSchema;
use serde::Deserialize;

use super::auth::{Admin, Auth, Read};
use super::body::{Body, JsonLimit, read_request};
use super::models::timestamp;
use super::paths::TokenPath;
use super::query::{Query, SchemaQuery};
use crate::service::{AuditQuery, Principal, Registry, RegistryError, TokenRecord};

fn info(t: TokenRecord) -> TokenInfo {
    TokenInfo {
        name: t.name,
        scope: t.scope,
        namespaces: t.namespaces,
        created_by: t.created_by,
        created_at: timestamp(t.created_at),
        expires_at: t.expires_at.map(timestamp),
        last_used_at: t.last_used_at.map(timestamp),
        revoked_at: t.revoked_at.map(timestamp),
    }
}

/// The admin behind an `Auth<Admin>`: never anonymous (only reads may be), so the error
/// arm is unreachable in practice and answers as a request without a token would.
fn admin(auth: &Auth<Admin>) -> Result<&Principal, RegistryError> {
    auth.caller().ok_or(RegistryError::Unauthorized(
        "this request needs a token: send 'Authorization: Bearer <token>'",
    ))
}

pub async fn whoami(auth: Auth<Read>) -> Result<HttpResponse, RegistryError> {
    match auth.token {
        Some(t) => Ok(HttpResponse::Ok().json(info(t))),
        None => Err(RegistryError::Unauthorized("anonymous: no token was sent")),
    }
}

pub async fn create(
    registry: web::Data<Registry>,
    auth: Auth<Admin>,
    limit: web::Data<JsonLimit>,
    body: Body,
) -> Result<HttpResponse, RegistryError> {
    let request: CreateTokenRequest = read_request(body, limit.0).await?;
    let (token, record) = registry
        .create_token_as(
            admin(&auth)?,
            &request.name,
            request.scope,
            request.namespaces,
            request.expires_in_days,
        )
        .await?;
    Ok(HttpResponse::build(StatusCode::CREATED).json(CreatedToken { token, info: info(record) }))
}

pub async fn list(registry: web::Data<Registry>, auth: Auth<Admin>) -> Result<HttpResponse, RegistryError> {
    let tokens = registry.list_tokens_as(admin(&auth)?).await?.into_iter().map(info).collect();
    Ok(HttpResponse::Ok().json(TokenList { tokens }))
}

pub async fn revoke(
    registry: web::Data<Registry>,
    auth: Auth<Admin>,
    path: web::Path<TokenPath>,
) -> Result<HttpResponse, RegistryError> {
    registry.revoke_token_as(admin(&auth)?, &path.name).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// `GET /v1/audit?model=&actor=&since=&limit=&cursor=`.
#[derive(Debug, Deserialize, JsonSchema)]
pub struct AuditParams {
    /// Only entries about this model.
    model: Option<ModelName>,
    /// Only entries by this actor (a token's name).
    actor: Option<String>,
    /// Only entries at or after this time (RFC 3339).
    #[schemars(extend("format" = "date-time"))]
    since: Option<String>,
    /// Page size (default 100).
    #[schemars(range(min = 1, max = 1000))]
    limit: Option<u32>,
    /// next_cursor of the previous page.
    cursor: Option<String>,
}

impl SchemaQuery for AuditParams {}

pub async fn audit(
    registry: web::Data<Registry>,
    auth: Auth<Admin>,
    query: Query<AuditParams>,
) -> Result<HttpResponse, RegistryError> {
    let caller = admin(&auth)?;
    let params = query.into_inner();
    let since = match params.since {
        None => None,
        Some(raw) => Some(
            chrono::DateTime::parse_from_rfc3339(&raw)
                .map_err(|_| RegistryError::invalid_query("since", "expected an RFC 3339 time"))?
                .with_timezone(&chrono::Utc),
        ),
    };
    let after_id = match params.cursor {
        None => None,
        Some(raw) => Some(
            raw.parse()
                .map_err(|_| RegistryError::invalid_query("cursor", "not a cursor this registry issued"))?,
        ),
    };
    let query = AuditQuery {
        model: params.model,
        actor: params.actor,
        since,
        after_id,
        limit: params.limit.unwrap_or(100),
    };
    let page = registry.audit_page_as(caller, &query).await?;
    let entries = page
        .records
        .into_iter()
        .map(|r| AuditEntry {
            id: r.id,
            at: timestamp(r.at),
            actor: r.actor,
            action: r.action,
            model: r.model,
            version: r.version,
            details: serde_json::from_str(&r.details).unwrap_or(serde_json::Value::Null),
        })
        .collect();
    Ok(HttpResponse::Ok().json(AuditPage { entries, next_cursor: page.next_after.map(|id| id.to_string()) }))
}
