//! Settings of the test S3 server that ./scripts/test starts, read from `MODELREG_TEST_S3_*`,
//! and unique key prefixes so that tests sharing one bucket never see each other's objects.

use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

static COUNTER: AtomicU64 = AtomicU64::new(0);

/// Where the test S3 server is and how to sign in to it.
#[derive(Clone)]
pub struct S3Settings {
    /// e.g. `http://127.0.0.1:8333`
    pub endpoint: String,
    pub region: String,
    pub access_key_id: String,
    pub secret_access_key: String,
    /// An existing bucket the tests may write to, under a [`unique_prefix`].
    pub bucket: String,
}

impl fmt::Debug for S3Settings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("S3Settings")
            .field("endpoint", &self.endpoint)
            .field("region", &self.region)
            .field("access_key_id", &self.access_key_id)
            .field("secret_access_key", &"<redacted>")
            .field("bucket", &self.bucket)
            .finish()
    }
}

/// Reads the test S3 server's settings from `MODELREG_TEST_S3_ENDPOINT`,
/// `MODELREG_TEST_S3_REGION` (default `us-east-1`), `MODELREG_TEST_S3_ACCESS_KEY_ID`,
/// `MODELREG_TEST_S3_SECRET_ACCESS_KEY` and `MODELREG_TEST_S3_BUCKET`.
///
/// Panics when they are missing: an S3 leg that cannot run fails, it never passes silently.
pub fn s3_settings() -> S3Settings {
    settings_from(|key| std::env::var(key).ok())
}

fn settings_from(env: impl Fn(&str) -> Option<String>) -> S3Settings {
    let get = |key: &str| env(key).filter(|v| !v.is_empty());
    if get("MODELREG_TEST_S3_ENDPOINT").is_none() {
        panic!(
            "MODELREG_TEST_S3_ENDPOINT is not set: the S3 leg of the tests needs the test S3 \
             server that ./scripts/test starts. Run the suite with ./scripts/test, or set \
             MODELREG_TEST_S3_ENDPOINT, _REGION, _ACCESS_KEY_ID, _SECRET_ACCESS_KEY and _BUCKET \
             for an S3-compatible server of your own."
        );
    }
    let required =
        |key: &str| get(key).unwrap_or_else(|| panic!("MODELREG_TEST_S3_ENDPOINT is set but {key} is not"));
    S3Settings {
        endpoint: required("MODELREG_TEST_S3_ENDPOINT"),
        region: get("MODELREG_TEST_S3_REGION").unwrap_or_else(|| "us-east-1".to_owned()),
        access_key_id: required("MODELREG_TEST_S3_ACCESS_KEY_ID"),
        secret_access_key: required("MODELREG_TEST_S3_SECRET_ACCESS_KEY"),
        bucket: required("MODELREG_TEST_S3_BUCKET"),
    }
}

/// A key prefix no other call returns, in this process or another:
/// `<tag>-<pid>-<counter>-<nanos>`.
pub fn unique_prefix(tag: &str) -> String {
    let nanos = SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_nanos());
    format!("{tag}-{}-{}-{nanos}", std::process::id(), COUNTER.fetch_add(1, Ordering::Relaxed))
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;

    fn env(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let map: HashMap<String, String> =
            pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        move |key| map.get(key).cloned()
    }

    #[test]
    fn settings_come_from_the_environment_with_a_default_region() {
        let s = settings_from(env(&[
            ("MODELREG_TEST_S3_ENDPOINT", "http://127.0.0.1:8333"),
            ("MODELREG_TEST_S3_ACCESS_KEY_ID", "id"),
            ("MODELREG_TEST_S3_SECRET_ACCESS_KEY", "secret"),
            ("MODELREG_TEST_S3_BUCKET", "b"),
        ]));
        assert_eq!(s.endpoint, "http://127.0.0.1:8333");
        assert_eq!(s.region, "us-east-1");
        assert_eq!((s.access_key_id.as_str(), s.bucket.as_str()), ("id", "b"));
    }

    #[test]
    #[should_panic(expected = "needs the test S3 server that ./scripts/test starts")]
    fn a_missing_endpoint_fails_and_says_how_to_get_one() {
        settings_from(env(&[]));
    }

    #[test]
    #[should_panic(expected = "MODELREG_TEST_S3_BUCKET is not")]
    fn a_missing_bucket_is_named() {
        settings_from(env(&[
            ("MODELREG_TEST_S3_ENDPOINT", "http://127.0.0.1:8333"),
            ("MODELREG_TEST_S3_ACCESS_KEY_ID", "id"),
            ("MODELREG_TEST_S3_SECRET_ACCESS_KEY", "secret"),
        ]));
    }

    #[test]
    fn the_secret_stays_out_of_debug_output() {
        let s = S3Settings {
            endpoint: "e".into(),
            region: "r".into(),
            access_key_id: "id".into(),
            secret_access_key: "hunter2".into(),
            bucket: "b".into(),
        };
        assert!(!format!("{s:?}").contains("hunter2"));
    }

    #[test]
    fn prefixes_are_unique_per_call_and_start_with_the_tag() {
        let (a, b) = (unique_prefix("blob"), unique_prefix("blob"));
        assert_ne!(a, b);
        assert!(a.starts_with("blob-"));
    }
}
