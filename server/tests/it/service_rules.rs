//! Rules the service owns for every surface that renders its answers (the HTTP API today):
//! the summary's `latest`, which namespaces lookup and lineage show a caller, and audit
//! paging. Called below HTTP, so no handler can be what enforces them.

use modelreg_api::{LookupQuery, ModelName, Scope};
use modelreg_server::service::{AuditQuery, Principal, Registry, RegistryError};

use crate::support::{body, bytes, default_policy, digest_of, embedded_registry, manifest, root};

fn limited_to(namespace: &str) -> Principal {
    Principal {
        token_name: "limited".into(),
        scope: Scope::Read,
        namespaces: vec![namespace.parse().unwrap()],
    }
}

fn name(s: &str) -> ModelName {
    s.parse().unwrap()
}

/// Publishes `versions` of each model, every one deriving from `base` when given.
async fn publish(registry: &Registry, models: &[&str], versions: &[&str], base: Option<&str>) {
    let data = bytes(10, 3);
    registry.upload_blob(&root(), digest_of(&data), 10, body(&data, 10)).await.unwrap();
    for model in models {
        for version in versions {
            let mut m = manifest(&[("w", &data)], "MIT");
            if let Some(base) = base {
                m.metadata = serde_json::from_value(serde_json::json!({
                    "license": "MIT", "base_model": { "model": base }, "base_relation": "finetune"
                }))
                .unwrap();
            }
            registry.publish(&root(), &name(model), &version.parse().unwrap(), m).await.unwrap();
        }
    }
}

#[tokio::test]
async fn the_model_summary_names_the_highest_release_as_latest_and_counts_every_version() {
    let (registry, _dir) = embedded_registry(default_policy()).await;
    publish(&registry, &["acme/m"], &["1.0.0", "2.0.0-rc.1", "1.10.0", "1.9.0"], None).await;
    let overview = registry.model_summary(&name("acme/m")).await.unwrap();
    assert_eq!(overview.latest.map(|v| v.to_string()).as_deref(), Some("1.10.0"));
    assert_eq!(overview.version_count, 4);
    assert_eq!(overview.model.name, name("acme/m"));

    publish(&registry, &["acme/pre"], &["0.1.0-alpha"], None).await;
    let overview = registry.model_summary(&name("acme/pre")).await.unwrap();
    assert_eq!((overview.latest, overview.version_count), (None, 1), "a pre-release is never latest");
    assert!(matches!(registry.model_summary(&name("acme/none")).await, Err(RegistryError::ModelNotFound(_))));

    registry.set_yank(&name("acme/m"), &"1.10.0".parse().unwrap(), Some("broken"), "test").await.unwrap();
    let overview = registry.model_summary(&name("acme/m")).await.unwrap();
    assert_eq!(
        overview.latest.map(|v| v.to_string()).as_deref(),
        Some("1.9.0"),
        "a yanked version is never latest, as when resolving the selector"
    );
    assert_eq!(overview.version_count, 4, "yanked versions still count");
}

#[tokio::test]
async fn lookup_shows_a_limited_caller_only_its_namespaces_whatever_the_query_asks() {
    let (registry, _dir) = embedded_registry(default_policy()).await;
    publish(&registry, &["acme/a", "team-x/b"], &["1.0.0"], None).await;
    let names = |hits: Vec<modelreg_server::service::LookupHit>| {
        hits.into_iter().map(|h| format!("{}/{}", h.namespace, h.name)).collect::<Vec<_>>()
    };
    let asks_for_acme =
        LookupQuery { visible_namespaces: vec!["acme".parse().unwrap()], ..LookupQuery::default() };

    let limited = registry.lookup(Some(&limited_to("team-*")), asks_for_acme.clone()).await.unwrap();
    assert_eq!(names(limited.hits), ["team-x/b"]);
    let anonymous = registry.lookup(None, asks_for_acme).await.unwrap();
    assert_eq!(names(anonymous.hits), ["acme/a", "team-x/b"], "anonymous reads see every namespace");
}

#[tokio::test]
async fn derivatives_in_namespaces_the_caller_cannot_see_are_left_out() {
    let (registry, _dir) = embedded_registry(default_policy()).await;
    publish(&registry, &["team-x/base"], &["1.0.0"], None).await;
    publish(&registry, &["acme/ft", "team-y/ft"], &["1.0.0"], Some("team-x/base")).await;
    let models = |list: Vec<modelreg_server::service::DerivativeRecord>| {
        let mut names: Vec<String> = list.into_iter().map(|d| d.model.to_string()).collect();
        names.sort();
        names
    };
    let base = name("team-x/base");
    assert_eq!(
        models(registry.derivatives(Some(&limited_to("team-*")), &base).await.unwrap()),
        ["team-y/ft"]
    );
    assert_eq!(models(registry.derivatives(Some(&root()), &base).await.unwrap()), ["acme/ft", "team-y/ft"]);
    assert_eq!(models(registry.derivatives(None, &base).await.unwrap()), ["acme/ft", "team-y/ft"]);
}

#[tokio::test]
async fn audit_pages_continue_after_their_last_entry_and_hide_models_outside_the_callers_namespaces() {
    let (registry, _dir) = embedded_registry(default_policy()).await;
    publish(&registry, &["acme/m"], &["1.0.0", "1.1.0", "1.2.0"], None).await;
    let mut query =
        AuditQuery { model: Some(name("acme/m")), actor: None, since: None, after_id: None, limit: 2 };

    let first = registry.audit_page_as(&root(), &query).await.unwrap();
    assert_eq!(first.records.len(), 2);
    assert_eq!(first.next_after, first.records.last().map(|r| r.id));
    query.after_id = first.next_after;
    let second = registry.audit_page_as(&root(), &query).await.unwrap();
    let versions: Vec<_> =
        first.records.iter().chain(&second.records).filter_map(|r| r.version.clone()).collect();
    assert_eq!(versions, ["1.0.0", "1.1.0", "1.2.0"]);
    assert_eq!(second.next_after, None, "the last page says no more follow");

    query.after_id = None;
    assert!(matches!(
        registry.audit_page_as(&limited_to("team-*"), &query).await,
        Err(RegistryError::ModelNotFound(_))
    ));
}
