//! The `modelreg` binary: parse the command line, run it on a tokio runtime, print an
//! error the way the user asked for (`error: ...` on stderr, or JSON on stdout) and exit
//! with its documented code.

use std::process::ExitCode;

use clap::Parser;
use clap::error::ErrorKind;
use modelreg_api::{ErrorBody, ErrorEnvelope};
use modelreg_cli::commands::{Cli, emit_json, run};
use modelreg_cli::{ClientError, FailureKind};

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(err) => return usage_error(&err),
    };
    let json = cli.global.json;
    let result = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| ClientError::io("cannot start the async runtime", e))
        .and_then(|runtime| runtime.block_on(run(cli)));
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            if json {
                emit_json(&ErrorEnvelope { error: err.to_body() });
            } else {
                eprintln!("error: {err}");
            }
            ExitCode::from(err.exit_code())
        }
    }
}

/// Clap's own errors (and `--help`/`--version`); with `--json` on the command line a usage
/// error is printed as a JSON error document instead, still with exit code 2.
fn usage_error(err: &clap::Error) -> ExitCode {
    let informational = matches!(err.kind(), ErrorKind::DisplayHelp | ErrorKind::DisplayVersion);
    let wants_json = std::env::args_os().any(|a| a == "--json");
    if informational || !wants_json {
        let _ = err.print();
        return ExitCode::from(if err.use_stderr() { FailureKind::Usage.exit_code() } else { 0 });
    }
    let rendered = err.render().to_string();
    let first = rendered.lines().next().unwrap_or_default();
    let message = first.strip_prefix("error: ").unwrap_or(first).to_owned();
    emit_json(&ErrorEnvelope { error: ErrorBody { code: "usage".into(), message, details: None } });
    ExitCode::from(FailureKind::Usage.exit_code())
}
