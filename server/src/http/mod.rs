//! The HTTP surface (actix-web): one route table shared by the real server and in-process
//! tests, extractors, error mapping, the OpenAPI document and response shaping. Handlers
//! parse, authorise, call one service method and shape the answer: no SQL, no object-store
//! calls, no business rules here. It imports only `service` and the api crate (the
//! `layering` test checks).

mod auth;
mod blobs;
mod body;
mod choose;
pub mod endpoint;
mod error;
pub mod hf;
mod lifecycle;
mod lookup;
mod lookup_params;
mod models;
pub(crate) mod observe;
pub mod openapi;
mod paths;
mod query;
pub mod routes;
mod system;
mod tokens;
mod ui;
mod uploads;

use actix_web::http::Method;
use actix_web::{Route, web};

pub use auth::{Admin, Auth, Read, Write};
pub use body::{Body, BodyTimeout, JsonLimit};
pub use error::{RetryAfter, retry_after};
pub use observe::{Observed, REQUEST_ID, observe};
pub use system::MetricsAccess;
pub use ui::UiSettings;

/// Registers every route: the documented endpoints (`routes`), then the Hugging Face
/// protocol and the web UI. Unknown routes and wrong methods answer with the JSON envelope.
pub fn configure(cfg: &mut web::ServiceConfig) {
    // Grouped by path, in registration order; each resource's `Allow` lists its endpoints' methods.
    let mut resources: Vec<(&'static str, Vec<(Method, Route)>)> = Vec::new();
    for endpoint in routes::endpoints() {
        let (path, method) = (endpoint.path, endpoint.method.clone());
        let route = (method, endpoint.into_route());
        match resources.iter_mut().find(|(p, _)| *p == path) {
            Some((_, routes)) => routes.push(route),
            None => resources.push((path, vec![route])),
        }
    }
    for (path, routes) in resources {
        cfg.service(error::resource(path, routes));
    }
    cfg.configure(hf::configure).configure(ui::configure).default_service(web::to(error::route_not_found));
}

/// The route table of a listener of its own for `/metrics` (`metrics.bind`): nothing else.
pub fn configure_metrics(cfg: &mut web::ServiceConfig) {
    cfg.service(error::resource("/metrics", vec![(Method::GET, web::get().to(system::metrics))]))
        .default_service(web::to(error::route_not_found));
}
