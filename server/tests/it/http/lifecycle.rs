//! Aliases, yank, delete, tokens and the audit log over HTTP.

use actix_web::test;
use modelreg_api::{AliasList, AuditPage, CreatedToken, TokenInfo, TokenList, VersionManifest};

use super::{Harness, bearer, error_of};
use crate::support::{bytes, digest_of, manifest};

async fn seed(h: &Harness, versions: &[&str]) {
    for (i, v) in versions.iter().enumerate() {
        let data = bytes(20, i as u8);
        h.registry
            .upload_blob(&h.writer(), digest_of(&data), 20, crate::support::body(&data, 20))
            .await
            .unwrap();
        h.registry
            .publish(
                &h.writer(),
                &"acme/m".parse().unwrap(),
                &v.parse().unwrap(),
                manifest(&[("w", &data)], "MIT"),
            )
            .await
            .unwrap();
    }
}

fn req(method: &str, uri: &str, token: &str) -> test::TestRequest {
    test::TestRequest::default().method(method.parse().unwrap()).uri(uri).insert_header(bearer(token))
}

#[actix_web::test]
async fn aliases_resolve_and_keep_history() {
    let h = Harness::new().await;
    let app = h.app().await;
    seed(&h, &["1.0.0", "1.1.0"]).await;
    for version in ["1.0.0", "1.1.0"] {
        let resp = test::call_service(
            &app,
            req("PUT", "/v1/models/acme/m/aliases/production", &h.write)
                .set_payload(format!(r#"{{"version":"{version}"}}"#))
                .to_request(),
        )
        .await;
        assert_eq!(resp.status(), 200);
    }
    let resolved: VersionManifest = test::call_and_read_body_json(
        &app,
        req("GET", "/v1/models/acme/m/versions/production", &h.read).to_request(),
    )
    .await;
    assert_eq!(resolved.version.to_string(), "1.1.0");
    let list: AliasList = test::call_and_read_body_json(
        &app,
        req("GET", "/v1/models/acme/m/aliases?history=true", &h.read).to_request(),
    )
    .await;
    assert_eq!(list.aliases.len(), 1);
    assert_eq!(list.history.len(), 2);
    assert_eq!(list.history[1].actor, "writer");
    let (status, e) = error_of(&app, req("GET", "/v1/models/acme/m/aliases?history=yes", &h.read)).await;
    assert_eq!((status, e.error.code.as_str()), (400, "invalid_query"));
    assert_eq!(e.error.details, Some(serde_json::json!({ "parameter": "history" })));
    for bad in ["1.0.0", "latest", "Prod"] {
        let (status, e) = error_of(
            &app,
            req("PUT", &format!("/v1/models/acme/m/aliases/{bad}"), &h.write)
                .set_payload(r#"{"version":"1.0.0"}"#),
        )
        .await;
        assert_eq!((status, e.error.code.as_str()), (400, "invalid_alias"), "{bad}");
    }
    let (status, e) = error_of(&app, req("GET", "/v1/models/acme/m/versions/staging", &h.read)).await;
    assert_eq!((status, e.error.code.as_str()), (404, "alias_not_found"));
    let resp = test::call_service(
        &app,
        req("DELETE", "/v1/models/acme/m/aliases/production", &h.write).to_request(),
    )
    .await;
    assert_eq!(resp.status(), 204);
}

#[actix_web::test]
async fn yanked_versions_leave_latest_and_ranges_but_resolve_exactly() {
    let h = Harness::new().await;
    let app = h.app().await;
    seed(&h, &["1.0.0", "1.1.0"]).await;
    let resp = test::call_service(
        &app,
        req("POST", "/v1/models/acme/m/versions/1.1.0/yank", &h.write)
            .set_payload(r#"{"reason":"broken tokenizer"}"#)
            .to_request(),
    )
    .await;
    assert_eq!(resp.status(), 200);
    for selector in ["latest", "%5E1"] {
        let got: VersionManifest = test::call_and_read_body_json(
            &app,
            req("GET", &format!("/v1/models/acme/m/versions/{selector}"), &h.read).to_request(),
        )
        .await;
        assert_eq!(got.version.to_string(), "1.0.0", "{selector}");
        assert!(got.yanked.is_none());
    }
    let exact: VersionManifest = test::call_and_read_body_json(
        &app,
        req("GET", "/v1/models/acme/m/versions/1.1.0", &h.read).to_request(),
    )
    .await;
    assert_eq!(exact.yanked.unwrap().reason, "broken tokenizer");
    let page: modelreg_api::LookupPage =
        test::call_and_read_body_json(&app, req("GET", "/v1/models?versions=all", &h.read).to_request())
            .await;
    assert_eq!(page.results.len(), 1, "the lookup skips yanked versions");
    let page: modelreg_api::LookupPage = test::call_and_read_body_json(
        &app,
        req("GET", "/v1/models?versions=all&include_yanked=true", &h.read).to_request(),
    )
    .await;
    assert_eq!(page.results.len(), 2);
    let (status, e) = error_of(
        &app,
        req("PUT", "/v1/models/acme/m/aliases/prod", &h.write).set_payload(r#"{"version":"1.1.0"}"#),
    )
    .await;
    assert_eq!((status, e.error.code.as_str()), (409, "version_yanked"));
    let resp = test::call_service(
        &app,
        req("PUT", "/v1/models/acme/m/aliases/prod", &h.write)
            .set_payload(r#"{"version":"1.1.0","force":true}"#)
            .to_request(),
    )
    .await;
    assert_eq!(resp.status(), 200);
    let resp = test::call_service(
        &app,
        req("DELETE", "/v1/models/acme/m/versions/1.1.0/yank", &h.write).to_request(),
    )
    .await;
    assert_eq!(resp.status(), 200);
    let got: VersionManifest = test::call_and_read_body_json(
        &app,
        req("GET", "/v1/models/acme/m/versions/latest", &h.read).to_request(),
    )
    .await;
    assert_eq!(got.version.to_string(), "1.1.0");
}

#[actix_web::test]
async fn deleted_versions_can_never_be_published_again() {
    let h = Harness::new().await;
    let app = h.app().await;
    seed(&h, &["1.0.0"]).await;
    let resp =
        test::call_service(&app, req("DELETE", "/v1/models/acme/m/versions/1.0.0", &h.admin).to_request())
            .await;
    assert_eq!(resp.status(), 204);
    let data = bytes(20, 0);
    let body = serde_json::to_string(&manifest(&[("w", &data)], "MIT")).unwrap();
    let (status, e) =
        error_of(&app, req("PUT", "/v1/models/acme/m/versions/1.0.0", &h.write).set_payload(body)).await;
    assert_eq!((status, e.error.code.as_str()), (409, "version_deleted"));
    let (status, _) = error_of(&app, req("GET", "/v1/models/acme/m/versions/1.0.0", &h.read)).await;
    assert_eq!(status, 404);
}

#[actix_web::test]
async fn tokens_are_managed_by_admins_and_secrets_are_shown_once() {
    let h = Harness::new().await;
    let app = h.app().await;
    let created: CreatedToken = test::call_and_read_body_json(
        &app,
        req("POST", "/v1/tokens", &h.admin)
            .set_payload(r#"{"name":"ci-acme","scope":"write","namespaces":["acme"],"expires_in_days":30}"#)
            .to_request(),
    )
    .await;
    assert!(created.token.starts_with("mrg_"));
    assert!(created.info.expires_at.is_some());
    let me: TokenInfo =
        test::call_and_read_body_json(&app, req("GET", "/v1/whoami", &created.token).to_request()).await;
    assert_eq!((me.name.as_str(), me.namespaces.len()), ("ci-acme", 1));
    let list = test::call_service(&app, req("GET", "/v1/tokens", &h.admin).to_request()).await;
    let raw = test::read_body(list).await;
    assert!(!String::from_utf8_lossy(&raw).contains(&created.token), "listing never shows secrets");
    let list: TokenList = serde_json::from_slice(&raw).unwrap();
    assert!(list.tokens.iter().any(|t| t.name == "ci-acme"));
    let resp = test::call_service(&app, req("DELETE", "/v1/tokens/ci-acme", &h.admin).to_request()).await;
    assert_eq!(resp.status(), 204);
    let (status, _) = error_of(&app, req("GET", "/v1/whoami", &created.token)).await;
    assert_eq!(status, 401, "a revoked token stops working at once");
    let (status, e) = error_of(&app, req("DELETE", "/v1/tokens/ci-acme", &h.admin)).await;
    assert_eq!((status, e.error.code.as_str()), (404, "token_not_found"));
}

#[actix_web::test]
async fn the_audit_log_pages_and_filters() {
    let h = Harness::new().await;
    let app = h.app().await;
    seed(&h, &["1.0.0", "1.1.0", "1.2.0"]).await;
    let page: AuditPage = test::call_and_read_body_json(
        &app,
        req("GET", "/v1/audit?model=acme/m&limit=2", &h.admin).to_request(),
    )
    .await;
    assert_eq!(page.entries.len(), 2);
    assert!(page.entries.iter().all(|e| e.action == "publish" && e.actor == "writer"));
    let cursor = page.next_cursor.unwrap();
    let next: AuditPage = test::call_and_read_body_json(
        &app,
        req("GET", &format!("/v1/audit?model=acme/m&limit=2&cursor={cursor}"), &h.admin).to_request(),
    )
    .await;
    assert_eq!(next.entries.len(), 1);
    assert!(next.next_cursor.is_none());
    let (status, e) = error_of(&app, req("GET", "/v1/audit?since=yesterday", &h.admin)).await;
    assert_eq!((status, e.error.code.as_str()), (400, "invalid_query"));
    assert_eq!(e.error.details, Some(serde_json::json!({ "parameter": "since" })));
}
