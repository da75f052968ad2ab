//! Layering the configuration: defaults < TOML file < `MODELREG_*` (and the usual `AWS_*`)
//! environment < command-line flags, then validation. It reads the file and the
//! environment it is given and writes nothing.

use std::fmt;
use std::path::{Path, PathBuf};

use super::{Config, ConfigError, Overrides};

impl Config {
    /// Builds the effective configuration. `env` looks up one environment variable; pass
    /// `|k| std::env::var(k).ok()` in production and a map in tests.
    pub fn load(
        file: Option<&Path>,
        env: impl Fn(&str) -> Option<String>,
        overrides: &Overrides,
    ) -> Result<Self, ConfigError> {
        let mut config = match file {
            Some(path) => {
                let text = std::fs::read_to_string(path)
                    .map_err(|source| ConfigError::Read { path: path.to_owned(), source })?;
                toml::from_str(&text)
                    .map_err(|e| ConfigError::Parse { path: path.to_owned(), message: e.to_string() })?
            }
            None => Config::default(),
        };
        config.apply_env(&env)?;
        config.apply_overrides(overrides);
        config.validate()?;
        Ok(config)
    }

    fn apply_env(&mut self, env: &impl Fn(&str) -> Option<String>) -> Result<(), ConfigError> {
        fn get<'k>(env: &impl Fn(&str) -> Option<String>, keys: &[&'k str]) -> Option<(&'k str, String)> {
            keys.iter().find_map(|k| env(k).filter(|v| !v.is_empty()).map(|v| (*k, v)))
        }
        let get = |keys: &[&'static str]| get(env, keys);
        if let Some((key, v)) = get(&["MODELREG_BIND"]) {
            self.server.bind = parse_value(key, &v)?;
        }
        if let Some((_, v)) = get(&["MODELREG_DATA_DIR"]) {
            self.server.data_dir = PathBuf::from(v);
        }
        if let Some((key, v)) = get(&["MODELREG_WORKERS"]) {
            self.server.workers = parse_value(key, &v)?;
        }
        if let Some((_, v)) = get(&["MODELREG_DATABASE_URL"]) {
            self.database.url = Some(v);
        }
        if let Some((_, v)) = get(&["MODELREG_BLOBS_URL"]) {
            self.blobs.url = Some(v);
        }
        if let Some((key, v)) = get(&["MODELREG_BLOBS_PRESIGN"]) {
            self.blobs.presign = parse_bool(key, &v)?;
        }
        if let Some((key, v)) = get(&["MODELREG_ANONYMOUS_READ"]) {
            self.auth.anonymous_read = parse_bool(key, &v)?;
        }
        if let Some((key, v)) = get(&["MODELREG_MAX_BLOB_BYTES"]) {
            self.limits.max_blob_bytes = parse_value(key, &v)?;
        }
        if let Some((key, v)) = get(&["MODELREG_BODY_IDLE_TIMEOUT_SECS"]) {
            self.limits.body_idle_timeout_secs = parse_value(key, &v)?;
        }
        if let Some((key, v)) = get(&["MODELREG_SHUTDOWN_GRACE_SECS"]) {
            self.server.shutdown_grace_secs = parse_value(key, &v)?;
        }
        if let Some((key, v)) = get(&["MODELREG_RETRY_AFTER_SECS"]) {
            self.server.retry_after_secs = parse_value(key, &v)?;
        }
        if let Some((key, v)) = get(&["MODELREG_DATABASE_ACQUIRE_TIMEOUT_SECS"]) {
            self.database.acquire_timeout_secs = parse_value(key, &v)?;
        }
        if let Some((key, v)) = get(&["MODELREG_DATABASE_STATEMENT_TIMEOUT_SECS"]) {
            self.database.statement_timeout_secs = parse_value(key, &v)?;
        }
        if let Some((key, v)) = get(&["MODELREG_BLOBS_CONNECT_TIMEOUT_SECS"]) {
            self.blobs.connect_timeout_secs = parse_value(key, &v)?;
        }
        if let Some((key, v)) = get(&["MODELREG_BLOBS_REQUEST_TIMEOUT_SECS"]) {
            self.blobs.request_timeout_secs = parse_value(key, &v)?;
        }
        if let Some((key, v)) = get(&["MODELREG_BLOBS_RETRY_TIMEOUT_SECS"]) {
            self.blobs.retry_timeout_secs = parse_value(key, &v)?;
        }
        if let Some((key, v)) = get(&["MODELREG_METRICS_BIND"]) {
            self.metrics.bind = Some(parse_value(key, &v)?);
        }
        if let Some((key, v)) = get(&["MODELREG_METRICS_ANONYMOUS"]) {
            self.metrics.anonymous = parse_bool(key, &v)?;
        }
        if let Some((key, v)) = get(&["MODELREG_LOG_FORMAT"]) {
            self.log.format = parse_value(key, &v)?;
        }
        if let Some((key, v)) = get(&["MODELREG_MAX_OPEN_SESSIONS_PER_TOKEN"]) {
            self.uploads.max_open_sessions_per_token = parse_value(key, &v)?;
        }
        if let Some((key, v)) = get(&["MODELREG_UI_SESSION_LIFETIME_SECS"]) {
            self.ui.session_lifetime_secs = parse_value(key, &v)?;
        }
        if let Some((_, v)) = get(&["MODELREG_PUBLIC_URL"]) {
            self.ui.public_url = Some(v);
        }
        let s3 = &mut self.blobs.s3;
        if let Some((_, v)) = get(&["MODELREG_S3_ENDPOINT", "AWS_ENDPOINT_URL_S3", "AWS_ENDPOINT_URL"]) {
            s3.endpoint = Some(v);
        }
        if let Some((_, v)) = get(&["MODELREG_S3_REGION", "AWS_REGION", "AWS_DEFAULT_REGION"]) {
            s3.region = Some(v);
        }
        if let Some((_, v)) = get(&["MODELREG_S3_ACCESS_KEY_ID", "AWS_ACCESS_KEY_ID"]) {
            s3.access_key_id = Some(v);
        }
        if let Some((_, v)) = get(&["MODELREG_S3_SECRET_ACCESS_KEY", "AWS_SECRET_ACCESS_KEY"]) {
            s3.secret_access_key = Some(v);
        }
        if let Some((key, v)) = get(&["MODELREG_S3_ALLOW_HTTP", "AWS_ALLOW_HTTP"]) {
            s3.allow_http = parse_bool(key, &v)?;
        }
        Ok(())
    }

    fn apply_overrides(&mut self, o: &Overrides) {
        if let Some(bind) = o.bind {
            self.server.bind = bind;
        }
        if let Some(dir) = &o.data_dir {
            self.server.data_dir.clone_from(dir);
        }
        if let Some(url) = &o.database_url {
            self.database.url = Some(url.clone());
        }
        if let Some(url) = &o.blobs_url {
            self.blobs.url = Some(url.clone());
        }
        if let Some(bind) = o.metrics_bind {
            self.metrics.bind = Some(bind);
        }
        if let Some(format) = o.log_format {
            self.log.format = format;
        }
        if let Some(secs) = o.shutdown_grace_secs {
            self.server.shutdown_grace_secs = secs;
        }
    }
}

fn parse_value<T: std::str::FromStr>(key: &str, v: &str) -> Result<T, ConfigError>
where
    T::Err: fmt::Display,
{
    v.parse().map_err(|e: T::Err| ConfigError::Value { key: key.into(), message: e.to_string() })
}

fn parse_bool(key: &str, v: &str) -> Result<bool, ConfigError> {
    match v.to_ascii_lowercase().as_str() {
        "1" | "true" | "yes" | "on" => Ok(true),
        "0" | "false" | "no" | "off" => Ok(false),
        _ => {
            Err(ConfigError::Value { key: key.into(), message: format!("expected true or false, got '{v}'") })
        }
    }
}
