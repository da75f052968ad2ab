//! Sign-in and sign-out: a token checked once becomes a session cookie with the right
//! attributes; both POSTs must come from the site's own origin; a session ends with its
//! lifetime, its token's expiry or revocation, and at sign-out; `next` stays on the site; the
//! cookie never authenticates the JSON API.

use std::time::Duration;

use actix_web::dev::{Service, ServiceResponse};
use actix_web::{App, test, web};
use modelreg_server::http::{JsonLimit, UiSettings, configure};
use modelreg_server::service::SessionSettings;
use modelreg_server::store::Scope;
use serde_json::json;

use super::{Fetched, fetch, publish, send};
use crate::http::Harness;
use crate::support::{default_policy, embedded_registry};

pub const HOST: &str = "registry.test";
pub const ORIGIN: &str = "http://registry.test";

/// A harness whose sessions last `lifetime`.
pub async fn harness(lifetime: Duration) -> Harness {
    let (registry, dir) = embedded_registry(default_policy()).await;
    Harness::with_registry(registry.with_session_settings(SessionSettings { lifetime }), dir).await
}

/// The route table with `settings` (the server's `ui` section).
pub async fn app_with(
    h: &Harness,
    settings: UiSettings,
) -> impl Service<actix_http::Request, Response = ServiceResponse, Error = actix_web::Error> {
    test::init_service(
        App::new()
            .app_data(h.registry.clone())
            .app_data(web::Data::new(JsonLimit(64 * 1024)))
            .app_data(web::Data::new(settings))
            .configure(configure),
    )
    .await
}

/// A POST of `form` to `uri` on host `registry.test`, with `origin` as its Origin header.
pub fn post(uri: &str, form: &[(&str, &str)], origin: Option<&str>) -> test::TestRequest {
    let mut req = test::TestRequest::post()
        .uri(uri)
        .insert_header(("host", HOST))
        .insert_header(("content-type", "application/x-www-form-urlencoded"))
        .set_payload(url::form_urlencoded::Serializer::new(String::new()).extend_pairs(form).finish());
    if let Some(o) = origin {
        req = req.insert_header(("origin", o));
    }
    req
}

/// A GET of `uri` carrying `cookie` (`name=value`).
pub fn get_with_cookie(uri: &str, cookie: &str) -> test::TestRequest {
    test::TestRequest::get().uri(uri).insert_header(("host", HOST)).insert_header(("cookie", cookie))
}

/// The `Set-Cookie` header of a response (exactly one expected).
pub fn set_cookie(page: &Fetched) -> String {
    let all: Vec<_> = page.headers.get_all("set-cookie").map(|v| v.to_str().unwrap().to_owned()).collect();
    assert_eq!(all.len(), 1, "one Set-Cookie: {all:?}");
    all.into_iter().next().unwrap()
}

/// The `name=value` part of a `Set-Cookie` header.
pub fn pair(set_cookie: &str) -> String {
    set_cookie.split(';').next().unwrap().to_owned()
}

/// Signs in with `token` from the site's own origin; the cookie pair to send back.
pub async fn sign_in(
    app: &impl Service<actix_http::Request, Response = ServiceResponse, Error = actix_web::Error>,
    token: &str,
) -> String {
    let page = send(app, post("/login", &[("token", token), ("next", "/")], Some(ORIGIN))).await;
    assert_eq!(page.status, 303, "{}", page.body);
    pair(&set_cookie(&page))
}

fn max_age(set_cookie: &str) -> i64 {
    set_cookie.split("; ").find_map(|a| a.strip_prefix("Max-Age=")).unwrap().parse().unwrap()
}

