//! The `modelreg-server` binary: serve (default), migrate, config show, token create, list and
//! revoke, gc, verify, and audit. Operator commands call the service (acting as the server itself); no
//! registry logic lives here.

use std::io::IsTerminal;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use modelreg_api::{MAX_TOKEN_LIFETIME_DAYS, NamespacePattern, Scope};
use modelreg_server::app;
use modelreg_server::config::{Config, LogFormat, Overrides};
use modelreg_server::metrics::{
    GcRunSample, VerifyRunSample, last_verify_success, render_gc_run, render_verify_run,
};
use modelreg_server::service::{SERVER_ACTOR, VerifyOptions, VerifyProgress};
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
    /// Re-read and re-hash the blobs that versions reference (all, or a sample) and report
    /// those missing or not matching their digest, as one JSON object on stdout. Exit status:
    /// 0 every checked blob is intact, 1 some are not, 2 the run failed.
    Verify(VerifyArgs),
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

#[derive(clap::Args)]
struct VerifyArgs {
    /// Check only this fraction of the blobs (0 < F <= 1), picked by --seed.
    #[arg(long, value_parser = parse_fraction)]
    sample: Option<f64>,
    /// Picks the sample: the same seed picks the same blobs. Random by default; the report
    /// names the seed used.
    #[arg(long)]
    seed: Option<u64>,
    /// Only blobs referenced by a version published since then: an RFC 3339 time
    /// (2026-11-01T00:00:00Z) or an age (7d, 12h).
    #[arg(long, value_parser = parse_since)]
    since: Option<chrono::DateTime<chrono::Utc>>,
    /// Read at most this many bytes per second (0: no limit).
    #[arg(long, default_value_t = 100 << 20)]
    max_bytes_per_sec: u64,
    /// Open at most this many blobs per second (0: no limit).
    #[arg(long, default_value_t = 0.0)]
    max_blobs_per_sec: f64,
    /// Write the run's progress and findings as Prometheus gauges to this file (replaced
    /// atomically) during the run and at its end, for node_exporter's textfile collector.
    #[arg(long)]
    metrics_file: Option<PathBuf>,
    /// How often the metrics file is rewritten during the run.
    #[arg(long, default_value = "10s", value_parser = parse_grace)]
    metrics_interval: std::time::Duration,
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

fn main() -> ExitCode {
    let cli = Cli::parse();
    // verify tells its findings (1) from a failure to run (2); elsewhere a failure is 1.
    let failure = if matches!(cli.command, Some(Command::Verify(_))) { 2 } else { 1 };
    match run(cli) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("Error: {e:?}");
            ExitCode::from(failure)
        }
    }
}

fn run(cli: Cli) -> anyhow::Result<ExitCode> {
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
    let done = match cli.command.unwrap_or(Command::Serve) {
        Command::Verify(args) => return runtime.block_on(verify(&config, args)),
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
    };
    done.map(|()| ExitCode::SUCCESS)
}

