//! Tokens held by namespace-limited admins: what they may mint, which tokens they see and
//! revoke, and which audit entries they read; and the bounds on a token's lifetime.

use actix_web::test;
use modelreg_api::{AuditPage, CreatedToken, Scope, TokenList};

use super::{Harness, bearer, error_of};
use crate::support::{bytes, digest_of, manifest, root};

fn req(method: &str, uri: &str, token: &str) -> test::TestRequest {
    test::TestRequest::default().method(method.parse().unwrap()).uri(uri).insert_header(bearer(token))
}

fn post_token(body: &str, token: &str) -> test::TestRequest {
    req("POST", "/v1/tokens", token).set_payload(body.to_owned())
}

/// A harness with an admin limited to `team-*` (returned) and tokens in and out of it.
async fn team_admin(h: &Harness) -> String {
    let create = |name: &'static str, scope, ns: &[&str]| {
        let namespaces = ns.iter().map(|s| s.parse().unwrap()).collect();
        let registry = h.registry.clone();
        async move { registry.create_token(name, scope, namespaces, None, "root").await.unwrap().0 }
    };
    let secret = create("team-admin", Scope::Admin, &["team-*"]).await;
    create("team-a-ci", Scope::Write, &["team-a"]).await;
    create("team-b-all", Scope::Read, &["team-b*"]).await;
    create("mixed", Scope::Read, &["team-b", "acme"]).await;
    create("acme-ci", Scope::Write, &["acme"]).await;
    secret
}

async fn token_names(
    app: &impl actix_web::dev::Service<
        actix_http::Request,
        Response = actix_web::dev::ServiceResponse,
        Error = actix_web::Error,
    >,
    token: &str,
) -> Vec<String> {
    let list: TokenList =
        test::call_and_read_body_json(app, req("GET", "/v1/tokens", token).to_request()).await;
    list.tokens.into_iter().map(|t| t.name).collect()
}

