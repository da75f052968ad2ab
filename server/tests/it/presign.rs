//! Presigned downloads against the test S3 server: `GET /v1/blobs/{digest}` answers 302 to a
//! URL that S3 serves without any registry token, and S3 refuses it once tampered or expired.

use std::time::Duration;

use actix_web::{test, web};
use modelreg_server::blob::{self, BlobStore};
use modelreg_server::service::Registry;
use modelreg_server::store::{self, Scope};
use tempfile::TempDir;

use crate::http::{app_for, bearer, error_of};
use crate::support::{body, bytes, default_policy, digest_of, manifest, root, s3_options};

/// An S3 blob store with presigned GETs valid for `ttl`, and a registry over it.
async fn presigning(ttl: Duration) -> (web::Data<Registry>, BlobStore, String, TempDir) {
    let (options, url) = s3_options();
    let blobs = blob::open(&url, &options).unwrap().with_presign(ttl).unwrap();
    let dir = TempDir::new().unwrap();
    let meta = store::open(&format!("sqlite://{}", dir.path().join("t.db").display()), None).await.unwrap();
    let registry = Registry::new(meta, blobs.clone(), default_policy());
    let read = registry.create_token("reader", Scope::Read, Vec::new(), None, "test").await.unwrap().0;
    (web::Data::new(registry), blobs, read, dir)
}

/// Uploads `data` and publishes a version referencing it, so that every reader sees it.
async fn publish(registry: &Registry, data: &[u8]) {
    let digest = digest_of(data);
    registry.upload_blob(&root(), digest, data.len() as u64, body(data, 8192)).await.unwrap();
    let m = manifest(&[("w", data)], "MIT");
    registry.publish(&root(), &"acme/m".parse().unwrap(), &"1.0.0".parse().unwrap(), m).await.unwrap();
}

/// The Location of a blob GET, which must be a redirect carrying no registry token.
async fn location(registry: web::Data<Registry>, token: &str, digest: &str) -> String {
    let app = app_for(registry, 1024).await;
    let get = test::TestRequest::get().uri(&format!("/v1/blobs/{digest}")).insert_header(bearer(token));
    let resp = test::call_service(&app, get.to_request()).await;
    assert_eq!(resp.status(), 302);
    let url = resp.headers().get("location").unwrap().to_str().unwrap().to_owned();
    assert!(!url.contains(token), "the registry token must not be in the URL");
    assert!(url.contains("X-Amz-Signature="), "{url}");
    url
}

#[actix_web::test]
async fn presigned_downloads_serve_the_exact_bytes_without_a_token_and_refuse_tampering() {
    let (registry, blobs, read, _dir) = presigning(Duration::from_secs(300)).await;
    let data = bytes(70_000, 41);
    let digest = digest_of(&data);
    publish(&registry, &data).await;
    let url = location(registry.clone(), &read, &digest.to_string()).await;

    let client = reqwest::Client::new();
    let resp = client.get(&url).send().await.unwrap();
    assert_eq!(resp.status(), 200);
    assert!(resp.bytes().await.unwrap() == data, "presigned bytes differ");
    let resp = client.get(&url).header("Range", "bytes=100-199").send().await.unwrap();
    assert_eq!(resp.status(), 206);
    assert_eq!(resp.bytes().await.unwrap(), &data[100..200]);

    let (head, signature) = url.split_once("X-Amz-Signature=").unwrap();
    let first = signature.chars().next().unwrap();
    let swapped = if first == '0' { '1' } else { '0' };
    let tampered = format!("{head}X-Amz-Signature={swapped}{}", &signature[1..]);
    assert_eq!(client.get(&tampered).send().await.unwrap().status(), 403);

    // An absent blob is the registry's 404, not a redirect to S3's; so is a stored blob no
    // version references (a digest is not a key), with the same answer.
    let app = app_for(registry, 1024).await;
    let hidden = bytes(500, 43);
    blobs.put_verified(&digest_of(&hidden), 500, body(&hidden, 500)).await.unwrap();
    for (d, what) in [(digest_of(b"absent"), "absent"), (digest_of(&hidden), "hidden")] {
        let get = test::TestRequest::get().uri(&format!("/v1/blobs/{d}")).insert_header(bearer(&read));
        let (status, e) = error_of(&app, get).await;
        assert_eq!((status, e.error.code.as_str()), (404, "blob_not_found"), "{what}");
        assert_eq!(e.error.message, format!("blob {d} not found"), "{what}");
    }
}

#[actix_web::test]
async fn an_expired_presigned_url_is_refused() {
    let (registry, _blobs, read, _dir) = presigning(Duration::from_secs(1)).await;
    let data = bytes(1000, 42);
    let digest = digest_of(&data);
    publish(&registry, &data).await;
    let url = location(registry, &read, &digest.to_string()).await;
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert_eq!(reqwest::get(&url).await.unwrap().status(), 403);
}

#[tokio::test]
async fn presigning_is_refused_on_a_local_folder() {
    let dir = TempDir::new().unwrap();
    let local = blob::open(&format!("file://{}", dir.path().display()), &Default::default()).unwrap();
    assert!(local.with_presign(Duration::from_secs(60)).is_err());
}
