//! A browser session sees exactly what its token's lookups see: a namespace-limited session
//! never sees another namespace's model in search, on a model page, in lineage or in compare.

use std::time::Duration;

use modelreg_server::http::UiSettings;
use modelreg_server::store::Scope;
use serde_json::json;

use super::publish;
use super::send;
use super::session::{app_with, get_with_cookie, harness, set_cookie, sign_in};
use crate::http::Harness;
use crate::support::default_policy;

#[actix_web::test]
async fn a_namespace_limited_session_never_sees_another_namespaces_model_on_any_page() {
    let h = harness(Duration::from_secs(3600)).await;
    let app = app_with(&h, UiSettings::default()).await;
    publish(&h, "acme/base", "1.0.0", json!({ "license": "MIT" })).await;
    let secret =
        json!({ "license": "MIT", "base_model": { "model": "acme/base" }, "base_relation": "finetune" });
    publish(&h, "other/secret", "1.0.0", secret).await;
    let child =
        json!({ "license": "MIT", "base_model": { "model": "other/secret" }, "base_relation": "adapter" });
    publish(&h, "acme/child", "1.0.0", child).await;
    let (limited, _) = h
        .registry
        .create_token("acme-only", Scope::Read, vec!["acme".parse().unwrap()], None, "t")
        .await
        .unwrap();
    let cookie = sign_in(&app, &limited).await;
    let everyone = sign_in(&app, &h.read).await;

    let search = send(&app, get_with_cookie("/", &cookie)).await;
    assert_eq!(search.status, 200);
    assert!(search.body.contains("Signed in as <strong>acme-only</strong>"));
    assert!(search.body.contains("/m/acme/base/v/1.0.0"), "{}", search.body);
    assert!(!search.body.contains("other/secret"), "search shows another namespace");
    let filtered = send(&app, get_with_cookie("/?q=secret&base_model=acme/base", &cookie)).await;
    assert!(!filtered.body.contains("other/secret"), "not even when asked for");
    assert!(send(&app, get_with_cookie("/", &everyone)).await.body.contains("other/secret"));

    let direct = send(&app, get_with_cookie("/m/other/secret", &cookie)).await;
    assert_eq!(direct.status, 404, "{}", direct.body);
    assert!(!direct.body.contains("finetune"));
    let version = send(&app, get_with_cookie("/m/other/secret/v/1.0.0", &cookie)).await;
    assert_eq!(version.status, 404);

    let base = send(&app, get_with_cookie("/m/acme/base", &cookie)).await;
    assert_eq!(base.status, 200);
    assert!(!base.body.contains("other/secret"), "derivatives in other namespaces are left out");
    let page = send(&app, get_with_cookie("/m/acme/child", &cookie)).await;
    let lineage = page.body.split(r#"id="lineage""#).nth(1).unwrap();
    assert!(
        !lineage.contains("other/secret") && !lineage.contains("acme/base"),
        "the chain stops at an invisible base: {lineage}"
    );
    let seen_by_all = send(&app, get_with_cookie("/m/acme/child", &everyone)).await;
    assert!(seen_by_all.body.contains("/m/other/secret/v/1.0.0"), "unlimited sessions see the chain");

    let compare = send(&app, get_with_cookie("/compare?m=acme/base&m=other/secret", &cookie)).await;
    assert_eq!(compare.status, 404, "{}", compare.body);
    assert!(!compare.body.contains("finetune"));
    let allowed = send(&app, get_with_cookie("/compare?m=acme/base&m=acme/child", &cookie)).await;
    assert_eq!(allowed.status, 200, "{}", allowed.body);
}

#[actix_web::test]
async fn with_anonymous_reads_an_ended_session_reads_anonymously_and_loses_its_cookie() {
    let policy = modelreg_server::service::Policy { anonymous_read: true, ..default_policy() };
    let (registry, dir) = crate::support::embedded_registry(policy).await;
    let h = Harness::with_registry(registry, dir).await;
    let app = app_with(&h, UiSettings::default()).await;
    publish(&h, "acme/a", "1.0.0", json!({ "license": "MIT" })).await;
    let anonymous = send(&app, actix_web::test::TestRequest::get().uri("/")).await;
    assert!(anonymous.body.contains(r#"<a href="/login">Sign in</a>"#), "{}", anonymous.body);
    let cookie = sign_in(&app, &h.read).await;
    h.registry.revoke_token("reader", "test").await.unwrap();
    let page = send(&app, get_with_cookie("/", &cookie)).await;
    assert_eq!(page.status, 200);
    assert!(page.body.contains("/m/acme/a/v/1.0.0"));
    assert!(!page.body.contains("Signed in as"), "{}", page.body);
    assert!(set_cookie(&page).contains("Max-Age=0"));
}
