//! Wiring: turns a `Config` into the registry (metadata store opened and migrated, blob store
//! with its S3, presign and part-buffer options, service policy and upload settings), built
//! once, and serves the route table on a listener with the server's limits and timeouts.
//! `run` adds the optional metrics listener and graceful shutdown on SIGTERM/SIGINT.
//! Tests use the same seam with `127.0.0.1:0`. No request handling and no registry rules here.

use std::net::TcpListener;
use std::sync::Arc;

use actix_web::dev::{Server, ServerHandle};
use actix_web::middleware::from_fn;
use actix_web::{App, HttpServer, web};
use anyhow::Context;

use crate::blob::{self, S3Options};
use crate::config::Config;
use crate::http::{self, BodyTimeout, JsonLimit, MetricsAccess, RetryAfter, UiSettings};
use crate::service::{Policy, Registry, SessionSettings, UploadSettings};
use crate::store;

/// How long a publish holds its blobs against garbage collection: far longer than any
/// publish takes, far shorter than GC's default grace period.
pub const PUBLISH_LEASE: std::time::Duration = std::time::Duration::from_secs(15 * 60);

/// Opens the metadata store (running migrations) and the blob store.
pub async fn build_registry(config: &Config) -> anyhow::Result<Registry> {
    let meta = open_store(config).await?;
    let s3 = &config.blobs.s3;
    let options = S3Options {
        endpoint: s3.endpoint.clone(),
        region: s3.region.clone(),
        access_key_id: s3.access_key_id.clone(),
        secret_access_key: s3.secret_access_key.clone(),
        allow_http: s3.allow_http,
        timeouts: config.s3_timeouts(),
    };
    let mut blobs = blob::open(&config.blobs_url(), &options).context("opening the blob store")?;
    // A part holding the shared S3 part buffer gets the body idle timeout as its grace.
    blobs = blobs.with_part_hold_grace(config.body_idle_timeout());
    if config.blobs.presign {
        let ttl = std::time::Duration::from_secs(config.blobs.presign_ttl_secs);
        blobs = blobs.with_presign(ttl).context("blobs.presign")?;
    }
    let policy = Policy {
        anonymous_read: config.auth.anonymous_read,
        max_blob_bytes: config.limits.max_blob_bytes,
        publish_lease: PUBLISH_LEASE,
    };
    let uploads = UploadSettings {
        part_size: config.uploads.part_size,
        session_ttl: std::time::Duration::from_secs(config.uploads.session_ttl_secs),
        max_open_per_token: config.uploads.max_open_sessions_per_token,
    };
    let sessions =
        SessionSettings { lifetime: std::time::Duration::from_secs(config.ui.session_lifetime_secs) };
    Ok(Registry::new(meta, blobs, policy).with_upload_settings(uploads).with_session_settings(sessions))
}

/// Opens the metadata store and brings its schema up to date.
pub async fn open_store(config: &Config) -> anyhow::Result<Arc<dyn store::MetadataStore>> {
    let url = config.database_url();
    store::open_with(&url, config.database.max_connections, config.database_timeouts())
        .await
        .with_context(|| format!("opening the database {}", crate::config::redact_url(&url)))
}

/// Serves the registry as configured (the API on `server.bind`, `/metrics` on `metrics.bind`
/// if set) until SIGTERM or SIGINT, then stops accepting connections, gives requests in
/// flight `server.shutdown_grace_secs` to finish, closes the rest and returns.
pub async fn run(registry: Registry, config: &Config) -> anyhow::Result<()> {
    let registry = web::Data::new(registry);
    let bind = config.server.bind;
    let listener = TcpListener::bind(bind).with_context(|| format!("binding {bind}"))?;
    let addr = listener.local_addr()?;
    let mut servers = vec![serve_shared(listener, registry.clone(), config)?];
    if let Some(bind) = config.metrics.bind {
        let listener = TcpListener::bind(bind).with_context(|| format!("binding metrics.bind {bind}"))?;
        tracing::info!("metrics on http://{}/metrics", listener.local_addr()?);
        servers.push(serve_metrics(listener, registry)?);
    }
    tracing::info!("listening on http://{addr}");
    let handles: Vec<ServerHandle> = servers.iter().map(Server::handle).collect();
    let grace_secs = config.server.shutdown_grace_secs;
    tokio::spawn(async move {
        let signal = shutdown_signal().await;
        tracing::info!(
            signal,
            grace_secs,
            "shutting down: no new connections, requests in flight may finish"
        );
        futures_util::future::join_all(handles.iter().map(|h| h.stop(true))).await;
    });
    futures_util::future::try_join_all(servers).await?;
    tracing::info!("stopped");
    Ok(())
}

