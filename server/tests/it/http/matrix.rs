//! The auth matrix: every route against every kind of caller. Unauthenticated callers get
//! 401, too little scope 403, a write outside the token's namespaces 403, a read outside
//! them 404 (existence is not revealed); an admin limited to namespaces manages only tokens
//! and audit entries inside them; no response ever contains a token.

use actix_web::test;
use modelreg_api::Scope;

use super::{Harness, bearer};
use crate::support::{bytes, digest_of, manifest, root};

/// Who calls, and what that caller may do.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Caller {
    NoHeader,
    Malformed,
    Unknown,
    Expired,
    Revoked,
    Token(Scope),
    /// A write token limited to another namespace.
    Elsewhere,
    /// An admin token limited to `team-*`: admin routes answer, but only about its namespaces.
    LimitedAdmin,
}

/// What a route needs.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Need {
    Read,
    Write,
    Admin,
}

struct Route {
    method: &'static str,
    path: String,
    body: Option<String>,
    need: Need,
    /// Whether the route is about one model's data (so namespace limits apply).
    model_scoped: bool,
    /// What an admin limited to other namespaces gets on a route that is not model-scoped.
    limited_admin: &'static str,
}

impl Route {
    fn limited_admin_gets(mut self, want: &'static str) -> Self {
        self.limited_admin = want;
        self
    }
}