#[actix_web::test]
async fn a_namespace_limited_admin_cannot_mint_a_token_wider_than_itself() {
    let h = Harness::new().await;
    let app = h.app().await;
    let admin = team_admin(&h).await;
    let refusals = [
        (r#"{"name":"escalated","scope":"admin"}"#, "all namespaces"),
        (r#"{"name":"escalated","scope":"read","namespaces":["team-a","*"]}"#, "'*'"),
        (r#"{"name":"escalated","scope":"read","namespaces":["acme"]}"#, "'acme'"),
        (r#"{"name":"escalated","scope":"read","namespaces":["team*"]}"#, "'team*'"),
    ];
    for (body, named) in refusals {
        let (status, e) = error_of(&app, post_token(body, &admin)).await;
        assert_eq!((status, e.error.code.as_str()), (403, "forbidden"), "{body}");
        assert!(e.error.message.contains(named), "{body}: {}", e.error.message);
    }
    assert!(!token_names(&app, &h.admin).await.contains(&"escalated".to_owned()));

    let created: CreatedToken = test::call_and_read_body_json(
        &app,
        post_token(r#"{"name":"inside","scope":"admin","namespaces":["team-x","team-y*"]}"#, &admin)
            .to_request(),
    )
    .await;
    assert_eq!(created.info.namespaces.len(), 2);
    assert_eq!(created.info.created_by.as_deref(), Some("team-admin"));
}

#[actix_web::test]
async fn a_namespace_limited_admin_lists_and_revokes_only_tokens_inside_its_namespaces() {
    let h = Harness::new().await;
    let app = h.app().await;
    let admin = team_admin(&h).await;
    assert_eq!(token_names(&app, &admin).await, ["team-a-ci", "team-admin", "team-b-all"]);
    for outside in ["acme-ci", "mixed", "admin", "writer"] {
        let (status, e) = error_of(&app, req("DELETE", &format!("/v1/tokens/{outside}"), &admin)).await;
        assert_eq!((status, e.error.code.as_str()), (404, "token_not_found"), "{outside}");
    }
    let everyone: TokenList =
        test::call_and_read_body_json(&app, req("GET", "/v1/tokens", &h.admin).to_request()).await;
    assert!(everyone.tokens.iter().all(|t| t.revoked_at.is_none()), "nothing outside was revoked");
    let resp = test::call_service(&app, req("DELETE", "/v1/tokens/team-a-ci", &admin).to_request()).await;
    assert_eq!(resp.status(), 204);
}

#[actix_web::test]
async fn a_namespace_limited_admin_reads_only_the_audit_of_its_namespaces_in_full_pages() {
    let h = Harness::new().await;
    let app = h.app().await;
    let admin = team_admin(&h).await;
    let data = bytes(10, 4);
    h.registry.upload_blob(&root(), digest_of(&data), 10, crate::support::body(&data, 10)).await.unwrap();
    // Interleave entries inside and outside, so that a page filtered after the limit would
    // come back short.
    for i in 0..4 {
        for model in ["acme/secret", "acme/other", "team-a/m"] {
            let m = manifest(&[("w", &data)], "MIT");
            let version = format!("1.{i}.0").parse().unwrap();
            h.registry.publish(&root(), &model.parse().unwrap(), &version, m).await.unwrap();
        }
    }
    let mut seen = Vec::new();
    let mut uri = "/v1/audit?limit=3".to_owned();
    loop {
        let page: AuditPage =
            test::call_and_read_body_json(&app, req("GET", &uri, &admin).to_request()).await;
        let last_page = page.next_cursor.is_none();
        assert!(last_page || page.entries.len() == 3, "hidden entries ate into the page: {:?}", page.entries);
        seen.extend(page.entries);
        match page.next_cursor {
            Some(cursor) => uri = format!("/v1/audit?limit=3&cursor={cursor}"),
            None => break,
        }
    }
    let described: Vec<String> = seen
        .iter()
        .map(|e| match &e.model {
            Some(model) => format!("{} {model}", e.action),
            None => format!("{} {}", e.action, e.details["token"].as_str().unwrap_or("?")),
        })
        .collect();
    let mut expected: Vec<String> =
        ["team-admin", "team-a-ci", "team-b-all"].iter().map(|t| format!("token_create {t}")).collect();
    expected.extend((0..4).map(|_| "publish team-a/m".to_owned()));
    assert_eq!(described, expected);

    let (status, e) = error_of(&app, req("GET", "/v1/audit?model=acme/secret", &admin)).await;
    assert_eq!((status, e.error.code.as_str()), (404, "model_not_found"), "outside reads are 404");
    let page: AuditPage =
        test::call_and_read_body_json(&app, req("GET", "/v1/audit?model=team-a/m", &admin).to_request())
            .await;
    assert_eq!(page.entries.len(), 4);
    let (status, e) = error_of(&app, req("GET", "/v1/audit?model=not%20a%20model", &admin)).await;
    assert_eq!((status, e.error.code.as_str()), (400, "invalid_query"));
    assert!(e.error.message.contains("'model'"), "{}", e.error.message);
    assert_eq!(e.error.details, Some(serde_json::json!({ "parameter": "model" })));

    let all: AuditPage =
        test::call_and_read_body_json(&app, req("GET", "/v1/audit?limit=1000", &h.admin).to_request()).await;
    assert!(
        all.entries.iter().any(|e| e.model.as_deref() == Some("acme/secret")),
        "unlimited admins see all"
    );
}

#[actix_web::test]
async fn a_token_lifetime_beyond_the_maximum_is_a_400_naming_expires_in_days() {
    let h = Harness::new().await;
    let app = h.app().await;
    for days in ["36501", "100000000", "4294967295"] {
        let body = format!(r#"{{"name":"long","scope":"read","expires_in_days":{days}}}"#);
        let (status, e) = error_of(&app, post_token(&body, &h.admin)).await;
        assert_eq!(status, 400, "{days}: {}", e.error.message);
        assert!(e.error.message.contains("expires_in_days"), "{days}: {}", e.error.message);
    }
    // Beyond u32 the body does not parse at all; still a 400 naming the field.
    let (status, e) =
        error_of(&app, post_token(r#"{"name":"long","scope":"read","expires_in_days":1e30}"#, &h.admin))
            .await;
    assert_eq!(status, 400);
    assert!(e.error.message.contains("expires_in_days"), "{}", e.error.message);
    let created: CreatedToken = test::call_and_read_body_json(
        &app,
        post_token(r#"{"name":"long","scope":"read","expires_in_days":36500}"#, &h.admin).to_request(),
    )
    .await;
    assert!(created.info.expires_at.is_some());
}
