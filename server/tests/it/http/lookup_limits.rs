//! Lookup limits over HTTP on both databases: a repeated parameter works up to its cap and
//! one more is a 400 naming it, licence filters must be licence ids, and no malformed or
//! oversized query answers with a 5xx.

use std::sync::Arc;

use actix_web::{test, web};
use modelreg_api::LookupPage;
use modelreg_server::service::Registry;
use modelreg_server::store::{MetadataStore, Scope};

use super::{app_for, bearer, error_of};
use crate::support::{
    Backing, bytes, default_policy, digest_of, local_blobs, postgres_store, root, sqlite_store,
};

/// A registry over `store` holding one French MIT model, and a read token.
async fn registry_with_a_model(store: Arc<dyn MetadataStore>) -> (web::Data<Registry>, String, Backing) {
    let (blobs, backing) = local_blobs();
    let registry = Registry::new(store, blobs, default_policy());
    let data = bytes(64, 9);
    registry.upload_blob(&root(), digest_of(&data), 64, crate::support::body(&data, 64)).await.unwrap();
    let manifest = serde_json::from_value(serde_json::json!({
        "files": [{ "path": "w", "digest": digest_of(&data), "size": 64 }],
        "metadata": { "license": "MIT", "languages": ["fr"], "tags": ["t"], "labels": { "k": "v" } }
    }))
    .unwrap();
    registry
        .publish(&root(), &"acme/fr".parse().unwrap(), &"1.0.0".parse().unwrap(), manifest)
        .await
        .unwrap();
    let read = registry.create_token("reader", Scope::Read, Vec::new(), None, "test").await.unwrap().0;
    (web::Data::new(registry), read, backing)
}

fn repeat(pair: &str, n: usize) -> String {
    vec![pair; n].join("&")
}

async fn lookups_cap_repeated_parameters_and_never_fail_with_5xx(store: Arc<dyn MetadataStore>) {
    let (registry, read, _backing) = registry_with_a_model(store).await;
    let app = app_for(registry, 64 * 1024).await;
    let get = |query: &str| {
        test::TestRequest::get().uri(&format!("/v1/models?{query}")).insert_header(bearer(&read))
    };

    // Up to the caps the query runs, whatever the database (SQLite limits expression depth).
    let words = vec!["w"; 128].join("%20");
    for (query, hits) in [
        (repeat("language=fr", 64), Some(1)),
        (repeat("license=MIT", 64), Some(1)),
        (repeat("any_language=fr", 64), Some(1)),
        (repeat("label=k:v", 64), Some(1)),
        (
            [
                repeat("language=fr", 64),
                repeat("any_language=fr", 64),
                repeat("tag=t", 64),
                repeat("label=k:v", 63),
            ]
            .join("&")
                + &format!("&q={words}"),
            None,
        ),
        ("license=apache-2.0&license=LicenseRef-llama3&license=mit&license=llama3.1".to_owned(), Some(1)),
    ] {
        let resp = test::call_service(&app, get(&query).to_request()).await;
        assert_eq!(resp.status(), 200, "{}...", &query[..30]);
        let page: LookupPage = test::read_body_json(resp).await;
        if let Some(hits) = hits {
            assert_eq!(page.results.len(), hits, "{}...", &query[..30]);
        }
    }

    // One more is refused, naming the parameter.
    for (query, param) in [
        (repeat("language=fr", 65), "language"),
        (repeat("any_language=fr", 3000), "any_language"),
        (repeat("language=fr", 492), "language"),
        (
            [
                repeat("tag=a", 64),
                repeat("label=k:v", 64),
                repeat("format=gguf", 64),
                repeat("task=translation", 64),
                "namespace=x".into(),
            ]
            .join("&"),
            "namespace",
        ),
        ("license=Not%20A%20Licence%20(".into(), "license"),
        ("license=MIT%20OR%20Apache-2.0".into(), "license"),
    ] {
        let (status, e) = error_of(&app, get(&query)).await;
        assert_eq!((status, e.error.code.as_str()), (400, "invalid_query"), "{param}: {}", e.error.message);
        assert!(e.error.message.contains(&format!("'{param}'")), "{param}: {}", e.error.message);
    }

    // Odd queries: each is a 200 or a 4xx with the envelope, never a 5xx.
    let long = "a".repeat(300);
    for query in [
        "q=%00".to_owned(),
        "q=a%00b&namespace=%00&tag=%00&label=k:%00&hardware=%00&max_latency_ms=1&framework=%00".into(),
        "label=%00:v".into(),
        "q=%FF%FE%25_%5C".into(),
        "limit=-1".into(),
        "limit=99999999999999999999".into(),
        "min_context=18446744073709551616".into(),
        "max_size_bytes=18446744073709551615&min_params=18446744073709551615".into(),
        "max_latency_ms=NaN".into(),
        "max_latency_ms=1e309".into(),
        "max_latency_ms=0.0000001&hardware=%00".into(),
        "cursor=%%%".into(),
        "cursor=AAAA".into(),
        "cursor=eyJ4IjoxfQ".into(),
        "sort=".into(),
        "sort=latency&order=desc&versions=all".into(),
        "label=:".into(),
        "label=a:".into(),
        "&&&=".into(),
        "=x".into(),
        "language=".into(),
        "language=x-%00".into(),
        format!("namespace={long}"),
        format!("tag={long}"),
        "base_model=a/b&base_model=c/d".into(),
        "include_yanked=yes".into(),
        "min_context=5&max_context=1".into(),
    ] {
        let resp = test::call_service(&app, get(&query).to_request()).await;
        let status = resp.status();
        let body = test::read_body(resp).await;
        assert!(status.as_u16() < 500, "{query}: {status} {body:?}");
        if !status.is_success() {
            let e: modelreg_api::ErrorEnvelope = serde_json::from_slice(&body)
                .unwrap_or_else(|e| panic!("{query}: not an envelope ({e}): {body:?}"));
            assert_eq!(e.error.code, "invalid_query", "{query}");
        }
    }
}

#[actix_web::test]
async fn lookup_limits_on_sqlite() {
    let (store, _backing) = sqlite_store().await;
    lookups_cap_repeated_parameters_and_never_fail_with_5xx(store).await;
}

#[actix_web::test]
async fn lookup_limits_on_postgres() {
    let (store, _backing) = postgres_store().await;
    lookups_cap_repeated_parameters_and_never_fail_with_5xx(store).await;
}
