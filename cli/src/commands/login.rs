//! `modelreg login`, `logout` and `whoami`: saving a token for a registry (after the
//! registry has accepted it), forgetting it, and showing the token in use. The token itself
//! is never printed.

use std::path::PathBuf;

use clap::Args;
use modelreg_api::TokenInfo;
use serde::Serialize;

use crate::client::Client;
use crate::commands::token::namespaces_text;
use crate::commands::{GlobalArgs, emit, emit_json};
use crate::credentials::{Credentials, StoredLogin, TokenOrigin, default_path, registry_key};
use crate::error::ClientError;
use crate::output::Output;
use crate::terminal::{prompt_secret, read_token, stdin_is_terminal};

#[derive(Debug, Args)]
pub struct LoginArgs {
    /// Read the token from stdin instead of asking for it (for scripts:
    /// `printf %s "$TOKEN" | modelreg login --token-stdin`).
    #[arg(long)]
    pub token_stdin: bool,
}

/// `login --json`.
#[derive(Debug, Serialize)]
pub struct LoginReport {
    pub registry: String,
    pub credentials: PathBuf,
    pub token: TokenInfo,
}

/// `logout --json`.
#[derive(Debug, Serialize)]
pub struct LogoutReport {
    pub registry: String,
    /// False when there was no login to remove.
    pub removed: bool,
}

pub async fn login(global: &GlobalArgs, args: LoginArgs, out: &Output) -> Result<(), ClientError> {
    let registry = registry_key(&global.registry);
    let token = if args.token_stdin {
        read_token(std::io::stdin().lock())?
    } else if stdin_is_terminal() {
        prompt_secret(&format!("token for {registry}: "))?
    } else {
        return Err(ClientError::Usage(
            "stdin is not a terminal, so there is nobody to ask for the token: pipe it in with --token-stdin"
                .into(),
        ));
    };
    let client = Client::new(global.registry.clone(), Some(&token))?
        .with_retry_for(std::time::Duration::from_secs(global.retry_for));
    let info = client.whoami().await.map_err(|err| match err {
        ClientError::Api { status, mut error, retry_after } => {
            error.message = format!("cannot log in to {registry}: {}; nothing was saved", error.message);
            ClientError::Api { status, error, retry_after }
        }
        other => other,
    })?;
    let path = default_path()?;
    let mut credentials = Credentials::load(&path)?;
    credentials.set(&global.registry, StoredLogin { token, name: Some(info.name.clone()) });
    credentials.save(&path)?;

    out.info(format!("saved in {}", path.display()));
    if global.token.as_deref().is_some_and(|t| !t.trim().is_empty()) {
        out.warn("--token or MODELREG_TOKEN is set, and wins over the saved login while it is");
    }
    if out.json {
        emit_json(&LoginReport { registry, credentials: path, token: info });
    } else {
        emit(&format!("logged in to {registry} as '{}' ({})", info.name, scope_text(&info)));
    }
    Ok(())
}

pub fn logout(global: &GlobalArgs, out: &Output) -> Result<(), ClientError> {
    let registry = registry_key(&global.registry);
    let path = default_path()?;
    let mut credentials = Credentials::load(&path)?;
    let removed = credentials.remove(&global.registry);
    if removed {
        credentials.save(&path)?;
    }
    if out.json {
        emit_json(&LogoutReport { registry, removed });
    } else if removed {
        emit(&format!("logged out of {registry}"));
    } else {
        emit(&format!("not logged in to {registry}"));
    }
    Ok(())
}

pub async fn whoami(client: &Client, origin: TokenOrigin, out: &Output) -> Result<(), ClientError> {
    let info = client.whoami().await?;
    if out.json {
        emit_json(&info);
        return Ok(());
    }
    let source = match origin {
        TokenOrigin::Given => "--token or MODELREG_TOKEN",
        TokenOrigin::Stored => "saved by modelreg login",
        TokenOrigin::None => "none",
    };
    emit(&whoami_text(&info, &registry_key(client.base_url()), source));
    Ok(())
}

/// `scope write, namespaces acme, team-*`.
fn scope_text(info: &TokenInfo) -> String {
    format!("scope {}, namespaces {}", info.scope, namespaces_text(&info.namespaces))
}

/// The token's name, scope, namespaces and dates, one `label: value` line each.
pub fn whoami_text(info: &TokenInfo, registry: &str, source: &str) -> String {
    let lines = [
        ("name", info.name.clone()),
        ("scope", info.scope.to_string()),
        ("namespaces", namespaces_text(&info.namespaces)),
        ("expires", info.expires_at.clone().unwrap_or_else(|| "never".into())),
        ("created", info.created_at.clone()),
        ("created by", info.created_by.clone().unwrap_or_else(|| "-".into())),
        ("last used", info.last_used_at.clone().unwrap_or_else(|| "-".into())),
        ("registry", registry.to_owned()),
        ("token from", source.to_owned()),
    ];
    let lines: Vec<String> =
        lines.iter().map(|(label, value)| format!("{:<12}{value}", format!("{label}:"))).collect();
    lines.join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn whoami_shows_scope_namespaces_and_expiry() {
        let info = TokenInfo {
            name: "ci-acme".into(),
            scope: modelreg_api::Scope::Write,
            namespaces: vec!["acme".parse().unwrap(), "team-*".parse().unwrap()],
            created_by: Some("admin".into()),
            created_at: "2025-01-01T00:00:00Z".into(),
            expires_at: None,
            last_used_at: None,
            revoked_at: None,
        };
        let text = whoami_text(&info, "http://127.0.0.1:8080", "saved by modelreg login");
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines[0], "name:       ci-acme");
        assert_eq!(lines[1], "scope:      write");
        assert_eq!(lines[2], "namespaces: acme, team-*");
        assert_eq!(lines[3], "expires:    never");
        assert!(text.contains("token from: saved by modelreg login"), "{text}");
        assert_eq!(scope_text(&info), "scope write, namespaces acme, team-*");
    }
}
