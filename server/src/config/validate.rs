//! Validation of a loaded configuration as a whole: backend URLs, counts that must stay in
//! ranges the server can honour, and the transfer settings (upload-session part size and
//! lifetime, presigning, the idle timeout of request bodies). Every error names its key.

use modelreg_api::{MAX_PART_SIZE, MIN_PART_SIZE};

use super::{Config, ConfigError};

/// SigV4 presigned URLs live at most seven days.
const MAX_PRESIGN_TTL_SECS: u64 = 7 * 24 * 60 * 60;
/// An upload session may stand idle at most a year (expiry dates stay representable).
const MAX_SESSION_TTL_SECS: u64 = 365 * 24 * 60 * 60;
/// Longest web UI session: a stolen cookie must not be good for months.
const MAX_UI_SESSION_SECS: u64 = 30 * 24 * 60 * 60;
/// Longest body idle timeout: beyond an hour a stalled client holds its connection (and on
/// S3 its share of the part buffer) for no good reason.
const MAX_BODY_IDLE_TIMEOUT_SECS: u64 = 60 * 60;
/// Longest shutdown grace period: orchestrators kill long before an hour is up.
const MAX_SHUTDOWN_GRACE_SECS: u64 = 60 * 60;

impl Config {
    pub(super) fn validate(&self) -> Result<(), ConfigError> {
        let url = self.database_url();
        if !(url.starts_with("sqlite:") || url.starts_with("postgres://") || url.starts_with("postgresql://"))
        {
            return Err(ConfigError::Value {
                key: "database.url".into(),
                message: "expected a sqlite:// or postgres:// URL".into(),
            });
        }
        let blobs = self.blobs_url();
        if !(blobs.starts_with("file://") || blobs.starts_with("s3://")) {
            return Err(ConfigError::Value {
                key: "blobs.url".into(),
                message: format!("expected file:///path or s3://bucket[/prefix], got '{blobs}'"),
            });
        }
        self.validate_transfers()?;
        self.validate_ui()?;
        self.validate_counts()
    }

    fn validate_ui(&self) -> Result<(), ConfigError> {
        let invalid = |key: &str, message: String| Err(ConfigError::Value { key: key.into(), message });
        if !(60..=MAX_UI_SESSION_SECS).contains(&self.ui.session_lifetime_secs) {
            return invalid(
                "ui.session_lifetime_secs",
                format!("must be between 60 and {MAX_UI_SESSION_SECS} (30 days)"),
            );
        }
        if let Some(raw) = &self.ui.public_url {
            let parsed = url::Url::parse(raw).ok().filter(|u| {
                matches!(u.scheme(), "http" | "https") && u.host().is_some() && u.username().is_empty()
            });
            if parsed.is_none() {
                return invalid("ui.public_url", format!("expected an http:// or https:// URL, got '{raw}'"));
            }
        }
        Ok(())
    }

    /// Counts from outside stay in ranges the server can honour (a huge worker count or
    /// body limit fails here, naming the key, not later as exhaustion).
    fn validate_counts(&self) -> Result<(), ConfigError> {
        let out_of = |key: &str, range: &str| {
            Err(ConfigError::Value { key: key.into(), message: format!("must be between {range}") })
        };
        if self.server.workers > 1024 {
            return out_of("server.workers", "0 (one per CPU) and 1024");
        }
        if self.database.max_connections.is_some_and(|n| !(1..=1000).contains(&n)) {
            return out_of("database.max_connections", "1 and 1000");
        }
        if !(1024..=1 << 30).contains(&self.limits.max_json_bytes) {
            return out_of("limits.max_json_bytes", "1024 and 1073741824 (1 GiB)");
        }
        if self.limits.max_blob_bytes == 0 {
            return out_of("limits.max_blob_bytes", "1 and 18446744073709551615");
        }
        if self.server.shutdown_grace_secs > MAX_SHUTDOWN_GRACE_SECS {
            return out_of("server.shutdown_grace_secs", "0 and 3600 (one hour)");
        }
        if !(1..=3600).contains(&self.server.retry_after_secs) {
            return out_of("server.retry_after_secs", "1 and 3600 (one hour)");
        }
        if !(1..=3600).contains(&self.database.acquire_timeout_secs) {
            return out_of("database.acquire_timeout_secs", "1 and 3600 (one hour)");
        }
        if self.database.statement_timeout_secs > 86_400 {
            return out_of("database.statement_timeout_secs", "0 (none) and 86400 (a day)");
        }
        for (key, secs) in [
            ("blobs.connect_timeout_secs", self.blobs.connect_timeout_secs),
            ("blobs.request_timeout_secs", self.blobs.request_timeout_secs),
        ] {
            if !(1..=86_400).contains(&secs) {
                return out_of(key, "1 and 86400 (a day)");
            }
        }
        if self.blobs.retry_timeout_secs > 3600 {
            return out_of("blobs.retry_timeout_secs", "0 (no retries) and 3600 (one hour)");
        }
        if let Some(bind) = self.metrics.bind
            && bind.port() != 0
            && bind == self.server.bind
        {
            return Err(ConfigError::Value {
                key: "metrics.bind".into(),
                message: format!("must differ from server.bind ({bind})"),
            });
        }
        Ok(())
    }

