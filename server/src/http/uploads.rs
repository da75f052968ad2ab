//! Upload-session routes (`/v1/uploads`): create, send a part, status, complete, abort. A
//! session is the calling token's own: another token's requests get 404.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use chrono::{DateTime, SecondsFormat, Utc};
use modelreg_api::{BlobUploaded, CreateUploadRequest, PartUploaded, UploadSession, UploadState};

use super::auth::{Auth, Write};
use super::blobs::content_length;
use super::body::{Body, JsonLimit, read_request};
use super::paths::{PartPath, UploadPath};
use crate::service::{Registry, RegistryError, UploadOpened, UploadPhase, UploadRecord};

fn timestamp(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Millis, true)
}

fn session(s: &UploadRecord) -> UploadSession {
    UploadSession {
        id: Some(s.id.clone()),
        digest: s.digest,
        size: s.size,
        state: match s.phase {
            UploadPhase::Open => UploadState::Open,
            UploadPhase::Complete => UploadState::Complete,
        },
        part_size: s.part_size,
        part_count: s.part_count,
        received: s.stored_parts(),
        expires_at: Some(timestamp(s.expires_at)),
        part_urls: None,
    }
}

pub async fn create(
    registry: web::Data<Registry>,
    auth: Auth<Write>,
    limit: web::Data<JsonLimit>,
    body: Body,
) -> Result<HttpResponse, RegistryError> {
    let request: CreateUploadRequest = read_request(body, limit.0).await?;
    Ok(match registry.create_upload(auth.writer()?, request.digest, request.size).await? {
        UploadOpened::Open(s) => HttpResponse::Created().json(session(&s)),
        UploadOpened::Exists { digest, size } => HttpResponse::Ok().json(UploadSession {
            id: None,
            digest,
            size,
            state: UploadState::Exists,
            part_size: 0,
            part_count: 0,
            received: Vec::new(),
            expires_at: None,
            part_urls: None,
        }),
    })
}

pub async fn put_part(
    registry: web::Data<Registry>,
    auth: Auth<Write>,
    path: web::Path<PartPath>,
    req: HttpRequest,
    body: Body,
) -> Result<HttpResponse, RegistryError> {
    let PartPath { id, part } = path.into_inner();
    let number: u32 = part.parse().map_err(|_| RegistryError::Invalid {
        code: crate::service::InvalidCode::InvalidPart,
        message: format!(
            "part number '{}' is not a positive integer",
            part.chars().take(20).collect::<String>()
        ),
    })?;
    let len = content_length(&req)?;
    let accepted = registry.upload_part(auth.writer()?, &id, number, len, body).await?;
    Ok(HttpResponse::Ok().json(PartUploaded { part: accepted.part, size: accepted.size }))
}

pub async fn status(
    registry: web::Data<Registry>,
    auth: Auth<Write>,
    path: web::Path<UploadPath>,
) -> Result<HttpResponse, RegistryError> {
    Ok(HttpResponse::Ok().json(session(&registry.upload_status(auth.writer()?, &path.id).await?)))
}

pub async fn complete(
    registry: web::Data<Registry>,
    auth: Auth<Write>,
    path: web::Path<UploadPath>,
) -> Result<HttpResponse, RegistryError> {
    let done = registry.complete_upload(auth.writer()?, &path.id).await?;
    let status = if done.created { StatusCode::CREATED } else { StatusCode::OK };
    Ok(HttpResponse::build(status).json(BlobUploaded {
        digest: done.digest,
        size: done.size,
        created: done.created,
    }))
}

pub async fn abort(
    registry: web::Data<Registry>,
    auth: Auth<Write>,
    path: web::Path<UploadPath>,
) -> Result<HttpResponse, RegistryError> {
    registry.abort_upload(auth.writer()?, &path.id).await?;
    Ok(HttpResponse::NoContent().finish())
}
