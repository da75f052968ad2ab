//! Admin commands against the fake registry: tokens, deletion (with its confirmation rule),
//! the audit log, a push to a deleted version number; and shell completions.

use serde_json::{Value, json};

use crate::fake_registry::{FakeRegistry, Recorded, Reply};
use crate::support::{code, modelreg, stderr, stdout};

fn token_info(name: &str) -> Value {
    json!({"name": name, "scope": "write", "namespaces": ["acme"], "created_by": "admin",
           "created_at": "2025-01-01T00:00:00Z"})
}

fn token_registry() -> FakeRegistry {
    FakeRegistry::start(|req: &Recorded| match (req.method.as_str(), req.path.as_str()) {
        ("POST", "/v1/tokens") if req.json()["name"] == "taken" => {
            Reply::error(400, "token_name_taken", "a token named 'taken' already exists")
        }
        ("POST", "/v1/tokens") => Reply::json(
            201,
            &json!({"token": "mr_new-secret", "info": token_info(req.json()["name"].as_str().unwrap())}),
        ),
        ("GET", "/v1/tokens") => Reply::json(200, &json!({"tokens": [token_info("ci-acme")]})),
        ("DELETE", "/v1/tokens/ci-acme") => Reply::bytes(204, Vec::new()),
        ("DELETE", _) => Reply::error(404, "token_not_found", "no live token named 'nope'"),
        _ => Reply::error(403, "forbidden", "this needs an admin token"),
    })
}

#[test]
fn token_create_prints_the_secret_alone_on_stdout() {
    let fake = token_registry();
    let args = [
        "token",
        "create",
        "ci-acme",
        "--scope",
        "write",
        "--namespace",
        "acme",
        "--namespace",
        "team-*",
        "--expires-in-days",
        "90",
    ];
    let out = modelreg(&fake.url, &args);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert_eq!(stdout(&out), "mr_new-secret\n");
    assert!(stderr(&out).contains("shown this once"), "{}", stderr(&out));
    assert_eq!(
        fake.requests()[0].json(),
        json!({"name": "ci-acme", "scope": "write", "namespaces": ["acme", "team-*"], "expires_in_days": 90})
    );

    let mut json_args = args.to_vec();
    json_args.push("--json");
    let out = modelreg(&fake.url, &json_args);
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        (doc["token"].as_str(), doc["info"]["name"].as_str()),
        (Some("mr_new-secret"), Some("ci-acme"))
    );

    let out = modelreg(&fake.url, &["token", "create", "taken", "--scope", "read"]);
    assert_eq!(code(&out), 1, "{}", stderr(&out));
    assert!(stderr(&out).contains("already exists"), "{}", stderr(&out));
}

#[test]
fn token_flags_are_checked_before_anything_is_sent() {
    for args in [
        &["token", "create", "x", "--scope", "owner"][..],
        &["token", "create", "x"],
        &["token", "create", "x", "--scope", "read", "--namespace", "Acme"],
        &["token", "create", "x", "--scope", "read", "--expires-in-days", "0"],
        &["token", "create", "x", "--scope", "read", "--expires-in-days", "36501"],
        &["token", "create", "x", "--scope", "read", "--expires-in-days", "100000000"],
    ] {
        let out = modelreg("http://127.0.0.1:1", args);
        assert_eq!(code(&out), 2, "{args:?}: {}", stderr(&out));
        assert!(!stderr(&out).contains("panicked"), "{args:?}: {}", stderr(&out));
    }
    let out = modelreg(
        "http://127.0.0.1:1",
        &["token", "create", "x", "--scope", "read", "--expires-in-days", "100000000"],
    );
    assert!(stderr(&out).contains("--expires-in-days"), "{}", stderr(&out));
}

