//! Aliases, yanks and what a yank means for pull, show and search, against the fake
//! registry: requests sent, results printed, and the exit codes of refusals.

use serde_json::{Value, json};
use tempfile::TempDir;

use crate::fake_registry::{FakeRegistry, Recorded, Reply};
use crate::support::{code, digest_of, modelreg, stderr, stdout, version_digest};

fn alias_info(alias: &str, version: &str) -> Value {
    json!({"alias": alias, "version": version, "updated_at": "2025-02-01T00:00:00Z", "updated_by": "ci"})
}

/// A registry where acme/bert@1.0.0 is yanked (aliasing it needs force) and 2.0.0 is not.
fn alias_registry() -> FakeRegistry {
    FakeRegistry::start(|req: &Recorded| match (req.method.as_str(), req.path.as_str()) {
        ("PUT", "/v1/models/acme/bert/aliases/production") => {
            let body = req.json();
            match (body["version"].as_str(), body["force"].as_bool()) {
                (Some("1.0.0"), Some(false)) => {
                    Reply::error(409, "version_yanked", "acme/bert@1.0.0 is yanked: bad weights")
                }
                (Some("9.9.9"), _) => Reply::error(404, "version_not_found", "no 9.9.9"),
                (Some(v), _) => Reply::json(200, &alias_info("production", v)),
                _ => Reply::error(400, "invalid_json", "bad body"),
            }
        }
        ("DELETE", "/v1/models/acme/bert/aliases/production") => Reply::bytes(204, Vec::new()),
        ("DELETE", _) => Reply::error(404, "alias_not_found", "model 'acme/bert' has no alias 'staging'"),
        ("GET", "/v1/models/acme/bert/aliases") => Reply::json(
            200,
            &json!({"model": "acme/bert", "aliases": [alias_info("production", "2.0.0")],
                    "history": if req.query == "history=true" {
                        json!([{"alias": "production", "from": null, "to": "2.0.0", "actor": "ci", "at": "2025-02-01T00:00:00Z"}])
                    } else { json!([]) }}),
        ),
        _ => Reply::error(404, "model_not_found", "no such model"),
    })
}

