//! End to end: the real `modelreg-server` binary (spawned on a free port) and the real
//! `modelreg` binary, on the embedded default and on PostgreSQL + S3.

use std::path::Path;
use std::process::{Command, Output};

use modelreg_testkit::{ServerProcess, ServerSetup, postgres_db, s3_settings, unique_prefix};
use serde_json::Value;
use tempfile::TempDir;

use crate::support::{code, digest_of, stderr, stdout};

mod choose;
mod ci;
mod ci_steps;
mod dist;
mod evals;
mod licence_ids;
mod memory;
mod transfer;

/// Runs `modelreg` against `url` with `token` (if any) from `cwd`, with a blob cache of
/// its own in `cwd/.modelreg-cache`.
fn run(url: &str, token: Option<&str>, cwd: &Path, args: &[&str]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_modelreg"));
    cmd.args(args).current_dir(cwd).env("MODELREG_URL", url).env_remove("MODELREG_TOKEN");
    cmd.env("MODELREG_CACHE_DIR", cwd.join(".modelreg-cache")).env_remove("MODELREG_NO_CACHE");
    if let Some(t) = token {
        cmd.env("MODELREG_TOKEN", t);
    }
    cmd.output().expect("modelreg runs")
}

fn json_of(out: &Output) -> Value {
    serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("not JSON ({e}): {}\nstderr: {}", stdout(out), stderr(out)))
}

fn ok(out: Output) -> Output {
    assert_eq!(code(&out), 0, "stdout: {}\nstderr: {}", stdout(&out), stderr(&out));
    out
}

fn write(root: &Path, rel: &str, data: &[u8]) {
    let path = root.join(rel);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, data).unwrap();
}