/// Waits for SIGTERM (orchestrators) or SIGINT (Ctrl-C) and names it.
async fn shutdown_signal() -> &'static str {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => tokio::select! {
                _ = term.recv() => "SIGTERM",
                _ = tokio::signal::ctrl_c() => "SIGINT",
            },
            Err(e) => {
                tracing::warn!(error = %e, "cannot watch SIGTERM; only SIGINT stops the server gracefully");
                let _ = tokio::signal::ctrl_c().await;
                "SIGINT"
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
        "SIGINT"
    }
}

/// Serves the API on `listener` until the returned server is stopped (or SIGTERM/SIGINT,
/// after which requests in flight get `server.shutdown_grace_secs` to finish).
pub fn serve(listener: TcpListener, registry: Registry, config: &Config) -> std::io::Result<Server> {
    serve_shared(listener, web::Data::new(registry), config)
}

/// [`serve`] with a registry that another listener shares (see [`serve_metrics`]).
pub fn serve_shared(
    listener: TcpListener,
    registry: web::Data<Registry>,
    config: &Config,
) -> std::io::Result<Server> {
    let metrics_access = web::Data::new(match (config.metrics.bind, config.metrics.anonymous) {
        (Some(_), _) => MetricsAccess::Elsewhere,
        (None, true) => MetricsAccess::Anonymous,
        (None, false) => MetricsAccess::AdminToken,
    });
    let limit = web::Data::new(JsonLimit(config.limits.max_json_bytes));
    let body_timeout = web::Data::new(BodyTimeout(config.body_idle_timeout()));
    let ui = UiSettings::from_public_url(config.ui.public_url.as_deref())
        .map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidInput, format!("ui.public_url: {e}")))?;
    let ui = web::Data::new(ui);
    let retry_after = web::Data::new(RetryAfter(config.server.retry_after_secs));
    let mut server = HttpServer::new(move || {
        App::new()
            .app_data(registry.clone())
            .app_data(retry_after.clone())
            .app_data(limit.clone())
            .app_data(body_timeout.clone())
            .app_data(ui.clone())
            .app_data(metrics_access.clone())
            .configure(http::configure)
            .wrap(from_fn(http::retry_after))
            .wrap(from_fn(http::observe))
    })
    // Small responses (blob existence, manifests, many small blobs) must not wait on Nagle.
    .tcp_nodelay(true)
    // A request's head must arrive within this. actix's 5 s default answered 408 to parts of
    // four concurrent 2 GiB uploads while the disk was saturated (bench/transfer.sh).
    .client_request_timeout(std::time::Duration::from_secs(30))
    .shutdown_timeout(config.server.shutdown_grace_secs)
    // `run` handles SIGTERM and SIGINT for every listener at once.
    .disable_signals()
    .listen(listener)?;
    if config.server.workers > 0 {
        server = server.workers(config.server.workers);
    }
    Ok(server.run())
}

/// Serves only `/metrics`, without a token, on a listener of its own (`metrics.bind`).
pub fn serve_metrics(listener: TcpListener, registry: web::Data<Registry>) -> std::io::Result<Server> {
    let access = web::Data::new(MetricsAccess::Anonymous);
    let server = HttpServer::new(move || {
        App::new()
            .app_data(registry.clone())
            .app_data(access.clone())
            .configure(http::configure_metrics)
            .wrap(from_fn(http::observe))
    })
    .workers(1)
    .shutdown_timeout(5)
    .disable_signals()
    .listen(listener)?;
    Ok(server.run())
}
