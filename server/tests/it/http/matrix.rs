//! The auth matrix: every route against every kind of caller. Unauthenticated callers get
//! 401, too little scope 403, a write outside the token's namespaces 403, a read outside
//! them 404 (existence is not revealed); no response ever contains a token.

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
    /// Whether the route is about one model (so namespace limits apply).
    model_scoped: bool,
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
    };
    vec![
        r("POST", "/v1/blobs/missing", Some(format!(r#"{{"digests":["{digest}"]}}"#)), Need::Write, false),
        r("GET", &format!("/v1/blobs/{digest}"), None, Need::Read, false),
        r("GET", "/v1/models", None, Need::Read, false),
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
        r("POST", "/v1/tokens", Some(r#"{"name":"new-one","scope":"read"}"#.into()), Need::Admin, false),
        r("DELETE", "/v1/tokens/nobody", None, Need::Admin, false),
        r("GET", "/v1/audit", None, Need::Admin, false),
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
    let unknown = format!("mrg_{}", "7".repeat(64));
    let secrets = [&h.read, &h.write, &h.admin, &expired, &revoked, &elsewhere, &unknown];

    let callers = [
        Caller::NoHeader,
        Caller::Malformed,
        Caller::Unknown,
        Caller::Expired,
        Caller::Revoked,
        Caller::Token(Scope::Read),
        Caller::Token(Scope::Write),
        Caller::Token(Scope::Admin),
        Caller::Elsewhere,
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
