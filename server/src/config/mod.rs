//! Server configuration: typed sections and their defaults. `load` layers defaults < TOML
//! file < `MODELREG_*` (and the usual `AWS_*`) environment < command-line flags, `validate`
//! checks the result as a whole, `example` generates the committed example file. Loading
//! reads, never writes; secrets are redacted in `Debug` and in `config show`.

use std::fmt;
use std::net::SocketAddr;
use std::path::PathBuf;

use serde::{Deserialize, Serialize};

mod example;
mod load;
mod validate;

pub use example::example_toml;

#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct Config {
    pub server: ServerSection,
    pub database: DatabaseSection,
    pub blobs: BlobsSection,
    pub auth: AuthSection,
    pub limits: LimitsSection,
    pub uploads: UploadsSection,
    pub ui: UiSection,
    pub metrics: MetricsSection,
    pub log: LogSection,
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
    /// On SIGTERM or SIGINT, how long requests in flight may take to finish before their
    /// connections are closed, in seconds.
    pub shutdown_grace_secs: u64,
    /// The `Retry-After` of a `503` (a dependency is down), in seconds.
    pub retry_after_secs: u64,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct MetricsSection {
    /// Serve `/metrics` on this address of its own (without a token) instead of on the
    /// main listener.
    pub bind: Option<SocketAddr>,
    /// Let `/metrics` on the main listener answer without a token (else it needs an admin
    /// token).
    pub anonymous: bool,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct LogSection {
    /// `text` for people, `json` (one object per line) for log shippers.
    pub format: LogFormat,
}

/// How log lines are written (to stderr).
#[derive(Debug, Clone, Copy, Default, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    #[default]
    Text,
    Json,
}

impl std::str::FromStr for LogFormat {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "text" => Ok(Self::Text),
            "json" => Ok(Self::Json),
            _ => Err(format!("expected text or json, got '{s}'")),
        }
    }
}

impl fmt::Display for LogFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Text => "text",
            Self::Json => "json",
        })
    }
}

#[derive(Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct DatabaseSection {
    /// `sqlite://PATH` or `postgres://...`; unset = `sqlite://<data_dir>/modelreg.db`.
    pub url: Option<String>,
    pub max_connections: Option<u32>,
    /// PostgreSQL: longest wait for a pooled connection (opening one included) before the
    /// request answers 503, in seconds.
    pub acquire_timeout_secs: u64,
    /// PostgreSQL: longest a statement may run (its `statement_timeout`), in seconds; 0
    /// for none.
    pub statement_timeout_secs: u64,
}

impl Default for DatabaseSection {
    fn default() -> Self {
        let d = crate::store::DatabaseTimeouts::default();
        Self {
            url: None,
            max_connections: None,
            acquire_timeout_secs: d.acquire.as_secs(),
            statement_timeout_secs: d.statement.as_secs(),
        }
    }
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
    /// S3: longest wait to establish a connection, in seconds.
    pub connect_timeout_secs: u64,
    /// S3: longest one request may take, its body included, in seconds.
    pub request_timeout_secs: u64,
    /// S3: a failed request is retried with backoff until this long after its first
    /// attempt, in seconds; then the registry request answers 503.
    pub retry_timeout_secs: u64,
    pub s3: S3Section,
}

impl Default for BlobsSection {
    fn default() -> Self {
        let t = crate::blob::S3Timeouts::default();
        Self {
            url: None,
            presign: false,
            presign_ttl_secs: 300,
            connect_timeout_secs: t.connect.as_secs(),
            request_timeout_secs: t.request.as_secs(),
            retry_timeout_secs: t.retry_timeout.as_secs(),
            s3: S3Section::default(),
        }
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

/// The web UI's browser sessions (issue 13).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct UiSection {
    /// How long a browser session lasts after sign-in, in seconds; never longer than the
    /// token it was exchanged for.
    pub session_lifetime_secs: u64,
    /// The address browsers use to reach the server (`https://models.example.com`), when a
    /// proxy in front changes it. Sign-in and sign-out must come from this origin, and an
    /// `https` URL marks the session cookie `Secure`. Unset: the request's own origin.
    pub public_url: Option<String>,
}

impl Default for UiSection {
    fn default() -> Self {
        Self { session_lifetime_secs: 12 * 60 * 60, public_url: None }
    }
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
            shutdown_grace_secs: 30,
            retry_after_secs: 5,
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
    pub metrics_bind: Option<SocketAddr>,
    pub log_format: Option<LogFormat>,
    pub shutdown_grace_secs: Option<u64>,
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

    /// How long requests in flight may take to finish on shutdown.
    pub fn shutdown_grace(&self) -> std::time::Duration {
        std::time::Duration::from_secs(self.server.shutdown_grace_secs)
    }

    /// How long the metadata store waits for PostgreSQL (`[database]`).
    pub fn database_timeouts(&self) -> crate::store::DatabaseTimeouts {
        crate::store::DatabaseTimeouts {
            acquire: std::time::Duration::from_secs(self.database.acquire_timeout_secs),
            statement: std::time::Duration::from_secs(self.database.statement_timeout_secs),
        }
    }

    /// How long the blob store waits for S3 (`[blobs]`).
    pub fn s3_timeouts(&self) -> crate::blob::S3Timeouts {
        crate::blob::S3Timeouts {
            connect: std::time::Duration::from_secs(self.blobs.connect_timeout_secs),
            request: std::time::Duration::from_secs(self.blobs.request_timeout_secs),
            retry_timeout: std::time::Duration::from_secs(self.blobs.retry_timeout_secs),
            ..crate::blob::S3Timeouts::default()
        }
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

impl fmt::Debug for DatabaseSection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DatabaseSection")
            .field("url", &self.url.as_deref().map(redact_url))
            .field("max_connections", &self.max_connections)
            .field("acquire_timeout_secs", &self.acquire_timeout_secs)
            .field("statement_timeout_secs", &self.statement_timeout_secs)
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

#[cfg(test)]
mod tests;
