//! Blob upload, existence and download over HTTP.

use actix_web::test;
use modelreg_api::{BlobUploaded, MissingBlobsResponse};
use modelreg_server::service::Policy;

use super::{Harness, bearer, error_of};
use crate::support::{bytes, default_policy, digest_of};

fn put_blob(digest: &str, data: Vec<u8>, token: &str) -> test::TestRequest {
    let len = data.len();
    test::TestRequest::put()
        .uri(&format!("/v1/blobs/{digest}"))
        .insert_header(bearer(token))
        .insert_header(("Content-Length", len.to_string()))
        .set_payload(data)
}

#[actix_web::test]
async fn an_uploaded_blob_is_no_longer_missing_and_downloads_with_ranges() {
    let h = Harness::new().await;
    let app = h.app().await;
    let data = bytes(5000, 9);
    let digest = digest_of(&data).to_string();
    let ask = || {
        test::TestRequest::post()
            .uri("/v1/blobs/missing")
            .insert_header(bearer(&h.write))
            .set_payload(format!(r#"{{"digests":["{digest}","{digest}"]}}"#))
            .to_request()
    };
    let missing: MissingBlobsResponse = test::call_and_read_body_json(&app, ask()).await;
    assert_eq!(missing.missing.len(), 1, "duplicates are asked about once");

    let resp = test::call_service(&app, put_blob(&digest, data.clone(), &h.write).to_request()).await;
    assert_eq!(resp.status(), 201);
    let uploaded: BlobUploaded = test::read_body_json(resp).await;
    assert!(uploaded.created);
    let resp = test::call_service(&app, put_blob(&digest, data.clone(), &h.write).to_request()).await;
    assert_eq!(resp.status(), 200, "a second upload is a no-op");

    let missing: MissingBlobsResponse = test::call_and_read_body_json(&app, ask()).await;
    assert!(missing.missing.is_empty());

    // Unpublished, the blob is its uploader's alone (service::visibility).
    let get = || test::TestRequest::get().uri(&format!("/v1/blobs/{digest}")).insert_header(bearer(&h.write));
    let resp = test::call_service(&app, get().to_request()).await;
    assert_eq!(resp.status(), 200);
    assert_eq!(resp.headers().get("etag").unwrap(), format!("\"{digest}\"").as_str());
    assert_eq!(test::read_body(resp).await.as_ref(), &data[..]);

    let resp = test::call_service(&app, get().insert_header(("Range", "bytes=100-199")).to_request()).await;
    assert_eq!(resp.status(), 206);
    assert_eq!(resp.headers().get("content-range").unwrap(), "bytes 100-199/5000");
    assert_eq!(test::read_body(resp).await.as_ref(), &data[100..200]);

    let (status, e) = error_of(&app, get().insert_header(("Range", "bytes=5000-"))).await;
    assert_eq!((status, e.error.code.as_str()), (416, "range_not_satisfiable"));

    let head = test::TestRequest::default().method(actix_web::http::Method::HEAD);
    let resp = test::call_service(
        &app,
        head.uri(&format!("/v1/blobs/{digest}")).insert_header(bearer(&h.write)).to_request(),
    )
    .await;
    assert_eq!(resp.status(), 200);
}

#[actix_web::test]
async fn a_corrupted_upload_is_refused_and_leaves_nothing() {
    let h = Harness::new().await;
    let app = h.app().await;
    let data = bytes(3000, 10);
    let claimed = digest_of(b"what the client said").to_string();
    let (status, e) = error_of(&app, put_blob(&claimed, data.clone(), &h.write)).await;
    assert_eq!((status, e.error.code.as_str()), (400, "digest_mismatch"));
    let (status, e) = error_of(
        &app,
        test::TestRequest::get().uri(&format!("/v1/blobs/{claimed}")).insert_header(bearer(&h.read)),
    )
    .await;
    assert_eq!((status, e.error.code.as_str()), (404, "blob_not_found"));
}

#[actix_web::test]
async fn malformed_blob_requests_get_clear_errors() {
    let h = Harness::with_policy(Policy { max_blob_bytes: 1000, ..default_policy() }).await;
    let app = h.app().await;
    let (status, e) = error_of(&app, put_blob("sha256:xyz", vec![1], &h.write)).await;
    assert_eq!((status, e.error.code.as_str()), (400, "invalid_digest"));

    let big = bytes(2000, 11);
    let (status, e) = error_of(&app, put_blob(&digest_of(&big).to_string(), big, &h.write)).await;
    assert_eq!((status, e.error.code.as_str()), (413, "blob_too_large"));

    let no_length = test::TestRequest::put()
        .uri(&format!("/v1/blobs/{}", digest_of(b"x")))
        .insert_header(bearer(&h.write));
    let (status, e) = error_of(&app, no_length).await;
    assert_eq!((status, e.error.code.as_str()), (411, "length_required"));

    for body in ["not json", r#"{"digests":["sha256:nope"]}"#, r#"{"digests":[],"extra":1}"#] {
        let req = test::TestRequest::post()
            .uri("/v1/blobs/missing")
            .insert_header(bearer(&h.write))
            .set_payload(body);
        let (status, e) = error_of(&app, req).await;
        assert_eq!((status, e.error.code.as_str()), (400, "invalid_json"), "{body}");
    }
    let many: Vec<String> = (0..10_001u32).map(|i| format!("\"{}\"", digest_of(&i.to_le_bytes()))).collect();
    let req = test::TestRequest::post()
        .uri("/v1/blobs/missing")
        .insert_header(bearer(&h.write))
        .set_payload(format!(r#"{{"digests":[{}]}}"#, many.join(",")));
    let app_big = super::app_for(h.registry.clone(), 4 << 20).await;
    let (status, e) = error_of(&app_big, req).await;
    assert_eq!((status, e.error.code.as_str()), (400, "too_many_digests"));
}
