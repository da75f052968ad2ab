//! The page shell every UI page shares (head, site header, skip link, footer) and the one
//! place that turns a page into a response with the security headers. Pages must not build
//! their own `HttpResponse`.

use actix_web::HttpResponse;
use actix_web::http::{StatusCode, header};
use maud::{DOCTYPE, Markup, html};

use super::assets::{COPY_JS, STYLE};

/// The Content-Security-Policy of every page: no inline script or style, nothing framed.
pub const CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
                       frame-ancestors 'none'; base-uri 'none'; form-action 'self'";

/// A whole HTML document around `body`.
pub fn page(title: &str, body: Markup) -> Markup {
    html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (title) " · modelreg" }
                link rel="stylesheet" href=(STYLE.href());
                script src=(COPY_JS.href()) defer {}
            }
            body {
                a.skip href="#main" { "Skip to content" }
                header.site {
                    a.brand href="/" { "modelreg" }
                    nav aria-label="Site" {
                        a href="/" { "Search models" }
                    }
                }
                main #main { (body) }
            }
        }
    }
}

/// An HTML response with the security headers every page carries.
pub fn respond(status: StatusCode, document: Markup) -> HttpResponse {
    HttpResponse::build(status)
        .insert_header((header::CONTENT_SECURITY_POLICY, CSP))
        .insert_header((header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .insert_header((header::REFERRER_POLICY, "same-origin"))
        .insert_header((header::X_FRAME_OPTIONS, "DENY"))
        // Pages depend on the caller's token; shared caches must not keep them.
        .insert_header((header::CACHE_CONTROL, "private, no-cache"))
        .content_type("text/html; charset=utf-8")
        .body(document.into_string())
}
