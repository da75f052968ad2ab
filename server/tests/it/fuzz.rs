//! The API fuzzed: Schemathesis (`MODELREG_TEST_SCHEMATHESIS`, from
//! scripts/test.d/schemathesis.sh) against the release server (`MODELREG_TEST_RELEASE_SERVER`)
//! on both backends, with an admin token and a few published models to hit. Every check runs
//! (no 5xx, and status codes, content types, headers and bodies as the document says) except
//! `positive_data_acceptance`, for the reason in docs/testing.md. The seed is fixed and the
//! example database off, so a run is reproducible; a finding fails the test with
//! Schemathesis' report.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use modelreg_testkit::{
    ServerProcess, ServerSetup, postgres_db, release_server_bin, s3_settings, unique_prefix,
};
use serde_json::json;

/// The seed of every run (Schemathesis' `--seed`).
const SEED: &str = "20261207";
/// Test cases per operation and phase; about 1-3 minutes per backend on 2 loaded cores.
const MAX_EXAMPLES: &str = "25";
/// The token that `DELETE /v1/tokens/{name}` revokes, so that the fuzzer never revokes its own.
const VICTIM: &str = "fuzz-victim";

/// Schemathesis' configuration (`--config-file`). Half the path parameters come from what
/// [`seed`] published (so requests reach real models, versions, aliases and the blob; the
/// other half are generated). Two operations get fixed values instead:
/// `DELETE /v1/tokens/{name}` revokes only the victim token (the stateful phase would
/// otherwise follow `GET /v1/tokens` to the fuzzer's own token, and everything after that is a
/// 401), and deleting a model or a version targets `doomed` models, so that the seeded ones
/// stay for the other operations (a deletion leaves tombstones).
fn config(digest: &str) -> String {
    format!(
        r#"
[dictionaries.namespace]
values = ["acme"]
[dictionaries.model]
values = ["sentiment", "sentiment-fr", "doomed"]
[dictionaries.version]
values = ["1.0.0", "1.1.0", "2.0.0-rc.1", "0.1.0", "latest", "^1.0", "production"]
[dictionaries.alias]
values = ["production", "staging"]
[dictionaries.digest]
values = ["{digest}"]

[parameters]
"path.namespace" = {{ dictionary = "namespace", probability = 0.5 }}
"path.name" = {{ dictionary = "model", probability = 0.5 }}
"path.version" = {{ dictionary = "version", probability = 0.5 }}
"path.alias" = {{ dictionary = "alias", probability = 0.5 }}
"path.digest" = {{ dictionary = "digest", probability = 0.5 }}

[[operations]]
include-path = "/v1/tokens/{{name}}"
include-method = "DELETE"
parameters = {{ "path.name" = "{VICTIM}" }}

[[operations]]
include-path-regex = "^/v1/models/[{{]namespace[}}]/[{{]name[}}](/versions/[{{]version[}}])?$"
include-method = "DELETE"
parameters = {{ "path.name" = "doomed" }}
"#
    )
}

#[tokio::test]
async fn the_fuzzer_finds_nothing_on_sqlite_and_a_local_folder() {
    fuzz(ServerSetup::embedded(), "sqlite + local folder").await;
}

#[tokio::test]
async fn the_fuzzer_finds_nothing_on_postgres_and_s3() {
    let db = postgres_db().await;
    fuzz(ServerSetup::postgres_s3(&db.url(), &s3_settings(), &unique_prefix("fuzz")), "postgres + s3").await;
}

fn required_executable(var: &str, what: &str) -> PathBuf {
    let path = std::env::var_os(var).map(PathBuf::from).unwrap_or_else(|| {
        panic!("{var} is not set: the API fuzz test needs {what}; run it through ./scripts/test, which exports it")
    });
    assert!(path.is_file(), "{var}={} is not a file ({what})", path.display());
    path
}

