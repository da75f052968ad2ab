//! The Hugging Face upload path with the real clients (issue 11): `huggingface_hub` 2.4.0
//! and 0.36 (the venvs `scripts/test.d/hf.sh` makes) drive `server/tests/hf/upload.py`
//! against the real server on the embedded default and on PostgreSQL + S3: create_repo,
//! upload_file, upload_folder (a file over 64 MiB through LFS multipart), create_commit with
//! adds and deletes, a stale parentCommit, version numbers, branches and tags, a missing
//! licence, a namespace-limited token, and the Xet message. What they uploaded is then
//! pulled with `modelreg pull` and compared byte for byte. A missing client fails.

use std::path::Path;
use std::process::Command;

use modelreg_testkit::{ServerProcess, ServerSetup, bin_path, postgres_db, s3_settings, unique_prefix};
use serde_json::Value;
use tempfile::TempDir;

use super::support::{Client, limited_token};

const SUITE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/hf/upload.py");
/// Over 64 MiB, so that it travels as several LFS multipart parts.
const BIG: usize = (64 << 20) + 12_345;

/// Runs one step of the suite and returns the JSON line it printed.
fn step(py: &Path, url: &str, token: &str, xet: bool, step: &str, repo: &str, work: &Path) -> Value {
    let mut cmd = Command::new(py);
    for (key, _) in std::env::vars_os() {
        if key.to_str().is_some_and(|k| k.starts_with("HF_") || k.starts_with("HUGGINGFACE_")) {
            cmd.env_remove(key);
        }
    }
    cmd.args([SUITE, step, repo, work.to_str().unwrap()])
        .env("HF_ENDPOINT", format!("{url}/hf"))
        .env("HF_TOKEN", token)
        .env("HF_HUB_DISABLE_TELEMETRY", "1")
        .env("HF_HUB_DISABLE_PROGRESS_BARS", "1")
        .env("HF_HOME", work.join("hf-home"))
        .env("HF_TEST_BIG_BYTES", BIG.to_string());
    if xet {
        cmd.env_remove("HF_HUB_DISABLE_XET");
    } else {
        cmd.env("HF_HUB_DISABLE_XET", "1");
    }
    let out = cmd.output().expect("python runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{step} with {} failed:\nstdout: {stdout}\nstderr: {}",
        py.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_str(stdout.lines().last().unwrap_or(""))
        .unwrap_or_else(|e| panic!("{step}: {e}: {stdout}"))
}

async fn uploads(setup: &ServerSetup) {
    let server = ServerProcess::start(setup).await;
    let url = server.url();
    let token = setup.create_token("ci", "write");
    let team = limited_token(setup, "team-bot", "write", &["team"]);
    for (client, tag, xet) in [(Client::V2, "v2", true), (Client::V036, "v036", false)] {
        let py = client.python();
        let work = TempDir::new().unwrap();
        let repo = format!("acme/pushed-{tag}");
        let sessions = || server.logs().matches("upload session opened").count();
        let before = sessions();
        let facts = step(&py, url, &token, false, "publish", &repo, work.path());
        assert_eq!(sessions(), before + 1, "the big file went through LFS multipart, once");
        for key in ["first", "second", "third", "exact", "staged"] {
            assert_eq!(facts[key].as_str().map(str::len), Some(40), "{key}: {facts}");
        }
        step(&py, url, &token, false, "no_licence", &format!("acme/unlicensed-{tag}"), work.path());
        step(&py, url, &team, false, "outside", &format!("acme/intruder-{tag}"), work.path());
        if xet {
            let facts = step(&py, url, &token, true, "xet", &format!("acme/xet-{tag}"), work.path());
            assert!(facts["message"].as_str().unwrap().contains("HF_HUB_DISABLE_XET=1"), "{facts}");
        }

        // What the client uploaded comes back byte for byte through the registry's own CLI.
        let pulled = work.path().join("pulled");
        let out = Command::new(bin_path("modelreg"))
            .args(["pull", &format!("{repo}@0.1.2"), "-o", pulled.to_str().unwrap()])
            .env("MODELREG_URL", url)
            .env("MODELREG_TOKEN", &token)
            .env("MODELREG_CACHE_DIR", work.path().join("cache"))
            .output()
            .unwrap();
        assert!(out.status.success(), "pull: {}", String::from_utf8_lossy(&out.stderr));
        for file in ["weights/big.bin", "tokenizer.json"] {
            let sent = std::fs::read(work.path().join("folder").join(file)).unwrap();
            let got = std::fs::read(pulled.join(file)).unwrap();
            assert!(sent == got, "{file} differs after the round trip");
        }
        assert_eq!(std::fs::read(pulled.join("notes.txt")).unwrap(), b"hello");
        assert!(
            !pulled.join("config.json").exists() && !pulled.join("logs").exists(),
            "deleted in the third commit"
        );
        let shown = Command::new(bin_path("modelreg"))
            .args(["show", &format!("{repo}@0.1.2"), "--json"])
            .env("MODELREG_URL", url)
            .env("MODELREG_TOKEN", &token)
            .output()
            .unwrap();
        let shown: Value = serde_json::from_slice(&shown.stdout).unwrap();
        assert_eq!(shown["metadata"]["license"], "Apache-2.0", "from the README front matter: {shown}");
        assert_eq!(shown["metadata"]["task"], "text-classification", "{shown}");
    }
}

#[tokio::test]
async fn hugging_face_clients_upload_on_the_embedded_default() {
    uploads(&ServerSetup::embedded()).await;
}

#[tokio::test]
async fn hugging_face_clients_upload_on_postgres_and_s3() {
    let db = postgres_db().await;
    let s3 = s3_settings();
    uploads(&ServerSetup::postgres_s3(&db.url(), &s3, &unique_prefix("hf-up"))).await;
}
