//! Liveness, readiness, metrics and the OpenAPI document.

use std::sync::OnceLock;

use actix_web::dev::Payload;
use actix_web::{FromRequest, HttpRequest, HttpResponse, web};
use serde_json::json;

use super::auth::{Admin, Auth};
use crate::service::{Registry, RegistryError};

/// Who may read `/metrics` on a listener (app data; absent means [`MetricsAccess::AdminToken`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MetricsAccess {
    /// The main listener, by default: the series tell how the registry is used, so they need
    /// an admin token like the audit log does.
    AdminToken,
    /// A listener of its own (`metrics.bind`), or `metrics.anonymous = true`: no token.
    Anonymous,
    /// The main listener when `metrics.bind` is set: not served here at all (404).
    Elsewhere,
}

pub async fn healthz() -> HttpResponse {
    HttpResponse::Ok().json(json!({ "status": "ok" }))
}

/// `GET /readyz`: 200 `{"status":"ready","checks":{"database":"ok","blobs":"ok"}}` when both
/// dependencies answer, else 503 `{"status":"unavailable","checks":{...}}` naming the one
/// that is `down` (with `Retry-After`, like every 503).
pub async fn readyz(registry: web::Data<Registry>) -> HttpResponse {
    let readiness = registry.readiness().await;
    let state = |up: bool| if up { "ok" } else { "down" };
    let checks = json!({ "database": state(readiness.database), "blobs": state(readiness.blobs) });
    if readiness.is_ready() {
        HttpResponse::Ok().json(json!({ "status": "ready", "checks": checks }))
    } else {
        HttpResponse::ServiceUnavailable().json(json!({ "status": "unavailable", "checks": checks }))
    }
}

pub async fn openapi() -> HttpResponse {
    static DOC: OnceLock<String> = OnceLock::new();
    let doc = DOC.get_or_init(super::openapi::document_json);
    HttpResponse::Ok().content_type("application/json").body(doc.as_str())
}

/// `GET /metrics`: every series in the Prometheus text format.
pub async fn metrics(req: HttpRequest, registry: web::Data<Registry>) -> Result<HttpResponse, RegistryError> {
    let access =
        req.app_data::<web::Data<MetricsAccess>>().map_or(MetricsAccess::AdminToken, |a| *a.get_ref());
    match access {
        MetricsAccess::Anonymous => {}
        MetricsAccess::AdminToken => {
            Auth::<Admin>::from_request(&req, &mut Payload::None).await?;
        }
        MetricsAccess::Elsewhere => return Ok(super::error::route_not_found(req).await),
    }
    let text = registry.render_metrics().await;
    Ok(HttpResponse::Ok().content_type(crate::service::METRICS_CONTENT_TYPE).body(text))
}