    fn validate_transfers(&self) -> Result<(), ConfigError> {
        let invalid = |key: &str, message: String| Err(ConfigError::Value { key: key.into(), message });
        let part_size = self.uploads.part_size;
        if !(MIN_PART_SIZE..=MAX_PART_SIZE).contains(&part_size) {
            return invalid(
                "uploads.part_size",
                format!(
                    "must be between {MIN_PART_SIZE} (5 MiB) and {MAX_PART_SIZE} (5 GiB), got {part_size}"
                ),
            );
        }
        if !(60..=MAX_SESSION_TTL_SECS).contains(&self.uploads.session_ttl_secs) {
            return invalid(
                "uploads.session_ttl_secs",
                format!("must be between 60 and {MAX_SESSION_TTL_SECS} (a year)"),
            );
        }
        if self.uploads.max_open_sessions_per_token == 0 {
            return invalid("uploads.max_open_sessions_per_token", "must be at least 1".into());
        }
        if !(1..=MAX_PRESIGN_TTL_SECS).contains(&self.blobs.presign_ttl_secs) {
            return invalid(
                "blobs.presign_ttl_secs",
                format!("must be between 1 and {MAX_PRESIGN_TTL_SECS} (seven days)"),
            );
        }
        if !(1..=MAX_BODY_IDLE_TIMEOUT_SECS).contains(&self.limits.body_idle_timeout_secs) {
            return invalid(
                "limits.body_idle_timeout_secs",
                format!(
                    "must be between 1 and {MAX_BODY_IDLE_TIMEOUT_SECS} (one hour), got {}",
                    self.limits.body_idle_timeout_secs
                ),
            );
        }
        if self.blobs.presign && !self.blobs_url().starts_with("s3://") {
            return invalid("blobs.presign", "presigned URLs need an s3:// blob store".into());
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use crate::config::{Config, Overrides};

    fn load(pairs: &[(&str, &str)]) -> Result<Config, String> {
        let map: HashMap<String, String> =
            pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        Config::load(None, |k| map.get(k).cloned(), &Overrides::default()).map_err(|e| e.to_string())
    }

    #[test]
    fn operations_settings_layer_from_env_and_are_checked() {
        let c = load(&[
            ("MODELREG_METRICS_BIND", "127.0.0.1:9100"),
            ("MODELREG_LOG_FORMAT", "json"),
            ("MODELREG_SHUTDOWN_GRACE_SECS", "5"),
        ])
        .unwrap();
        assert_eq!(c.metrics.bind, Some("127.0.0.1:9100".parse().unwrap()));
        assert_eq!(c.log.format, crate::config::LogFormat::Json);
        assert_eq!(c.shutdown_grace(), std::time::Duration::from_secs(5));
        let err = load(&[("MODELREG_LOG_FORMAT", "yaml")]).unwrap_err();
        assert!(err.contains("MODELREG_LOG_FORMAT") && err.contains("yaml"), "{err}");
        let err = load(&[("MODELREG_SHUTDOWN_GRACE_SECS", "3601")]).unwrap_err();
        assert!(err.contains("server.shutdown_grace_secs"), "{err}");
        let err = load(&[("MODELREG_METRICS_BIND", "127.0.0.1:8080")]).unwrap_err();
        assert!(err.contains("metrics.bind"), "{err}");
    }

    #[test]
    fn presigning_needs_an_s3_store() {
        let err = load(&[("MODELREG_BLOBS_PRESIGN", "true")]).unwrap_err();
        assert!(err.contains("blobs.presign"), "{err}");
        let c = load(&[("MODELREG_BLOBS_PRESIGN", "true"), ("MODELREG_BLOBS_URL", "s3://bucket/p")]).unwrap();
        assert!(c.blobs.presign);
        assert_eq!(c.blobs.presign_ttl_secs, 300);
    }

    #[test]
    fn part_sizes_below_five_mib_are_refused_naming_the_key() {
        let mut c = Config::default();
        c.uploads.part_size = 1 << 20;
        let err = c.validate_transfers().unwrap_err().to_string();
        assert!(err.contains("uploads.part_size"), "{err}");
        c.uploads.part_size = 16 << 20;
        c.blobs.presign_ttl_secs = 0;
        let err = c.validate_transfers().unwrap_err().to_string();
        assert!(err.contains("blobs.presign_ttl_secs"), "{err}");
    }

    #[test]
    fn session_lifetimes_beyond_a_year_are_refused_naming_the_key() {
        let mut c = Config::default();
        for ttl in [59, 365 * 24 * 60 * 60 + 1, u64::MAX] {
            c.uploads.session_ttl_secs = ttl;
            let err = c.validate_transfers().unwrap_err().to_string();
            assert!(err.contains("uploads.session_ttl_secs"), "{ttl}: {err}");
        }
        c.uploads.session_ttl_secs = 365 * 24 * 60 * 60;
        assert!(c.validate_transfers().is_ok());
    }

    #[test]
    fn body_idle_timeouts_must_be_positive_and_at_most_an_hour() {
        assert_eq!(Config::default().limits.body_idle_timeout_secs, 60);
        for bad in ["0", "3601"] {
            let err = load(&[("MODELREG_BODY_IDLE_TIMEOUT_SECS", bad)]).unwrap_err();
            assert!(err.contains("limits.body_idle_timeout_secs") && err.contains(bad), "{err}");
        }
        let err = load(&[("MODELREG_BODY_IDLE_TIMEOUT_SECS", "-1")]).unwrap_err();
        assert!(err.contains("MODELREG_BODY_IDLE_TIMEOUT_SECS"), "{err}");
        let c = load(&[("MODELREG_BODY_IDLE_TIMEOUT_SECS", "3600")]).unwrap();
        assert_eq!(c.limits.body_idle_timeout_secs, 3600);
    }
}