async fn fuzz(setup: ServerSetup, backend: &str) {
    let st =
        required_executable("MODELREG_TEST_SCHEMATHESIS", "Schemathesis (scripts/test.d/schemathesis.sh)");
    let setup = setup.with_binary(release_server_bin());
    let token = setup.create_token("fuzz", "admin");
    setup.create_token(VICTIM, "read");
    let server = ServerProcess::start(&setup).await;
    let digest = seed(server.url(), &token).await;

    let work = tempfile::TempDir::new().unwrap();
    std::fs::write(work.path().join("schemathesis.toml"), config(&digest)).unwrap();
    let started = Instant::now();
    let output = schemathesis(&st, work.path(), server.url(), &token);
    let elapsed = started.elapsed();
    let report = String::from_utf8_lossy(&output.stdout);
    let summary: Vec<&str> = report
        .lines()
        .map(str::trim)
        .filter(|l| {
            l.starts_with("API Links:")
                || l.starts_with("Seed:")
                || (l.starts_with(|c: char| c.is_ascii_digit()) && l.contains(" generated"))
        })
        .collect();
    eprintln!("fuzz on {backend}: {:.0} s, {}", elapsed.as_secs_f64(), summary.join(" | "));
    assert!(
        output.status.success(),
        "Schemathesis found problems on {backend} ({}):\n{report}\n{}\nthe server printed:\n{}",
        output.status,
        String::from_utf8_lossy(&output.stderr),
        server.logs()
    );
    assert!(
        !server.logs().contains("panicked"),
        "the server panicked under the fuzzer on {backend}:\n{}",
        server.logs()
    );
}

fn schemathesis(st: &Path, work: &Path, url: &str, token: &str) -> std::process::Output {
    Command::new(st)
        .arg("--config-file")
        .arg(work.join("schemathesis.toml"))
        .arg("run")
        .arg(format!("{url}/openapi.json"))
        .args(["--header", &format!("Authorization: Bearer {token}")])
        .args(["--checks", "all", "--exclude-checks", "positive_data_acceptance"])
        .args(["--max-examples", MAX_EXAMPLES, "--seed", SEED])
        .args(["--generation-database", "none"])
        // One worker: the runs are reproducible, and Hypothesis on CPython 3.11 trips over
        // concurrent `ast.parse` calls ("AST constructor recursion depth mismatch").
        .args(["--workers", "1", "--no-color", "--request-timeout", "30"])
        .arg("--report-dir")
        .arg(work.join("report"))
        .current_dir(work)
        .env("NO_COLOR", "1")
        .output()
        .expect("running Schemathesis")
}

/// Publishes what the fuzzer's paths can find: a blob, three versions of `acme/sentiment`
/// (one a pre-release), an alias, a fine-tune of it in `acme/sentiment-fr`, and
/// `acme/doomed` for the deletions. Returns the blob's digest.
async fn seed(url: &str, token: &str) -> String {
    let client = reqwest::Client::new();
    let auth = format!("Bearer {token}");
    let bytes = b"fuzzing weights".to_vec();
    let digest = crate::support::digest_of(&bytes).to_string();
    let response =
        client.put(format!("{url}/v1/blobs/{digest}")).header("authorization", &auth).body(bytes.clone());
    let status = response.send().await.unwrap().status();
    assert!(status.is_success(), "seeding the blob: {status}");
    let publish = |model: &str, version: &str, metadata: serde_json::Value| {
        let manifest = json!({
            "files": [{ "path": "model.safetensors", "digest": digest, "size": bytes.len() }],
            "metadata": metadata,
        });
        client
            .put(format!("{url}/v1/models/{model}/versions/{version}"))
            .header("authorization", &auth)
            .json(&manifest)
            .send()
    };
    let base =
        json!({ "license": "MIT", "languages": ["en", "fr"], "context_length": 4096, "tags": ["fuzz"] });
    for version in ["1.0.0", "1.1.0", "2.0.0-rc.1"] {
        let status = publish("acme/sentiment", version, base.clone()).await.unwrap().status();
        assert!(status.is_success(), "seeding acme/sentiment@{version}: {status}");
    }
    let derived = json!({ "license": "MIT", "languages": ["fr"],
        "base_model": { "model": "acme/sentiment", "version": "1.1.0" }, "base_relation": "finetune" });
    let status = publish("acme/sentiment-fr", "0.1.0", derived).await.unwrap().status();
    assert!(status.is_success(), "seeding acme/sentiment-fr: {status}");
    for version in ["1.0.0", "1.1.0"] {
        let status = publish("acme/doomed", version, json!({ "license": "MIT" })).await.unwrap().status();
        assert!(status.is_success(), "seeding acme/doomed@{version}: {status}");
    }
    let status = client
        .put(format!("{url}/v1/models/acme/sentiment/aliases/production"))
        .header("authorization", &auth)
        .json(&json!({ "version": "1.0.0" }))
        .send()
        .await
        .unwrap()
        .status();
    assert!(status.is_success(), "seeding the alias: {status}");
    digest
}
