//! How the binary reports failures: `error: <message>` on stderr or one JSON document on
//! stdout, with the documented exit codes.

use serde_json::Value;

use crate::fake_registry::{FakeRegistry, Reply};
use crate::support::{code, modelreg, modelreg_command, stderr, stdout};

#[test]
fn a_missing_version_prints_the_registry_message_and_exits_3() {
    let fake = FakeRegistry::start(|_| {
        Reply::error(404, "version_not_found", "model 'acme/bert' has no version '2.0.0'")
    });
    let out = modelreg(&fake.url, &["show", "acme/bert@2.0.0"]);
    assert_eq!(code(&out), 3);
    assert_eq!(stderr(&out), "error: model 'acme/bert' has no version '2.0.0'\n");
    assert_eq!(stdout(&out), "");
    assert_eq!(fake.requests()[0].path, "/v1/models/acme/bert/versions/2.0.0");
}

#[test]
fn with_json_an_error_is_one_json_document_on_stdout() {
    let fake =
        FakeRegistry::start(|_| Reply::error(404, "model_not_found", "model 'acme/bert' does not exist"));
    let out = modelreg(&fake.url, &["versions", "acme/bert", "--json"]);
    assert_eq!(code(&out), 3);
    assert_eq!(stderr(&out), "");
    let doc: Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(doc["error"]["code"], "model_not_found");
    assert_eq!(doc["error"]["message"], "model 'acme/bert' does not exist");
}

#[test]
fn http_failures_map_to_documented_exit_codes() {
    for (status, code_name, expected) in [
        (401, "unauthorized", 5),
        (403, "forbidden", 5),
        (409, "version_conflict", 4),
        (500, "internal", 1),
        (502, "bad_gateway", 7),
        (503, "unavailable", 7),
        (504, "gateway_timeout", 7),
    ] {
        let fake = FakeRegistry::start(move |_| Reply::error(status, code_name, "nope"));
        let out = modelreg(&fake.url, &["versions", "acme/bert"]);
        assert_eq!(code(&out), expected, "{status}: {}", stderr(&out));
        assert!(stderr(&out).starts_with("error: "), "{}", stderr(&out));
    }
}

#[test]
fn a_body_that_is_not_an_envelope_still_gives_a_clear_error() {
    let fake = FakeRegistry::start(|_| Reply::bytes(502, b"<html>bad gateway</html>".to_vec()));
    let out = modelreg(&fake.url, &["versions", "acme/bert", "--json"]);
    assert_eq!(code(&out), 7);
    let doc: Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(doc["error"]["code"], "bad_gateway");
}

#[test]
fn an_unreachable_registry_exits_7() {
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let out = modelreg(&format!("http://127.0.0.1:{port}"), &["versions", "acme/bert"]);
    assert_eq!(code(&out), 7);
    assert!(stderr(&out).starts_with("error: cannot reach the registry"), "{}", stderr(&out));
}

#[test]
fn a_503_is_retried_after_its_retry_after_and_the_command_succeeds() {
    let calls = std::sync::atomic::AtomicUsize::new(0);
    let fake = FakeRegistry::start(move |_| {
        if calls.fetch_add(1, std::sync::atomic::Ordering::SeqCst) == 0 {
            let mut reply = Reply::error(503, "unavailable", "the database is unavailable; retry later");
            reply.headers.push(("Retry-After".into(), "1".into()));
            return reply;
        }
        Reply::json(200, &serde_json::json!({ "model": "acme/bert", "versions": [] }))
    });
    let started = std::time::Instant::now();
    let out = modelreg_command(&fake.url)
        .env("MODELREG_RETRY_FOR", "30")
        .args(["versions", "acme/bert", "--json"])
        .output()
        .unwrap();
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert!(started.elapsed() >= std::time::Duration::from_secs(1), "waited as asked");
    assert_eq!(fake.requests().len(), 2);
}

#[test]
fn a_503_that_outlasts_the_retry_budget_exits_7_saying_so() {
    let fake = FakeRegistry::start(|_| Reply::error(503, "unavailable", "the blob store is unavailable"));
    let out =
        modelreg_command(&fake.url).env("MODELREG_RETRY_FOR", "2").args(["versions", "acme/bert"]).output();
    let out = out.unwrap();
    assert_eq!(code(&out), 7);
    assert!(stderr(&out).contains("still unavailable after retrying for 2 s"), "{}", stderr(&out));
    assert!(fake.requests().len() >= 2, "retried");
}

#[test]
fn usage_errors_exit_2_and_respect_json() {
    let out = modelreg("http://127.0.0.1:1", &["pull", "Acme/Bert"]);
    assert_eq!(code(&out), 2);
    assert!(stderr(&out).contains("invalid model"), "{}", stderr(&out));

    let out = modelreg("http://127.0.0.1:1", &["pull", "acme/bert@", "--json"]);
    assert_eq!(code(&out), 2);
    let doc: Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(doc["error"]["code"], "usage");
    assert!(doc["error"]["message"].as_str().unwrap().contains("selector"), "{doc}");
}

#[test]
fn the_token_is_sent_as_a_bearer_token_and_never_shown_in_help() {
    let fake = FakeRegistry::start(|_| Reply::error(404, "model_not_found", "no"));
    let out = modelreg(&fake.url, &["versions", "acme/bert", "--token", "s3cr3t"]);
    assert_eq!(code(&out), 3);
    assert_eq!(fake.requests()[0].header("authorization"), Some("Bearer s3cr3t"));

    let help = std::process::Command::new(env!("CARGO_BIN_EXE_modelreg"))
        .args(["push", "--help"])
        .env("MODELREG_TOKEN", "s3cr3t")
        .output()
        .unwrap();
    assert_eq!(code(&help), 0);
    assert!(!stdout(&help).contains("s3cr3t"), "{}", stdout(&help));
}

#[test]
fn a_missing_token_gets_a_hint() {
    let fake = FakeRegistry::start(|_| Reply::error(401, "unauthorized", "a bearer token is required"));
    let out = modelreg(&fake.url, &["versions", "acme/bert"]);
    assert_eq!(code(&out), 5);
    assert!(stderr(&out).contains("MODELREG_TOKEN"), "{}", stderr(&out));
}
