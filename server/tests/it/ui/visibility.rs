//! Pages see exactly what the caller's lookups see: a namespace-limited token never sees
//! another namespace's model in search, lineage or compare; without a token pages need
//! anonymous reads.

use modelreg_server::store::Scope;
use serde_json::json;

use super::{fetch, publish};
use crate::http::Harness;
use crate::support::default_policy;

#[actix_web::test]
async fn a_namespace_limited_token_never_sees_another_namespaces_model_on_any_page() {
    let h = Harness::new().await;
    let app = h.app().await;
    publish(&h, "acme/base", "1.0.0", json!({ "license": "MIT" })).await;
    publish(
        &h,
        "other/secret",
        "1.0.0",
        json!({ "license": "MIT", "base_model": { "model": "acme/base" }, "base_relation": "finetune" }),
    )
    .await;
    publish(
        &h,
        "acme/child",
        "1.0.0",
        json!({ "license": "MIT", "base_model": { "model": "other/secret" }, "base_relation": "adapter" }),
    )
    .await;
    let limited = h
        .registry
        .create_token("acme-only", Scope::Read, vec!["acme".parse().unwrap()], None, "t")
        .await
        .unwrap()
        .0;

    let search = fetch(&app, "/", Some(&limited)).await;
    assert_eq!(search.status, 200);
    assert!(search.body.contains("/m/acme/base/v/1.0.0"), "{}", search.body);
    assert!(!search.body.contains("other/secret"), "search shows another namespace");
    let unlimited = fetch(&app, "/", Some(&h.read)).await;
    assert!(unlimited.body.contains("other/secret"), "the unlimited token does see it");

    let direct = fetch(&app, "/m/other/secret", Some(&limited)).await;
    assert_eq!(direct.status, 404, "{}", direct.body);
    assert!(!direct.body.contains("finetune"));
    let unknown = fetch(&app, "/m/other/nothing", Some(&limited)).await;
    assert_eq!(
        (unknown.status, unknown.body.replace("nothing", "secret")),
        (404, direct.body),
        "indistinguishable from an unknown model"
    );

    let base = fetch(&app, "/m/acme/base", Some(&limited)).await;
    assert_eq!(base.status, 200);
    assert!(!base.body.contains("other/secret"), "derivatives in other namespaces are left out");
    let child = fetch(&app, "/m/acme/child", Some(&limited)).await;
    assert_eq!(child.status, 200);
    let lineage = child.body.split(r#"id="lineage""#).nth(1).unwrap();
    assert!(
        !lineage.contains("other/secret") && !lineage.contains("acme/base"),
        "the chain stops at an invisible base: {lineage}"
    );
    let seen_by_all = fetch(&app, "/m/acme/child", Some(&h.read)).await;
    assert!(seen_by_all.body.contains("/m/other/secret/v/1.0.0"), "unlimited tokens see the chain");

    let compare = fetch(&app, "/compare?m=acme/base&m=other/secret", Some(&limited)).await;
    assert_eq!(compare.status, 404, "{}", compare.body);
    assert!(!compare.body.contains("finetune"));
}

#[actix_web::test]
async fn pages_need_a_token_unless_anonymous_reads_are_on() {
    let closed = Harness::new().await;
    let app = closed.app().await;
    publish(&closed, "acme/a", "1.0.0", json!({ "license": "MIT" })).await;
    for (uri, next) in [
        ("/", "%2F"),
        ("/m/acme/a", "%2Fm%2Facme%2Fa"),
        ("/compare?m=acme/a&m=acme/a", "%2Fcompare%3Fm%3Dacme%2Fa%26m%3Dacme%2Fa"),
    ] {
        let page = fetch(&app, uri, None).await;
        assert_eq!(page.status, 303, "{uri}: an anonymous visitor is sent to sign in");
        assert_eq!(page.header("location"), Some(format!("/login?next={next}").as_str()), "{uri}");
        assert!(!page.body.contains("/m/acme/a/v/"), "{uri}");
    }
    let bad = fetch(&app, "/", Some("not-a-token")).await;
    assert_eq!(bad.status, 401);
    assert!(!bad.body.contains("not-a-token"), "a presented secret is never echoed");

    let open =
        Harness::with_policy(modelreg_server::service::Policy { anonymous_read: true, ..default_policy() })
            .await;
    let app = open.app().await;
    publish(&open, "acme/a", "1.0.0", json!({ "license": "MIT" })).await;
    let page = fetch(&app, "/", None).await;
    assert_eq!(page.status, 200);
    assert!(page.body.contains("/m/acme/a/v/1.0.0"));
    assert_eq!(fetch(&app, "/m/acme/a", None).await.status, 200);
}
