//! Sign-in and sign-out of the web UI: `GET /login` (the form), `POST /login` (a token, checked
//! once by the service, exchanged for a session cookie) and `POST /logout`. Both POSTs must
//! come from the UI's own origin (`Origin`, else `Referer`; neither means no), which, with the
//! `SameSite=Strict` cookie, is the defence against cross-site forgery. After sign-in the
//! browser goes back to `next`, which must be a path on this site. The token is never echoed.

use actix_web::http::{StatusCode, header};
use actix_web::{HttpRequest, HttpResponse, web};
use maud::{Markup, html};
use serde::Deserialize;

use super::session::{UiSettings, Viewer, Who, clear_cookie, origin_of, session_id, set_cookie};
use super::{Page, error_page, layout};
use crate::service::{Registry, RegistryError};

/// Longest `next` path kept; a longer one is replaced by `/`.
const MAX_NEXT: usize = 2048;

/// The sign-in form's fields. No `Debug`: it holds a secret.
#[derive(Deserialize)]
pub struct LoginForm {
    #[serde(default)]
    token: String,
    #[serde(default)]
    next: String,
}

/// The query of `GET /login`.
#[derive(Deserialize)]
pub struct LoginQuery {
    #[serde(default)]
    next: String,
    #[serde(default)]
    signed_out: Option<String>,
}

/// `next` when it is a path on this site (`/...`, not `//host`, no backslash, no control
/// characters: nothing a browser could read as another origin); else `/`.
pub(super) fn local_next(raw: &str) -> &str {
    let local = raw.starts_with('/')
        && !raw.starts_with("//")
        && raw.len() <= MAX_NEXT
        && !raw.chars().any(|c| c == '\\' || c.is_control());
    if local { raw } else { "/" }
}

/// Why a state-changing POST is refused as cross-site, if it is.
fn cross_site(req: &HttpRequest) -> Option<String> {
    let Some(expected) = UiSettings::of(req).expected_origin(req) else {
        return Some("the server cannot tell its own origin".into());
    };
    let headers = req.headers();
    let (source, value) = match (headers.get(header::ORIGIN), headers.get(header::REFERER)) {
        (Some(origin), _) => ("Origin", origin),
        (None, Some(referer)) => ("Referer", referer),
        (None, None) => return Some("the request has neither an Origin nor a Referer header".into()),
    };
    match value.to_str().ok().and_then(origin_of) {
        Some(origin) if origin == expected => None,
        _ => Some(format!("its {source} header is not this site ({expected})")),
    }
}

fn refused(why: &str) -> Page {
    Page {
        status: StatusCode::FORBIDDEN,
        title: "Not allowed".into(),
        body: html! {
            h1 { "Not allowed" }
            p.error role="alert" { "This form was not sent from this site's own page: " (why) "." }
            p { a href="/login" { "Go to the sign-in page" } }
        },
    }
}

/// `GET /login`: the form.
pub async fn form(viewer: Viewer, query: Option<web::Query<LoginQuery>>) -> HttpResponse {
    let (next, notice) = match &query {
        Some(q) => (local_next(&q.next), q.signed_out.as_ref().map(|_| Notice::SignedOut)),
        None => ("/", None),
    };
    let page = Page::ok("Sign in", login_body(next, notice, &viewer.shell.who));
    viewer.shell.respond(Ok(page))
}

