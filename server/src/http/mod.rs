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

use actix_web::web;

pub use auth::{Admin, Auth, Read, Write};
pub use body::{Body, BodyTimeout, JsonLimit};
pub use error::{RetryAfter, retry_after};
pub use observe::{Observed, REQUEST_ID, observe};
pub use system::MetricsAccess;
pub use ui::UiSettings;

/// Registers every route: the documented endpoints (`routes`), then the Hugging Face
/// protocol and the web UI. Unknown routes and wrong methods answer with the JSON envelope.
pub fn configure(cfg: &mut web::ServiceConfig) {
    let mut resources: Vec<(&'static str, actix_web::Resource)> = Vec::new();
    for endpoint in routes::endpoints() {
        let path = endpoint.path;
        let route = endpoint.into_route();
        match resources.iter_mut().find(|(p, _)| *p == path) {
            Some((_, resource)) => {
                let taken = std::mem::replace(resource, web::resource(path));
                *resource = taken.route(route);
            }
            None => resources.push((
                path,
                web::resource(path).default_service(web::to(error::method_not_allowed)).route(route),
            )),
        }
    }
    for (_, resource) in resources {
        cfg.service(resource);
    }
    cfg.configure(hf::configure).configure(ui::configure).default_service(web::to(error::route_not_found));
}

/// The route table of a listener of its own for `/metrics` (`metrics.bind`): nothing else.
pub fn configure_metrics(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::resource("/metrics")
            .route(web::get().to(system::metrics))
            .default_service(web::to(error::method_not_allowed)),
    )
    .default_service(web::to(error::route_not_found));
}