/// Runs `verify`: the report on stdout, the metrics file (if asked for) rewritten every
/// `--metrics-interval` and at the end; exit 1 when anything was found.
async fn verify(config: &Config, args: VerifyArgs) -> anyhow::Result<ExitCode> {
    let started = std::time::Instant::now();
    let started_at_unix = unix_now();
    let registry = app::build_registry(config).await?;
    let options = VerifyOptions {
        sample: args.sample,
        seed: args.seed.unwrap_or_else(random_seed),
        since: args.since,
        max_bytes_per_sec: Some(args.max_bytes_per_sec).filter(|r| *r > 0),
        max_blobs_per_sec: Some(args.max_blobs_per_sec).filter(|r| *r > 0.0),
    };
    let previous_success = args
        .metrics_file
        .as_ref()
        .and_then(|p| std::fs::read_to_string(p).ok())
        .and_then(|text| last_verify_success(&text));
    let write = |progress: &VerifyProgress, running: bool, last_success_unix: Option<f64>| {
        let Some(path) = &args.metrics_file else { return Ok(()) };
        let run = VerifyRunSample {
            running,
            started_at_unix,
            last_success_unix,
            duration: started.elapsed(),
            blobs_referenced: progress.blobs_referenced,
            blobs_checked: progress.blobs_checked,
            bytes_checked: progress.bytes_checked,
            blobs_missing: progress.missing,
            blobs_corrupt: progress.corrupt,
        };
        write_replacing(path, &render_verify_run(&run))
    };
    write(&VerifyProgress::default(), true, previous_success)?;
    let mut last_write = std::time::Instant::now();
    let mut latest = VerifyProgress::default();
    let outcome = registry
        .verify_blobs(&options, |progress| {
            latest = *progress;
            if last_write.elapsed() >= args.metrics_interval {
                last_write = std::time::Instant::now();
                if let Err(e) = write(progress, true, previous_success) {
                    tracing::warn!(error = %e, "verify: could not write the metrics file");
                }
            }
        })
        .await;
    let report = match outcome {
        Ok(report) => report,
        Err(e) => {
            write(&latest, false, previous_success)?;
            return Err(e.into());
        }
    };
    write(&report.counts, false, Some(unix_now()))?;
    println!("{}", serde_json::to_string(&report)?);
    Ok(if report.findings.is_empty() { ExitCode::SUCCESS } else { ExitCode::from(1) })
}

fn unix_now() -> f64 {
    chrono::Utc::now().timestamp_millis() as f64 / 1000.0
}

/// A seed for a sample nobody asked to reproduce: the clock and the process id.
fn random_seed() -> u64 {
    let nanos =
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_nanos() as u64);
    nanos ^ u64::from(std::process::id()).rotate_left(32)
}

/// Parses `--sample`: a fraction above 0 and at most 1.
fn parse_fraction(s: &str) -> Result<f64, String> {
    match s.parse::<f64>() {
        Ok(f) if f > 0.0 && f <= 1.0 => Ok(f),
        _ => Err(format!("'{s}' is not a fraction above 0 and at most 1 (write e.g. 0.1)")),
    }
}

/// Parses `--since`: an RFC 3339 time, or an age (humantime's syntax, e.g. 7d) before now.
fn parse_since(s: &str) -> Result<chrono::DateTime<chrono::Utc>, String> {
    if let Ok(at) = chrono::DateTime::parse_from_rfc3339(s) {
        return Ok(at.with_timezone(&chrono::Utc));
    }
    let age = parse_grace(s)
        .map_err(|_| format!("'{s}' is neither an RFC 3339 time (2026-11-01T00:00:00Z) nor an age (7d)"))?;
    let age = chrono::Duration::from_std(age).map_err(|e| format!("'{s}': {e}"))?;
    Ok(chrono::Utc::now() - age)
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
    fn samples_are_fractions_and_since_takes_a_time_or_an_age() {
        assert_eq!(parse_fraction("0.1"), Ok(0.1));
        assert_eq!(parse_fraction("1"), Ok(1.0));
        for bad in ["0", "-0.5", "1.5", "NaN", "a tenth"] {
            assert!(parse_fraction(bad).unwrap_err().contains(bad), "{bad}");
        }
        assert_eq!(
            parse_since("2026-11-01T01:00:00+01:00").unwrap().to_rfc3339(),
            "2026-11-01T00:00:00+00:00"
        );
        let week = chrono::Utc::now() - parse_since("7d").unwrap();
        assert!((week.num_seconds() - 7 * 86_400).abs() < 60, "{week}");
        assert!(parse_since("last tuesday").unwrap_err().contains("RFC 3339"));
    }

    #[test]
    fn the_command_line_definition_is_consistent() {
        use clap::CommandFactory;
        Cli::command().debug_assert();
    }
}
