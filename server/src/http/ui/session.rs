//! Who is looking at a page: the web UI's caller extractor and the session cookie. A page's
//! caller is the `Authorization: Bearer` token when one is sent (as on the API), else the
//! browser session its cookie names, else anonymous; either way the same `Auth<Read>`
//! decision follows, so a session sees exactly what its token's lookups see. The cookie is
//! read here and nowhere else: it never authenticates the JSON API. Sessions themselves
//! (ids, expiry, revocation) are the service's.

use std::future::Future;
use std::pin::Pin;

use actix_web::dev::Payload;
use actix_web::http::{StatusCode, header};
use actix_web::{FromRequest, HttpRequest, HttpResponse, HttpResponseBuilder, web};
use chrono::{DateTime, Utc};

use super::super::auth::{Auth, Read, bearer_of};
use super::{Page, error_page, layout};
use crate::service::{Registry, RegistryError};

/// The cookie of a session served over plain HTTP.
const COOKIE: &str = "modelreg_session";
/// The cookie of a session served over TLS: browsers accept a `__Host-` cookie only with
/// `Secure`, `Path=/` and no `Domain`, so a plain-HTTP response or a sibling host cannot
/// plant one.
const SECURE_COOKIE: &str = "__Host-modelreg_session";

/// How the UI is reached, from the configuration (`ui.public_url`); absent in app data, the
/// default (the request's own origin) holds.
#[derive(Debug, Clone, Default)]
pub struct UiSettings {
    /// The origin browsers use (`https://models.example.com`), when a proxy in front changes it.
    pub public_origin: Option<url::Url>,
}

impl UiSettings {
    /// Settings from the configured public URL (validated at config load).
    pub fn from_public_url(public_url: Option<&str>) -> Result<Self, url::ParseError> {
        Ok(Self { public_origin: public_url.map(url::Url::parse).transpose()? })
    }

    pub(super) fn of(req: &HttpRequest) -> Self {
        req.app_data::<web::Data<Self>>().map(|s| s.get_ref().clone()).unwrap_or_default()
    }

    /// The origin sign-in and sign-out must come from: the public URL's, else the request's.
    pub(super) fn expected_origin(&self, req: &HttpRequest) -> Option<String> {
        match &self.public_origin {
            Some(url) => origin_of(url.as_str()),
            None => {
                let info = req.connection_info();
                origin_of(&format!("{}://{}", info.scheme(), info.host()))
            }
        }
    }

    /// Whether the browser reaches us over TLS: the public URL says https, or the request
    /// came over TLS (directly or as a proxy's `X-Forwarded-Proto`/`Forwarded` header says).
    pub(super) fn secure(&self, req: &HttpRequest) -> bool {
        self.public_origin.as_ref().is_some_and(|u| u.scheme() == "https")
            || req.connection_info().scheme() == "https"
    }
}

/// The serialised origin of a URL (`scheme://host[:port]`, default ports left out), or None
/// for an opaque origin (`null`, `data:`, garbage).
pub(super) fn origin_of(raw: &str) -> Option<String> {
    let origin = url::Url::parse(raw).ok()?.origin();
    origin.is_tuple().then(|| origin.ascii_serialization())
}

/// The session cookie's value, when the request carries one under the name this transport
/// uses.
fn session_cookie(req: &HttpRequest, secure: bool) -> Option<String> {
    let wanted = if secure { SECURE_COOKIE } else { COOKIE };
    req.headers()
        .get_all(header::COOKIE)
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, _)| *name == wanted)
        .map(|(_, value)| value.trim_matches('"').to_owned())
}

/// Sets the session cookie: `HttpOnly` (no script reads it), `SameSite=Strict` (no other
/// site's request carries it), `Path=/`, `Secure` over TLS, and ending with the session.
pub(super) fn set_cookie(resp: &mut HttpResponseBuilder, secure: bool, id: &str, expires_at: DateTime<Utc>) {
    let max_age = (expires_at - Utc::now()).num_seconds().max(0);
    resp.append_header((header::SET_COOKIE, cookie_header(secure, id, max_age)));
}

/// Removes the session cookie.
pub(super) fn clear_cookie(resp: &mut HttpResponseBuilder, secure: bool) {
    resp.append_header((header::SET_COOKIE, cookie_header(secure, "", 0)));
}

fn cookie_header(secure: bool, value: &str, max_age: i64) -> String {
    let (name, tls) = if secure { (SECURE_COOKIE, "; Secure") } else { (COOKIE, "") };
    format!("{name}={value}; HttpOnly; SameSite=Strict; Path=/; Max-Age={max_age}{tls}")
}

