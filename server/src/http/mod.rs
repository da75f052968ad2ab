//! The HTTP surface (actix-web): one route table shared by the real server and in-process
//! tests, extractors, and response shaping. Handlers parse, authorise, call one service
//! method and shape the answer: no SQL, no object-store calls, no business rules here.

mod auth;
mod blobs;
mod body;
mod error;
mod lookup;
mod models;
pub mod openapi;
mod system;

use actix_web::web;

pub use auth::{Auth, Read, Write};
pub use body::JsonLimit;

/// Registers every route. Unknown routes and wrong methods answer with the JSON envelope.
pub fn configure(cfg: &mut web::ServiceConfig) {
    let resource = |path: &str| web::resource(path).default_service(web::to(error::method_not_allowed));
    cfg.service(resource("/healthz").route(web::get().to(system::healthz)))
        .service(resource("/readyz").route(web::get().to(system::readyz)))
        .service(resource("/openapi.json").route(web::get().to(system::openapi)))
        .service(resource("/v1/blobs/missing").route(web::post().to(blobs::missing)))
        .service(
            resource("/v1/blobs/{digest}")
                .route(web::put().to(blobs::upload))
                .route(web::get().to(blobs::download))
                .route(web::head().to(blobs::head)),
        )
        .service(resource("/v1/models").route(web::get().to(lookup::lookup)))
        .service(resource("/v1/models/{namespace}/{name}").route(web::get().to(models::summary_route)))
        .service(
            resource("/v1/models/{namespace}/{name}/derivatives").route(web::get().to(lookup::derivatives)),
        )
        .service(resource("/v1/models/{namespace}/{name}/versions").route(web::get().to(models::versions)))
        .service(
            resource("/v1/models/{namespace}/{name}/versions/{version}")
                .route(web::put().to(models::publish))
                .route(web::get().to(models::resolve)),
        )
        .default_service(web::to(error::route_not_found));
}
