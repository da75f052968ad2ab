//! What the CLI does against a registry it should not trust blindly: answers too large to
//! buffer, and a token that would travel in the clear.

use serde_json::json;

use crate::fake_registry::{FakeRegistry, Reply};
use crate::support::{code, modelreg, modelreg_command, stderr};

/// A versions list padded past `bytes` with long, valid entries.
fn versions_list(bytes: usize) -> Reply {
    let pad = "x".repeat(1000);
    let n = bytes / 1000 + 1;
    let versions: Vec<_> =
        (0..n).map(|i| json!({"version": format!("1.0.{i}"), "description": pad})).collect();
    Reply::json(200, &json!({"model": "acme/bert", "versions": versions}))
}

#[test]
fn an_answer_larger_than_8_mib_fails_without_being_buffered() {
    let fake = FakeRegistry::start(|_| versions_list(9 << 20));
    let out = modelreg(&fake.url, &["versions", "acme/bert"]);
    assert_eq!(code(&out), 1, "{}", stderr(&out));
    assert!(stderr(&out).contains("larger than 8 MiB"), "{}", stderr(&out));
    let out = modelreg(&fake.url, &["versions", "acme/bert", "--json"]);
    assert_eq!(code(&out), 1);
}

#[test]
fn a_token_sent_over_plain_http_to_another_host_is_warned_about_once() {
    // `.invalid` never resolves: the warning comes before the token would leave.
    let out = modelreg_command("http://registry.invalid:9")
        .args(["--token", "secret-token", "versions", "acme/bert"])
        .output()
        .unwrap();
    let err = stderr(&out);
    assert_eq!(err.matches("plain http://").count(), 1, "{err}");
    assert!(err.contains("registry.invalid") && !err.contains("secret-token"), "{err}");

    // Loopback, https or no token: nothing to warn about.
    let fake = FakeRegistry::start(|_| Reply::json(200, &json!({"model": "acme/bert", "versions": []})));
    let port = fake.url.rsplit(':').next().unwrap().to_owned();
    for registry in [fake.url.clone(), format!("http://localhost:{port}")] {
        let out =
            modelreg_command(&registry).args(["--token", "t", "versions", "acme/bert"]).output().unwrap();
        assert_eq!(code(&out), 0, "{}", stderr(&out));
        assert!(!stderr(&out).contains("plain http://"), "{}", stderr(&out));
    }
    let out = modelreg_command("http://registry.invalid:9").args(["versions", "acme/bert"]).output().unwrap();
    assert!(!stderr(&out).contains("plain http://"), "{}", stderr(&out));
}
