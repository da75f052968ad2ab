//! Git LFS for the Hub's uploads: `POST /{ns}/{name}.git/info/lfs/objects/batch` (with the
//! caller's token) and the transfers it hands out, which come back here without a token:
//! `PUT /lfs/objects/{oid}` (`basic`), `PUT /lfs/parts/{oid}/{session}/{n}` and
//! `POST /lfs/complete/{oid}/{session}` (`multipart`). Each transfer URL carries its grant
//! (`t` token, `n` size, `e` expiry) and `s`, the signature the service checks.

use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpRequest, HttpResponse, web};
use modelreg_api::{LfsBatchRequest, lfs_oid};
use serde::Deserialize;
use serde_json::{Value, json};

use super::auth::HfAuth;
use super::errors::HfError;
use crate::http::auth::Write;
use crate::http::body::{Body, JsonLimit, read_request};
use crate::service::hf_upload::{LFS_URL_TTL_SECS, LfsAnswer, LfsGrant, LfsTarget, SignedGrant};
use crate::service::{Registry, RegistryError};

const LFS_JSON: &str = "application/vnd.git-lfs+json";

/// The query of a transfer URL.
#[derive(Deserialize)]
pub struct GrantQuery {
    t: String,
    n: u64,
    e: i64,
    s: String,
}

fn base(req: &HttpRequest) -> String {
    let info = req.connection_info();
    format!("{}://{}{}", info.scheme(), info.host(), super::PREFIX)
}

/// The URL of a signed grant.
fn href(base: &str, (grant, signature): &SignedGrant) -> String {
    let oid = grant.oid.hex();
    let path = match &grant.target {
        LfsTarget::Object => format!("/lfs/objects/{oid}"),
        LfsTarget::Part { session, part } => format!("/lfs/parts/{oid}/{session}/{part}"),
        LfsTarget::Complete { session } => format!("/lfs/complete/{oid}/{session}"),
    };
    format!("{base}{path}?t={}&n={}&e={}&s={signature}", grant.token, grant.size, grant.expires)
}

fn grant(oid: &str, q: &GrantQuery, target: LfsTarget) -> Result<LfsGrant, HfError> {
    let oid = lfs_oid(oid).map_err(|message| RegistryError::Invalid {
        code: crate::service::InvalidCode::InvalidOid,
        message,
    })?;
    Ok(LfsGrant { token: q.t.clone(), oid, size: q.n, expires: q.e, target })
}

fn content_length(req: &HttpRequest) -> Option<u64> {
    req.headers().get(header::CONTENT_LENGTH).and_then(|v| v.to_str().ok()).and_then(|s| s.parse().ok())
}

fn lfs_json(value: Value) -> HttpResponse {
    HttpResponse::Ok()
        .insert_header((header::CONTENT_TYPE, HeaderValue::from_static(LFS_JSON)))
        .body(value.to_string())
}

/// `POST /{ns}/{name}.git/info/lfs/objects/batch`.
pub async fn batch(
    registry: web::Data<Registry>,
    auth: HfAuth<Write>,
    limit: web::Data<JsonLimit>,
    path: web::Path<(String, String)>,
    req: HttpRequest,
    body: Body,
) -> Result<HttpResponse, HfError> {
    let model = auth.repo(&registry, &path.0, &path.1)?;
    let request: LfsBatchRequest = read_request(body, limit.0).await?;
    if request.operation != "upload" {
        return Err(RegistryError::Invalid {
            code: crate::service::InvalidCode::InvalidOperation,
            message: "operation: only 'upload' (downloads go through resolve)".into(),
        }
        .into());
    }
    let multipart = request.transfers.iter().any(|t| t == "multipart");
    let objects = request.objects.into_iter().map(|o| (o.oid, o.size)).collect();
    let answers = registry.hf_lfs_batch(auth.0.writer()?, &model, objects, multipart).await?;
    let base = base(&req);
    let mut any_multipart = false;
    let objects: Vec<Value> = answers
        .into_iter()
        .map(|answer| match answer {
            LfsAnswer::Present { oid, size } => json!({ "oid": oid, "size": size }),
            LfsAnswer::Basic { oid, size, put } => json!({
                "oid": oid, "size": size, "authenticated": true,
                "actions": { "upload": { "href": href(&base, &put), "expires_in": LFS_URL_TTL_SECS } },
            }),
            LfsAnswer::Multipart { oid, size, part_size, parts, complete } => {
                any_multipart = true;
                let mut header = serde_json::Map::new();
                header.insert("chunk_size".into(), json!(part_size.to_string()));
                for (i, part) in parts.iter().enumerate() {
                    header.insert((i + 1).to_string(), json!(href(&base, part)));
                }
                json!({
                    "oid": oid, "size": size, "authenticated": true,
                    "actions": { "upload": { "href": href(&base, &complete), "header": header } },
                })
            }
            LfsAnswer::Error { oid, size, code, message } => {
                json!({ "oid": oid, "size": size, "error": { "code": code, "message": message } })
            }
        })
        .collect();
    let transfer = if any_multipart { "multipart" } else { "basic" };
    Ok(lfs_json(json!({ "transfer": transfer, "objects": objects, "hash_algo": "sha256" })))
}

/// `PUT /lfs/objects/{oid}`: `basic`.
pub async fn put_object(
    registry: web::Data<Registry>,
    path: web::Path<String>,
    query: web::Query<GrantQuery>,
    req: HttpRequest,
    body: Body,
) -> Result<HttpResponse, HfError> {
    let grant = grant(&path, &query, LfsTarget::Object)?;
    let length = content_length(&req).unwrap_or(grant.size);
    registry.hf_lfs_put_object(&grant, &query.s, length, body).await?;
    Ok(HttpResponse::Ok().finish())
}

/// `PUT /lfs/parts/{oid}/{session}/{n}`: one part; its `ETag` goes into the completion.
pub async fn put_part(
    registry: web::Data<Registry>,
    path: web::Path<(String, String, u32)>,
    query: web::Query<GrantQuery>,
    req: HttpRequest,
    body: Body,
) -> Result<HttpResponse, HfError> {
    let (oid, session, part) = path.into_inner();
    let grant = grant(&oid, &query, LfsTarget::Part { session, part })?;
    registry.hf_lfs_put_part(&grant, &query.s, content_length(&req), body).await?;
    Ok(HttpResponse::Ok().insert_header((header::ETAG, format!("\"{part}\""))).finish())
}

/// `POST /lfs/complete/{oid}/{session}`: the client's part list is not needed (the server
/// knows which parts it holds and hashed).
pub async fn complete(
    registry: web::Data<Registry>,
    path: web::Path<(String, String)>,
    query: web::Query<GrantQuery>,
) -> Result<HttpResponse, HfError> {
    let (oid, session) = path.into_inner();
    let grant = grant(&oid, &query, LfsTarget::Complete { session })?;
    registry.hf_lfs_complete(&grant, &query.s).await?;
    Ok(lfs_json(json!({ "oid": oid, "size": grant.size })))
}

/// The LFS routes, added to the `/hf` scope.
pub fn routes(scope: actix_web::Scope) -> actix_web::Scope {
    scope
        .route("/{namespace}/{name}.git/info/lfs/objects/batch", web::post().to(batch))
        .route("/lfs/objects/{oid}", web::put().to(put_object))
        .route("/lfs/parts/{oid}/{session}/{part}", web::put().to(put_part))
        .route("/lfs/complete/{oid}/{session}", web::post().to(complete))
}
