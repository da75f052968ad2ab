//! The Hugging Face Hub protocol under `/hf` (issue 11): set `HF_ENDPOINT=<server>/hf` and
//! `HF_TOKEN=<a modelreg token>` and the unmodified `huggingface_hub` and `transformers`
//! clients read from the registry. One route table ([`configure`]) split by behaviour:
//! `errors` (the Hub's error headers), `request_id`, `auth` (the token, `whoami-v2`,
//! `auth-check`), `revisions` (repository + revision -> version), `resolve` (file bytes),
//! `info` (model info), `tree` (tree, paths-info), `refs` (refs, commits) and `list`
//! (`list_models`). The mapping rules live in `service::hf`; nothing here touches a store.

mod auth;
pub mod errors;
mod info;
mod lfs;
mod list;
mod refs;
pub mod request_id;
mod resolve;
mod revisions;
mod tree;
mod upload;

use actix_web::middleware::from_fn;
use actix_web::{Scope, web};

pub use auth::HfAuth;
pub use errors::{HfCode, HfError};
pub use revisions::repo_version;

/// The path prefix clients put in `HF_ENDPOINT`.
pub const PREFIX: &str = "/hf";

/// Registers the `/hf` scope.
pub fn configure(cfg: &mut web::ServiceConfig) {
    let scope =
        upload::routes(download_routes(web::scope(PREFIX))).default_service(web::to(errors::not_found));
    cfg.service(scope.wrap(from_fn(request_id::stamp)));
}

/// The read side: files, model info, trees, refs, commits, listings and the caller.
fn download_routes(scope: Scope) -> Scope {
    let repo = "/api/models/{namespace}/{name}";
    scope
        .route("/api/whoami-v2", web::get().to(auth::whoami))
        .route("/api/models", web::get().to(list::list_models))
        .route(repo, web::get().to(info::model_info))
        .route(&format!("{repo}/revision/{{revision}}"), web::get().to(info::model_info_at))
        .route(&format!("{repo}/tree/{{revision}}"), web::get().to(tree::tree_root))
        .route(&format!("{repo}/tree/{{revision}}/{{path:.*}}"), web::get().to(tree::tree_at))
        .route(&format!("{repo}/paths-info/{{revision}}"), web::post().to(tree::paths_info_route))
        .route(&format!("{repo}/refs"), web::get().to(refs::refs))
        .route(&format!("{repo}/commits/{{revision}}"), web::get().to(refs::commits))
        .route(&format!("{repo}/auth-check"), web::get().to(auth::auth_check))
        .route("/{namespace}/{name}/resolve/{revision}/{path:.*}", web::get().to(resolve::resolve))
        .route("/{namespace}/{name}/resolve/{revision}/{path:.*}", web::head().to(resolve::resolve))
}
