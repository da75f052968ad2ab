//! Publishing and resolving versions over HTTP.

use std::collections::BTreeSet;

use actix_web::test;
use modelreg_api::{
    ContradictionDetails, DerivedField, ModelSummary, Precision, PublishResponse, VersionList,
    VersionManifest,
};
use serde_json::json;

use super::{Harness, bearer, error_of};
use crate::derive::safetensors;
use crate::support::{bytes, digest_of, manifest};

async fn upload(h: &Harness, data: &[u8]) {
    h.registry
        .upload_blob(&h.writer(), digest_of(data), data.len() as u64, crate::support::body(data, 1000))
        .await
        .unwrap();
}

fn publish(h: &Harness, model: &str, version: &str, body: String) -> test::TestRequest {
    test::TestRequest::put()
        .uri(&format!("/v1/models/{model}/versions/{version}"))
        .insert_header(bearer(&h.write))
        .set_payload(body)
}

fn get(h: &Harness, uri: &str) -> test::TestRequest {
    test::TestRequest::get().uri(uri).insert_header(bearer(&h.read))
}

#[actix_web::test]
async fn publish_is_created_then_a_no_op_then_a_conflict() {
    let h = Harness::new().await;
    let app = h.app().await;
    let (a, b) = (bytes(100, 1), bytes(200, 2));
    upload(&h, &a).await;
    upload(&h, &b).await;
    let first = serde_json::to_string(&manifest(&[("model.bin", &a), ("config/x.json", &b)], "MIT")).unwrap();
    let resp = test::call_service(&app, publish(&h, "acme/bert", "1.0.0", first.clone()).to_request()).await;
    assert_eq!(resp.status(), 201);
    let created: PublishResponse = test::read_body_json(resp).await;
    assert!(created.created);

    // Same files in another order: the canonical manifest, and so the digest, are equal.
    let reordered =
        serde_json::to_string(&manifest(&[("config/x.json", &b), ("model.bin", &a)], "MIT")).unwrap();
    let resp = test::call_service(&app, publish(&h, "acme/bert", "1.0.0", reordered).to_request()).await;
    assert_eq!(resp.status(), 200);
    let again: PublishResponse = test::read_body_json(resp).await;
    assert_eq!((again.created, again.digest), (false, created.digest));

    let other = serde_json::to_string(&manifest(&[("model.bin", &a)], "MIT")).unwrap();
    let (status, e) = error_of(&app, publish(&h, "acme/bert", "1.0.0", other)).await;
    assert_eq!((status, e.error.code.as_str()), (409, "version_conflict"));
    assert_eq!(e.error.details.unwrap()["existing_digest"], created.digest.to_string());
}

#[actix_web::test]
async fn publishing_with_a_missing_blob_lists_what_is_missing() {
    let h = Harness::new().await;
    let app = h.app().await;
    let (a, b) = (bytes(100, 3), bytes(100, 4));
    upload(&h, &a).await;
    let body = serde_json::to_string(&manifest(&[("a", &a), ("b", &b)], "MIT")).unwrap();
    let (status, e) = error_of(&app, publish(&h, "acme/bert", "1.0.0", body)).await;
    assert_eq!((status, e.error.code.as_str()), (422, "missing_blobs"));
    assert_eq!(e.error.details.unwrap()["missing"], serde_json::json!([digest_of(&b).to_string()]));
    let (status, _) = error_of(&app, get(&h, "/v1/models/acme/bert/versions/1.0.0")).await;
    assert_eq!(status, 404, "nothing was published");
}