/// `POST /login`: check the token once, start a session, set its cookie, go to `next`.
pub async fn sign_in(
    registry: web::Data<Registry>,
    viewer: Viewer,
    req: HttpRequest,
    form: Result<web::Form<LoginForm>, actix_web::Error>,
) -> HttpResponse {
    if let Some(why) = cross_site(&req) {
        return viewer.shell.respond(Ok(refused(&why)));
    }
    let who = &viewer.shell.who;
    let Ok(form) = form else {
        let body =
            login_body("/", Some(Notice::Failed("the form was not readable; send it from this page")), who);
        return viewer.shell.respond(Ok(Page {
            status: StatusCode::BAD_REQUEST,
            title: "Sign in".into(),
            body,
        }));
    };
    let next = local_next(&form.next);
    let secret = form.token.trim();
    if secret.is_empty() {
        let body = login_body(next, Some(Notice::Failed("enter a token")), who);
        return viewer.shell.respond(Ok(Page {
            status: StatusCode::BAD_REQUEST,
            title: "Sign in".into(),
            body,
        }));
    }
    let started = match registry.sign_in(secret).await {
        Ok(started) => started,
        Err(RegistryError::Unauthorized(why)) => {
            let body = login_body(next, Some(Notice::Failed(why)), who);
            let page = Page { status: StatusCode::UNAUTHORIZED, title: "Sign in".into(), body };
            return viewer.shell.respond(Ok(page));
        }
        Err(e) => return viewer.shell.respond(Ok(error_page(&e))),
    };
    // Signing in again replaces the session this browser had.
    if let Some(old) = session_id(&req)
        && let Err(e) = registry.sign_out(&old).await
    {
        tracing::warn!(error = %e, "could not end the replaced browser session");
    }
    let secure = UiSettings::of(&req).secure(&req);
    let mut resp = HttpResponse::build(StatusCode::SEE_OTHER);
    resp.insert_header((header::LOCATION, next.to_owned()));
    set_cookie(&mut resp, secure, &started.id, started.expires_at);
    layout::respond(resp, None)
}

/// `POST /logout`: end the session and remove its cookie.
pub async fn sign_out(registry: web::Data<Registry>, viewer: Viewer, req: HttpRequest) -> HttpResponse {
    if let Some(why) = cross_site(&req) {
        return viewer.shell.respond(Ok(refused(&why)));
    }
    let secure = UiSettings::of(&req).secure(&req);
    let ended = match session_id(&req) {
        Some(id) => registry.sign_out(&id).await,
        None => Ok(()),
    };
    let (mut resp, document) = match ended {
        Ok(()) => {
            let mut resp = HttpResponse::build(StatusCode::SEE_OTHER);
            resp.insert_header((header::LOCATION, "/login?signed_out=1"));
            (resp, None)
        }
        Err(e) => {
            let page = error_page(&e);
            (HttpResponse::build(page.status), Some(layout::page(&page.title, page.body, &Who::Anonymous)))
        }
    };
    clear_cookie(&mut resp, secure);
    layout::respond(resp, document)
}

/// A line above the form.
enum Notice {
    SignedOut,
    Failed(&'static str),
}

fn login_body(next: &str, notice: Option<Notice>, who: &Who) -> Markup {
    html! {
        h1 { "Sign in" }
        @match notice {
            Some(Notice::SignedOut) => p role="status" { "You are signed out." },
            Some(Notice::Failed(why)) => p.error role="alert" { "Sign-in failed: " (why) "." },
            None => {},
        }
        @if let Who::Session(name) = who {
            p { "You are signed in as " strong { (name) } ". Signing in again replaces this session." }
        }
        p {
            "Sign in with an API token of this registry (it starts with " code { "mrg_" } "). "
            "The token is checked once; the browser then keeps a session cookie that ends when "
            "the session does, when the token expires or as soon as the token is revoked. "
            "You see exactly what the token may read."
        }
        form.login method="post" action="/login" {
            label for="token" { "API token" }
            input #token type="password" name="token" required autocomplete="off" spellcheck="false";
            input type="hidden" name="next" value=(next);
            button type="submit" { "Sign in" }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::local_next;

    #[test]
    fn next_is_kept_only_when_it_is_a_path_on_this_site() {
        for ok in ["/", "/m/acme/bert", "/?task=text-generation&cursor=abc", "/compare?m=a/b&m=c/d"] {
            assert_eq!(local_next(ok), ok);
        }
        for bad in [
            "",
            "//evil.example/",
            "https://evil.example/",
            "javascript:alert(1)",
            "/\\evil.example",
            "\\\\evil.example",
            "/\t/evil.example",
            "m/acme",
            &format!("/{}", "a".repeat(3000)),
        ] {
            assert_eq!(local_next(bad), "/", "{bad:?}");
        }
    }
}
