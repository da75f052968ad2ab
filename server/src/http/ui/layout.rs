//! The page shell every UI page shares (head, site header, skip link, footer) and the one
//! place that turns a page into a response with the security headers. Pages must not build
//! their own `HttpResponse`.

use actix_web::http::header;
use actix_web::{HttpResponse, HttpResponseBuilder};
use maud::{DOCTYPE, Markup, html};

use super::assets::{COPY_JS, STYLE};
use super::session::Who;

/// The Content-Security-Policy of every page: no inline script or style, nothing framed.
pub const CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
                       frame-ancestors 'none'; base-uri 'none'; form-action 'self'";

/// A whole HTML document around `body`; the header says who is signed in.
pub fn page(title: &str, body: Markup, who: &Who) -> Markup {
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
                    (account(who))
                }
                main #main { (body) }
            }
        }
    }
}

/// The header's account corner: sign-out for a session, sign-in for an anonymous visitor,
/// nothing for a bearer-token caller.
fn account(who: &Who) -> Markup {
    html! {
        @match who {
            Who::Session(name) => div.account {
                span { "Signed in as " strong { (name) } }
                form method="post" action="/logout" { button type="submit" { "Sign out" } }
            },
            Who::Anonymous => div.account { a href="/login" { "Sign in" } },
            Who::Bearer => {},
        }
    }
}

/// Finishes a response with the security headers every page carries, and `document` as its
/// body (None for a redirect).
pub fn respond(mut resp: HttpResponseBuilder, document: Option<Markup>) -> HttpResponse {
    resp.insert_header((header::CONTENT_SECURITY_POLICY, CSP))
        .insert_header((header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .insert_header((header::REFERRER_POLICY, "same-origin"))
        .insert_header((header::X_FRAME_OPTIONS, "DENY"))
        // Pages depend on the caller's token; shared caches must not keep them.
        .insert_header((header::CACHE_CONTROL, "private, no-cache"));
    match document {
        Some(d) => resp.content_type("text/html; charset=utf-8").body(d.into_string()),
        None => resp.finish(),
    }
}
