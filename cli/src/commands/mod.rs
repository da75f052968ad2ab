//! The command line: global flags, the subcommand enum, and dispatch. Each subcommand lives
//! in its own module with its `Args` and `run`; the work itself is done by library modules.

pub mod alias;
pub mod audit;
pub mod cache;
pub mod choose;
pub mod completions;
pub mod lifecycle;
pub mod login;
pub mod pull;
pub mod push;
pub mod search;
pub mod show;
pub mod token;
pub mod versions;

use std::fmt;
use std::io::Write;

use clap::{Args, Parser, Subcommand};
use reqwest::Url;
use serde::Serialize;

use crate::client::Client;
use crate::credentials::{TokenOrigin, pick_token, stored_token};
use crate::error::ClientError;
use crate::output::Output;

/// Default registry address when neither `--registry` nor `MODELREG_URL` is set.
pub const DEFAULT_REGISTRY: &str = "http://127.0.0.1:8080";

/// `modelreg`: push, pull and inspect versioned ML models in a modelreg registry.
#[derive(Debug, Parser)]
#[command(name = "modelreg", version, about)]
pub struct Cli {
    #[command(flatten)]
    pub global: GlobalArgs,
    #[command(subcommand)]
    pub command: Command,
}

/// Flags every subcommand accepts.
#[derive(Clone, Args)]
#[command(next_help_heading = "Global options")]
pub struct GlobalArgs {
    /// Base URL of the registry.
    #[arg(long, global = true, env = "MODELREG_URL", default_value = DEFAULT_REGISTRY, value_name = "URL")]
    pub registry: Url,
    /// Bearer token for the registry (prefer the environment variable: flags show in `ps`);
    /// wins over the token saved by `modelreg login`.
    #[arg(long, global = true, env = "MODELREG_TOKEN", hide_env_values = true, value_name = "TOKEN")]
    pub token: Option<String>,
    /// Print exactly one JSON document on stdout, errors included; nothing on stderr.
    #[arg(long, global = true)]
    pub json: bool,
    /// Print only the result: no progress or status lines on stderr.
    #[arg(short, long, global = true, conflicts_with = "verbose")]
    pub quiet: bool,
    /// Also print a line per file on stderr.
    #[arg(short, long, global = true)]
    pub verbose: bool,
    /// While the registry is unavailable (503, or no connection), retry each request with
    /// backoff for up to this many seconds of the outage, then fail with exit code 7; 0
    /// tries once.
    #[arg(long, global = true, env = "MODELREG_RETRY_FOR", value_name = "SECS", default_value_t = crate::client::DEFAULT_RETRY_FOR.as_secs())]
    pub retry_for: u64,
}

impl fmt::Debug for GlobalArgs {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("GlobalArgs")
            .field("registry", &self.registry.as_str())
            .field("token", &self.token.as_ref().map(|_| "<redacted>"))
            .field("json", &self.json)
            .field("quiet", &self.quiet)
            .field("verbose", &self.verbose)
            .field("retry_for", &self.retry_for)
            .finish()
    }
}

impl GlobalArgs {
    pub fn output(&self) -> Output {
        Output { json: self.json, quiet: self.quiet, verbose: self.verbose }
    }

    /// A client for `--registry` with the token to send: `--token`/`MODELREG_TOKEN` if set
    /// and not empty, else the one `modelreg login` saved for this registry, else none.
    pub fn client(&self) -> Result<(Client, TokenOrigin), ClientError> {
        let (token, origin) = pick_token(self.token.as_deref(), || stored_token(&self.registry))?;
        let client = Client::new(self.registry.clone(), token.as_deref())?
            .with_token_origin(origin)
            .with_retry_for(std::time::Duration::from_secs(self.retry_for))
            .with_retry_notices(!self.json && !self.quiet);
        Ok((client, origin))
    }
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Publish a directory as a new, immutable version of a model.
    Push(push::PushArgs),
    /// Download a version of a model, verifying every file.
    Pull(pull::PullArgs),
    /// List the versions of a model.
    Versions(versions::VersionsArgs),
    /// Find models by licence, modality, language, size, latency and more.
    Search(Box<search::SearchArgs>),
    /// Choose a model: rank the versions meeting hard constraints by weighted preferences,
    /// with the Pareto front and near misses.
    Choose(choose::ChooseArgs),
    /// Show a version's card: licence verdict, characteristics, lineage, files.
    Show(show::ShowArgs),
    /// Set, remove and list a model's aliases (such as production).
    Alias(alias::AliasArgs),
    /// Yank a version (latest and ranges skip it; exact pulls warn), or undo a yank.
    Yank(lifecycle::YankArgs),
    /// Delete a version or a whole model for good (admin).
    Delete(lifecycle::DeleteArgs),
    /// Check a token with the registry and save it for later commands.
    Login(login::LoginArgs),
    /// Forget the token saved for the registry.
    Logout,
    /// Show the token in use: name, scope, namespaces, expiry.
    Whoami,
    /// Create, list and revoke tokens (admin).
    Token(token::TokenArgs),
    /// Show the audit log of changes (admin).
    Audit(audit::AuditArgs),
    /// Print a shell completion script (bash, zsh, fish).
    Completions(completions::CompletionsArgs),
    /// Show or prune the local cache of downloaded files.
    Cache(cache::CacheArgs),
}