#[actix_web::test]
async fn invalid_manifests_are_422_naming_the_field() {
    let h = Harness::new().await;
    let app = h.app().await;
    let a = bytes(10, 5);
    upload(&h, &a).await;
    let d = digest_of(&a);
    let file = |path: &str, size: usize| format!(r#"{{"path":"{path}","digest":"{d}","size":{size}}}"#);
    let cases = [
        (
            format!(r#"{{"files":[{}],"metadata":{{"license":"MIT"}}}}"#, file("../etc/passwd", 10)),
            "files[0].path",
        ),
        (format!(r#"{{"files":[{}],"metadata":{{"license":"MIT"}}}}"#, file("/abs", 10)), "absolute"),
        (format!(r#"{{"files":[{}],"metadata":{{"license":"MIT"}}}}"#, file("a\\\\b", 10)), "backslash"),
        (
            format!(r#"{{"files":[{},{}],"metadata":{{"license":"MIT"}}}}"#, file("a", 10), file("a", 10)),
            "more than once",
        ),
        (
            format!(r#"{{"files":[{}],"metadata":{{"license":"Not-A-Licence"}}}}"#, file("a", 10)),
            "metadata.license",
        ),
        (format!(r#"{{"files":[{}],"metadata":{{}}}}"#, file("a", 10)), "license"),
        (format!(r#"{{"files":[{}],"metadata":{{"license":"MIT"}}}}"#, file("a", 11)), "declares 11 bytes"),
        (r#"{"files":[],"metadata":{"license":"MIT"}}"#.to_owned(), "at least one file"),
        ("{not json".to_owned(), "key must be a string"),
    ];
    for (body, expect) in cases {
        let (status, e) = error_of(&app, publish(&h, "acme/bert", "1.0.0", body.clone())).await;
        assert_eq!((status, e.error.code.as_str()), (422, "invalid_manifest"), "{body}");
        assert!(e.error.message.contains(expect), "{body}: {}", e.error.message);
    }
    let (status, e) = error_of(&app, publish(&h, "acme/bert", "1.0", String::new())).await;
    assert_eq!((status, e.error.code.as_str()), (400, "invalid_version"));
    let (status, e) = error_of(&app, publish(&h, "Acme/bert", "1.0.0", String::new())).await;
    assert_eq!((status, e.error.code.as_str()), (400, "invalid_model_name"));
    let huge = format!(r#"{{"files":[],"metadata":{{"license":"MIT","readme":"{}"}}}}"#, "x".repeat(70_000));
    let (status, e) = error_of(&app, publish(&h, "acme/bert", "1.0.0", huge)).await;
    assert_eq!((status, e.error.code.as_str()), (413, "body_too_large"));
}

#[actix_web::test]
async fn a_publish_contradicting_the_files_lists_each_contradiction_in_details() {
    let h = Harness::new().await;
    let app = h.app().await;
    let (first, second) =
        (safetensors(&[("a", "BF16", &[100, 10])]), safetensors(&[("b", "BF16", &[100, 10])]));
    upload(&h, &first).await;
    upload(&h, &second).await;
    let mut declared =
        manifest(&[("model-00001.safetensors", &first), ("model-00002.safetensors", &second)], "MIT");
    declared.metadata.parameters = Some(std::num::NonZeroU64::new(5000).unwrap());
    declared.metadata.precision = Some(Precision::Fp32);
    let body = serde_json::to_string(&declared).unwrap();
    let (status, e) = error_of(&app, publish(&h, "acme/bert", "1.0.0", body)).await;
    assert_eq!((status, e.error.code.as_str()), (422, "invalid_manifest"));
    assert_eq!(
        e.error.details,
        Some(json!({"contradictions": [
            {"field": "parameters", "declared": 5000, "derived": 2000,
             "file": "model-00001.safetensors", "files": 2},
            {"field": "precision", "declared": "fp32", "derived": "bf16",
             "file": "model-00001.safetensors", "files": 2},
        ]}))
    );
    let details: ContradictionDetails = serde_json::from_value(e.error.details.unwrap()).unwrap();
    assert_eq!(details.contradictions.len(), 2, "the details decode as the api type");
    assert!(
        e.error.message.starts_with(
            "invalid manifest: metadata.parameters: declared 5000 but model-00001.safetensors and 1 more \
             file say 2000 (add \"parameters\" to override_derived"
        ),
        "{}",
        e.error.message
    );

    declared.override_derived = BTreeSet::from([DerivedField::Parameters, DerivedField::Precision]);
    let body = serde_json::to_string(&declared).unwrap();
    let resp = test::call_service(&app, publish(&h, "acme/bert", "1.0.0", body).to_request()).await;
    assert_eq!(resp.status(), 201);
}

#[actix_web::test]
async fn selectors_resolve_like_cargo() {
    let h = Harness::new().await;
    let app = h.app().await;
    let a = bytes(10, 6);
    upload(&h, &a).await;
    for version in ["1.0.0", "1.4.0", "1.4.2", "1.5.0-rc.1", "2.0.0"] {
        let mut m = manifest(&[("a", &a)], "MIT");
        m.metadata.labels.insert("v".into(), version.into());
        let resp = test::call_service(
            &app,
            publish(&h, "acme/bert", version, serde_json::to_string(&m).unwrap()).to_request(),
        )
        .await;
        assert_eq!(resp.status(), 201, "{version}");
    }
    let cases = [
        ("latest", "2.0.0"),
        ("1.4.0", "1.4.0"),
        ("%5E1.4", "1.4.2"),
        ("~1.4.0", "1.4.2"),
        ("%3E%3D1%2C%20%3C2", "1.4.2"),
        ("1", "1.4.2"),
        ("1.5.0-rc.1", "1.5.0-rc.1"),
    ];
    for (selector, expected) in cases {
        let resolved: VersionManifest = test::call_and_read_body_json(
            &app,
            get(&h, &format!("/v1/models/acme/bert/versions/{selector}")).to_request(),
        )
        .await;
        assert_eq!(resolved.version.to_string(), expected, "{selector}");
        assert_eq!(resolved.metadata.labels["v"], expected);
    }
    let (status, e) = error_of(&app, get(&h, "/v1/models/acme/bert/versions/%5E3")).await;
    assert_eq!((status, e.error.code.as_str()), (404, "version_not_found"));
    let (status, e) = error_of(&app, get(&h, "/v1/models/acme/nobody/versions/latest")).await;
    assert_eq!((status, e.error.code.as_str()), (404, "model_not_found"));
    let (status, e) = error_of(&app, get(&h, "/v1/models/acme/bert/versions/%5E%5E1")).await;
    assert_eq!((status, e.error.code.as_str()), (400, "invalid_selector"));
    let (status, e) = error_of(&app, get(&h, "/v1/models/acme/bert/versions/newest")).await;
    assert_eq!((status, e.error.code.as_str()), (404, "alias_not_found"), "a word is an alias");

    let list: VersionList =
        test::call_and_read_body_json(&app, get(&h, "/v1/models/acme/bert/versions").to_request()).await;
    let order: Vec<String> = list.versions.iter().map(|v| v.version.to_string()).collect();
    assert_eq!(order, ["1.0.0", "1.4.0", "1.4.2", "1.5.0-rc.1", "2.0.0"]);
    let summary: ModelSummary =
        test::call_and_read_body_json(&app, get(&h, "/v1/models/acme/bert").to_request()).await;
    assert_eq!((summary.version_count, summary.latest.unwrap().to_string()), (5, "2.0.0".to_owned()));
}
