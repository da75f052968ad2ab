//! `modelreg token create|list|revoke` (admin): managing the registry's tokens. `create`
//! prints the new secret alone on stdout (the only time anyone sees it); nothing else here
//! ever shows a secret.

use clap::builder::{PossibleValuesParser, TypedValueParser};
use clap::{Args, Subcommand};
use modelreg_api::{
    CreateTokenRequest, MAX_TOKEN_LIFETIME_DAYS, NamespacePattern, Scope, TokenInfo, TokenList,
};
use serde_json::json;

use crate::client::Client;
use crate::commands::{emit, emit_json};
use crate::error::ClientError;
use crate::output::Output;

#[derive(Debug, Args)]
pub struct TokenArgs {
    #[command(subcommand)]
    pub command: TokenCommand,
}

#[derive(Debug, Subcommand)]
pub enum TokenCommand {
    /// Create a token and print its secret (shown this once only).
    Create(CreateArgs),
    /// List the tokens: name, scope, namespaces, dates; never secrets.
    List,
    /// Revoke a token: it stops working at once.
    Revoke {
        /// Name of the token.
        #[arg(value_name = "NAME")]
        name: String,
    },
}

#[derive(Debug, Args)]
pub struct CreateArgs {
    /// Name of the new token (1-64 of a-z, A-Z, 0-9, '.', '_', '-'); it shows in the audit log.
    #[arg(value_name = "NAME")]
    pub name: String,
    /// What the token may do: read < write < admin.
    #[arg(long, value_name = "SCOPE", value_parser = scope_parser())]
    pub scope: Scope,
    /// Limit the token to this namespace or glob such as team-* (repeatable; default: all).
    #[arg(long = "namespace", value_name = "PATTERN")]
    pub namespaces: Vec<NamespacePattern>,
    /// Make the token expire after this many days, 1-36500 (default: never).
    #[arg(
        long,
        value_name = "DAYS",
        value_parser = clap::value_parser!(u32).range(1..=i64::from(MAX_TOKEN_LIFETIME_DAYS))
    )]
    pub expires_in_days: Option<u32>,
}

fn scope_parser() -> impl TypedValueParser<Value = Scope> {
    PossibleValuesParser::new(["read", "write", "admin"])
        .map(|s| s.parse::<Scope>().expect("every listed name is a scope"))
}

pub async fn run(client: &Client, args: TokenArgs, out: &Output) -> Result<(), ClientError> {
    match args.command {
        TokenCommand::Create(args) => create(client, args, out).await,
        TokenCommand::List => {
            let list = client.list_tokens().await?;
            if out.json {
                emit_json(&list);
            } else if list.tokens.is_empty() {
                out.info("no tokens");
            } else {
                emit(&table(&list));
            }
            Ok(())
        }
        TokenCommand::Revoke { name } => {
            client.revoke_token(&name).await?;
            if out.json {
                emit_json(&json!({ "name": name, "revoked": true }));
            } else {
                emit(&format!("revoked token '{name}'"));
            }
            Ok(())
        }
    }
}

async fn create(client: &Client, args: CreateArgs, out: &Output) -> Result<(), ClientError> {
    let request = CreateTokenRequest {
        name: args.name,
        scope: args.scope,
        namespaces: args.namespaces,
        expires_in_days: args.expires_in_days,
    };
    let created = client.create_token(&request).await?;
    if out.json {
        emit_json(&created);
        return Ok(());
    }
    let info = &created.info;
    out.info(format!(
        "created token '{}' (scope {}, namespaces {}, expires {}); its secret is shown this once only",
        info.name,
        info.scope,
        namespaces_text(&info.namespaces),
        info.expires_at.as_deref().unwrap_or("never")
    ));
    emit(&created.token);
    Ok(())
}

/// `acme, team-*`, or `all` for an unrestricted token.
pub fn namespaces_text(namespaces: &[NamespacePattern]) -> String {
    if namespaces.is_empty() {
        return "all".into();
    }
    namespaces.iter().map(NamespacePattern::as_str).collect::<Vec<_>>().join(", ")
}

/// One row per token.
pub fn table(list: &TokenList) -> String {
    let header = ["NAME", "SCOPE", "NAMESPACES", "CREATED", "EXPIRES", "LAST USED", "REVOKED"];
    let mut rows = vec![header.map(str::to_owned)];
    let or_dash = |v: &Option<String>| v.clone().unwrap_or_else(|| "-".into());
    rows.extend(list.tokens.iter().map(|t: &TokenInfo| {
        [
            t.name.clone(),
            t.scope.to_string(),
            namespaces_text(&t.namespaces).replace(", ", ","),
            t.created_at.clone(),
            t.expires_at.clone().unwrap_or_else(|| "never".into()),
            or_dash(&t.last_used_at),
            or_dash(&t.revoked_at),
        ]
    }));
    crate::table::render(&rows)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_render_as_a_table_without_secrets() {
        let list: TokenList = serde_json::from_value(json!({"tokens": [
            {"name": "ci-acme", "scope": "write", "namespaces": ["acme", "team-*"], "created_at": "2025-01-01T00:00:00Z"},
            {"name": "old", "scope": "read", "namespaces": [], "created_at": "2024-01-01T00:00:00Z",
             "expires_at": "2024-06-01T00:00:00Z", "revoked_at": "2024-02-01T00:00:00Z"},
        ]}))
        .unwrap();
        let text = table(&list);
        let lines: Vec<&str> = text.lines().collect();
        assert!(lines[0].starts_with("NAME     SCOPE  NAMESPACES   CREATED"), "{text}");
        assert!(lines[1].starts_with("ci-acme  write  acme,team-*  2025-01-01T00:00:00Z  never"), "{text}");
        assert!(lines[2].contains("all") && lines[2].ends_with("2024-02-01T00:00:00Z"), "{text}");
    }
}
