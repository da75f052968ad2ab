//! Blob visibility over HTTP beyond the auth matrix: anonymous readers, yanked and deleted
//! versions, and an upload's grant to its token.

use actix_web::test;
use modelreg_api::Scope;
use modelreg_server::service::Policy;

use super::{Harness, bearer, error_of};
use crate::support::{body, bytes, default_policy, digest_of, manifest};

fn get(digest: &modelreg_api::Digest, token: Option<&str>) -> test::TestRequest {
    let req = test::TestRequest::get().uri(&format!("/v1/blobs/{digest}"));
    match token {
        Some(t) => req.insert_header(bearer(t)),
        None => req,
    }
}

#[actix_web::test]
async fn anonymous_readers_see_blobs_of_published_versions_only() {
    let h = Harness::with_policy(Policy { anonymous_read: true, ..default_policy() }).await;
    let app = h.app().await;
    let (published, unpublished) = (bytes(300, 1), bytes(300, 2));
    for data in [&published, &unpublished] {
        h.registry.upload_blob(&h.writer(), digest_of(data), 300, body(data, 300)).await.unwrap();
    }
    let m = manifest(&[("w", &published)], "MIT");
    h.registry.publish(&h.writer(), &"acme/m".parse().unwrap(), &"1.0.0".parse().unwrap(), m).await.unwrap();

    let resp = test::call_service(&app, get(&digest_of(&published), None).to_request()).await;
    assert_eq!(resp.status(), 200);
    let (status, e) = error_of(&app, get(&digest_of(&unpublished), None)).await;
    assert_eq!((status, e.error.code.as_str()), (404, "blob_not_found"), "an upload is its token's alone");
    let resp = test::call_service(&app, get(&digest_of(&unpublished), Some(&h.write)).to_request()).await;
    assert_eq!(resp.status(), 200, "the uploader reads what it uploaded");
}

#[actix_web::test]
async fn yanked_versions_keep_their_blobs_readable_and_deleted_ones_do_not() {
    let h = Harness::new().await;
    let app = h.app().await;
    let data = bytes(500, 3);
    let digest = digest_of(&data);
    h.registry.upload_blob(&h.writer(), digest, 500, body(&data, 500)).await.unwrap();
    let (model, version) = ("acme/m".parse().unwrap(), "1.0.0".parse().unwrap());
    h.registry.publish(&h.writer(), &model, &version, manifest(&[("w", &data)], "MIT")).await.unwrap();
    let (reader, _) = h
        .registry
        .create_token("acme-reader", Scope::Read, vec!["acme".parse().unwrap()], None, "t")
        .await
        .unwrap();

    h.registry.set_yank(&model, &version, Some("broken"), "t").await.unwrap();
    let resp = test::call_service(&app, get(&digest, Some(&reader)).to_request()).await;
    assert_eq!(resp.status(), 200, "exact pulls of a yanked version still work");

    h.registry.delete_version(&model, &version, "t").await.unwrap();
    let (status, e) = error_of(&app, get(&digest, Some(&reader))).await;
    assert_eq!((status, e.error.code.as_str()), (404, "blob_not_found"));
}

#[actix_web::test]
async fn uploading_the_right_bytes_repairs_a_stored_copy_that_does_not_verify() {
    let h = Harness::new().await;
    let app = h.app().await;
    let data = bytes(2000, 4);
    let digest = digest_of(&data);
    let put = || {
        test::TestRequest::put()
            .uri(&format!("/v1/blobs/{digest}"))
            .insert_header(bearer(&h.write))
            .insert_header(("Content-Length", "2000"))
            .set_payload(data.clone())
    };
    assert_eq!(test::call_service(&app, put().to_request()).await.status(), 201);
    // A bit flips on disk: a whole read now fails verification mid-stream.
    let on_disk = h.data_dir().join("blobs").join(modelreg_server::blob::key_for(&digest).as_ref());
    let mut rotten = data.clone();
    rotten[1000] ^= 0xff;
    std::fs::write(&on_disk, &rotten).unwrap();

    let resp = test::call_service(&app, put().to_request()).await;
    assert_eq!(resp.status(), 200, "not new to this token");
    assert_eq!(std::fs::read(&on_disk).unwrap(), data, "the verified bytes replaced the rotten copy");
    let resp = test::call_service(&app, get(&digest, Some(&h.write)).to_request()).await;
    assert!(test::read_body(resp).await == data);
}
