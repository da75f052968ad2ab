//! The `modelreg-server` binary: serve (default), migrate, config show, token create, list and
//! revoke, gc, and audit. Operator commands call the service (acting as the server itself); no
//! registry logic lives here.

use std::io::IsTerminal;
use std::net::SocketAddr;
use std::path::PathBuf;

use clap::{Parser, Subcommand};
use modelreg_api::{MAX_TOKEN_LIFETIME_DAYS, NamespacePattern, Scope};
use modelreg_server::app;
use modelreg_server::config::{Config, LogFormat, Overrides};
use modelreg_server::metrics::{GcRunSample, render_gc_run};
use modelreg_server::service::SERVER_ACTOR;
use modelreg_server::store::AuditFilter;

#[derive(Parser)]
#[command(name = "modelreg-server", version, about = "Registry and artifact store for pretrained ML models")]
struct Cli {
    /// TOML config file (layers: defaults < file < MODELREG_* env < flags).
    #[arg(long, global = true, env = "MODELREG_CONFIG")]
    config: Option<PathBuf>,
    /// Address to listen on (port 0 picks a free one).
    #[arg(long, global = true)]
    bind: Option<SocketAddr>,
    /// Data directory of the embedded defaults (SQLite file and blob folder).
    #[arg(long, global = true)]
    data_dir: Option<PathBuf>,
    /// Metadata database: sqlite://PATH or postgres://...
    #[arg(long, global = true)]
    database_url: Option<String>,
    /// Blob store: file:///PATH or s3://BUCKET[/PREFIX]
    #[arg(long, global = true)]
    blobs_url: Option<String>,
    /// Serve /metrics on this address of its own (without a token) instead of the main one.
    #[arg(long, global = true)]
    metrics_bind: Option<SocketAddr>,
    /// Log lines as `text` or `json` (one object per line).
    #[arg(long, global = true)]
    log_format: Option<LogFormat>,
    /// On SIGTERM/SIGINT, seconds that requests in flight get to finish.
    #[arg(long, global = true)]
    shutdown_grace_secs: Option<u64>,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the HTTP API (the default).
    Serve,
    /// Run database migrations and exit.
    Migrate,
    /// Inspect the configuration.
    #[command(subcommand)]
    Config(ConfigCommand),
    /// Manage API tokens.
    #[command(subcommand)]
    Token(TokenCommand),
    /// Delete blobs no version references (older than the grace period) and abort stale
    /// upload sessions; reports what was freed.
    Gc {
        /// Report what would be deleted without deleting.
        #[arg(long)]
        dry_run: bool,
        /// Leave blobs younger than this alone (e.g. 30m, 24h, 7d).
        #[arg(long, default_value = "24h", value_parser = parse_grace)]
        grace: std::time::Duration,
        /// After a run (not a dry run), write its figures as Prometheus gauges to this file
        /// (replaced atomically), for node_exporter's textfile collector.
        #[arg(long)]
        metrics_file: Option<PathBuf>,
    },
    /// Print the audit log, oldest first, as JSON lines.
    Audit {
        #[arg(long)]
        model: Option<String>,
        #[arg(long)]
        actor: Option<String>,
        /// RFC 3339 time, e.g. 2026-11-01T00:00:00Z.
        #[arg(long)]
        since: Option<chrono::DateTime<chrono::Utc>>,
        #[arg(long, default_value_t = 1000)]
        limit: i64,
    },
}

#[derive(Subcommand)]
enum ConfigCommand {
    /// Print the effective configuration, secrets redacted.
    Show,
}

#[derive(Subcommand)]
enum TokenCommand {
    /// Create a token and print its secret (shown only this once) on stdout.
    Create {
        #[arg(long)]
        name: String,
        #[arg(long, default_value = "write")]
        scope: Scope,
        /// Limit the token to a namespace or a glob such as 'team-*' (repeatable).
        #[arg(long = "namespace")]
        namespaces: Vec<NamespacePattern>,
        /// Expire the token after this many days (at most 36500).
        #[arg(long, value_parser = clap::value_parser!(u32).range(0..=i64::from(MAX_TOKEN_LIFETIME_DAYS)))]
        expires_in_days: Option<u32>,
    },
    /// List tokens (never their secrets).
    List,
    /// Revoke a token by name.
    Revoke { name: String },
}

fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    let overrides = Overrides {
        bind: cli.bind,
        data_dir: cli.data_dir.clone(),
        database_url: cli.database_url.clone(),
        blobs_url: cli.blobs_url.clone(),
        metrics_bind: cli.metrics_bind,
        log_format: cli.log_format,
        shutdown_grace_secs: cli.shutdown_grace_secs,
    };
    let config = Config::load(cli.config.as_deref(), |k| std::env::var(k).ok(), &overrides)?;
    init_tracing(config.log.format);
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    match cli.command.unwrap_or(Command::Serve) {
        Command::Serve => runtime.block_on(serve(config)),
        Command::Migrate => runtime.block_on(async {
            app::open_store(&config).await?;
            tracing::info!("migrations are up to date");
            Ok(())
        }),
        Command::Config(ConfigCommand::Show) => {
            print!("{}", config.to_redacted_toml());
            Ok(())
        }
        Command::Token(command) => runtime.block_on(async {
            let registry = app::build_registry(&config).await?;
            match command {
                TokenCommand::Create { name, scope, namespaces, expires_in_days } => {
                    let (secret, _) = registry
                        .create_token(&name, scope, namespaces, expires_in_days, SERVER_ACTOR)
                        .await?;
                    println!("{secret}");
                }
                TokenCommand::List => {
                    for t in registry.list_tokens().await? {
                        let namespaces: Vec<String> = t.namespaces.iter().map(ToString::to_string).collect();
                        let state = match (t.revoked_at, t.expires_at) {
                            (Some(_), _) => "revoked",
                            (None, Some(e)) if e <= chrono::Utc::now() => "expired",
                            _ => "active",
                        };
                        println!(
                            "{}\t{}\t{}\t{}\tcreated {}\texpires {}\tlast used {}",
                            t.name,
                            t.scope,
                            if namespaces.is_empty() { "*".to_owned() } else { namespaces.join(",") },
                            state,
                            t.created_at.to_rfc3339(),
                            t.expires_at.map_or("never".to_owned(), |e| e.to_rfc3339()),
                            t.last_used_at.map_or("never".to_owned(), |e| e.to_rfc3339()),
                        );
                    }
                }
                TokenCommand::Revoke { name } => {
                    registry.revoke_token(&name, SERVER_ACTOR).await?;
                    eprintln!("revoked token '{name}'");
                }
            }
            Ok(())
        }),
        Command::Gc { dry_run, grace, metrics_file } => runtime.block_on(async {
            let started = std::time::Instant::now();
            let registry = app::build_registry(&config).await?;
            // Stale upload sessions first: aborting them turns nothing into garbage (their
            // parts never reached a content-addressed key), but frees staging space.
            let aborted = if dry_run { 0 } else { registry.abort_stale_uploads(chrono::Utc::now()).await? };
            let report = registry.collect_garbage(grace, dry_run).await?;
            let mut json = serde_json::to_value(&report)?;
            json["uploads_aborted"] = serde_json::json!(aborted);
            println!("{json}");
            if let Some(path) = metrics_file.filter(|_| !dry_run) {
                let run = GcRunSample {
                    finished_at_unix: chrono::Utc::now().timestamp_millis() as f64 / 1000.0,
                    duration: started.elapsed(),
                    blobs_scanned: report.blobs_scanned,
                    blobs_deleted: report.blobs_deleted,
                    bytes_freed: report.bytes_freed,
                    uploads_aborted: aborted as u64,
                };
                write_replacing(&path, &render_gc_run(&run))?;
            }
            Ok(())
        }),
        Command::Audit { model, actor, since, limit } => runtime.block_on(async {
            let registry = app::build_registry(&config).await?;
            let filter = AuditFilter { model, actor, since, after_id: None, within: None, limit };
            for r in registry.audit(&filter).await? {
                let line = serde_json::json!({
                    "id": r.id, "at": r.at.to_rfc3339(), "actor": r.actor, "action": r.action,
                    "model": r.model, "version": r.version,
                    "details": serde_json::from_str::<serde_json::Value>(&r.details).unwrap_or_default(),
                });
                println!("{line}");
            }
            Ok(())
        }),
    }
}

/// Writes `text` to `path` through a temporary file beside it and a rename, so that a reader
/// (a textfile collector reads `*.prom`) never sees half of it.
fn write_replacing(path: &std::path::Path, text: &str) -> anyhow::Result<()> {
    use anyhow::Context;
    let mut tmp = path.as_os_str().to_owned();
    tmp.push(".tmp");
    std::fs::write(&tmp, text).with_context(|| format!("writing {}", PathBuf::from(&tmp).display()))?;
    std::fs::rename(&tmp, path).with_context(|| format!("replacing {}", path.display()))?;
    Ok(())
}

/// The longest `--grace`: a hundred years reaches before any blob was written.
const MAX_GRACE: std::time::Duration = std::time::Duration::from_secs(36_500 * 86_400);

/// Parses a duration such as `90s`, `30m`, `24h`, `7d` or `1h 30m` (humantime's syntax),
/// at most 36500 days.
fn parse_grace(s: &str) -> Result<std::time::Duration, String> {
    let grace = humantime::parse_duration(s)
        .map_err(|e| format!("invalid duration '{s}': {e} (write e.g. 30m, 24h, 7d)"))?;
    if grace > MAX_GRACE {
        return Err(format!("'{s}' is longer than the longest grace period, 36500d"));
    }
    Ok(grace)
}

async fn serve(config: Config) -> anyhow::Result<()> {
    let registry = app::build_registry(&config).await?;
    app::run(registry, &config).await
}

/// Log lines go to stderr, filtered by `MODELREG_LOG` (default `info`). In JSON each line is
/// one object: the event's fields at the top level, and the request's span (its id, method
/// and route) under `span`.
fn init_tracing(format: LogFormat) {
    let filter = tracing_subscriber::EnvFilter::try_from_env("MODELREG_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr);
    match format {
        LogFormat::Text => builder.with_ansi(std::io::stderr().is_terminal()).init(),
        LogFormat::Json => {
            builder.json().flatten_event(true).with_current_span(true).with_span_list(false).init()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grace_periods_parse_with_units_and_stay_bounded() {
        assert_eq!(parse_grace("0s"), Ok(std::time::Duration::ZERO));
        assert_eq!(parse_grace("90s").unwrap().as_secs(), 90);
        assert_eq!(parse_grace("7d").unwrap().as_secs(), 7 * 86_400);
        assert_eq!(parse_grace("1h 30m").unwrap().as_secs(), 5_400);
        assert_eq!(parse_grace("36500d"), Ok(MAX_GRACE));
        for bad in ["soon", "", "-1d", "36501d", "99999999999999d", "999999999999999999999999s"] {
            let err = parse_grace(bad).unwrap_err();
            assert!(err.contains(bad), "{bad}: {err}");
        }
    }

    #[test]
    fn the_command_line_definition_is_consistent() {
        use clap::CommandFactory;
        Cli::command().debug_assert();
    }
}