#[test]
fn alias_set_sends_the_version_and_prints_where_the_alias_points() {
    let fake = alias_registry();
    let out = modelreg(&fake.url, &["alias", "set", "acme/bert", "production", "2.0.0"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert_eq!(stdout(&out), "acme/bert@production -> 2.0.0\n");
    let sent = &fake.requests()[0];
    assert_eq!((sent.method.as_str(), sent.json()), ("PUT", json!({"version": "2.0.0", "force": false})));

    let out = modelreg(&fake.url, &["alias", "set", "acme/bert", "production", "2.0.0", "--json"]);
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!((doc["alias"].as_str(), doc["version"].as_str()), (Some("production"), Some("2.0.0")));
}

#[test]
fn aliasing_a_yanked_version_is_refused_with_exit_4_unless_forced() {
    let fake = alias_registry();
    let out = modelreg(&fake.url, &["alias", "set", "acme/bert", "production", "1.0.0"]);
    assert_eq!(code(&out), 4);
    assert!(stderr(&out).contains("yanked") && stderr(&out).contains("--force"), "{}", stderr(&out));
    let out = modelreg(&fake.url, &["alias", "set", "acme/bert", "production", "1.0.0", "--force"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert_eq!(fake.requests()[1].json()["force"], true);

    let out = modelreg(&fake.url, &["alias", "set", "acme/bert", "production", "9.9.9", "--json"]);
    assert_eq!(code(&out), 3);
    assert_eq!(serde_json::from_slice::<Value>(&out.stdout).unwrap()["error"]["code"], "version_not_found");
}

#[test]
fn alias_names_that_read_as_versions_are_usage_errors() {
    for alias in ["latest", "1.0.0", "Prod", "^1"] {
        let out = modelreg("http://127.0.0.1:1", &["alias", "set", "acme/bert", alias, "1.0.0"]);
        assert_eq!(code(&out), 2, "{alias}: {}", stderr(&out));
    }
    let out = modelreg("http://127.0.0.1:1", &["alias", "set", "acme/bert", "production", "^1"]);
    assert_eq!(code(&out), 2, "an alias points at an exact version");
}

#[test]
fn aliases_are_removed_and_listed_with_their_history() {
    let fake = alias_registry();
    let out = modelreg(&fake.url, &["alias", "rm", "acme/bert", "production"]);
    assert_eq!((code(&out), stdout(&out)), (0, "removed acme/bert@production\n".to_owned()));
    let out = modelreg(&fake.url, &["alias", "rm", "acme/bert", "staging", "--json"]);
    assert_eq!(code(&out), 3);
    assert_eq!(serde_json::from_slice::<Value>(&out.stdout).unwrap()["error"]["code"], "alias_not_found");

    let out = modelreg(&fake.url, &["alias", "list", "acme/bert"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert!(stdout(&out).starts_with("ALIAS       VERSION  UPDATED"), "{}", stdout(&out));
    assert!(!stdout(&out).contains("history:"));
    let out = modelreg(&fake.url, &["alias", "list", "acme/bert", "--history"]);
    assert!(stdout(&out).contains("history:\nAT"), "{}", stdout(&out));
    assert_eq!(fake.requests().last().unwrap().query, "history=true");
    let out = modelreg(&fake.url, &["alias", "list", "acme/bert", "--json"]);
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(doc["aliases"][0]["version"], "2.0.0");
}

#[test]
fn yank_sends_the_reason_and_undo_un_yanks() {
    let fake = FakeRegistry::start(|req: &Recorded| match (req.method.as_str(), req.path.as_str()) {
        ("POST", "/v1/models/acme/bert/versions/1.0.0/yank") => Reply::json(
            200,
            &json!({"model": "acme/bert", "version": "1.0.0", "yanked": true, "reason": req.json()["reason"]}),
        ),
        ("DELETE", "/v1/models/acme/bert/versions/1.0.0/yank") => {
            Reply::json(200, &json!({"model": "acme/bert", "version": "1.0.0", "yanked": false}))
        }
        _ => Reply::error(404, "version_not_found", "model 'acme/bert' has no version '3.0.0'"),
    });
    let out = modelreg(&fake.url, &["yank", "acme/bert@1.0.0", "--reason", "wrong tokenizer"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert_eq!(stdout(&out), "yanked acme/bert@1.0.0: wrong tokenizer\n");
    assert_eq!(fake.requests()[0].json(), json!({"reason": "wrong tokenizer"}));

    let out = modelreg(&fake.url, &["yank", "acme/bert@1.0.0", "--undo", "--json"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert_eq!(serde_json::from_slice::<Value>(&out.stdout).unwrap()["yanked"], false);
    assert_eq!(fake.requests()[1].method, "DELETE");

    let out = modelreg(&fake.url, &["yank", "acme/bert@3.0.0", "--reason", "x"]);
    assert_eq!(code(&out), 3);
}

#[test]
fn yank_needs_an_exact_version_and_a_reason_or_undo() {
    for args in [
        &["yank", "acme/bert", "--reason", "x"][..],
        &["yank", "acme/bert@^1", "--reason", "x"],
        &["yank", "acme/bert@production", "--reason", "x"],
        &["yank", "acme/bert@1.0.0"],
        &["yank", "acme/bert@1.0.0", "--reason", " "],
        &["yank", "acme/bert@1.0.0", "--reason", "x", "--undo"],
    ] {
        let out = modelreg("http://127.0.0.1:1", args);
        assert_eq!(code(&out), 2, "{args:?}: {}", stderr(&out));
    }
}

/// A registry serving one yanked version, acme/bert@1.0.0, with one small file.
fn yanked_registry() -> FakeRegistry {
    let data = b"weights".to_vec();
    let manifest = json!({
        "model": "acme/bert", "version": "1.0.0", "digest": version_digest(), "size_bytes": data.len(),
        "published_at": "2025-01-02T03:04:05Z",
        "files": [{"path": "model.bin", "digest": digest_of(&data), "size": data.len()}],
        "metadata": {"license": "MIT"},
        "yanked": {"reason": "wrong tokenizer", "at": "2025-03-01T00:00:00Z", "by": "ci"},
    });
    FakeRegistry::start(move |req: &Recorded| match req.path.as_str() {
        "/v1/models/acme/bert/versions/1.0.0" => Reply::json(200, &manifest),
        p if p.starts_with("/v1/blobs/") => Reply::bytes(200, data.clone()),
        _ => Reply::error(404, "model_not_found", "no such model"),
    })
}

#[test]
fn pulling_or_showing_a_yanked_version_warns_with_the_reason() {
    let fake = yanked_registry();
    let dir = TempDir::new().unwrap();
    let out_dir = dir.path().join("out");
    let out = modelreg(&fake.url, &["pull", "acme/bert@1.0.0", "-q", "-o", out_dir.to_str().unwrap()]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert_eq!(
        stderr(&out),
        "warning: acme/bert@1.0.0 is yanked: wrong tokenizer (by ci at 2025-03-01T00:00:00Z)\n",
        "shown even with -q"
    );
    let out = modelreg(&fake.url, &["pull", "acme/bert@1.0.0", "--json", "-o", out_dir.to_str().unwrap()]);
    assert_eq!(stderr(&out), "");
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(doc["yanked"]["reason"], "wrong tokenizer");

    let out = modelreg(&fake.url, &["show", "acme/bert@1.0.0"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert!(stderr(&out).contains("warning: acme/bert@1.0.0 is yanked: wrong tokenizer"), "{}", stderr(&out));
    assert!(stdout(&out).contains("yanked:        wrong tokenizer (by ci"), "{}", stdout(&out));
}

#[test]
fn search_asks_for_yanked_versions_only_with_include_yanked() {
    let fake = FakeRegistry::start(|_| Reply::json(200, &json!({"results": []})));
    assert_eq!(code(&modelreg(&fake.url, &["search", "bert"])), 0);
    assert_eq!(code(&modelreg(&fake.url, &["search", "bert", "--include-yanked"])), 0);
    let requests = fake.requests();
    assert_eq!(requests[0].query_param("include_yanked"), None);
    assert_eq!(requests[1].query_param("include_yanked").as_deref(), Some("true"));
}

#[test]
fn pull_by_alias_sends_the_alias_as_the_selector() {
    let fake = FakeRegistry::start(|_| {
        Reply::error(404, "alias_not_found", "model 'acme/bert' has no alias 'production'")
    });
    let out = modelreg(&fake.url, &["pull", "acme/bert@production"]);
    assert_eq!(code(&out), 3, "{}", stderr(&out));
    assert_eq!(fake.requests()[0].path, "/v1/models/acme/bert/versions/production");
}
