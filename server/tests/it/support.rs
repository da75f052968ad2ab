//! Building stores, blob stores and registries for tests, on each backend.

use std::sync::Arc;

use futures_util::stream;
use modelreg_api::{Digest, FileEntry, Manifest, Metadata};
use modelreg_server::blob::{self, BlobStore, S3Options, Sha256Hasher};
use modelreg_server::service::{Policy, Principal, Registry};
use modelreg_server::store::{self, MetadataStore};
use modelreg_testkit::{PgTestDb, postgres_db, s3_settings, unique_prefix};
use tempfile::TempDir;

/// Keeps whatever backs a store alive for the test's duration.
pub enum Backing {
    Dir(#[expect(dead_code, reason = "held for its Drop")] TempDir),
    Pg(#[expect(dead_code, reason = "held for its Drop")] PgTestDb),
    None,
}

pub async fn sqlite_store() -> (Arc<dyn MetadataStore>, Backing) {
    let dir = TempDir::new().unwrap();
    let url = format!("sqlite://{}", dir.path().join("t.db").display());
    (store::open(&url, None).await.unwrap(), Backing::Dir(dir))
}

pub async fn postgres_store() -> (Arc<dyn MetadataStore>, Backing) {
    let db = postgres_db().await;
    (store::open(&db.url(), Some(4)).await.unwrap(), Backing::Pg(db))
}

pub fn local_blobs() -> (BlobStore, Backing) {
    let dir = TempDir::new().unwrap();
    let store = blob::open(&format!("file://{}", dir.path().display()), &S3Options::default()).unwrap();
    (store, Backing::Dir(dir))
}

pub fn s3_options() -> (S3Options, String) {
    let s3 = s3_settings();
    let options = S3Options {
        endpoint: Some(s3.endpoint.clone()),
        region: Some(s3.region.clone()),
        access_key_id: Some(s3.access_key_id.clone()),
        secret_access_key: Some(s3.secret_access_key.clone()),
        allow_http: true,
        ..S3Options::default()
    };
    (options, format!("s3://{}/{}", s3.bucket, unique_prefix("blob")))
}

pub fn s3_blobs() -> (BlobStore, Backing) {
    let (options, url) = s3_options();
    (blob::open(&url, &options).unwrap(), Backing::None)
}

/// The object store a blob URL names, without the blob store's checks: tests use it to plant
/// bytes at a key (a corrupted copy) as a failing disk or a bucket edit would.
pub fn raw_object_store(url: &str) -> Arc<dyn object_store::ObjectStore> {
    if let Some(path) = url.strip_prefix("file://") {
        return Arc::new(object_store::local::LocalFileSystem::new_with_prefix(path).unwrap());
    }
    let rest = url.strip_prefix("s3://").expect("a file:// or s3:// URL");
    let (bucket, prefix) = rest.split_once('/').unwrap_or((rest, ""));
    let s3 = s3_settings();
    let store = object_store::aws::AmazonS3Builder::new()
        .with_bucket_name(bucket)
        .with_endpoint(&s3.endpoint)
        .with_region(&s3.region)
        .with_access_key_id(&s3.access_key_id)
        .with_secret_access_key(&s3.secret_access_key)
        .with_allow_http(true)
        .build()
        .unwrap();
    if prefix.is_empty() {
        Arc::new(store)
    } else {
        Arc::new(object_store::prefix::PrefixStore::new(store, prefix))
    }
}

/// A registry on SQLite and a local folder in one temp dir.
pub async fn embedded_registry(policy: Policy) -> (Registry, TempDir) {
    let dir = TempDir::new().unwrap();
    let meta = store::open(&format!("sqlite://{}", dir.path().join("t.db").display()), None).await.unwrap();
    let blobs =
        blob::open(&format!("file://{}", dir.path().join("blobs").display()), &S3Options::default()).unwrap();
    (Registry::new(meta, blobs, policy), dir)
}

/// The caller tests act as below HTTP: an unlimited admin token named `t`. What it uploads
/// is granted to it, so it may publish it.
pub fn root() -> Principal {
    Principal { token_name: "t".into(), scope: modelreg_api::Scope::Admin, namespaces: Vec::new() }
}

pub fn default_policy() -> Policy {
    Policy {
        anonymous_read: false,
        max_blob_bytes: 1 << 30,
        publish_lease: modelreg_server::app::PUBLISH_LEASE,
    }
}

/// `PUT /v1/blobs/{digest}` of `data` to the server at `url`; panics unless it took it.
pub async fn put_blob(c: &reqwest::Client, url: &str, token: &str, data: &[u8]) {
    let r = c
        .put(format!("{url}/v1/blobs/{}", digest_of(data)))
        .bearer_auth(token)
        .body(data.to_vec())
        .send()
        .await
        .unwrap();
    assert!(r.status().is_success(), "blob upload to {url}: {} {}", r.status(), r.text().await.unwrap());
}

pub fn digest_of(data: &[u8]) -> Digest {
    let mut h = Sha256Hasher::new();
    h.update(data);
    h.finish()
}

/// Deterministic pseudo-random bytes.
pub fn bytes(len: usize, seed: u8) -> Vec<u8> {
    let mut state = u32::from(seed).wrapping_mul(2_654_435_761).wrapping_add(1);
    (0..len)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 17;
            state ^= state << 5;
            state.to_le_bytes()[0]
        })
        .collect()
}

/// A body stream of `data` in chunks of `chunk` bytes.
pub fn body(
    data: &[u8],
    chunk: usize,
) -> impl futures_util::Stream<Item = Result<bytes::Bytes, std::io::Error>> + Unpin {
    let chunks: Vec<_> = data.chunks(chunk.max(1)).map(|c| Ok(bytes::Bytes::copy_from_slice(c))).collect();
    stream::iter(chunks)
}

pub fn manifest(files: &[(&str, &[u8])], license: &str) -> Manifest {
    Manifest {
        files: files
            .iter()
            .map(|(p, data)| FileEntry {
                path: p.parse().unwrap(),
                digest: digest_of(data),
                size: data.len() as u64,
            })
            .collect(),
        metadata: Metadata::with_license(license.parse().unwrap()),
        override_derived: Default::default(),
    }
}
