//! Server configuration: typed sections, layered defaults < TOML file < `MODELREG_*` (and
//! the usual `AWS_*`) environment < command-line flags. Loading reads, never writes; secrets
//! are redacted in `Debug` and in `config show`.

use std::fmt;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct Config {
    pub server: ServerSection,
    pub database: DatabaseSection,
    pub blobs: BlobsSection,
    pub auth: AuthSection,
    pub limits: LimitsSection,
    pub uploads: UploadsSection,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct ServerSection {
    /// Address to listen on. Loopback by default; port 0 picks a free port.
    pub bind: SocketAddr,
    /// Where the embedded defaults keep their data (SQLite file and blob folder).
    pub data_dir: PathBuf,
    /// HTTP worker threads; 0 = one per CPU.
    pub workers: usize,
}

#[derive(Clone, Serialize, Deserialize, PartialEq, Default)]
#[serde(deny_unknown_fields, default)]
pub struct DatabaseSection {
    /// `sqlite://PATH` or `postgres://...`; unset = `sqlite://<data_dir>/modelreg.db`.
    pub url: Option<String>,
    pub max_connections: Option<u32>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct BlobsSection {
    /// `file:///path` or `s3://bucket[/prefix]`; unset = `file://<data_dir>`.
    pub url: Option<String>,
    /// Answer blob GETs with a redirect to a presigned S3 URL (S3 only).
    pub presign: bool,
    /// Lifetime of presigned URLs, in seconds.
    pub presign_ttl_secs: u64,
    pub s3: S3Section,
}

impl Default for BlobsSection {
    fn default() -> Self {
        Self { url: None, presign: false, presign_ttl_secs: 300, s3: S3Section::default() }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct UploadsSection {
    /// Preferred part size of upload sessions, in bytes (at least 5 MiB; raised as needed so
    /// that a blob has at most 10,000 parts).
    pub part_size: u64,
    /// A session without progress for this long is aborted by `gc`, in seconds. Also how
    /// long an upload lets its token use the blob before a version references it.
    pub session_ttl_secs: u64,
    /// Open upload sessions one token may hold; past it, opening another answers 429.
    pub max_open_sessions_per_token: u32,
}

impl Default for UploadsSection {
    fn default() -> Self {
        Self {
            part_size: 16 << 20,
            session_ttl_secs: 24 * 60 * 60,
            max_open_sessions_per_token: crate::service::DEFAULT_MAX_OPEN_SESSIONS,
        }
    }
}

#[derive(Clone, Serialize, Deserialize, PartialEq, Default)]
#[serde(deny_unknown_fields, default)]
pub struct S3Section {
    pub endpoint: Option<String>,
    pub region: Option<String>,
    pub access_key_id: Option<String>,
    pub secret_access_key: Option<String>,
    /// Allow a plain-http endpoint (test servers, MinIO without TLS).
    pub allow_http: bool,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Default)]
#[serde(deny_unknown_fields, default)]
pub struct AuthSection {
    /// Let requests without a token read (never write).
    pub anonymous_read: bool,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct LimitsSection {
    /// Largest blob accepted, in bytes.
    pub max_blob_bytes: u64,
    /// Largest JSON request body (manifests included), in bytes.
    pub max_json_bytes: usize,
    /// A request whose body sends no bytes for this long ends with `408`, in seconds.
    pub body_idle_timeout_secs: u64,
}

impl Default for ServerSection {
    fn default() -> Self {
        Self {
            bind: SocketAddr::from(([127, 0, 0, 1], 8080)),
            data_dir: PathBuf::from("./modelreg-data"),
            workers: 0,
        }
    }
}

impl Default for LimitsSection {
    fn default() -> Self {
        Self { max_blob_bytes: 1 << 40, max_json_bytes: 16 << 20, body_idle_timeout_secs: 60 }
    }
}

/// Command-line overrides, the last layer.
#[derive(Debug, Clone, Default)]
pub struct Overrides {
    pub bind: Option<SocketAddr>,
    pub data_dir: Option<PathBuf>,
    pub database_url: Option<String>,
    pub blobs_url: Option<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read config file {path}: {source}")]
    Read { path: PathBuf, source: std::io::Error },
    #[error("invalid config file {path}: {message}")]
    Parse { path: PathBuf, message: String },
    #[error("invalid value for {key}: {message}")]
    Value { key: String, message: String },
}

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
    }

    fn validate(&self) -> Result<(), ConfigError> {
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
        self.validate_counts()
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
        Ok(())
    }

    /// The metadata database URL, defaulting to a SQLite file in the data dir.
    pub fn database_url(&self) -> String {
        self.database
            .url
            .clone()
            .unwrap_or_else(|| format!("sqlite://{}", self.server.data_dir.join("modelreg.db").display()))
    }

    /// The blob store URL, defaulting to the data dir itself.
    pub fn blobs_url(&self) -> String {
        self.blobs.url.clone().unwrap_or_else(|| format!("file://{}", self.server.data_dir.display()))
    }

    /// How long a request waits for the next bytes of its body (`limits.body_idle_timeout_secs`).
    pub fn body_idle_timeout(&self) -> std::time::Duration {
        std::time::Duration::from_secs(self.limits.body_idle_timeout_secs)
    }

    /// The effective configuration as TOML, secrets replaced by `<redacted>`.
    pub fn to_redacted_toml(&self) -> String {
        let mut shown = self.clone();
        shown.database.url = Some(redact_url(&self.database_url()));
        shown.blobs.url = Some(self.blobs_url());
        if shown.blobs.s3.secret_access_key.is_some() {
            shown.blobs.s3.secret_access_key = Some(REDACTED.into());
        }
        toml::to_string_pretty(&shown).expect("config serialises")
    }
}

const REDACTED: &str = "<redacted>";

/// Replaces the password of a URL's user-info, if any.
pub fn redact_url(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(mut u) if u.password().is_some() => {
            let _ = u.set_password(Some(REDACTED));
            u.to_string()
        }
        _ => url.to_owned(),
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

impl fmt::Debug for DatabaseSection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DatabaseSection")
            .field("url", &self.url.as_deref().map(redact_url))
            .field("max_connections", &self.max_connections)
            .finish()
    }
}

impl fmt::Debug for S3Section {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("S3Section")
            .field("endpoint", &self.endpoint)
            .field("region", &self.region)
            .field("access_key_id", &self.access_key_id)
            .field("secret_access_key", &self.secret_access_key.as_ref().map(|_| REDACTED))
            .field("allow_http", &self.allow_http)
            .finish()
    }
}

