//! Token management (admin), `whoami`, and the audit log (admin): the audit query string is
//! parsed here; which entries a caller sees and how pages continue is the service's.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use modelreg_api::{
    AuditEntry, AuditPage, CreateTokenRequest, CreatedToken, ModelName, NameError, TokenInfo, TokenList,
};

use super::auth::{Admin, Auth, Read};
use super::body::{Body, JsonLimit, read_request};
use super::models::timestamp;
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
    path: web::Path<String>,
) -> Result<HttpResponse, RegistryError> {
    registry.revoke_token_as(admin(&auth)?, &path).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// `GET /v1/audit?model=&actor=&since=&limit=&cursor=`
pub async fn audit(
    registry: web::Data<Registry>,
    auth: Auth<Admin>,
    req: HttpRequest,
) -> Result<HttpResponse, RegistryError> {
    let caller = admin(&auth)?;
    let bad = |param: &str, why: &str| RegistryError::invalid_query(param, why);
    let mut query = AuditQuery { model: None, actor: None, since: None, after_id: None, limit: 100 };
    for (key, value) in url::form_urlencoded::parse(req.query_string().as_bytes()) {
        match key.as_ref() {
            "model" => {
                let model: ModelName = value.parse().map_err(|e: NameError| bad("model", &e.to_string()))?;
                query.model = Some(model);
            }
            "actor" => query.actor = Some(value.into_owned()),
            "since" => {
                let at = chrono::DateTime::parse_from_rfc3339(&value)
                    .map_err(|_| bad("since", "expected an RFC 3339 time"))?;
                query.since = Some(at.with_timezone(&chrono::Utc));
            }
            "limit" => {
                query.limit = value
                    .parse()
                    .ok()
                    .filter(|n| (1..=1000).contains(n))
                    .ok_or_else(|| bad("limit", "must be 1-1000"))?;
            }
            "cursor" => {
                query.after_id =
                    Some(value.parse().map_err(|_| bad("cursor", "not a cursor this registry issued"))?)
            }
            other => return Err(bad(other, "unknown parameter")),
        }
    }
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
