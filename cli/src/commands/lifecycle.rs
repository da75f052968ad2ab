//! `modelreg yank` (and `--undo`) and `modelreg delete` (admin): the changes to published
//! versions. Both take exact versions only; `delete` asks on a terminal and refuses to run
//! unattended without `--yes`.

use clap::Args;
use serde_json::json;

use crate::client::Client;
use crate::commands::{emit, emit_json};
use crate::error::ClientError;
use crate::output::Output;
use crate::reference::ExactRef;
use crate::terminal::{confirm, stdin_is_terminal};

#[derive(Debug, Args)]
pub struct YankArgs {
    /// The version to yank: `latest` and ranges skip it from now on; exact pulls still work.
    #[arg(value_name = "NS/NAME@VERSION", value_parser = ExactRef::parse_versioned)]
    pub reference: ExactRef,
    /// Why it is yanked; shown to whoever pulls it by exact version.
    #[arg(long, value_name = "TEXT", value_parser = non_empty, required_unless_present = "undo")]
    pub reason: Option<String>,
    /// Un-yank: make the version match `latest` and ranges again.
    #[arg(long, conflicts_with = "reason")]
    pub undo: bool,
}

#[derive(Debug, Args)]
pub struct DeleteArgs {
    /// A version (`NS/NAME@X.Y.Z`; its number can never be published again) or a whole model.
    #[arg(value_name = "NS/NAME[@VERSION]")]
    pub target: ExactRef,
    /// Do not ask for confirmation (needed when stdin is not a terminal, and with --json).
    #[arg(short, long)]
    pub yes: bool,
}

fn non_empty(s: &str) -> Result<String, String> {
    match s.trim() {
        "" => Err("the reason must not be empty".into()),
        t => Ok(t.to_owned()),
    }
}

pub async fn yank(client: &Client, args: YankArgs, out: &Output) -> Result<(), ClientError> {
    let model = &args.reference.model;
    let version = args.reference.version.as_ref().expect("the parser requires a version");
    let state = match &args.reason {
        Some(reason) if !args.undo => client.yank(model, version, reason).await?,
        _ => client.unyank(model, version).await?,
    };
    if out.json {
        emit_json(&state);
    } else if state.yanked {
        let reason = state.reason.as_deref().or(args.reason.as_deref()).unwrap_or_default();
        emit(&format!("yanked {model}@{version}: {reason}"));
    } else {
        emit(&format!("un-yanked {model}@{version}"));
    }
    Ok(())
}

pub async fn delete(client: &Client, args: DeleteArgs, out: &Output) -> Result<(), ClientError> {
    let target = &args.target;
    if !args.yes {
        let question = match &target.version {
            Some(v) => format!("delete {target} for good? Its number {v} can never be published again"),
            None => format!("delete {target} and every version of it for good?"),
        };
        if out.json || !stdin_is_terminal() {
            return Err(ClientError::Usage(format!(
                "refusing to delete {target} without --yes: {}",
                if out.json { "--json never asks" } else { "stdin is not a terminal to ask on" }
            )));
        }
        if !confirm(&question)? {
            return Err(ClientError::Aborted(format!("not confirmed: {target} was not deleted")));
        }
    }
    match &target.version {
        Some(version) => {
            client.delete_version(&target.model, version).await?;
            if out.json {
                emit_json(&json!({ "model": target.model, "version": version, "deleted": true }));
            } else {
                emit(&format!("deleted {target}; {version} can never be published again"));
            }
        }
        None => {
            let deleted = client.delete_model(&target.model).await?;
            if out.json {
                emit_json(&deleted);
            } else {
                let n = deleted.deleted_versions;
                emit(&format!("deleted {} ({n} version{})", deleted.model, if n == 1 { "" } else { "s" }));
            }
        }
    }
    Ok(())
}