/// A commented example configuration showing every key with its default (committed as
/// docs/modelreg-server.example.toml and drift-tested).
pub fn example_toml() -> String {
    let d = Config::default();
    format!(
        r#"# modelreg-server configuration. Every key is optional; shown are the defaults.
# Layers: defaults < this file (--config FILE or MODELREG_CONFIG) < environment < flags.

[server]
# Address to listen on; loopback by default. Env MODELREG_BIND, flag --bind.
bind = "{bind}"
# Data of the embedded defaults (SQLite file, blob folder). Env MODELREG_DATA_DIR, flag --data-dir.
data_dir = "{data_dir}"
# HTTP worker threads; 0 = one per CPU. Env MODELREG_WORKERS.
workers = {workers}

[database]
# sqlite://PATH or postgres://USER:PASSWORD@HOST/DB. Unset: sqlite://<data_dir>/modelreg.db.
# Env MODELREG_DATABASE_URL, flag --database-url.
# url = "postgres://modelreg:secret@127.0.0.1:5432/modelreg"
# Pool size (default 10 on PostgreSQL, 4 on SQLite).
# max_connections = 10

[blobs]
# file:///PATH or s3://BUCKET[/PREFIX]. Unset: file://<data_dir>.
# Env MODELREG_BLOBS_URL, flag --blobs-url.
# url = "s3://modelreg/blobs"
# S3 only: answer blob GETs with 302 to a presigned URL, so the bytes bypass the server.
# Env MODELREG_BLOBS_PRESIGN.
presign = {presign}
# Lifetime of presigned URLs, in seconds.
presign_ttl_secs = {presign_ttl_secs}

[blobs.s3]
# Each also reads MODELREG_S3_* or the usual AWS_* variables (AWS_ENDPOINT_URL, AWS_REGION,
# AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_ALLOW_HTTP).
# endpoint = "http://127.0.0.1:9000"
# region = "us-east-1"
# access_key_id = "..."
# secret_access_key = "..."
allow_http = {allow_http}

[auth]
# Let requests without a token read (never write). Env MODELREG_ANONYMOUS_READ.
anonymous_read = {anonymous_read}

[limits]
# Largest blob accepted, in bytes. Env MODELREG_MAX_BLOB_BYTES.
max_blob_bytes = {max_blob_bytes}
# Largest JSON request body (manifests included), in bytes.
max_json_bytes = {max_json_bytes}
# A request whose body sends no bytes for this long ends with 408 and keeps nothing of it,
# in seconds (1 to 3600). On S3, an upload part that holds the shared part buffer while
# others wait for it must also keep up 128 KiB/s after this grace period.
# Env MODELREG_BODY_IDLE_TIMEOUT_SECS.
body_idle_timeout_secs = {body_idle_timeout_secs}

[uploads]
# Preferred part size of resumable upload sessions, in bytes (at least 5 MiB; raised as
# needed so that a blob has at most 10,000 parts). On S3 each part in flight is held in
# memory (at most 48 MiB over all requests; see limits.body_idle_timeout_secs).
part_size = {part_size}
# A session without progress for this long is aborted by garbage collection, in seconds.
# Also how long an upload lets its token reference the blob before a version does.
session_ttl_secs = {session_ttl_secs}
# Open upload sessions one token may hold; past it, opening another answers 429 with
# Retry-After.
max_open_sessions_per_token = {max_open_sessions_per_token}
"#,
        bind = d.server.bind,
        data_dir = d.server.data_dir.display(),
        workers = d.server.workers,
        allow_http = d.blobs.s3.allow_http,
        anonymous_read = d.auth.anonymous_read,
        max_blob_bytes = d.limits.max_blob_bytes,
        max_json_bytes = d.limits.max_json_bytes,
        body_idle_timeout_secs = d.limits.body_idle_timeout_secs,
        presign = d.blobs.presign,
        presign_ttl_secs = d.blobs.presign_ttl_secs,
        part_size = d.uploads.part_size,
        session_ttl_secs = d.uploads.session_ttl_secs,
        max_open_sessions_per_token = d.uploads.max_open_sessions_per_token,
    )
}

mod transfers;

#[cfg(test)]
mod tests;
