//! The example configuration: every key with its default and how to set it, generated
//! from the defaults, committed as docs/modelreg-server.example.toml and drift-tested.

use super::Config;

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
# On SIGTERM or SIGINT the server stops accepting connections and gives requests in flight
# this long to finish, in seconds (0 to 3600), then closes what is left and exits 0.
# Env MODELREG_SHUTDOWN_GRACE_SECS, flag --shutdown-grace-secs.
shutdown_grace_secs = {shutdown_grace_secs}
# A 503 (the database or the blob store is unreachable) asks clients to retry after this
# many seconds (1 to 3600). Env MODELREG_RETRY_AFTER_SECS.
retry_after_secs = {retry_after_secs}

[database]
# sqlite://PATH or postgres://USER:PASSWORD@HOST/DB. Unset: sqlite://<data_dir>/modelreg.db.
# Env MODELREG_DATABASE_URL, flag --database-url.
# url = "postgres://modelreg:secret@127.0.0.1:5432/modelreg"
# Pool size (default 10 on PostgreSQL, 4 on SQLite).
# max_connections = 10
# PostgreSQL only (SQLite is a local file): a request waits at most this long for a
# connection, opening one included, before it answers 503 unavailable, in seconds (1 to
# 3600). Env MODELREG_DATABASE_ACQUIRE_TIMEOUT_SECS.
acquire_timeout_secs = {acquire_timeout_secs}
# PostgreSQL only: longest a statement may run (statement_timeout), in seconds; 0 for none.
# Migrations are not bound by it. Env MODELREG_DATABASE_STATEMENT_TIMEOUT_SECS.
statement_timeout_secs = {statement_timeout_secs}

[blobs]
# file:///PATH or s3://BUCKET[/PREFIX]. Unset: file://<data_dir>.
# Env MODELREG_BLOBS_URL, flag --blobs-url.
# url = "s3://modelreg/blobs"
# S3 only: answer blob GETs with 302 to a presigned URL, so the bytes bypass the server.
# Env MODELREG_BLOBS_PRESIGN.
presign = {presign}
# Lifetime of presigned URLs, in seconds.
presign_ttl_secs = {presign_ttl_secs}
# S3 only: longest wait to connect, in seconds. Env MODELREG_BLOBS_CONNECT_TIMEOUT_SECS.
connect_timeout_secs = {connect_timeout_secs}
# S3 only: longest one request to S3 may take, its body included, in seconds.
# Env MODELREG_BLOBS_REQUEST_TIMEOUT_SECS.
request_timeout_secs = {request_timeout_secs}
# S3 only: a request that failed to connect, broke off or timed out is retried with backoff
# until this long after its first attempt (0: no retries), then the registry request
# answers 503 unavailable, in seconds. Env MODELREG_BLOBS_RETRY_TIMEOUT_SECS.
retry_timeout_secs = {retry_timeout_secs}

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
# Retry-After. Env MODELREG_MAX_OPEN_SESSIONS_PER_TOKEN.
max_open_sessions_per_token = {max_open_sessions_per_token}

[ui]
# How long a web UI sign-in lasts, in seconds (60 to 2592000, 30 days); a session never
# outlives its token and ends at once when the token is revoked.
# Env MODELREG_UI_SESSION_LIFETIME_SECS.
session_lifetime_secs = {session_lifetime_secs}
# The address browsers use to reach the server, when a proxy in front changes it. Sign-in
# and sign-out must come from this origin; an https URL marks the session cookie Secure.
# Unset: the origin the request arrived on. Env MODELREG_PUBLIC_URL.
# public_url = "https://models.example.com"

[metrics]
# Serve GET /metrics (Prometheus text format) on this address of its own, without a token,
# and not on the main listener. Keep it on a private network.
# Env MODELREG_METRICS_BIND, flag --metrics-bind.
# bind = "127.0.0.1:9100"
# Without metrics.bind, /metrics on the main listener needs an admin token unless this is
# true. Env MODELREG_METRICS_ANONYMOUS.
anonymous = {metrics_anonymous}

[log]
# text (for people) or json (one object per line, for log shippers); lines go to stderr.
# The filter is MODELREG_LOG (e.g. info, or modelreg_server=debug).
# Env MODELREG_LOG_FORMAT, flag --log-format.
format = "{log_format}"
"#,
        bind = d.server.bind,
        data_dir = d.server.data_dir.display(),
        workers = d.server.workers,
        shutdown_grace_secs = d.server.shutdown_grace_secs,
        retry_after_secs = d.server.retry_after_secs,
        acquire_timeout_secs = d.database.acquire_timeout_secs,
        statement_timeout_secs = d.database.statement_timeout_secs,
        connect_timeout_secs = d.blobs.connect_timeout_secs,
        request_timeout_secs = d.blobs.request_timeout_secs,
        retry_timeout_secs = d.blobs.retry_timeout_secs,
        metrics_anonymous = d.metrics.anonymous,
        log_format = d.log.format,
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
        session_lifetime_secs = d.ui.session_lifetime_secs,
    )
}