/// A small model folder: nested files, a hidden file, a metadata file.
fn model_dir(tag: &str) -> TempDir {
    let dir = TempDir::new().unwrap();
    write(dir.path(), "model.safetensors", format!("weights {tag}").repeat(5000).as_bytes());
    write(dir.path(), "tokenizer/vocab.json", br#"{"a": 1}"#);
    write(dir.path(), ".gitattributes", b"*.bin filter=lfs\n");
    write(dir.path(), "shared.bin", b"identical across versions");
    write(dir.path(), "modelreg.toml", b"license = \"Apache-2.0\"\ntask = \"text-classification\"\n");
    dir
}

/// The whole spine on one registry: push, idempotent re-push, conflict, every selector kind,
/// versions, show, and auth failures.
async fn spine(setup: &ServerSetup) {
    let server = ServerProcess::start(setup).await;
    let url = server.url();
    let write_token = setup.create_token("ci", "write");
    let read_token = setup.create_token("reader", "read");
    let work = TempDir::new().unwrap();
    let cwd = work.path();

    let v1 = model_dir("one");
    let dir = v1.path().to_str().unwrap();
    let push = |version: &str, dir: &str| {
        run(
            url,
            Some(&write_token),
            cwd,
            &["push", dir, "--model", "acme/bert", "--version", version, "--json"],
        )
    };
    let first = json_of(&ok(push("1.0.0", dir)));
    assert_eq!(first["created"], true);
    assert_eq!(first["files"], 4, "modelreg.toml is not a version file; hidden files are");
    assert_eq!(first["bytes_uploaded"], first["bytes_total"]);

    let again = json_of(&ok(push("1.0.0", dir)));
    assert_eq!(
        (again["created"].clone(), again["bytes_uploaded"].clone()),
        (Value::Bool(false), Value::from(0))
    );
    assert_eq!(again["digest"], first["digest"]);

    write(v1.path(), "tokenizer/vocab.json", br#"{"a": 2}"#);
    let conflict = push("1.0.0", dir);
    assert_eq!(code(&conflict), 4, "{}", stdout(&conflict));
    assert_eq!(json_of(&conflict)["error"]["code"], "version_conflict");
    let human =
        run(url, Some(&write_token), cwd, &["push", dir, "--model", "acme/bert", "--version", "1.0.0"]);
    assert_eq!(code(&human), 4);
    assert!(stderr(&human).contains("immutable"), "{}", stderr(&human));

    // More versions; shared.bin is deduplicated, so later pushes upload less than the total.
    for (i, version) in ["1.4.0", "1.4.2", "1.5.0-rc.1", "2.0.0"].iter().enumerate() {
        let d = model_dir(&format!("v{i}"));
        let pushed = json_of(&ok(push(version, d.path().to_str().unwrap())));
        assert!(pushed["bytes_uploaded"].as_u64() < pushed["bytes_total"].as_u64(), "{pushed}");
    }

    let cases = [
        ("acme/bert@1.4.0", "1.4.0"),
        ("acme/bert@^1.4", "1.4.2"),
        ("acme/bert@~1.4.0", "1.4.2"),
        ("acme/bert@>=1, <2", "1.4.2"),
        ("acme/bert@1", "1.4.2"),
        ("acme/bert@1.5.0-rc.1", "1.5.0-rc.1"),
        ("acme/bert@latest", "2.0.0"),
        ("acme/bert", "2.0.0"),
    ];
    for (i, (reference, expected)) in cases.iter().enumerate() {
        let out_dir = cwd.join(format!("out{i}"));
        let pulled = json_of(&ok(run(
            url,
            Some(&read_token),
            cwd,
            &["pull", reference, "-o", out_dir.to_str().unwrap(), "--json"],
        )));
        assert_eq!(pulled["version"], *expected, "{reference}");
        assert_eq!(std::fs::read(out_dir.join("shared.bin")).unwrap(), b"identical across versions");
        assert!(out_dir.join(".gitattributes").exists());
        assert!(!out_dir.join("modelreg.toml").exists());
    }
    // The first version came back byte for byte.
    let out = cwd.join("exact");
    ok(run(url, Some(&read_token), cwd, &["pull", "acme/bert@1.0.0", "-o", out.to_str().unwrap()]));
    let original = model_dir("one");
    for rel in ["model.safetensors", "tokenizer/vocab.json", ".gitattributes", "shared.bin"] {
        assert_eq!(
            std::fs::read(out.join(rel)).unwrap(),
            std::fs::read(original.path().join(rel)).unwrap(),
            "{rel}"
        );
    }
    // A default output directory is the model's name, under the working directory.
    ok(run(url, Some(&read_token), cwd, &["pull", "acme/bert@1.4.0"]));
    assert!(cwd.join("bert/model.safetensors").exists());

    let versions = json_of(&ok(run(url, Some(&read_token), cwd, &["versions", "acme/bert", "--json"])));
    let listed: Vec<&str> =
        versions["versions"].as_array().unwrap().iter().map(|v| v["version"].as_str().unwrap()).collect();
    assert_eq!(listed, ["1.0.0", "1.4.0", "1.4.2", "1.5.0-rc.1", "2.0.0"]);
    let shown = json_of(&ok(run(url, Some(&read_token), cwd, &["show", "acme/bert@^1.4", "--json"])));
    assert_eq!(
        (shown["version"].as_str(), shown["metadata"]["license"].as_str()),
        (Some("1.4.2"), Some("Apache-2.0"))
    );
    assert_eq!(shown["metadata"]["task"], "text-classification");

    let missing = run(url, Some(&read_token), cwd, &["pull", "acme/bert@^9"]);
    assert_eq!(code(&missing), 3, "{}", stderr(&missing));

    // Auth: no token, and a read-only token, cannot push (exit 5).
    let d = model_dir("auth");
    let dir = d.path().to_str().unwrap();
    for token in [None, Some(read_token.as_str())] {
        let out = run(url, token, cwd, &["push", dir, "--model", "acme/bert", "--version", "3.0.0"]);
        assert_eq!(code(&out), 5, "token {token:?}: {}", stderr(&out));
    }
    let out = run(url, None, cwd, &["pull", "acme/bert"]);
    assert_eq!(code(&out), 5, "reads need a token by default");

    let logs = server.logs();
    for secret in [&write_token, &read_token] {
        assert!(!logs.contains(secret.as_str()), "a token reached the server log");
    }
}

#[tokio::test]
async fn the_spine_works_end_to_end_on_the_embedded_default() {
    spine(&ServerSetup::embedded()).await;
}

#[tokio::test]
async fn the_spine_works_end_to_end_on_postgres_and_s3() {
    let db = postgres_db().await;
    let s3 = s3_settings();
    spine(&ServerSetup::postgres_s3(&db.url(), &s3, &unique_prefix("e2e"))).await;
}

/// Raw HTTP against the real server for what the CLI never sends.
#[tokio::test]
async fn the_server_refuses_corrupt_uploads_traversal_and_missing_blobs() {
    let setup = ServerSetup::embedded();
    let server = ServerProcess::start(&setup).await;
    let token = setup.create_token("ci", "write");
    let http = reqwest::Client::new();
    let url = server.url();

    let claimed = digest_of(b"the real content");
    let resp = http
        .put(format!("{url}/v1/blobs/{claimed}"))
        .bearer_auth(&token)
        .body("tampered content")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 400);
    let body: Value = resp.json().await.unwrap();
    assert_eq!(body["error"]["code"], "digest_mismatch");
    let missing: Value = http
        .post(format!("{url}/v1/blobs/missing"))
        .bearer_auth(&token)
        .json(&serde_json::json!({ "digests": [claimed] }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(missing["missing"][0], claimed.to_string(), "nothing was stored");

    let data = b"a real blob";
    let digest = digest_of(data);
    let resp = http
        .put(format!("{url}/v1/blobs/{digest}"))
        .bearer_auth(&token)
        .body(&data[..])
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 201);

    let publish = |manifest: Value| {
        http.put(format!("{url}/v1/models/acme/evil/versions/1.0.0"))
            .bearer_auth(&token)
            .json(&manifest)
            .send()
    };
    for path in ["../../etc/passwd", "/etc/passwd", "a/../../b", "a\\b"] {
        let manifest = serde_json::json!({ "files": [{ "path": path, "digest": digest, "size": data.len() }], "metadata": { "license": "MIT" } });
        let resp = publish(manifest).await.unwrap();
        assert_eq!(resp.status(), 422, "{path}");
        let body: Value = resp.json().await.unwrap();
        assert_eq!(body["error"]["code"], "invalid_manifest");
        assert!(body["error"]["message"].as_str().unwrap().contains("files[0].path"), "{body}");
    }
    let absent = digest_of(b"never uploaded");
    let manifest = serde_json::json!({ "files": [
        { "path": "a", "digest": digest, "size": data.len() },
        { "path": "b", "digest": absent, "size": 3 }
    ], "metadata": { "license": "MIT" } });
    let resp = publish(manifest).await.unwrap();
    assert_eq!(resp.status(), 422);
    let body: Value = resp.json().await.unwrap();
    assert_eq!(body["error"]["code"], "missing_blobs");
    assert_eq!(body["error"]["details"]["missing"][0], absent.to_string());
    let resp = http.get(format!("{url}/v1/models/acme/evil")).bearer_auth(&token).send().await.unwrap();
    assert_eq!(resp.status(), 404, "nothing was published");
}

/// A blob altered on disk behind the server's back never lands at a final path on pull.
#[tokio::test]
async fn a_pull_of_a_corrupted_blob_fails_and_leaves_no_file() {
    let setup = ServerSetup::embedded();
    let server = ServerProcess::start(&setup).await;
    let token = setup.create_token("ci", "write");
    let work = TempDir::new().unwrap();
    let d = model_dir("corrupt");
    ok(run(
        server.url(),
        Some(&token),
        work.path(),
        &["push", d.path().to_str().unwrap(), "--model", "acme/c", "--version", "1.0.0"],
    ));
    let weights = std::fs::read(d.path().join("model.safetensors")).unwrap();
    let hex = digest_of(&weights).hex();
    let stored = setup.data_dir().join(format!("blobs/sha256/{}/{}/{}", &hex[..2], &hex[2..4], hex));
    let mut altered = std::fs::read(&stored).unwrap();
    altered[10] ^= 0x55;
    std::fs::write(&stored, altered).unwrap();

    let out_dir = work.path().join("out");
    let out = run(
        server.url(),
        Some(&token),
        work.path(),
        &["pull", "acme/c@1.0.0", "-o", out_dir.to_str().unwrap()],
    );
    assert_ne!(code(&out), 0, "{}", stderr(&out));
    assert!(!out_dir.join("model.safetensors").exists(), "a bad file reached its final path");
}

/// A tiny safetensors file: one F16 tensor of the given shape, zero-filled.
fn safetensors(shape: &[u64]) -> Vec<u8> {
    let elements: u64 = shape.iter().product();
    let header = serde_json::json!({
        "w": { "dtype": "F16", "shape": shape, "data_offsets": [0, elements * 2] },
        "__metadata__": { "format": "pt" }
    })
    .to_string();
    let mut out = (header.len() as u64).to_le_bytes().to_vec();
    out.extend_from_slice(header.as_bytes());
    out.resize(out.len() + (elements * 2) as usize, 0);
    out
}

/// A folder as downloaded from the Hugging Face hub: card front matter, config, weights.
fn hf_folder() -> TempDir {
    let dir = TempDir::new().unwrap();
    write(
        dir.path(),
        "README.md",
        b"---\nlicense: apache-2.0\nlanguage:\n- en\n- fr\npipeline_tag: text-generation\nlibrary_name: transformers\ntags:\n- chat\n---\n# Tiny chat\n\nA test card.\n",
    );
    write(
        dir.path(),
        "config.json",
        br#"{"architectures": ["LlamaForCausalLM"], "model_type": "llama", "max_position_embeddings": 8192, "torch_dtype": "bfloat16"}"#,
    );
    write(dir.path(), "model.safetensors", &safetensors(&[64, 128]));
    dir
}

#[tokio::test]
async fn an_hf_folder_is_pushed_with_its_card_and_found_by_licence_language_and_context() {
    let setup = ServerSetup::embedded();
    let server = ServerProcess::start(&setup).await;
    let token = setup.create_token("ci", "write");
    let work = TempDir::new().unwrap();
    let url = server.url();
    let folder = hf_folder();
    let dir = folder.path().to_str().unwrap();
    ok(run(
        url,
        Some(&token),
        work.path(),
        &["push", dir, "--model", "acme/tiny-chat", "--version", "1.0.0"],
    ));

    let found = json_of(&ok(run(
        url,
        Some(&token),
        work.path(),
        &["search", "--license", "Apache-2.0", "--language", "fr", "--min-context", "8000", "--json"],
    )));
    let rows = found["results"].as_array().unwrap();
    assert_eq!(rows.len(), 1, "{found}");
    assert_eq!(rows[0]["model"], "acme/tiny-chat");
    assert_eq!(rows[0]["license_class"], "permissive");
    assert_eq!(rows[0]["task"], "text-generation");
    assert_eq!(rows[0]["parameters"], 64 * 128, "derived from the safetensors header");
    for miss in [["--min-context", "9000"], ["--language", "de"], ["--license", "MIT"]] {
        let none = json_of(&ok(run(url, Some(&token), work.path(), &["search", miss[0], miss[1], "--json"])));
        assert!(none["results"].as_array().unwrap().is_empty(), "{miss:?}: {none}");
    }
    // A query the registry refuses names the flag, from the parameter in the error's details.
    let refused =
        run(url, Some(&token), work.path(), &["search", "--min-context", "9000", "--max-context", "10"]);
    assert_eq!(code(&refused), 1);
    assert!(stderr(&refused).ends_with("(flag --min-context)\n"), "{}", stderr(&refused));

    let shown = json_of(&ok(run(url, Some(&token), work.path(), &["show", "acme/tiny-chat", "--json"])));
    assert_eq!(shown["facts"]["parameters"]["source"], "derived");
    assert_eq!(shown["facts"]["parameters"]["file"], "model.safetensors");
    assert_eq!(shown["facts"]["context_length"]["value"], 8192);
    assert_eq!(shown["facts"]["precision"]["value"], "fp16", "the weights are F16 whatever config.json says");
    assert_eq!(shown["metadata"]["framework"], "transformers");
    assert!(shown["metadata"]["readme"].as_str().unwrap().contains("Tiny chat"));
    let card = ok(run(url, Some(&token), work.path(), &["show", "acme/tiny-chat"]));
    assert!(stdout(&card).contains("derived from model.safetensors"), "{}", stdout(&card));

    // A declared value the files contradict is refused with both values, unless overridden.
    write(folder.path(), "modelreg.toml", b"parameters = 7000000000\n");
    let refused = run(
        url,
        Some(&token),
        work.path(),
        &["push", dir, "--model", "acme/tiny-chat", "--version", "1.1.0"],
    );
    assert_ne!(code(&refused), 0);
    let message = stderr(&refused);
    assert!(message.contains("7000000000") && message.contains("8192"), "{message}");
    assert!(message.ends_with("push again with --override-derived parameters)\n"), "{message}");
    ok(run(
        url,
        Some(&token),
        work.path(),
        &["push", dir, "--model", "acme/tiny-chat", "--version", "1.1.0", "--override-derived", "parameters"],
    ));
    let shown =
        json_of(&ok(run(url, Some(&token), work.path(), &["show", "acme/tiny-chat@1.1.0", "--json"])));
    assert_eq!(shown["facts"]["parameters"]["source"], "overridden");
    assert_eq!(shown["facts"]["parameters"]["derived"], 8192);
}
