//! `modelreg push` against the fake registry: what is uploaded, what is published, and how
//! conflicts and changed files are reported.

use std::path::Path;

use serde_json::{Value, json};

use crate::fake_registry::{FakeRegistry, Recorded, Reply};
use crate::support::{code, digest_of, modelreg, stderr, stdout, version_digest};

fn model_dir() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    std::fs::create_dir_all(root.join("tokenizer")).unwrap();
    std::fs::write(root.join("model.bin"), vec![7u8; 300_000]).unwrap();
    std::fs::write(root.join("tokenizer/vocab.json"), b"{\"a\":1}").unwrap();
    std::fs::write(root.join("copy.json"), b"{\"a\":1}").unwrap();
    std::fs::write(root.join(".gitattributes"), b"*.bin lfs").unwrap();
    std::fs::write(root.join("modelreg.toml"), "license = \"MIT\"\ntask = \"fill-mask\"\n").unwrap();
    dir
}

/// A registry that holds no blobs, accepts uploads and publishes with `publish_status`.
fn registry(publish_status: u16) -> FakeRegistry {
    FakeRegistry::start(move |req: &Recorded| match (req.method.as_str(), req.path.as_str()) {
        ("POST", "/v1/blobs/missing") => Reply::json(200, &json!({"missing": req.json()["digests"]})),
        ("PUT", p) if p.starts_with("/v1/blobs/") => Reply::json(
            201,
            &json!({"digest": p.trim_start_matches("/v1/blobs/"), "size": req.body.len(), "created": true}),
        ),
        ("PUT", "/v1/models/acme/bert/versions/1.4.0") if publish_status == 409 => {
            Reply::error(409, "version_conflict", "acme/bert@1.4.0 exists with a different manifest")
        }
        ("PUT", "/v1/models/acme/bert/versions/1.4.0") => Reply::json(
            publish_status,
            &json!({"model": "acme/bert", "version": "1.4.0", "digest": version_digest(), "created": publish_status == 201}),
        ),
        _ => Reply::error(404, "not_found", "no such route"),
    })
}

fn push(fake: &FakeRegistry, dir: &Path, extra: &[&str]) -> std::process::Output {
    let dir = dir.to_str().unwrap();
    let mut args = vec!["push", dir, "--model", "acme/bert", "--version", "1.4.0", "--token", "t0k"];
    args.extend_from_slice(extra);
    modelreg(&fake.url, &args)
}

