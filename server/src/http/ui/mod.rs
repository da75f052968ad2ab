//! The web UI (issue 13): read-only, server-rendered pages for people choosing a model —
//! search (`/`), model (`/m/{ns}/{name}[/v/{version}]`) and compare (`/compare`) — plus their
//! static assets, and sign-in/out (`/login`, `/logout`) with browser sessions. Pages resolve the
//! caller (bearer token or session cookie) into the same `Auth` the JSON API uses and call the
//! same service methods, so they see exactly what the caller's lookups see. No SQL, no
//! visibility rules of their own, no writes but a session's start and end.

mod assets;
mod compare;
mod layout;
mod login;
mod markdown;
mod model;
mod model_facts;
mod model_sections;
mod present;
mod search;
mod search_form;
mod session;

use actix_web::http::StatusCode;
use actix_web::{ResponseError, web};
use maud::{Markup, html};

pub use session::UiSettings;
use session::Viewer;

use super::auth::{Auth, Read};
use crate::service::RegistryError;

/// The caller of a page, as the page's body sees it: refused or not (a refusal becomes the
/// page's error, or a redirect to sign in).
type Caller = Result<Auth<Read>, RegistryError>;

/// A rendered page and its status.
struct Page {
    status: StatusCode,
    title: String,
    body: Markup,
}

impl Page {
    fn ok(title: impl Into<String>, body: Markup) -> Self {
        Self { status: StatusCode::OK, title: title.into(), body }
    }
}

/// Registers the UI routes in the one route table.
pub fn configure(cfg: &mut web::ServiceConfig) {
    use actix_web::http::Method;
    let get = |route| vec![(Method::GET, route)];
    let resource = super::error::resource;
    cfg.service(resource("/", get(web::get().to(search::page))))
        .service(resource("/compare", get(web::get().to(compare::page))))
        .service(resource("/m/{namespace}/{name}", get(web::get().to(model::latest))))
        .service(resource("/m/{namespace}/{name}/v/{version}", get(web::get().to(model::version))))
        .service(resource(
            "/login",
            vec![(Method::GET, web::get().to(login::form)), (Method::POST, web::post().to(login::sign_in))],
        ))
        .service(resource("/logout", vec![(Method::POST, web::post().to(login::sign_out))]))
        .service(resource("/ui/assets/{file}", get(web::get().to(assets::serve))));
}

fn error_page(err: &RegistryError) -> Page {
    let status = err.status_code();
    let message = if status.is_server_error() {
        // Logged once here, with its cause; the page says nothing about internals.
        tracing::error!(error = %err, http.status = status.as_u16(), "page failed");
        "The registry could not answer this page. Try again later.".to_owned()
    } else {
        err.to_string()
    };
    let title = match status {
        StatusCode::NOT_FOUND => "Not found",
        StatusCode::UNAUTHORIZED => "Token needed",
        StatusCode::FORBIDDEN => "Not allowed",
        s if s.is_client_error() => "Bad request",
        _ => "Something went wrong",
    };
    let body = html! {
        h1 { (title) }
        p.error role="alert" { (message) }
        @if status == StatusCode::UNAUTHORIZED {
            p { "This registry does not allow anonymous reads. " a href="/login" { "Sign in with a token" } "." }
        }
        p { a href="/" { "Back to search" } }
    };
    Page { status, title: title.to_owned(), body }
}
