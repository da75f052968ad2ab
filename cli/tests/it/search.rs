//! `modelreg search` against the fake registry: the query it sends, paging with `--all`,
//! the table, JSON output, and empty or refused searches.

use serde_json::{Value, json};

use crate::fake_registry::{FakeRegistry, Recorded, Reply};
use crate::support::{code, modelreg, stderr, stdout};

fn row(name: &str, parameters: u64) -> Value {
    json!({
        "model": name,
        "version": "1.0.0",
        "digest": format!("sha256:{}", "ab".repeat(32)),
        "license": "Apache-2.0",
        "license_class": "permissive",
        "commercial_use": "allowed",
        "task": "text-generation",
        "modalities": {"input": ["text"], "output": ["text"]},
        "languages": ["en", "fr"],
        "context_length": 8192,
        "parameters": parameters,
        "size_bytes": 5_368_709_120u64,
        "published_at": "2025-01-02T03:04:05Z",
        "url": format!("/v1/models/{name}/versions/1.0.0"),
    })
}

/// Three pages of one row each, chained by cursors `p2` and `p3`.
fn paged_registry() -> FakeRegistry {
    FakeRegistry::start(|req: &Recorded| {
        assert_eq!(req.path, "/v1/models");
        match req.query_param("cursor").as_deref() {
            None => {
                Reply::json(200, &json!({"results": [row("acme/a", 2_614_341_888)], "next_cursor": "p2"}))
            }
            Some("p2") => {
                Reply::json(200, &json!({"results": [row("acme/b", 110_000_000)], "next_cursor": "p3"}))
            }
            Some(_) => Reply::json(200, &json!({"results": [row("acme/c", 7_000_000_000u64)]})),
        }
    })
}

#[test]
fn filters_are_sent_as_query_parameters_and_results_print_as_a_table() {
    let fake = paged_registry();
    let out = modelreg(
        &fake.url,
        &[
            "search",
            "chat bot",
            "--license-class",
            "permissive",
            "--commercial-use",
            "--language",
            "fr",
            "--language",
            "de",
            "--max-params",
            "3B",
            "--max-size",
            "4GiB",
            "--label",
            "team:nlp & co",
            "--sort",
            "parameters",
            "--order",
            "desc",
        ],
    );
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let reqs = fake.requests();
    assert_eq!(reqs.len(), 1, "without --all only the first page is fetched");
    assert_eq!(
        reqs[0].query_pairs(),
        [
            ("q", "chat bot"),
            ("license_class", "permissive"),
            ("commercial_use", "true"),
            ("language", "fr"),
            ("language", "de"),
            ("max_params", "3000000000"),
            ("max_size_bytes", "4294967296"),
            ("label", "team:nlp & co"),
            ("sort", "parameters"),
            ("order", "desc"),
        ]
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
    );
    let table = stdout(&out);
    let lines: Vec<&str> = table.lines().collect();
    assert_eq!(lines.len(), 2, "{table}");
    assert!(
        lines[0].starts_with("MODEL") && lines[0].contains("LICENSE") && lines[0].ends_with("SIZE"),
        "{table}"
    );
    assert!(lines[1].starts_with("acme/a@1.0.0  Apache-2.0  text-generation  en,fr"), "{table}");
    assert!(lines[1].ends_with("8K    2.6B  5.0 GiB"), "{table}");
    assert!(stderr(&out).contains("--cursor p2"), "{}", stderr(&out));
}

#[test]
fn all_follows_every_cursor_and_prints_one_json_document() {
    let fake = paged_registry();
    let out = modelreg(&fake.url, &["search", "--all", "--json"]);
    assert_eq!(code(&out), 0, "{}", stdout(&out));
    let doc: Value = serde_json::from_str(&stdout(&out)).unwrap();
    let names: Vec<&str> =
        doc["results"].as_array().unwrap().iter().map(|r| r["model"].as_str().unwrap()).collect();
    assert_eq!(names, ["acme/a", "acme/b", "acme/c"]);
    assert!(doc.get("next_cursor").is_none(), "{doc}");
    let cursors: Vec<Option<String>> = fake.requests().iter().map(|r| r.query_param("cursor")).collect();
    assert_eq!(cursors, [None, Some("p2".into()), Some("p3".into())]);
    assert!(fake.requests().iter().all(|r| r.query_param("limit").as_deref() == Some("200")));
    assert_eq!(stderr(&out), "");
}

#[test]
fn one_page_prints_the_lookup_page_as_json() {
    let fake = paged_registry();
    let out = modelreg(&fake.url, &["search", "--json", "--limit", "1"]);
    let doc: Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(doc["next_cursor"], "p2");
    assert_eq!(doc["results"][0]["parameters"], 2_614_341_888u64);
}

#[test]
fn the_table_fits_the_width_in_columns() {
    let fake = FakeRegistry::start(|_| {
        let mut long = row("a-long-namespace-name/an-even-longer-model-name-for-the-table", 8_030_261_248);
        long["license"] = json!("LicenseRef-llama3.1 OR Apache-2.0");
        Reply::json(200, &json!({"results": [long]}))
    });
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_modelreg"))
        .args(["search"])
        .env("MODELREG_URL", &fake.url)
        .env("COLUMNS", "70")
        .output()
        .unwrap();
    let table = stdout(&out);
    assert!(table.lines().all(|l| l.chars().count() <= 70), "{table}");
    assert!(table.contains('…') && table.contains("8B"), "{table}");
}

#[test]
fn an_empty_search_succeeds_and_says_so_on_stderr() {
    let fake = FakeRegistry::start(|_| Reply::json(200, &json!({"results": []})));
    let out = modelreg(&fake.url, &["search", "--task", "text-to-video"]);
    assert_eq!(code(&out), 0);
    assert_eq!(stdout(&out), "");
    assert_eq!(stderr(&out), "no models match\n");
    let out = modelreg(&fake.url, &["search", "--json"]);
    assert_eq!(code(&out), 0);
    assert_eq!(serde_json::from_str::<Value>(&stdout(&out)).unwrap(), json!({"results": []}));
}

#[test]
fn a_refused_query_names_the_flag_and_exits_1() {
    let fake = FakeRegistry::start(|_| {
        Reply::json(
            400,
            &json!({"error": {
                "code": "invalid_query",
                "message": "query parameter 'min_context': is greater than max_context",
                "details": {"parameter": "min_context"},
            }}),
        )
    });
    let out = modelreg(&fake.url, &["search", "--min-context", "9000", "--max-context", "10"]);
    assert_eq!(code(&out), 1);
    assert!(
        stderr(&out).contains("'min_context'") && stderr(&out).contains("--min-context"),
        "{}",
        stderr(&out)
    );
}