#[test]
fn a_push_uploads_each_blob_once_and_publishes_a_sorted_manifest() {
    let dir = model_dir();
    let fake = registry(201);
    let out = push(&fake, dir.path(), &["--exclude", "*.bin", "--license", "Apache-2.0"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let line = stdout(&out);
    assert!(line.starts_with(&format!("pushed acme/bert@1.4.0 {} (3 files, ", version_digest())), "{line}");

    let reqs = fake.requests();
    let uploads: Vec<&Recorded> = reqs.iter().filter(|r| r.path.starts_with("/v1/blobs/sha256")).collect();
    assert_eq!(uploads.len(), 2, "vocab.json and copy.json share one blob");
    for up in &uploads {
        assert_eq!(up.header("content-length"), Some(up.body.len().to_string().as_str()));
        assert_eq!(format!("/v1/blobs/{}", digest_of(&up.body)), up.path);
    }
    let publish = reqs.iter().find(|r| r.path.starts_with("/v1/models/")).unwrap();
    assert_eq!(publish.header("authorization"), Some("Bearer t0k"));
    let manifest = publish.json();
    let paths: Vec<&str> =
        manifest["files"].as_array().unwrap().iter().map(|f| f["path"].as_str().unwrap()).collect();
    assert_eq!(paths, [".gitattributes", "copy.json", "tokenizer/vocab.json"]);
    assert_eq!(manifest["metadata"], json!({"license": "Apache-2.0", "task": "fill-mask"}));
}

#[test]
fn re_pushing_identical_content_uploads_nothing_and_succeeds() {
    let dir = model_dir();
    let fake = FakeRegistry::start(|req: &Recorded| match req.path.as_str() {
        "/v1/blobs/missing" => Reply::json(200, &json!({"missing": []})),
        _ => Reply::json(
            200,
            &json!({"model": "acme/bert", "version": "1.4.0", "digest": version_digest(), "created": false}),
        ),
    });
    let out = push(&fake, dir.path(), &["--json"]);
    assert_eq!(code(&out), 0, "{}", stdout(&out));
    let doc: Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(doc["created"], false);
    assert_eq!(doc["bytes_uploaded"], 0);
    assert_eq!(doc["files"], 4);
    assert_eq!(doc["bytes_total"], 300_000 + 7 + 7 + 9);
    assert_eq!(doc["digest"], version_digest().to_string());
    assert_eq!(stderr(&out), "", "--json keeps stderr quiet");

    let out = push(&fake, dir.path(), &[]);
    assert!(
        stdout(&out).starts_with("acme/bert@1.4.0 is already published with identical content"),
        "{}",
        stdout(&out)
    );
}

#[test]
fn pushing_a_different_manifest_for_an_existing_version_exits_4() {
    let dir = model_dir();
    let out = push(&registry(409), dir.path(), &[]);
    assert_eq!(code(&out), 4);
    assert!(stderr(&out).contains("immutable"), "{}", stderr(&out));
}

#[test]
fn a_digest_mismatch_on_upload_means_the_file_changed_and_exits_6() {
    let dir = model_dir();
    let fake = FakeRegistry::start(|req: &Recorded| match req.path.as_str() {
        "/v1/blobs/missing" => Reply::json(200, &json!({"missing": req.json()["digests"]})),
        _ => Reply::error(400, "digest_mismatch", "the uploaded content does not match the digest"),
    });
    let out = push(&fake, dir.path(), &["--exclude", "*.json", "--exclude", ".git*", "--jobs", "1"]);
    assert_eq!(code(&out), 6);
    assert!(stderr(&out).contains("'model.bin' changed while it was being pushed"), "{}", stderr(&out));
}

#[test]
fn a_push_without_a_licence_fails_before_talking_to_the_registry() {
    let dir = model_dir();
    std::fs::remove_file(dir.path().join("modelreg.toml")).unwrap();
    let fake = registry(201);
    let out = push(&fake, dir.path(), &[]);
    assert_eq!(code(&out), 1);
    assert!(stderr(&out).contains("--license"), "{}", stderr(&out));
    assert!(fake.requests().is_empty());
}

#[test]
fn blobs_the_registry_lost_before_the_publish_are_uploaded_again_once() {
    use std::sync::atomic::{AtomicUsize, Ordering};

    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("a.bin"), b"aaaa").unwrap();
    let lost = digest_of(b"aaaa");
    let publishes = AtomicUsize::new(0);
    let fake = FakeRegistry::start(move |req: &Recorded| match (req.method.as_str(), req.path.as_str()) {
        ("POST", _) => Reply::json(200, &json!({"missing": []})),
        ("PUT", p) if p.starts_with("/v1/blobs/") => {
            Reply::json(201, &json!({"digest": lost, "size": 4, "created": true}))
        }
        _ if publishes.fetch_add(1, Ordering::SeqCst) == 0 => Reply::json(
            422,
            &json!({"error": {"code": "missing_blobs", "message": "blobs are missing", "details": {"missing": [lost]}}}),
        ),
        _ => Reply::json(
            201,
            &json!({"model": "acme/bert", "version": "1.4.0", "digest": version_digest(), "created": true}),
        ),
    });
    let out = push(&fake, dir.path(), &["--license", "MIT", "--json"]);
    assert_eq!(code(&out), 0, "{}", stdout(&out));
    let doc: Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(doc["bytes_uploaded"], 4);
    let paths: Vec<String> = fake.requests().into_iter().map(|r| r.path).collect();
    assert_eq!(paths.iter().filter(|p| p.starts_with("/v1/models/")).count(), 2, "{paths:?}");
    assert!(paths.contains(&format!("/v1/blobs/{lost}")), "{paths:?}");
}

const CARD: &str = "---\n\
license: apache-2.0\n\
language: [en, multilingual]\n\
pipeline_tag: text-generation\n\
tags: [Chat, has space]\n\
model-index:\n- name: x\n  results: []\n\
---\n\n# Model card\n";

#[test]
fn the_model_card_front_matter_fills_the_metadata_and_the_readme_stays_a_file() {
    let dir = model_dir();
    std::fs::write(dir.path().join("README.md"), CARD).unwrap();
    let fake = registry(201);
    let out = push(
        &fake,
        dir.path(),
        &["--exclude", "*.bin", "--override-derived", "parameters", "--override-derived", "format"],
    );
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert!(
        stderr(&out)
            .contains("warning: README.md: skipped languages that are not BCP-47 tags: 'multilingual'"),
        "{}",
        stderr(&out)
    );
    let reqs = fake.requests();
    let manifest = reqs.iter().find(|r| r.path.starts_with("/v1/models/")).unwrap().json();
    assert_eq!(
        manifest["metadata"],
        json!({"license": "MIT", "task": "fill-mask", "languages": ["en"], "readme": "# Model card", "tags": ["chat"]}),
        "modelreg.toml wins over the card"
    );
    assert_eq!(manifest["override_derived"], json!(["parameters", "format"]));
    assert!(manifest["files"].as_array().unwrap().iter().any(|f| f["path"] == "README.md"));

    let out = push(&fake, dir.path(), &["--exclude", "*.bin", "--no-readme-import", "--json"]);
    assert_eq!(code(&out), 0, "{}", stdout(&out));
    let reqs = fake.requests();
    let manifest = reqs.iter().rev().find(|r| r.path.starts_with("/v1/models/")).unwrap().json();
    assert_eq!(manifest["metadata"], json!({"license": "MIT", "task": "fill-mask"}));
    assert!(manifest.get("override_derived").is_none(), "{manifest}");
}

#[test]
fn a_bad_override_field_is_a_usage_error() {
    let dir = model_dir();
    let out = push(&registry(201), dir.path(), &["--override-derived", "colour"]);
    assert_eq!(code(&out), 2);
    assert!(stderr(&out).contains("context_length"), "{}", stderr(&out));
}

#[test]
fn a_declared_value_contradicting_the_files_points_at_override_derived() {
    let dir = model_dir();
    // The flags come from the structured details; the message is for people and not parsed.
    let fake = FakeRegistry::start(|req: &Recorded| match req.path.as_str() {
        "/v1/blobs/missing" => Reply::json(200, &json!({"missing": []})),
        _ => Reply::json(
            422,
            &json!({"error": {
                "code": "invalid_manifest",
                "message": "the declared parameters (7000000000) and format (gguf) contradict the files",
                "details": {"contradictions": [
                    {"field": "parameters", "declared": 7_000_000_000_u64, "derived": 6_738_415_616_u64,
                     "file": "model.safetensors", "files": 1},
                    {"field": "format", "declared": "gguf", "derived": "safetensors",
                     "file": "model.safetensors", "files": 2},
                ]},
            }}),
        ),
    });
    let out = push(&fake, dir.path(), &[]);
    assert_eq!(code(&out), 1);
    assert!(
        stderr(&out).contains("7000000000")
            && stderr(&out)
                .ends_with("push again with --override-derived parameters --override-derived format)\n"),
        "{}",
        stderr(&out)
    );
    let json_out = push(&fake, dir.path(), &["--json"]);
    let envelope: serde_json::Value = serde_json::from_slice(&json_out.stdout).unwrap();
    assert_eq!(envelope["error"]["details"]["contradictions"][1]["field"], "format", "{envelope}");
}

#[test]
fn a_refused_manifest_without_contradiction_details_gets_no_override_hint() {
    let dir = model_dir();
    let fake = FakeRegistry::start(|req: &Recorded| match req.path.as_str() {
        "/v1/blobs/missing" => Reply::json(200, &json!({"missing": []})),
        _ => Reply::error(
            422,
            "invalid_manifest",
            "invalid manifest: metadata.parameters: declared 7000000000 but model.safetensors says \
             6738415616 (add \"parameters\" to override_derived to keep the declared value)",
        ),
    });
    let out = push(&fake, dir.path(), &[]);
    assert_eq!(code(&out), 1);
    assert!(
        stderr(&out).contains("6738415616") && !stderr(&out).contains("--override-derived"),
        "{}",
        stderr(&out)
    );
}
