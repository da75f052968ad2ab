//! `modelreg audit` (admin): the registry's log of changes (publish, alias moves, yanks,
//! deletions, tokens), filtered by model, actor and time, as a table or the `AuditPage`;
//! `--all` follows the cursors.

use std::collections::HashSet;

use clap::Args;
use modelreg_api::{AuditEntry, AuditPage, ModelName};

use crate::client::{AuditQuery, Client};
use crate::commands::{emit, emit_json};
use crate::error::ClientError;
use crate::output::Output;
use crate::search::table_width;
use crate::table::{Column, render_fitted};

/// The registry's largest page.
const MAX_PAGE: u32 = 1000;

#[derive(Debug, Args)]
pub struct AuditArgs {
    /// Only changes to this model.
    #[arg(long, value_name = "NS/NAME")]
    pub model: Option<ModelName>,
    /// Only changes made with this token (its name).
    #[arg(long, value_name = "NAME")]
    pub actor: Option<String>,
    /// Only changes at or after this time (RFC 3339, e.g. 2025-01-31T00:00:00Z).
    #[arg(long, value_name = "TIME")]
    pub since: Option<String>,
    /// Entries per page, 1-1000 [default: 100, or 1000 with --all].
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..=i64::from(MAX_PAGE)))]
    pub limit: Option<u32>,
    /// Continue from the cursor a previous run printed.
    #[arg(long, value_name = "CURSOR")]
    pub cursor: Option<String>,
    /// Fetch every page, not only the first.
    #[arg(long)]
    pub all: bool,
}

pub async fn run(client: &Client, args: AuditArgs, out: &Output) -> Result<(), ClientError> {
    let query = AuditQuery {
        model: args.model,
        actor: args.actor,
        since: args.since,
        limit: args.limit.or(args.all.then_some(MAX_PAGE)),
        cursor: args.cursor,
    };
    let page = fetch(client, query, args.all).await?;
    if out.json {
        emit_json(&page);
        return Ok(());
    }
    if page.entries.is_empty() {
        out.info("no audit entries match");
    } else {
        emit(&table(&page.entries, table_width()));
    }
    if let Some(cursor) = &page.next_cursor {
        out.info(format!("more entries: add --cursor {cursor} (or --all for every page)"));
    }
    Ok(())
}

/// One page, or with `all` every page from there on in one (without a cursor). A cursor
/// handed out twice ends the walk instead of looping.
async fn fetch(client: &Client, mut query: AuditQuery, all: bool) -> Result<AuditPage, ClientError> {
    let mut page = client.audit(&query).await?;
    if !all {
        return Ok(page);
    }
    let mut entries = std::mem::take(&mut page.entries);
    let mut seen = HashSet::new();
    while let Some(cursor) = page.next_cursor.take() {
        if !seen.insert(cursor.clone()) {
            return Err(ClientError::BadResponse {
                url: client.base_url().to_string(),
                reason: format!("the registry returned the audit cursor '{cursor}' twice"),
            });
        }
        query.cursor = Some(cursor);
        page = client.audit(&query).await?;
        entries.append(&mut page.entries);
    }
    Ok(AuditPage { entries, next_cursor: None })
}

/// Time, actor, action, `model@version` and the details as compact JSON, fitted to `width`
/// by cutting the details first.
pub fn table(entries: &[AuditEntry], width: usize) -> String {
    let mut rows = vec![["AT", "ACTOR", "ACTION", "TARGET", "DETAILS"].map(str::to_owned)];
    for e in entries {
        let target = match (&e.model, &e.version) {
            (Some(m), Some(v)) => format!("{m}@{v}"),
            (Some(m), None) => m.clone(),
            (None, _) => "-".into(),
        };
        let details = match &e.details {
            serde_json::Value::Null => "-".to_owned(),
            serde_json::Value::Object(map) if map.is_empty() => "-".to_owned(),
            other => other.to_string(),
        };
        rows.push([e.at.clone(), e.actor.clone(), e.action.clone(), target, details]);
    }
    let columns =
        [Column::FIXED, Column::flexible(8), Column::FIXED, Column::flexible(16), Column::flexible(10)];
    render_fitted(&rows, &columns, width)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn entries_render_with_their_target_and_compact_details() {
        let page: AuditPage = serde_json::from_value(json!({"entries": [
            {"id": 1, "at": "2025-01-01T00:00:00Z", "actor": "ci", "action": "publish", "model": "acme/bert",
             "version": "1.0.0", "details": {"digest": "sha256:ab"}},
            {"id": 2, "at": "2025-01-02T00:00:00Z", "actor": "server-cli", "action": "token_create", "details": {}},
        ]}))
        .unwrap();
        let text = table(&page.entries, 200);
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines[0], "AT                    ACTOR       ACTION        TARGET           DETAILS");
        assert_eq!(
            lines[1],
            r#"2025-01-01T00:00:00Z  ci          publish       acme/bert@1.0.0  {"digest":"sha256:ab"}"#
        );
        assert!(lines[2].ends_with("token_create  -                -"), "{text}");
        for line in table(&page.entries, 80).lines() {
            assert!(line.chars().count() <= 80, "{line}");
        }
    }
}