fn routes() -> Vec<Route> {
    let data = bytes(10, 9);
    let digest = digest_of(&data);
    let manifest = serde_json::to_string(&manifest(&[("w", &data)], "MIT")).unwrap();
    let r = |method, path: &str, body: Option<String>, need, model_scoped| Route {
        method,
        path: path.to_owned(),
        body,
        need,
        model_scoped,
        limited_admin: "allowed",
    };
    vec![
        r("POST", "/v1/blobs/missing", Some(format!(r#"{{"digests":["{digest}"]}}"#)), Need::Write, false),
        // The blob is acme/m's: a token that cannot see acme gets 404 (a digest is not a key).
        r("GET", &format!("/v1/blobs/{digest}"), None, Need::Read, true),
        r("GET", "/v1/models", None, Need::Read, false),
        r("POST", "/v1/choose", Some(r#"{"constraints":{"license":"MIT"}}"#.into()), Need::Read, false),
        r("GET", "/v1/models/acme/m", None, Need::Read, true),
        r("GET", "/v1/models/acme/m/versions", None, Need::Read, true),
        r("GET", "/v1/models/acme/m/versions/latest", None, Need::Read, true),
        r("GET", "/v1/models/acme/m/derivatives", None, Need::Read, true),
        r("GET", "/v1/models/acme/m/aliases", None, Need::Read, true),
        r("PUT", "/v1/models/acme/m/versions/2.0.0", Some(manifest), Need::Write, true),
        r("PUT", "/v1/models/acme/m/aliases/prod", Some(r#"{"version":"1.0.0"}"#.into()), Need::Write, true),
        r("DELETE", "/v1/models/acme/m/aliases/nope", None, Need::Write, true),
        r(
            "POST",
            "/v1/models/acme/m/versions/1.0.0/yank",
            Some(r#"{"reason":"x"}"#.into()),
            Need::Write,
            true,
        ),
        r("DELETE", "/v1/models/acme/m/versions/1.0.0/yank", None, Need::Write, true),
        r("DELETE", "/v1/models/acme/m/versions/9.9.9", None, Need::Admin, true),
        r("DELETE", "/v1/models/acme/nobody", None, Need::Admin, true),
        r("GET", "/v1/tokens", None, Need::Admin, false),
        // A token for all namespaces is wider than a limited admin's own.
        r("POST", "/v1/tokens", Some(r#"{"name":"new-one","scope":"read"}"#.into()), Need::Admin, false)
            .limited_admin_gets("403"),
        r(
            "POST",
            "/v1/tokens",
            Some(r#"{"name":"in-team","scope":"admin","namespaces":["team-a","team-b*"]}"#.into()),
            Need::Admin,
            false,
        ),
        r(
            "POST",
            "/v1/tokens",
            Some(r#"{"name":"escaping","scope":"read","namespaces":["team-a","acme"]}"#.into()),
            Need::Admin,
            false,
        )
        .limited_admin_gets("403"),
        r("DELETE", "/v1/tokens/nobody", None, Need::Admin, false),
        // A token of another namespace is invisible to a limited admin: 404 as if unknown.
        r("DELETE", "/v1/tokens/acme-reader", None, Need::Admin, false).limited_admin_gets("404"),
        r("GET", "/v1/audit", None, Need::Admin, false),
        r("GET", "/v1/audit?model=acme/m", None, Need::Admin, true),
        r("GET", "/v1/whoami", None, Need::Read, false),
    ]
}

fn expected(route: &Route, caller: Caller) -> &'static str {
    let rank = |s: Scope| match s {
        Scope::Read => 0,
        Scope::Write => 1,
        Scope::Admin => 2,
    };
    let needed = match route.need {
        Need::Read => 0,
        Need::Write => 1,
        Need::Admin => 2,
    };
    match caller {
        Caller::NoHeader | Caller::Malformed | Caller::Unknown | Caller::Expired | Caller::Revoked => "401",
        Caller::Token(s) if rank(s) < needed => "403",
        Caller::Token(_) => "allowed",
        Caller::Elsewhere if needed > 1 => "403",
        Caller::Elsewhere if route.model_scoped && needed == 0 => "404",
        Caller::Elsewhere if route.model_scoped => "403",
        Caller::Elsewhere => "allowed",
        Caller::LimitedAdmin if route.model_scoped && route.method == "GET" => "404",
        Caller::LimitedAdmin if route.model_scoped => "403",
        Caller::LimitedAdmin => route.limited_admin,
    }
}

#[actix_web::test]
async fn every_route_enforces_authentication_scope_and_namespaces() {
    let h = Harness::new().await;
    let app = h.app().await;
    let data = bytes(10, 9);
    h.registry.upload_blob(&root(), digest_of(&data), 10, crate::support::body(&data, 10)).await.unwrap();
    h.registry
        .publish(
            &root(),
            &"acme/m".parse().unwrap(),
            &"1.0.0".parse().unwrap(),
            manifest(&[("w", &data)], "MIT"),
        )
        .await
        .unwrap();
    let (expired, _) =
        h.registry.create_token("expired", Scope::Admin, Vec::new(), Some(0), "t").await.unwrap();
    let (revoked, _) = h.registry.create_token("revoked", Scope::Admin, Vec::new(), None, "t").await.unwrap();
    h.registry.revoke_token("revoked", "t").await.unwrap();
    let (elsewhere, _) = h
        .registry
        .create_token("elsewhere", Scope::Write, vec!["team-*".parse().unwrap()], None, "t")
        .await
        .unwrap();
    let (limited_admin, _) = h
        .registry
        .create_token("team-admin", Scope::Admin, vec!["team-*".parse().unwrap()], None, "t")
        .await
        .unwrap();
    let (acme_reader, _) = h
        .registry
        .create_token("acme-reader", Scope::Read, vec!["acme".parse().unwrap()], None, "t")
        .await
        .unwrap();
    let unknown = format!("mrg_{}", "7".repeat(64));
    let secrets =
        [&h.read, &h.write, &h.admin, &expired, &revoked, &elsewhere, &limited_admin, &acme_reader, &unknown];

    let callers = [
        Caller::NoHeader,
        Caller::Malformed,
        Caller::Unknown,
        Caller::Expired,
        Caller::Revoked,
        Caller::Token(Scope::Read),
        Caller::Token(Scope::Write),
        Caller::Elsewhere,
        // Before the unlimited admin, whose calls (revoking, creating) change what follows.
        Caller::LimitedAdmin,
        Caller::Token(Scope::Admin),
    ];
    for route in routes() {
        for caller in callers {
            let mut req = test::TestRequest::default().method(route.method.parse().unwrap()).uri(&route.path);
            if let Some(b) = &route.body {
                req = req.set_payload(b.clone());
            }
            req = match caller {
                Caller::NoHeader => req,
                Caller::Malformed => req.insert_header(("Authorization", "Token abc")),
                Caller::Unknown => req.insert_header(bearer(&unknown)),
                Caller::Expired => req.insert_header(bearer(&expired)),
                Caller::Revoked => req.insert_header(bearer(&revoked)),
                Caller::Token(Scope::Read) => req.insert_header(bearer(&h.read)),
                Caller::Token(Scope::Write) => req.insert_header(bearer(&h.write)),
                Caller::Token(Scope::Admin) => req.insert_header(bearer(&h.admin)),
                Caller::Elsewhere => req.insert_header(bearer(&elsewhere)),
                Caller::LimitedAdmin => req.insert_header(bearer(&limited_admin)),
            };
            let resp = test::call_service(&app, req.to_request()).await;
            let status = resp.status().as_u16();
            let body = String::from_utf8_lossy(&test::read_body(resp).await).into_owned();
            let want = expected(&route, caller);
            let ok = match want {
                "allowed" => status != 401 && status != 403 && status < 500,
                code => status.to_string() == code,
            };
            assert!(
                ok,
                "{} {} as {caller:?}: expected {want}, got {status}: {body}",
                route.method, route.path
            );
            if !(route.path == "/v1/tokens" && route.method == "POST") {
                for secret in secrets {
                    assert!(
                        !body.contains(secret.as_str()),
                        "{} {} leaked a token",
                        route.method,
                        route.path
                    );
                }
            }
        }
    }
}

#[actix_web::test]
async fn the_lookup_shows_only_visible_namespaces() {
    let h = Harness::new().await;
    let app = h.app().await;
    let data = bytes(10, 3);
    h.registry.upload_blob(&root(), digest_of(&data), 10, crate::support::body(&data, 10)).await.unwrap();
    for model in ["acme/a", "team-x/b", "team-y/c"] {
        h.registry
            .publish(
                &root(),
                &model.parse().unwrap(),
                &"1.0.0".parse().unwrap(),
                manifest(&[("w", &data)], "MIT"),
            )
            .await
            .unwrap();
    }
    let (limited, _) = h
        .registry
        .create_token("limited", Scope::Read, vec!["team-*".parse().unwrap()], None, "t")
        .await
        .unwrap();
    let page: modelreg_api::LookupPage = test::call_and_read_body_json(
        &app,
        test::TestRequest::get().uri("/v1/models").insert_header(bearer(&limited)).to_request(),
    )
    .await;
    let names: Vec<String> = page.results.iter().map(|r| r.model.to_string()).collect();
    assert_eq!(names, ["team-x/b", "team-y/c"]);

    // A derivative in a namespace the token cannot see is left out of lineage too.
    let derived = serde_json::json!({ "license": "MIT", "base_model": { "model": "team-x/b" }, "base_relation": "finetune" });
    for model in ["acme/ft", "team-y/ft"] {
        let mut m = manifest(&[("w", &data)], "MIT");
        m.metadata = serde_json::from_value(derived.clone()).unwrap();
        h.registry.publish(&root(), &model.parse().unwrap(), &"1.0.0".parse().unwrap(), m).await.unwrap();
    }
    let list: modelreg_api::DerivativeList = test::call_and_read_body_json(
        &app,
        test::TestRequest::get()
            .uri("/v1/models/team-x/b/derivatives")
            .insert_header(bearer(&limited))
            .to_request(),
    )
    .await;
    let names: Vec<String> = list.derivatives.iter().map(|d| d.model.to_string()).collect();
    assert_eq!(names, ["team-y/ft"]);
}

/// A digest is not a key: a team-a token that learned the digest of a team-b file can
/// neither read it nor publish it by reference; it is told the blob is missing, and once it
/// uploads the bytes itself it may publish, while the registry still keeps one copy.
#[actix_web::test]
async fn a_digest_from_another_namespace_is_neither_readable_nor_publishable_by_reference() {
    let h = Harness::new().await;
    let app = h.app().await;
    let token = |name: &str, scope, ns: &str| {
        let registry = h.registry.clone();
        let (name, ns) = (name.to_owned(), ns.to_owned());
        async move { registry.create_token(&name, scope, vec![ns.parse().unwrap()], None, "t").await.unwrap().0 }
    };
    let b_write = token("b-write", Scope::Write, "team-b").await;
    let a_read = token("a-read", Scope::Read, "team-a").await;
    let a_write = token("a-write", Scope::Write, "team-a").await;
    let secret = bytes(4000, 77);
    let digest = digest_of(&secret);
    let put = |token: &str| {
        test::TestRequest::put()
            .uri(&format!("/v1/blobs/{digest}"))
            .insert_header(bearer(token))
            .insert_header(("Content-Length", "4000"))
            .set_payload(secret.clone())
    };
    let publish = |token: &str, model: &str| {
        test::TestRequest::put()
            .uri(&format!("/v1/models/{model}/versions/1.0.0"))
            .insert_header(bearer(token))
            .set_payload(serde_json::to_string(&manifest(&[("weights.bin", &secret)], "MIT")).unwrap())
    };
    assert_eq!(test::call_service(&app, put(&b_write).to_request()).await.status(), 201);
    assert_eq!(test::call_service(&app, publish(&b_write, "team-b/secret").to_request()).await.status(), 201);

    // Reading: the same 404 as for a digest nobody stored, on GET and HEAD.
    let absent = digest_of(b"never stored");
    for d in [digest, absent] {
        let get = test::TestRequest::get().uri(&format!("/v1/blobs/{d}")).insert_header(bearer(&a_read));
        let (status, e) = super::error_of(&app, get).await;
        assert_eq!((status, e.error.code.as_str()), (404, "blob_not_found"));
        assert_eq!(e.error.message, format!("blob {d} not found"));
        let head = test::TestRequest::default()
            .method(actix_web::http::Method::HEAD)
            .uri(&format!("/v1/blobs/{d}"))
            .insert_header(bearer(&a_read));
        assert_eq!(test::call_service(&app, head.to_request()).await.status(), 404);
    }

    // Publishing by digest only: missing, so the client uploads it.
    let (status, e) = super::error_of(&app, publish(&a_write, "team-a/borrow")).await;
    assert_eq!((status, e.error.code.as_str()), (422, "missing_blobs"));
    assert_eq!(e.error.details.unwrap()["missing"], serde_json::json!([digest.to_string()]));
    let ask = test::TestRequest::post()
        .uri("/v1/blobs/missing")
        .insert_header(bearer(&a_write))
        .set_payload(format!(r#"{{"digests":["{digest}"]}}"#));
    let missing: modelreg_api::MissingBlobsResponse =
        test::call_and_read_body_json(&app, ask.to_request()).await;
    assert_eq!(missing.missing, [digest]);

    // Uploading the bytes proves possession; the answer is the one for a new blob.
    let resp = test::call_service(&app, put(&a_write).to_request()).await;
    assert_eq!(resp.status(), 201);
    let uploaded: modelreg_api::BlobUploaded = test::read_body_json(resp).await;
    assert!(uploaded.created, "created must not tell that team-b holds the blob");
    assert_eq!(test::call_service(&app, publish(&a_write, "team-a/borrow").to_request()).await.status(), 201);
    let get = test::TestRequest::get().uri(&format!("/v1/blobs/{digest}")).insert_header(bearer(&a_read));
    let resp = test::call_service(&app, get.to_request()).await;
    assert_eq!(resp.status(), 200, "now a team-a version references it");
    assert!(test::read_body(resp).await == secret);

    // One stored copy, and nothing left over from the second upload.
    let mut files = Vec::new();
    let mut dirs = vec![h.data_dir().join("blobs")];
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() { dirs.push(path) } else { files.push(path) }
        }
    }
    assert_eq!(files.len(), 1, "{files:?}");
    assert!(files[0].ends_with(digest.hex()), "{files:?}");
}
