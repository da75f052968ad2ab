//! Liveness, readiness and the OpenAPI document.

use std::sync::OnceLock;

use actix_web::{HttpResponse, web};
use serde_json::json;

use crate::service::{Registry, RegistryError};

pub async fn healthz() -> HttpResponse {
    HttpResponse::Ok().json(json!({ "status": "ok" }))
}

pub async fn readyz(registry: web::Data<Registry>) -> Result<HttpResponse, RegistryError> {
    registry.check_ready().await?;
    Ok(HttpResponse::Ok().json(json!({ "status": "ready" })))
}

pub async fn openapi() -> HttpResponse {
    static DOC: OnceLock<String> = OnceLock::new();
    let doc = DOC.get_or_init(super::openapi::document_json);
    HttpResponse::Ok().content_type("application/json").body(doc.as_str())
}
