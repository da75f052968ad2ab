//! The `modelreg-server` binary: serve (default), migrate, config show, token create.

use std::io::IsTerminal;
use std::net::{SocketAddr, TcpListener};
use std::path::PathBuf;

use anyhow::Context;
use clap::{Parser, Subcommand};
use modelreg_server::app;
use modelreg_server::config::{Config, Overrides};
use modelreg_server::store::Scope;

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
        #[arg(long, default_value = "write", value_parser = ["read", "write", "admin"])]
        scope: String,
    },
}

fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    init_tracing();
    let overrides = Overrides {
        bind: cli.bind,
        data_dir: cli.data_dir.clone(),
        database_url: cli.database_url.clone(),
        blobs_url: cli.blobs_url.clone(),
    };
    let config = Config::load(cli.config.as_deref(), |k| std::env::var(k).ok(), &overrides)?;
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
        Command::Token(TokenCommand::Create { name, scope }) => runtime.block_on(async {
            let registry = app::build_registry(&config).await?;
            let scope = Scope::parse(&scope).context("scope")?;
            let secret = registry.create_token(&name, scope).await?;
            println!("{secret}");
            Ok(())
        }),
    }
}

async fn serve(config: Config) -> anyhow::Result<()> {
    let registry = app::build_registry(&config).await?;
    let listener =
        TcpListener::bind(config.server.bind).with_context(|| format!("binding {}", config.server.bind))?;
    let addr = listener.local_addr()?;
    let server = app::serve(listener, registry, &config)?;
    tracing::info!("listening on http://{addr}");
    server.await?;
    Ok(())
}

fn init_tracing() {
    let filter = tracing_subscriber::EnvFilter::try_from_env("MODELREG_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .init();
}
