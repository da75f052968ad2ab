//! `modelreg alias set|rm|list`: named pointers such as `production` at a model's versions,
//! which `pull NS/NAME@ALIAS` resolves; `list --history` shows every move.

use clap::{Args, Subcommand};
use modelreg_api::{AliasList, AliasName, ModelName, Version};
use serde_json::json;

use crate::client::Client;
use crate::commands::{emit, emit_json};
use crate::error::ClientError;
use crate::output::Output;

#[derive(Debug, Args)]
pub struct AliasArgs {
    #[command(subcommand)]
    pub command: AliasCommand,
}

#[derive(Debug, Subcommand)]
pub enum AliasCommand {
    /// Point an alias at a version, creating or moving it.
    Set {
        /// The model.
        #[arg(value_name = "NS/NAME")]
        model: ModelName,
        /// The alias: lower-case, starts with a letter, never a version (e.g. production).
        #[arg(value_name = "ALIAS")]
        alias: AliasName,
        /// The exact version it points at.
        #[arg(value_name = "VERSION")]
        version: Version,
        /// Point it at a yanked version anyway.
        #[arg(long)]
        force: bool,
    },
    /// Remove an alias.
    #[command(visible_alias = "remove")]
    Rm {
        /// The model.
        #[arg(value_name = "NS/NAME")]
        model: ModelName,
        /// The alias to remove.
        #[arg(value_name = "ALIAS")]
        alias: AliasName,
    },
    /// List a model's aliases.
    #[command(visible_alias = "ls")]
    List {
        /// The model.
        #[arg(value_name = "NS/NAME")]
        model: ModelName,
        /// Also list every move of every alias, oldest first.
        #[arg(long)]
        history: bool,
    },
}

pub async fn run(client: &Client, args: AliasArgs, out: &Output) -> Result<(), ClientError> {
    match args.command {
        AliasCommand::Set { model, alias, version, force } => {
            let set = client.set_alias(&model, &alias, &version, force).await.map_err(explain_yanked)?;
            if out.json {
                emit_json(&set);
            } else {
                emit(&format!("{model}@{} -> {}", set.alias, set.version));
            }
        }
        AliasCommand::Rm { model, alias } => {
            client.remove_alias(&model, &alias).await?;
            if out.json {
                emit_json(&json!({ "model": model, "alias": alias, "removed": true }));
            } else {
                emit(&format!("removed {model}@{alias}"));
            }
        }
        AliasCommand::List { model, history } => {
            let list = client.aliases(&model, history).await?;
            if out.json {
                emit_json(&list);
            } else if list.aliases.is_empty() && list.history.is_empty() {
                out.info(format!("{model} has no aliases"));
            } else {
                emit(&tables(&list));
            }
        }
    }
    Ok(())
}

/// Points a refusal to alias a yanked version at `--force`.
fn explain_yanked(err: ClientError) -> ClientError {
    match err {
        ClientError::Api { status, mut error, retry_after } if error.code == "version_yanked" => {
            error.message.push_str(" (pass --force to point the alias at it anyway)");
            ClientError::Api { status, error, retry_after }
        }
        other => other,
    }
}

/// The aliases, then (when asked for) their history.
pub fn tables(list: &AliasList) -> String {
    let mut rows = vec![["ALIAS", "VERSION", "UPDATED", "BY"].map(str::to_owned)];
    rows.extend(
        list.aliases.iter().map(|a| {
            [a.alias.to_string(), a.version.to_string(), a.updated_at.clone(), a.updated_by.clone()]
        }),
    );
    let mut text = crate::table::render(&rows);
    if !list.history.is_empty() {
        let version = |v: &Option<Version>| v.as_ref().map_or_else(|| "-".to_owned(), ToString::to_string);
        let mut rows = vec![["AT", "ALIAS", "FROM", "TO", "BY"].map(str::to_owned)];
        rows.extend(
            list.history.iter().map(|m| {
                [m.at.clone(), m.alias.to_string(), version(&m.from), version(&m.to), m.actor.clone()]
            }),
        );
        text.push_str("\n\nhistory:\n");
        text.push_str(&crate::table::render(&rows));
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn aliases_and_their_history_render_as_tables() {
        let list: AliasList = serde_json::from_value(json!({
            "model": "acme/bert",
            "aliases": [{"alias": "production", "version": "1.1.0", "updated_at": "2025-02-01T00:00:00Z", "updated_by": "ci"}],
            "history": [
                {"alias": "production", "from": null, "to": "1.0.0", "actor": "ci", "at": "2025-01-01T00:00:00Z"},
                {"alias": "production", "from": "1.0.0", "to": "1.1.0", "actor": "ci", "at": "2025-02-01T00:00:00Z"},
            ],
        }))
        .unwrap();
        let text = tables(&list);
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines[0], "ALIAS       VERSION  UPDATED               BY");
        assert_eq!(lines[1], "production  1.1.0    2025-02-01T00:00:00Z  ci");
        assert_eq!(lines[3], "history:");
        assert_eq!(lines[5], "2025-01-01T00:00:00Z  production  -      1.0.0  ci");
        assert_eq!(lines[6], "2025-02-01T00:00:00Z  production  1.0.0  1.1.0  ci");
    }
}
