//! The web UI (issue 13): read-only, server-rendered pages for people choosing a model —
//! search (`/`), model (`/m/{ns}/{name}[/v/{version}]`) and compare (`/compare`) — plus their
//! static assets. Pages resolve the caller with the same `Auth` extractor as the JSON API and
//! call the same service methods, so they see exactly what the caller's lookups see. No SQL,
//! no visibility rules of their own, no writes.

mod assets;
mod compare;
mod layout;
mod markdown;
mod model;
mod model_sections;
mod present;
mod search;
mod search_form;

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, ResponseError, web};
use maud::{Markup, html};

use super::auth::{Auth, Read};
use crate::service::RegistryError;

/// The caller of a page: the API's extractor, but its refusal becomes an HTML page.
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
    let resource =
        |path: &str| web::resource(path).default_service(web::to(super::error::method_not_allowed));
    cfg.service(resource("/").route(web::get().to(search::page)))
        .service(resource("/compare").route(web::get().to(compare::page)))
        .service(resource("/m/{namespace}/{name}").route(web::get().to(model::latest)))
        .service(resource("/m/{namespace}/{name}/v/{version}").route(web::get().to(model::version)))
        .service(resource("/ui/assets/{file}").route(web::get().to(assets::serve)));
}

/// Turns a page or a service error into an HTML response; errors never show as JSON here.
fn respond(result: Result<Page, RegistryError>) -> HttpResponse {
    let page = result.unwrap_or_else(|e| error_page(&e));
    layout::respond(page.status, layout::page(&page.title, page.body))
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
            p { "This registry does not allow anonymous reads. Browser sign-in is not available yet; "
                "the JSON API and the CLI accept a token." }
        }
        p { a href="/" { "Back to search" } }
    };
    Page { status, title: title.to_owned(), body }
}