/// Runs the parsed command line; the result goes to stdout, an error is returned for `main`
/// to print.
pub async fn run(cli: Cli) -> Result<(), ClientError> {
    let out = cli.global.output();
    let global = &cli.global;
    // Commands that talk to the registry read the saved login only here, so that
    // `login`, `logout` and `completions` work whatever the credentials file holds.
    let client = || global.client().map(|(client, _)| client);
    match cli.command {
        Command::Push(args) => push::run(&client()?, args, &out).await,
        Command::Pull(args) => pull::run(&client()?, args, &out).await,
        Command::Versions(args) => versions::run(&client()?, args, &out).await,
        Command::Search(args) => search::run(&client()?, *args, &out).await,
        Command::Choose(args) => choose::run(&client()?, args, &out).await,
        Command::Show(args) => show::run(&client()?, args, &out).await,
        Command::Alias(args) => alias::run(&client()?, args, &out).await,
        Command::Yank(args) => lifecycle::yank(&client()?, args, &out).await,
        Command::Delete(args) => lifecycle::delete(&client()?, args, &out).await,
        Command::Login(args) => login::login(global, args, &out).await,
        Command::Logout => login::logout(global, &out),
        Command::Whoami => {
            let (client, origin) = global.client()?;
            login::whoami(&client, origin, &out).await
        }
        Command::Token(args) => token::run(&client()?, args, &out).await,
        Command::Audit(args) => audit::run(&client()?, args, &out).await,
        Command::Completions(args) => completions::run(&args, &out),
        Command::Cache(args) => cache::run(args, &out).await,
    }
}

/// Writes a result to stdout. A closed pipe (`modelreg versions | head -1`) is not an error.
pub fn emit(text: &str) {
    let mut stdout = std::io::stdout().lock();
    let _ = writeln!(stdout, "{text}").and_then(|()| stdout.flush());
}

/// Writes a value to stdout as the one JSON document of this run.
pub fn emit_json(value: &impl Serialize) {
    emit(&serde_json::to_string_pretty(value).expect("CLI results always serialise"));
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    use super::*;

    #[test]
    fn the_argument_definitions_are_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn global_flags_work_after_the_subcommand_and_the_token_is_never_shown() {
        let cli = Cli::try_parse_from([
            "modelreg",
            "versions",
            "acme/bert",
            "--json",
            "--registry",
            "http://example.com:9000",
            "--token",
            "s3cr3t",
        ])
        .unwrap();
        assert!(cli.global.json);
        assert_eq!(cli.global.registry.as_str(), "http://example.com:9000/");
        assert!(!format!("{cli:?}").contains("s3cr3t"));
    }

    #[test]
    fn bad_names_and_references_are_usage_errors() {
        for args in [
            &["modelreg", "pull", "Acme/Bert"][..],
            &["modelreg", "show", "acme/bert@No pe"],
            &["modelreg", "push", "dir", "--model", "acme", "--version", "1.0.0"],
            &["modelreg", "push", "dir", "--model", "acme/bert", "--version", "1.0"],
            &["modelreg", "push", "dir", "--model", "acme/bert", "--version", "1.0.0", "--license", "Nope-1"],
            &["modelreg", "pull", "acme/bert", "--jobs", "0"],
        ] {
            let err = Cli::try_parse_from(args).unwrap_err();
            assert_eq!(err.exit_code(), 2, "{args:?}");
        }
    }
}