#[actix_web::test]
async fn signing_in_exchanges_the_token_for_an_http_only_strict_session_cookie() {
    let h = harness(Duration::from_secs(3600)).await;
    let app = app_with(&h, UiSettings::default()).await;
    publish(&h, "acme/a", "1.0.0", json!({ "license": "MIT" })).await;

    let form = send(&app, test::TestRequest::get().uri("/login?next=%2Fm%2Facme%2Fa")).await;
    assert_eq!(form.status, 200);
    assert!(
        form.body.contains(r#"<label for="token">"#) && form.body.contains(r#"id="token""#),
        "{}",
        form.body
    );
    assert!(form.body.contains(r#"type="password""#));
    assert!(form.body.contains(r#"name="next" value="/m/acme/a""#), "{}", form.body);

    let signed_in =
        send(&app, post("/login", &[("token", &h.read), ("next", "/m/acme/a")], Some(ORIGIN))).await;
    assert_eq!(signed_in.status, 303, "{}", signed_in.body);
    assert_eq!(signed_in.header("location"), Some("/m/acme/a"));
    let cookie = set_cookie(&signed_in);
    let (name, id) = pair(&cookie).split_once('=').map(|(n, v)| (n.to_owned(), v.to_owned())).unwrap();
    assert_eq!(name, "modelreg_session");
    assert!(id.len() == 64 && id.bytes().all(|b| b.is_ascii_hexdigit()), "256 random bits: {id}");
    assert!(!cookie.contains(&h.read), "the token itself is not the cookie");
    let attributes: Vec<&str> = cookie.split("; ").skip(1).collect();
    for wanted in ["HttpOnly", "SameSite=Strict", "Path=/"] {
        assert!(attributes.contains(&wanted), "{wanted} in {cookie}");
    }
    assert!(!attributes.contains(&"Secure"), "plain HTTP: not Secure: {cookie}");
    assert!((3590..=3600).contains(&max_age(&cookie)), "{cookie}");

    // The database keeps only the id's hash.
    let pool = sqlx::SqlitePool::connect(&format!("sqlite://{}", h.data_dir().join("t.db").display()))
        .await
        .unwrap();
    let stored: Vec<(String,)> =
        sqlx::query_as("SELECT id_hash FROM ui_sessions").fetch_all(&pool).await.unwrap();
    pool.close().await;
    assert_eq!(stored, vec![(modelreg_server::service::hash_token(&id),)]);

    let page = send(&app, get_with_cookie("/m/acme/a", &pair(&cookie))).await;
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(page.body.contains("Signed in as <strong>reader</strong>"), "{}", page.body);
    assert!(page.body.contains(r#"<form method="post" action="/logout">"#), "{}", page.body);
    assert!(page.headers.get("set-cookie").is_none(), "a live session's cookie is left alone");
}

#[actix_web::test]
async fn a_failed_sign_in_says_why_without_echoing_the_token_and_sets_no_cookie() {
    let h = harness(Duration::from_secs(3600)).await;
    let app = app_with(&h, UiSettings::default()).await;
    let unknown = format!("mrg_{}", "ab".repeat(32));
    h.registry.revoke_token("writer", "test").await.unwrap();
    for (token, status) in
        [(unknown.as_str(), 401), (h.write.as_str(), 401), ("hunter2-not-a-token", 401), ("  ", 400)]
    {
        let page = send(&app, post("/login", &[("token", token), ("next", "/")], Some(ORIGIN))).await;
        assert_eq!(page.status, status, "{token}: {}", page.body);
        assert!(page.body.contains("Sign-in failed"), "{}", page.body);
        assert!(page.headers.get("set-cookie").is_none(), "{token}");
        if !token.trim().is_empty() {
            assert!(!page.body.contains(token), "the token is echoed: {}", page.body);
            assert!(page.body.contains("not valid (unknown, revoked or expired)"), "{}", page.body);
        }
        assert!(page.body.contains(r#"id="token""#), "the form is shown again");
    }
    let garbled = send(
        &app,
        post("/login", &[], Some(ORIGIN))
            .insert_header(("content-type", "application/json"))
            .set_payload("{}"),
    )
    .await;
    assert_eq!(garbled.status, 400, "{}", garbled.body);
}

#[actix_web::test]
async fn sign_in_and_sign_out_refuse_requests_not_from_the_sites_own_origin() {
    let h = harness(Duration::from_secs(3600)).await;
    let app = app_with(&h, UiSettings::default()).await;
    let form = [("token", h.read.as_str()), ("next", "/")];
    for (origin, referer) in [
        (Some("http://evil.example"), None),
        (Some("https://registry.test"), None),
        (Some("http://registry.test:8080"), None),
        (Some("null"), None),
        (None, Some("http://evil.example/login")),
        (None, None),
    ] {
        let mut req = post("/login", &form, origin);
        if let Some(r) = referer {
            req = req.insert_header(("referer", r));
        }
        let page = send(&app, req).await;
        assert_eq!(page.status, 403, "{origin:?} {referer:?}: {}", page.body);
        assert!(page.body.contains("not sent from this site"), "{}", page.body);
        assert!(page.headers.get("set-cookie").is_none(), "{origin:?} {referer:?}");
        assert!(!page.body.contains(&h.read));
    }
    // Without Origin, a same-site Referer will do.
    let by_referer = send(
        &app,
        post("/login", &form, None).insert_header(("referer", "http://registry.test/login?next=%2F")),
    )
    .await;
    assert_eq!(by_referer.status, 303, "{}", by_referer.body);

    let cookie = sign_in(&app, &h.read).await;
    let forged = send(
        &app,
        post("/logout", &[], Some("http://evil.example")).insert_header(("cookie", cookie.as_str())),
    )
    .await;
    assert_eq!(forged.status, 403);
    assert!(forged.headers.get("set-cookie").is_none());
    let still = send(&app, get_with_cookie("/", &cookie)).await;
    assert_eq!(still.status, 200, "a refused sign-out leaves the session alone");
}

#[actix_web::test]
async fn the_cookie_is_secure_when_the_site_is_reached_over_tls() {
    let h = harness(Duration::from_secs(3600)).await;
    let form = [("token", h.read.as_str()), ("next", "/")];

    // Behind a TLS-terminating proxy that says so.
    let app = app_with(&h, UiSettings::default()).await;
    let page = send(
        &app,
        post("/login", &form, Some("https://registry.test")).insert_header(("x-forwarded-proto", "https")),
    )
    .await;
    assert_eq!(page.status, 303, "{}", page.body);
    let cookie = set_cookie(&page);
    assert!(cookie.starts_with("__Host-modelreg_session="), "{cookie}");
    assert!(cookie.split("; ").any(|a| a == "Secure"), "{cookie}");
    let secure_page =
        send(&app, get_with_cookie("/", &pair(&cookie)).insert_header(("x-forwarded-proto", "https"))).await;
    assert_eq!(secure_page.status, 200, "{}", secure_page.body);
    let plain = send(
        &app,
        get_with_cookie("/", &pair(&cookie).replace("__Host-", ""))
            .insert_header(("x-forwarded-proto", "https")),
    )
    .await;
    assert_eq!(plain.status, 303, "over TLS only the __Host- cookie counts");

    // Or configured: the public URL is https, and POSTs must come from it.
    let settings = UiSettings::from_public_url(Some("https://models.example.com/")).unwrap();
    let app = app_with(&h, settings).await;
    let refused = send(&app, post("/login", &form, Some(ORIGIN))).await;
    assert_eq!(refused.status, 403, "the request's own origin is not the public one");
    let page = send(&app, post("/login", &form, Some("https://models.example.com"))).await;
    assert_eq!(page.status, 303, "{}", page.body);
    assert!(set_cookie(&page).ends_with("; Secure"), "{}", set_cookie(&page));
}

#[actix_web::test]
async fn a_session_ends_with_its_lifetime_and_never_outlives_its_token() {
    let h = harness(Duration::from_secs(30 * 24 * 3600)).await;
    let app = app_with(&h, UiSettings::default()).await;
    let (day, _) = h.registry.create_token("day", Scope::Read, Vec::new(), Some(1), "test").await.unwrap();
    let page = send(&app, post("/login", &[("token", &day)], Some(ORIGIN))).await;
    let cookie = set_cookie(&page);
    assert!((86_390..=86_400).contains(&max_age(&cookie)), "capped by the token's expiry: {cookie}");
    assert_eq!(send(&app, get_with_cookie("/", &pair(&cookie))).await.status, 200);

    // The token expires (its expiry moved to the past, as time would): the session ends at once.
    let pool = sqlx::SqlitePool::connect(&format!("sqlite://{}", h.data_dir().join("t.db").display()))
        .await
        .unwrap();
    sqlx::query("UPDATE tokens SET expires_at = $1 WHERE name = 'day'")
        .bind(chrono::Utc::now() - chrono::Duration::seconds(1))
        .execute(&pool)
        .await
        .unwrap();
    pool.close().await;
    let ended = send(&app, get_with_cookie("/", &pair(&cookie))).await;
    assert_eq!(ended.status, 303, "{}", ended.body);
    assert_eq!(ended.header("location"), Some("/login?next=%2F"));
    assert!(set_cookie(&ended).contains("Max-Age=0"), "the ended session's cookie is removed");

    // A short session lifetime ends the session by itself.
    let short = harness(Duration::from_secs(1)).await;
    let app = app_with(&short, UiSettings::default()).await;
    let cookie = sign_in(&app, &short.read).await;
    assert_eq!(send(&app, get_with_cookie("/", &cookie)).await.status, 200);
    tokio::time::sleep(Duration::from_millis(1200)).await;
    assert_eq!(send(&app, get_with_cookie("/", &cookie)).await.status, 303, "expired after its lifetime");
}

#[actix_web::test]
async fn revoking_the_token_ends_its_sessions_at_once() {
    let h = harness(Duration::from_secs(3600)).await;
    let app = app_with(&h, UiSettings::default()).await;
    let first = sign_in(&app, &h.read).await;
    let second = sign_in(&app, &h.read).await;
    assert_ne!(first, second);
    assert_eq!(send(&app, get_with_cookie("/", &first)).await.status, 200);
    h.registry.revoke_token("reader", "test").await.unwrap();
    for cookie in [&first, &second] {
        let page = send(&app, get_with_cookie("/m/acme/a", cookie)).await;
        assert_eq!(page.status, 303, "{}", page.body);
        assert_eq!(page.header("location"), Some("/login?next=%2Fm%2Facme%2Fa"));
    }
}

#[actix_web::test]
async fn signing_out_ends_the_session_and_removes_the_cookie() {
    let h = harness(Duration::from_secs(3600)).await;
    let app = app_with(&h, UiSettings::default()).await;
    let cookie = sign_in(&app, &h.read).await;
    let out = send(&app, post("/logout", &[], Some(ORIGIN)).insert_header(("cookie", cookie.as_str()))).await;
    assert_eq!(out.status, 303, "{}", out.body);
    assert_eq!(out.header("location"), Some("/login?signed_out=1"));
    let cleared = set_cookie(&out);
    assert!(cleared.starts_with("modelreg_session=;") && cleared.contains("Max-Age=0"), "{cleared}");
    assert_eq!(send(&app, get_with_cookie("/", &cookie)).await.status, 303, "the old cookie no longer works");
    let notice = send(&app, test::TestRequest::get().uri("/login?signed_out=1")).await;
    assert!(notice.body.contains("You are signed out."), "{}", notice.body);
    assert!(notice.body.contains(r#"href="/login""#), "the header offers sign-in again");
}

#[actix_web::test]
async fn after_sign_in_the_browser_goes_only_to_a_path_on_this_site() {
    let h = harness(Duration::from_secs(3600)).await;
    let app = app_with(&h, UiSettings::default()).await;
    for (next, location) in [
        ("/compare?m=acme/a&m=acme/b", "/compare?m=acme/a&m=acme/b"),
        ("//evil.example/x", "/"),
        ("https://evil.example/", "/"),
        ("javascript:alert(1)", "/"),
        ("/\\evil.example", "/"),
        ("", "/"),
    ] {
        let page = send(&app, post("/login", &[("token", &h.read), ("next", next)], Some(ORIGIN))).await;
        assert_eq!(page.status, 303, "{next}");
        assert_eq!(page.header("location"), Some(location), "{next}");
    }
    let form = fetch(&app, "/login?next=https%3A%2F%2Fevil.example%2F", None).await;
    assert!(form.body.contains(r#"name="next" value="/""#), "{}", form.body);
    assert!(!form.body.contains("evil.example"));
}

#[actix_web::test]
async fn the_session_cookie_does_not_authenticate_the_json_api() {
    let h = harness(Duration::from_secs(3600)).await;
    let app = app_with(&h, UiSettings::default()).await;
    publish(&h, "acme/a", "1.0.0", json!({ "license": "MIT" })).await;
    let cookie = sign_in(&app, &h.admin).await;
    assert_eq!(send(&app, get_with_cookie("/m/acme/a", &cookie)).await.status, 200, "the page accepts it");
    for uri in ["/v1/models", "/v1/whoami", "/v1/models/acme/a", "/v1/tokens"] {
        let page = send(&app, get_with_cookie(uri, &cookie)).await;
        assert_eq!(page.status, 401, "{uri}: {}", page.body);
        assert_eq!(page.header("content-type"), Some("application/json"), "{uri}");
    }
    let write = send(
        &app,
        test::TestRequest::delete()
            .uri("/v1/models/acme/a")
            .insert_header(("host", HOST))
            .insert_header(("origin", ORIGIN))
            .insert_header(("cookie", cookie.as_str())),
    )
    .await;
    assert_eq!(write.status, 401, "{}", write.body);
    assert_eq!(fetch(&app, "/m/acme/a", Some(&h.read)).await.status, 200, "still there");
}
