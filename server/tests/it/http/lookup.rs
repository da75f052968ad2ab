//! The lookup and lineage routes over HTTP: parameters, paging through cursors, 400s.

use actix_web::test;
use modelreg_api::{DerivativeList, LookupPage};

use super::{Harness, bearer, error_of};
use crate::support::{bytes, digest_of, root};

async fn publish(h: &Harness, model: &str, version: &str, metadata: serde_json::Value) {
    let data = bytes(64, 1);
    h.registry.upload_blob(&root(), digest_of(&data), 64, crate::support::body(&data, 64)).await.unwrap();
    let manifest = serde_json::from_value(serde_json::json!({
        "files": [{ "path": "w", "digest": digest_of(&data), "size": 64 }], "metadata": metadata
    }))
    .unwrap();
    h.registry.publish(&root(), &model.parse().unwrap(), &version.parse().unwrap(), manifest).await.unwrap();
}

fn get(h: &Harness, uri: &str) -> test::TestRequest {
    test::TestRequest::get().uri(uri).insert_header(bearer(&h.read))
}

#[actix_web::test]
async fn lookups_page_through_cursors_and_carry_the_licence_verdict() {
    let h = Harness::new().await;
    let app = h.app().await;
    for i in 0..5 {
        publish(
            &h,
            &format!("acme/m{i}"),
            "1.0.0",
            serde_json::json!({ "license": "MIT", "languages": ["fr"], "context_length": 1000 * (i + 1) }),
        )
        .await;
    }
    publish(&h, "acme/nc", "1.0.0", serde_json::json!({ "license": "CC-BY-NC-4.0", "base_model": { "model": "acme/m0" }, "base_relation": "adapter" })).await;

    let mut seen = Vec::new();
    let mut uri = "/v1/models?language=fr&sort=context_length&order=desc&limit=2".to_owned();
    loop {
        let page: LookupPage = test::call_and_read_body_json(&app, get(&h, &uri).to_request()).await;
        seen.extend(page.results.iter().map(|r| r.model.to_string()));
        for r in &page.results {
            assert_eq!(r.license_class.as_str(), "permissive");
            assert_eq!(r.url, format!("/v1/models/{}/versions/1.0.0", r.model));
        }
        match page.next_cursor {
            Some(c) => {
                uri = format!("/v1/models?language=fr&sort=context_length&order=desc&limit=2&cursor={c}")
            }
            None => break,
        }
    }
    assert_eq!(seen, ["acme/m4", "acme/m3", "acme/m2", "acme/m1", "acme/m0"]);

    let page: LookupPage =
        test::call_and_read_body_json(&app, get(&h, "/v1/models?commercial_use=false").to_request()).await;
    assert_eq!(page.results.len(), 1);
    assert_eq!(page.results[0].commercial_use.as_str(), "forbidden");

    let list: DerivativeList =
        test::call_and_read_body_json(&app, get(&h, "/v1/models/acme/m0/derivatives").to_request()).await;
    assert_eq!(list.derivatives.len(), 1);
    assert_eq!(list.derivatives[0].model.to_string(), "acme/nc");
    let (status, e) = error_of(&app, get(&h, "/v1/models/acme/nobody/derivatives")).await;
    assert_eq!((status, e.error.code.as_str()), (404, "model_not_found"));
}

#[actix_web::test]
async fn invalid_lookup_parameters_are_400_naming_the_parameter() {
    let h = Harness::new().await;
    let app = h.app().await;
    publish(&h, "acme/a", "1.0.0", serde_json::json!({ "license": "MIT" })).await;
    publish(&h, "acme/b", "1.0.0", serde_json::json!({ "license": "MIT" })).await;
    for (query, param) in [
        ("colour=red", "colour"),
        ("min_context=-1", "min_context"),
        ("limit=1000", "limit"),
        ("task=chat", "task"),
        ("language=klingon-language", "language"),
        ("sort=popularity", "sort"),
        ("cursor=zz", "cursor"),
        ("modality=smell", "modality"),
        ("license_class=free", "license_class"),
    ] {
        let (status, e) = error_of(&app, get(&h, &format!("/v1/models?{query}"))).await;
        assert_eq!((status, e.error.code.as_str()), (400, "invalid_query"), "{query}");
        assert!(e.error.message.contains(&format!("'{param}'")), "{query}: {}", e.error.message);
        assert_eq!(e.error.details, Some(serde_json::json!({ "parameter": param })), "{query}");
    }
    let page: LookupPage =
        test::call_and_read_body_json(&app, get(&h, "/v1/models?limit=1").to_request()).await;
    let cursor = page.next_cursor.expect("a second page");
    let (status, e) = error_of(&app, get(&h, &format!("/v1/models?limit=1&sort=size&cursor={cursor}"))).await;
    assert_eq!((status, e.error.code.as_str()), (400, "invalid_query"));
    assert!(e.error.message.contains("another sort"), "{}", e.error.message);
    assert_eq!(e.error.details, Some(serde_json::json!({ "parameter": "cursor" })));
    let (status, _) = error_of(&app, test::TestRequest::get().uri("/v1/models")).await;
    assert_eq!(status, 401, "the lookup is a read and needs a token");
}
