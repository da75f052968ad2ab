//! Effective licences through lineage over HTTP: in the version document, in lookup rows
//! and as lookup filters, with 400s naming a bad filter.

use actix_web::test;
use modelreg_api::{CommercialUse, LicenseClass, LookupPage, VersionManifest};

use super::{Harness, bearer, error_of};
use crate::support::{bytes, digest_of, root};

async fn publish(h: &Harness, model: &str, metadata: serde_json::Value) {
    let data = bytes(64, 7);
    h.registry.upload_blob(&root(), digest_of(&data), 64, crate::support::body(&data, 64)).await.unwrap();
    let manifest = serde_json::from_value(serde_json::json!({
        "files": [{ "path": "w", "digest": digest_of(&data), "size": 64 }], "metadata": metadata
    }))
    .unwrap();
    h.registry.publish(&root(), &model.parse().unwrap(), &"1.0.0".parse().unwrap(), manifest).await.unwrap();
}

fn get(h: &Harness, uri: &str) -> test::TestRequest {
    test::TestRequest::get().uri(uri).insert_header(bearer(&h.read))
}

#[actix_web::test]
async fn the_effective_licence_is_in_the_version_document_and_the_lookup() {
    let h = Harness::new().await;
    let app = h.app().await;
    publish(&h, "meta/llama-3", serde_json::json!({ "license": "LicenseRef-llama3" })).await;
    publish(
        &h,
        "acme/ft",
        serde_json::json!({ "license": "Apache-2.0", "base_model": { "model": "meta/llama-3" }, "base_relation": "finetune" }),
    )
    .await;
    publish(&h, "acme/plain", serde_json::json!({ "license": "MIT" })).await;

    let doc: VersionManifest =
        test::call_and_read_body_json(&app, get(&h, "/v1/models/acme/ft/versions/latest").to_request()).await;
    let e = doc.effective_license.expect("the registry sends the effective licence");
    assert_eq!((e.class, e.commercial_use), (LicenseClass::RestrictedUse, CommercialUse::Restricted));
    assert_eq!(e.conflicts.len(), 1);
    assert_eq!(e.conflicts[0].base, "meta/llama-3@1.0.0");

    let page: LookupPage =
        test::call_and_read_body_json(&app, get(&h, "/v1/models?license_conflicts=true").to_request()).await;
    let rows: Vec<_> = page.results.iter().map(|r| r.model.to_string()).collect();
    assert_eq!(rows, ["acme/ft"]);
    let row = &page.results[0];
    assert_eq!(
        (row.license_class, row.effective_license_class, row.effective_commercial_use),
        (LicenseClass::Permissive, LicenseClass::RestrictedUse, CommercialUse::Restricted)
    );
    assert_eq!(row.license_conflicts[0].base, "meta/llama-3@1.0.0");

    let uri = "/v1/models?effective_license_class=restricted_use&effective_commercial_use=restricted";
    let page: LookupPage = test::call_and_read_body_json(&app, get(&h, uri).to_request()).await;
    let rows: Vec<_> = page.results.iter().map(|r| r.model.to_string()).collect();
    assert_eq!(rows, ["acme/ft", "meta/llama-3"]);
    let page: LookupPage = test::call_and_read_body_json(
        &app,
        get(&h, "/v1/models?effective_commercial_use=allowed").to_request(),
    )
    .await;
    let row = &page.results[0];
    assert_eq!((row.model.to_string(), row.license_conflicts.len()), ("acme/plain".to_owned(), 0));
}

#[actix_web::test]
async fn bad_effective_licence_filters_are_400_naming_the_parameter() {
    let h = Harness::new().await;
    let app = h.app().await;
    for (query, param) in [
        ("effective_license_class=free", "effective_license_class"),
        ("effective_commercial_use=yes", "effective_commercial_use"),
        ("license_conflicts=maybe", "license_conflicts"),
    ] {
        let (status, e) = error_of(&app, get(&h, &format!("/v1/models?{query}"))).await;
        assert_eq!((status, e.error.code.as_str()), (400, "invalid_query"), "{query}");
        assert_eq!(e.error.details.as_ref().unwrap()["parameter"], param, "{query}");
    }
}
