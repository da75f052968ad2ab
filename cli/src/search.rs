//! The lookup as the CLI uses it: fetching one page or every page of a `LookupQuery`, and
//! the result table fitted to the terminal width. Building the query from flags is the
//! command's job; this module does no argument parsing.

use std::collections::HashSet;

use modelreg_api::{LookupPage, LookupQuery, LookupRow};

use crate::client::Client;
use crate::error::ClientError;
use crate::output::human_size;
use crate::quantity::{human_count, human_tokens};
use crate::table::{Column, render_fitted};

/// Table width when stdout is not a terminal and `COLUMNS` is not set.
pub const DEFAULT_WIDTH: usize = 100;

/// Fetches the page `query` asks for, or, with `all`, every page from there on by
/// following `next_cursor`; the combined result then has no cursor. A cursor the registry
/// hands out twice ends the walk instead of looping.
pub async fn fetch(client: &Client, query: &LookupQuery, all: bool) -> Result<LookupPage, ClientError> {
    let mut page = client.lookup(query).await?;
    if !all {
        return Ok(page);
    }
    let mut results = std::mem::take(&mut page.results);
    let mut seen = HashSet::new();
    let mut query = query.clone();
    while let Some(cursor) = page.next_cursor.take() {
        if !seen.insert(cursor.clone()) {
            return Err(ClientError::BadResponse {
                url: client.base_url().to_string(),
                reason: format!("the registry returned the cursor '{cursor}' twice"),
            });
        }
        query.cursor = Some(cursor);
        page = client.lookup(&query).await?;
        results.append(&mut page.results);
    }
    Ok(LookupPage { results, next_cursor: None })
}

/// The width to fit tables to: `COLUMNS` when set to a number (at least 20), else
/// `DEFAULT_WIDTH`. Asking the terminal itself would need a platform call, so a terminal
/// whose shell does not export `COLUMNS` gets the default too.
pub fn table_width() -> usize {
    width_from(std::env::var("COLUMNS").ok().as_deref())
}

fn width_from(columns: Option<&str>) -> usize {
    columns.and_then(|c| c.trim().parse().ok()).filter(|&w: &usize| w >= 20).unwrap_or(DEFAULT_WIDTH)
}

/// One line per result: `name@version`, licence, task, languages, context, parameters and
/// size, fitted to `width` by cutting the name, licence, task and language cells.
pub fn results_table(rows: &[LookupRow], width: usize) -> String {
    let mut cells = vec![[
        "MODEL".to_owned(),
        "LICENSE".into(),
        "TASK".into(),
        "LANGUAGES".into(),
        "CONTEXT".into(),
        "PARAMS".into(),
        "SIZE".into(),
    ]];
    let dash = || "-".to_owned();
    for row in rows {
        let languages: Vec<&str> = row.languages.iter().map(|l| l.as_str()).collect();
        cells.push([
            format!("{}@{}", row.model, row.version),
            row.license.clone(),
            row.task.map_or_else(dash, |t| t.to_string()),
            if languages.is_empty() { dash() } else { languages.join(",") },
            row.context_length.map_or_else(dash, human_tokens),
            row.parameters.map_or_else(dash, human_count),
            human_size(row.size_bytes),
        ]);
    }
    let columns = [
        Column::flexible(12),
        Column::flexible(7),
        Column::flexible(7),
        Column::flexible(5),
        Column::NUMBER,
        Column::NUMBER,
        Column::NUMBER,
    ];
    if rows.iter().all(|r| r.eval_value.is_none()) {
        return render_fitted(&cells, &columns, width);
    }
    // An evaluation was asked for: its value after the model.
    let evals = std::iter::once("EVAL".to_owned())
        .chain(rows.iter().map(|r| r.eval_value.map_or_else(dash, |v| v.to_string())));
    let cells: Vec<[String; 8]> = cells
        .into_iter()
        .zip(evals)
        .map(|([model, license, task, languages, context, params, size], eval)| {
            [model, eval, license, task, languages, context, params, size]
        })
        .collect();
    let [model, license, task, languages, context, params, size] = columns;
    render_fitted(&cells, &[model, Column::NUMBER, license, task, languages, context, params, size], width)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn row(name: &str, extra: serde_json::Value) -> LookupRow {
        let mut value = json!({
            "model": name,
            "version": "1.0.0",
            "digest": format!("sha256:{}", "ab".repeat(32)),
            "license": "Apache-2.0",
            "license_class": "permissive",
            "commercial_use": "allowed",
            "modalities": {"input": ["text"], "output": ["text"]},
            "languages": [],
            "size_bytes": 5_368_709_120u64,
            "published_at": "2025-01-02T03:04:05Z",
            "url": format!("/v1/models/{name}/versions/1.0.0"),
        });
        for (k, v) in extra.as_object().unwrap() {
            value[k] = v.clone();
        }
        serde_json::from_value(value).unwrap()
    }

    #[test]
    fn results_show_human_numbers_and_dashes_for_unknowns() {
        let rows = [
            row(
                "acme/gemma-2b",
                json!({"task": "text-generation", "languages": ["en", "fr"], "context_length": 8192, "parameters": 2_614_341_888u64}),
            ),
            row("acme/tiny", json!({})),
        ];
        let text = results_table(&rows, 200);
        let lines: Vec<&str> = text.lines().collect();
        assert!(lines[0].starts_with("MODEL") && lines[0].ends_with("PARAMS     SIZE"), "{text}");
        assert!(lines[1].starts_with("acme/gemma-2b@1.0.0  Apache-2.0  text-generation  en,fr"), "{text}");
        assert!(lines[1].ends_with("8K    2.6B  5.0 GiB"), "{text}");
        assert!(lines[2].contains("  -  ") && lines[2].ends_with("-  5.0 GiB"), "{text}");
    }

    #[test]
    fn results_fit_the_width_by_cutting_text_columns() {
        let long = row(
            "a-rather-long-namespace/an-even-longer-model-name-for-testing",
            json!({"license": "LicenseRef-llama3.1 OR Apache-2.0", "task": "zero-shot-image-classification",
                   "languages": ["en", "fr", "de", "es", "it", "pt", "nl"], "parameters": 8_030_261_248u64}),
        );
        let text = results_table(&[long], 80);
        for line in text.lines() {
            assert!(line.chars().count() <= 80, "{line:?}");
        }
        assert!(text.contains('…') && text.contains("8B") && text.contains("5.0 GiB"), "{text}");
    }

    #[test]
    fn the_width_comes_from_columns_or_defaults_to_100() {
        assert_eq!(width_from(Some("132")), 132);
        assert_eq!(width_from(Some(" 80 ")), 80);
        assert_eq!(width_from(Some("wide")), DEFAULT_WIDTH);
        assert_eq!(width_from(Some("3")), DEFAULT_WIDTH);
        assert_eq!(width_from(None), DEFAULT_WIDTH);
    }
}