#[test]
fn tokens_are_listed_and_revoked() {
    let fake = token_registry();
    let out = modelreg(&fake.url, &["token", "list"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert!(stdout(&out).starts_with("NAME     SCOPE  NAMESPACES"), "{}", stdout(&out));
    assert!(stdout(&out).contains("ci-acme  write  acme"), "{}", stdout(&out));
    let out = modelreg(&fake.url, &["token", "list", "--json"]);
    assert_eq!(serde_json::from_slice::<Value>(&out.stdout).unwrap()["tokens"][0]["name"], "ci-acme");

    let out = modelreg(&fake.url, &["token", "revoke", "ci-acme"]);
    assert_eq!((code(&out), stdout(&out)), (0, "revoked token 'ci-acme'\n".to_owned()));
    let out = modelreg(&fake.url, &["token", "revoke", "nope", "--json"]);
    assert_eq!(code(&out), 3);
    assert_eq!(serde_json::from_slice::<Value>(&out.stdout).unwrap()["error"]["code"], "token_not_found");
}

#[test]
fn a_non_admin_token_gets_exit_5() {
    let fake = token_registry();
    let out = modelreg(&fake.url, &["audit", "--token", "writer"]);
    assert_eq!(code(&out), 5, "{}", stderr(&out));
}

fn delete_registry() -> FakeRegistry {
    FakeRegistry::start(|req: &Recorded| match (req.method.as_str(), req.path.as_str()) {
        ("DELETE", "/v1/models/acme/bert/versions/1.0.0") => Reply::bytes(204, Vec::new()),
        ("DELETE", "/v1/models/acme/bert") => {
            Reply::json(200, &json!({"model": "acme/bert", "deleted_versions": 3}))
        }
        _ => Reply::error(404, "model_not_found", "model 'acme/gone' does not exist"),
    })
}

#[test]
fn delete_refuses_without_yes_when_nobody_can_be_asked() {
    let fake = delete_registry();
    let out = modelreg(&fake.url, &["delete", "acme/bert@1.0.0"]);
    assert_eq!(code(&out), 2, "{}", stderr(&out));
    assert!(stderr(&out).contains("--yes"), "{}", stderr(&out));
    let out = modelreg(&fake.url, &["delete", "acme/bert", "--json"]);
    assert_eq!(code(&out), 2);
    assert_eq!(serde_json::from_slice::<Value>(&out.stdout).unwrap()["error"]["code"], "usage");
    assert!(fake.requests().is_empty(), "nothing was sent");
    let out = modelreg(&fake.url, &["delete", "acme/bert@^1", "--yes"]);
    assert_eq!(code(&out), 2, "only exact versions are deleted");
}

#[test]
fn delete_with_yes_removes_a_version_or_a_model() {
    let fake = delete_registry();
    let out = modelreg(&fake.url, &["delete", "acme/bert@1.0.0", "--yes"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert_eq!(stdout(&out), "deleted acme/bert@1.0.0; 1.0.0 can never be published again\n");
    let out = modelreg(&fake.url, &["delete", "acme/bert", "--yes", "--json"]);
    assert_eq!(serde_json::from_slice::<Value>(&out.stdout).unwrap()["deleted_versions"], 3);
    let out = modelreg(&fake.url, &["delete", "acme/bert", "-y"]);
    assert_eq!(stdout(&out), "deleted acme/bert (3 versions)\n");
    let out = modelreg(&fake.url, &["delete", "acme/gone", "--yes"]);
    assert_eq!(code(&out), 3);
}

#[test]
fn a_push_to_a_deleted_version_number_exits_4_and_says_why() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("model.bin"), b"weights").unwrap();
    let fake = FakeRegistry::start(|req: &Recorded| match req.path.as_str() {
        "/v1/blobs/missing" => Reply::json(200, &json!({"missing": []})),
        _ => Reply::error(409, "version_deleted", "acme/bert@1.0.0 was deleted"),
    });
    let dir = dir.path().to_str().unwrap();
    let out =
        modelreg(&fake.url, &["push", dir, "--model", "acme/bert", "--version", "1.0.0", "--license", "MIT"]);
    assert_eq!(code(&out), 4, "{}", stderr(&out));
    assert!(stderr(&out).contains("never published again"), "{}", stderr(&out));
}

fn entry(id: i64, action: &str) -> Value {
    json!({"id": id, "at": format!("2025-01-0{id}T00:00:00Z"), "actor": "ci", "action": action,
           "model": "acme/bert", "version": "1.0.0", "details": {}})
}

fn audit_registry() -> FakeRegistry {
    FakeRegistry::start(|req: &Recorded| match req.query_param("cursor").as_deref() {
        None => Reply::json(200, &json!({"entries": [entry(1, "publish")], "next_cursor": "1"})),
        Some("1") => Reply::json(200, &json!({"entries": [entry(2, "alias_set")], "next_cursor": "2"})),
        Some(_) => Reply::json(200, &json!({"entries": [entry(3, "yank")]})),
    })
}

#[test]
fn audit_sends_its_filters_and_hints_at_the_next_page() {
    let fake = audit_registry();
    let out = modelreg(
        &fake.url,
        &[
            "audit",
            "--model",
            "acme/bert",
            "--actor",
            "ci",
            "--since",
            "2025-01-01T00:00:00Z",
            "--limit",
            "1",
        ],
    );
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let sent = &fake.requests()[0];
    assert_eq!(sent.path, "/v1/audit");
    assert_eq!(
        sent.query_pairs(),
        [("model", "acme/bert"), ("actor", "ci"), ("since", "2025-01-01T00:00:00Z"), ("limit", "1")]
            .map(|(k, v)| (k.to_owned(), v.to_owned()))
    );
    let text = stdout(&out);
    assert!(text.starts_with("AT") && text.contains("  ci     publish  acme/bert@1.0.0  -"), "{text}");
    assert!(stderr(&out).contains("--cursor 1"), "{}", stderr(&out));
}

#[test]
fn audit_all_follows_every_cursor_into_one_document() {
    let fake = audit_registry();
    let out = modelreg(&fake.url, &["audit", "--all", "--json"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
    let actions: Vec<&str> =
        doc["entries"].as_array().unwrap().iter().map(|e| e["action"].as_str().unwrap()).collect();
    assert_eq!(actions, ["publish", "alias_set", "yank"]);
    assert!(doc.get("next_cursor").is_none(), "{doc}");
    assert_eq!(fake.requests().len(), 3);
    assert_eq!(fake.requests()[0].query_param("limit").as_deref(), Some("1000"));
}

#[test]
fn completions_are_printed_for_bash_zsh_and_fish_without_a_registry() {
    for shell in ["bash", "zsh", "fish"] {
        let out = modelreg("http://127.0.0.1:1", &["completions", shell]);
        assert_eq!(code(&out), 0, "{shell}: {}", stderr(&out));
        assert!(stdout(&out).contains("whoami"), "{shell}");
    }
    let out = modelreg("http://127.0.0.1:1", &["completions", "tcsh"]);
    assert_eq!(code(&out), 2);
}
