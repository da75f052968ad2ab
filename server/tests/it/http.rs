//! HTTP behaviour through the real route table, in process: every error path answers with
//! the JSON envelope and the right status.

mod auth;
mod blob_visibility;
mod blobs;
mod choose;
mod document;
mod eval_lookup;
mod lifecycle;
mod lineage;
mod lookup;
mod lookup_limits;
mod matrix;
mod memory;
mod models;
mod paths;
mod system;
mod tokens;
mod uploads;

use actix_web::dev::{Service, ServiceResponse};
use actix_web::{App, test, web};
use modelreg_api::ErrorEnvelope;
use modelreg_server::http::{JsonLimit, configure};
use modelreg_server::service::{Policy, Principal, Registry};
use modelreg_server::store::Scope;
use tempfile::TempDir;

use crate::support::{default_policy, embedded_registry};

/// A registry on SQLite + a local folder, with a write and a read token.
pub struct Harness {
    pub registry: web::Data<Registry>,
    pub write: String,
    pub read: String,
    pub admin: String,
    _dir: TempDir,
}

impl Harness {
    pub async fn new() -> Self {
        Self::with_policy(default_policy()).await
    }

    pub async fn with_policy(policy: Policy) -> Self {
        let (registry, dir) = embedded_registry(policy).await;
        Self::with_registry(registry, dir).await
    }

    /// A harness over `registry` (kept in `dir`), with the three tokens created in it.
    pub async fn with_registry(registry: Registry, dir: TempDir) -> Self {
        let write = registry.create_token("writer", Scope::Write, Vec::new(), None, "test").await.unwrap().0;
        let read = registry.create_token("reader", Scope::Read, Vec::new(), None, "test").await.unwrap().0;
        let admin = registry.create_token("admin", Scope::Admin, Vec::new(), None, "test").await.unwrap().0;
        Self { registry: web::Data::new(registry), write, read, admin, _dir: dir }
    }

    /// The principal of the `writer` token, for acting as it below HTTP (what it uploads
    /// there, it may publish over HTTP).
    pub fn writer(&self) -> Principal {
        Principal { token_name: "writer".into(), scope: Scope::Write, namespaces: Vec::new() }
    }

    /// Where the registry keeps its SQLite file and blob folder (`blobs/`).
    pub fn data_dir(&self) -> &std::path::Path {
        self._dir.path()
    }

    pub async fn app(
        &self,
    ) -> impl Service<actix_http::Request, Response = ServiceResponse, Error = actix_web::Error> {
        app_for(self.registry.clone(), 64 * 1024).await
    }
}

pub async fn app_for(
    registry: web::Data<Registry>,
    json_limit: usize,
) -> impl Service<actix_http::Request, Response = ServiceResponse, Error = actix_web::Error> {
    test::init_service(
        App::new().app_data(registry).app_data(web::Data::new(JsonLimit(json_limit))).configure(configure),
    )
    .await
}

pub fn bearer(token: &str) -> (&'static str, String) {
    ("Authorization", format!("Bearer {token}"))
}

/// Sends a request and returns status and the decoded error envelope (for non-2xx).
pub async fn error_of(
    app: &impl Service<actix_http::Request, Response = ServiceResponse, Error = actix_web::Error>,
    req: test::TestRequest,
) -> (u16, ErrorEnvelope) {
    let resp = test::call_service(app, req.to_request()).await;
    let status = resp.status().as_u16();
    let content_type = resp.headers().get("content-type").map(|v| v.to_str().unwrap().to_owned());
    let body = test::read_body(resp).await;
    assert_eq!(content_type.as_deref(), Some("application/json"), "status {status}: {body:?}");
    let envelope: ErrorEnvelope = serde_json::from_slice(&body)
        .unwrap_or_else(|e| panic!("status {status}: not an envelope ({e}): {body:?}"));
    (status, envelope)
}