/// Whom the page header names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Who {
    /// No credentials (or a session that has ended): the header offers sign-in.
    Anonymous,
    /// A live browser session of this token: the header offers sign-out.
    Session(String),
    /// A bearer token (a proxy or a script): nothing to sign in or out of.
    Bearer,
}

/// What a page's response needs besides the page: who is looking, whether to clear an
/// ended session's cookie, and where to come back to after signing in.
pub struct Shell {
    pub who: Who,
    stale_cookie: bool,
    secure: bool,
    here: String,
}

impl Shell {
    /// The page, or its error as a page. An anonymous visitor refused for want of a token is
    /// sent to sign in and brought back here afterwards.
    pub fn respond(&self, result: Result<Page, RegistryError>) -> HttpResponse {
        if let Err(RegistryError::Unauthorized(_)) = &result
            && self.who == Who::Anonymous
        {
            let mut resp = HttpResponse::build(StatusCode::SEE_OTHER);
            let query =
                url::form_urlencoded::Serializer::new(String::new()).append_pair("next", &self.here).finish();
            resp.insert_header((header::LOCATION, format!("/login?{query}")));
            return self.finish(resp, None);
        }
        let page = result.unwrap_or_else(|e| error_page(&e));
        let resp = HttpResponse::build(page.status);
        let document = layout::page(&page.title, page.body, &self.who);
        self.finish(resp, Some(document))
    }

    fn finish(&self, mut resp: HttpResponseBuilder, document: Option<maud::Markup>) -> HttpResponse {
        if self.stale_cookie {
            clear_cookie(&mut resp, self.secure);
        }
        layout::respond(resp, document)
    }
}

/// A page's caller (`auth`, refused or not; a page turns a refusal into its error page) and
/// its [`Shell`]. Extraction itself never fails.
pub struct Viewer {
    pub auth: Result<Auth<Read>, RegistryError>,
    pub shell: Shell,
}

impl FromRequest for Viewer {
    type Error = actix_web::Error;
    type Future = Pin<Box<dyn Future<Output = Result<Self, actix_web::Error>>>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let registry = req.app_data::<web::Data<Registry>>().cloned();
        let secure = UiSettings::of(req).secure(req);
        let bearer = bearer_of(req);
        let cookie = session_cookie(req, secure);
        let here = req.uri().path_and_query().map_or("/", |p| p.as_str()).to_owned();
        Box::pin(async move {
            let mut shell = Shell { who: Who::Anonymous, stale_cookie: false, secure, here };
            let Some(registry) = registry else {
                return Ok(Self { auth: Err(RegistryError::internal("registry is not configured")), shell });
            };
            let authenticated = match (bearer, cookie) {
                (Some(secret), _) => {
                    shell.who = Who::Bearer;
                    match secret {
                        Ok(secret) => registry.authenticate(&secret).await.map(Some),
                        Err(e) => Err(e),
                    }
                }
                (None, Some(id)) => match registry.session_caller(&id).await {
                    Ok(Some((principal, token))) => {
                        shell.who = Who::Session(principal.token_name.clone());
                        Ok(Some((principal, token)))
                    }
                    Ok(None) => {
                        shell.stale_cookie = true;
                        Ok(None)
                    }
                    Err(e) => Err(e),
                },
                (None, None) => Ok(None),
            };
            let auth = authenticated.and_then(|a| Auth::authorized(&registry, a));
            Ok(Self { auth, shell })
        })
    }
}

/// The session id a request's cookie carries (for sign-out), with the transport's name.
pub(super) fn session_id(req: &HttpRequest) -> Option<String> {
    session_cookie(req, UiSettings::of(req).secure(req))
}

#[cfg(test)]
mod tests {
    use super::{cookie_header, origin_of};

    #[test]
    fn origins_drop_default_ports_and_paths_and_refuse_opaque_ones() {
        assert_eq!(origin_of("http://Example.com:80/a?b").as_deref(), Some("http://example.com"));
        assert_eq!(origin_of("https://example.com:8443/").as_deref(), Some("https://example.com:8443"));
        assert_eq!(origin_of("null"), None);
        assert_eq!(origin_of("data:text/html,hi"), None);
    }

    #[test]
    fn secure_cookies_use_the_host_prefix() {
        assert_eq!(
            cookie_header(false, "ab", 60),
            "modelreg_session=ab; HttpOnly; SameSite=Strict; Path=/; Max-Age=60"
        );
        assert_eq!(
            cookie_header(true, "", 0),
            "__Host-modelreg_session=; HttpOnly; SameSite=Strict; Path=/; Max-Age=0; Secure"
        );
    }
}
