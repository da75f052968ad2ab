//! The choice route (`POST /v1/choose`): read and validate the request, hand it to the
//! service, return its ranking. The ranking, near misses and visibility are the service's.

use actix_web::{HttpResponse, web};
use modelreg_api::ChooseRequest;

use super::auth::{Auth, Read};
use super::body::{Body, JsonLimit, read_request};
use crate::service::{Registry, RegistryError};

pub async fn choose(
    registry: web::Data<Registry>,
    auth: Auth<Read>,
    limit: web::Data<JsonLimit>,
    body: Body,
) -> Result<HttpResponse, RegistryError> {
    let request: ChooseRequest = read_request(body, limit.0).await?;
    let query =
        request.parse().map_err(|e| RegistryError::InvalidQuery { parameter: e.param, reason: e.reason })?;
    let answer = registry.choose(auth.caller(), query, chrono::Utc::now()).await?;
    Ok(HttpResponse::Ok().json(answer))
}
