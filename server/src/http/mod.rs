//! The HTTP surface (actix-web): one route table shared by the real server and in-process
//! tests, extractors, error mapping, the OpenAPI document and response shaping. Handlers
//! parse, authorise, call one service method and shape the answer: no SQL, no object-store
//! calls, no business rules here. It imports only `service` and the api crate (the
//! `layering` test checks).

mod auth;
mod blobs;
mod body;
mod choose;
mod error;
pub mod hf;
mod lifecycle;
mod lookup;
mod models;
pub(crate) mod observe;
pub mod openapi;
mod openapi_lifecycle;
mod openapi_uploads;
mod system;
mod tokens;
mod ui;
mod uploads;

use actix_web::web;

pub use auth::{Admin, Auth, Read, Write};
pub use body::{Body, BodyTimeout, JsonLimit};
pub use observe::{Observed, REQUEST_ID, observe};
pub use system::MetricsAccess;
pub use ui::UiSettings;

/// Registers every route. Unknown routes and wrong methods answer with the JSON envelope.
pub fn configure(cfg: &mut web::ServiceConfig) {
    let resource = |path: &str, allow: &'static str| {
        web::resource(path).default_service(error::method_not_allowed(allow))
    };
    cfg.service(resource("/healthz", "GET").route(web::get().to(system::healthz)))
        .service(resource("/readyz", "GET").route(web::get().to(system::readyz)))
        .service(resource("/metrics", "GET").route(web::get().to(system::metrics)))
        .service(resource("/openapi.json", "GET").route(web::get().to(system::openapi)))
        .service(resource("/v1/blobs/missing", "POST").route(web::post().to(blobs::missing)))
        .service(
            resource("/v1/blobs/{digest}", "PUT, GET, HEAD")
                .route(web::put().to(blobs::upload))
                .route(web::get().to(blobs::download))
                .route(web::head().to(blobs::head)),
        )
        .service(resource("/v1/uploads", "POST").route(web::post().to(uploads::create)))
        .service(
            resource("/v1/uploads/{id}", "GET, DELETE")
                .route(web::get().to(uploads::status))
                .route(web::delete().to(uploads::abort)),
        )
        .service(resource("/v1/uploads/{id}/parts/{part}", "PUT").route(web::put().to(uploads::put_part)))
        .service(resource("/v1/uploads/{id}/complete", "POST").route(web::post().to(uploads::complete)))
        .service(resource("/v1/models", "GET").route(web::get().to(lookup::lookup)))
        .service(resource("/v1/choose", "POST").route(web::post().to(choose::choose)))
        .service(resource("/v1/whoami", "GET").route(web::get().to(tokens::whoami)))
        .service(
            resource("/v1/tokens", "POST, GET")
                .route(web::post().to(tokens::create))
                .route(web::get().to(tokens::list)),
        )
        .service(resource("/v1/tokens/{name}", "DELETE").route(web::delete().to(tokens::revoke)))
        .service(resource("/v1/audit", "GET").route(web::get().to(tokens::audit)))
        .service(
            resource("/v1/models/{namespace}/{name}", "GET, DELETE")
                .route(web::get().to(models::summary_route))
                .route(web::delete().to(lifecycle::delete_model)),
        )
        .service(
            resource("/v1/models/{namespace}/{name}/aliases", "GET")
                .route(web::get().to(lifecycle::list_aliases)),
        )
        .service(
            resource("/v1/models/{namespace}/{name}/aliases/{alias}", "PUT, DELETE")
                .route(web::put().to(lifecycle::set_alias))
                .route(web::delete().to(lifecycle::remove_alias)),
        )
        .service(
            resource("/v1/models/{namespace}/{name}/versions/{version}/yank", "POST, DELETE")
                .route(web::post().to(lifecycle::yank))
                .route(web::delete().to(lifecycle::unyank)),
        )
        .service(
            resource("/v1/models/{namespace}/{name}/derivatives", "GET")
                .route(web::get().to(lookup::derivatives)),
        )
        .service(
            resource("/v1/models/{namespace}/{name}/versions", "GET").route(web::get().to(models::versions)),
        )
        .service(
            resource("/v1/models/{namespace}/{name}/versions/{version}", "PUT, GET, DELETE")
                .route(web::put().to(models::publish))
                .route(web::get().to(models::resolve))
                .route(web::delete().to(lifecycle::delete_version)),
        )
        .configure(hf::configure)
        .configure(ui::configure)
        .default_service(web::to(error::route_not_found));
}

/// The route table of a listener of its own for `/metrics` (`metrics.bind`): nothing else.
pub fn configure_metrics(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::resource("/metrics")
            .route(web::get().to(system::metrics))
            .default_service(error::method_not_allowed("GET")),
    )
    .default_service(web::to(error::route_not_found));
}
