//! Opening the object store a blob URL names: `file:///path` (created if missing) or
//! `s3://bucket[/prefix]` with explicit S3 options.

use std::time::Duration;

use object_store::aws::AmazonS3Builder;
use object_store::local::LocalFileSystem;
use object_store::prefix::PrefixStore;
use object_store::{BackoffConfig, ClientOptions, RetryConfig};

use super::{BlobError, BlobStore};

/// S3 connection settings; unset values fall back to the SDK defaults.
#[derive(Clone, Default)]
pub struct S3Options {
    pub endpoint: Option<String>,
    pub region: Option<String>,
    pub access_key_id: Option<String>,
    pub secret_access_key: Option<String>,
    pub allow_http: bool,
    pub timeouts: S3Timeouts,
}

/// How long a request to S3 may take before the blob store gives up on it (`[blobs]` in the
/// config). A request that fails to connect, breaks off or times out is retried with
/// backoff until `retry_timeout` has passed since the first attempt; then the registry
/// request that needed it answers 503.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct S3Timeouts {
    /// Establishing a connection.
    pub connect: Duration,
    /// One request, from connecting until its response body has been read.
    pub request: Duration,
    /// Retries of a failed request stop this long after the first attempt.
    pub retry_timeout: Duration,
    /// Retries of one request at most.
    pub max_retries: usize,
}

impl Default for S3Timeouts {
    fn default() -> Self {
        Self {
            connect: Duration::from_secs(5),
            request: Duration::from_secs(30),
            retry_timeout: Duration::from_secs(10),
            max_retries: 3,
        }
    }
}

/// Opens the store for `url`.
pub fn open(url: &str, s3: &S3Options) -> Result<BlobStore, BlobError> {
    if let Some(path) = url.strip_prefix("file://") {
        std::fs::create_dir_all(path)
            .map_err(|e| BlobError::Config(format!("cannot create blob folder '{path}': {e}")))?;
        // fsync each blob and its directory before it becomes visible: a crash must never
        // leave a truncated file at a content address.
        let local = LocalFileSystem::new_with_prefix(path)
            .map_err(|e| BlobError::Config(format!("cannot open blob folder '{path}': {e}")))?
            .with_fsync(true);
        let root = std::fs::canonicalize(path)
            .map_err(|e| BlobError::Config(format!("cannot open blob folder '{path}': {e}")))?;
        return Ok(BlobStore::on_local(local, root));
    }
    let Some(rest) = url.strip_prefix("s3://") else {
        return Err(BlobError::Config(format!("unsupported blob URL '{url}' (use file:// or s3://)")));
    };
    let (bucket, prefix) = rest.split_once('/').unwrap_or((rest, ""));
    if bucket.is_empty() {
        return Err(BlobError::Config("s3 URL has no bucket".into()));
    }
    let client = ClientOptions::new()
        .with_allow_http(s3.allow_http)
        .with_connect_timeout(s3.timeouts.connect)
        .with_timeout(s3.timeouts.request);
    let retry = RetryConfig {
        backoff: BackoffConfig::default(),
        max_retries: s3.timeouts.max_retries,
        retry_timeout: s3.timeouts.retry_timeout,
    };
    let mut builder =
        AmazonS3Builder::new().with_bucket_name(bucket).with_client_options(client).with_retry(retry);
    if let Some(endpoint) = &s3.endpoint {
        builder = builder.with_endpoint(endpoint);
    }
    builder = builder.with_region(s3.region.as_deref().unwrap_or("us-east-1"));
    if let Some(key) = &s3.access_key_id {
        builder = builder.with_access_key_id(key);
    }
    if let Some(secret) = &s3.secret_access_key {
        builder = builder.with_secret_access_key(secret);
    }
    let s3_store = builder.build().map_err(|e| BlobError::Config(e.to_string()))?;
    let prefix = prefix.trim_matches('/');
    Ok(if prefix.is_empty() {
        BlobStore::on_s3(s3_store)
    } else {
        BlobStore::on_s3(PrefixStore::new(s3_store, prefix))
    })
}
