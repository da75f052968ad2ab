//! The download path (issue 11) with both client versions on both backends: one registry per
//! run, filled over `/v1`, then `server/tests/hf/download.py` calls every read the issue
//! names. PostgreSQL + S3 runs with `blobs.presign` on, so files redirect to the storage host.

use modelreg_testkit::{ServerProcess, ServerSetup, postgres_db, s3_settings, unique_prefix};
use serde_json::{Value, json};

use super::support::{Client, Filler, limited_token, run_script};

/// Deterministic bytes (xorshift), so that runs are comparable.
fn noise(len: usize, seed: u64) -> Vec<u8> {
    let mut x = seed | 1;
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            (x >> 24) as u8
        })
        .collect()
}

/// A safetensors file holding one 2x2 F32 tensor named `w`.
fn safetensors() -> Vec<u8> {
    let mut header = br#"{"w":{"dtype":"F32","shape":[2,2],"data_offsets":[0,16]}}"#.to_vec();
    while !header.len().is_multiple_of(8) {
        header.push(b' ');
    }
    let mut out = (header.len() as u64).to_le_bytes().to_vec();
    out.extend(header);
    out.extend([0u8; 16]);
    out
}

const CONFIG: &str = r#"{"model_type": "bert", "architectures": ["BertModel"], "vocab_size": 5, "hidden_size": 8,
 "num_hidden_layers": 1, "num_attention_heads": 1, "intermediate_size": 8, "max_position_embeddings": 64}"#;

const TOKENIZER: &str = r#"{"version": "1.0", "truncation": null, "padding": null, "added_tokens": [],
 "normalizer": null, "pre_tokenizer": {"type": "Whitespace"}, "post_processor": null, "decoder": null,
 "model": {"type": "WordLevel", "vocab": {"[UNK]": 0, "hello": 1, "world": 2, "[CLS]": 3, "[SEP]": 4},
 "unk_token": "[UNK]"}}"#;

const TOKENIZER_CONFIG: &str =
    r#"{"tokenizer_class": "PreTrainedTokenizerFast", "unk_token": "[UNK]", "model_max_length": 64}"#;

/// The files of one version of `acme/tiny`; `big` is shared by every version.
fn tiny_files(notes: &str, big: &[u8]) -> Vec<(&'static str, Vec<u8>)> {
    vec![
        ("config.json", CONFIG.as_bytes().to_vec()),
        ("tokenizer.json", TOKENIZER.as_bytes().to_vec()),
        ("tokenizer_config.json", TOKENIZER_CONFIG.as_bytes().to_vec()),
        ("model.safetensors", safetensors()),
        ("big.bin", big.to_vec()),
        ("sub/notes.txt", notes.as_bytes().to_vec()),
    ]
}

/// Fills the registry and returns the spec the script reads.
async fn fill(
    setup: &ServerSetup,
    server: &ServerProcess,
    token: &str,
    presign: bool,
    client: Client,
) -> Value {
    let filler = Filler::new(server, token);
    let metadata = json!({
        "license": "Apache-2.0",
        "task": "text-classification",
        "languages": ["en", "fr"],
        "tags": ["tiny", "test"],
        "datasets": ["squad"],
        "framework": "transformers",
    });
    let big = noise(12 << 20, 7);
    let yanked = filler.publish("acme/tiny", "0.9.0", &tiny_files("first", &big), metadata.clone()).await;
    filler.yank("acme/tiny", "0.9.0").await;
    let old = filler.publish("acme/tiny", "1.0.0", &tiny_files("one", &big), metadata.clone()).await;
    let latest = filler.publish("acme/tiny", "1.1.0", &tiny_files("one point one", &big), metadata).await;
    filler.alias("acme/tiny", "production", "1.0.0").await;
    let small = |text: &str| vec![("config.json", text.as_bytes().to_vec())];
    filler.publish("secret/hidden", "1.0.0", &small("{}"), json!({ "license": "MIT" })).await;
    let pager_count = 5;
    for i in 0..pager_count {
        let text = format!("{{\"i\": {i}}}");
        filler.publish(&format!("pager/m{i}"), "1.0.0", &small(&text), json!({ "license": "MIT" })).await;
    }
    json!({
        "model": "acme/tiny",
        "hidden": "secret/hidden",
        "pager": "pager",
        "pager_count": pager_count,
        "versions": { "1.0.0": old, "1.1.0": latest },
        "latest": "1.1.0",
        "alias": "production",
        "alias_version": "1.0.0",
        "yanked": "0.9.0",
        "yanked_commit": yanked["commit"],
        "big": "big.bin",
        "presign": presign,
        "token_name": "root",
        "limited_token": limited_token(setup, "acme-reader", "read", &["acme"]),
        "hf_cli": client.hf_cli(),
        "transformers": client == Client::V2,
    })
}

async fn download_path(setup: ServerSetup, client: Client, presign: bool) {
    let python = client.python();
    assert!(python.is_file());
    let token = setup.create_token("root", "admin");
    let server = ServerProcess::start(&setup).await;
    let spec = fill(&setup, &server, &token, presign, client).await;
    let work = tempfile::tempdir().expect("a work folder");
    run_script(client, "download.py", &server, &token, &spec, work.path());
    assert!(!server.logs().contains(&token), "a token reached the server log");
}

fn postgres_s3_presigned(db: &modelreg_testkit::PgTestDb) -> ServerSetup {
    ServerSetup::postgres_s3(&db.url(), &s3_settings(), &unique_prefix("hf"))
        .with_env("MODELREG_BLOBS_PRESIGN", "true")
}

#[tokio::test]
async fn hub_2_downloads_everything_from_the_embedded_default() {
    download_path(ServerSetup::embedded(), Client::V2, false).await;
}

#[tokio::test]
async fn hub_0_36_downloads_everything_from_the_embedded_default() {
    download_path(ServerSetup::embedded(), Client::V036, false).await;
}

#[tokio::test]
async fn hub_2_downloads_everything_from_postgres_and_presigned_s3() {
    let db = postgres_db().await;
    download_path(postgres_s3_presigned(&db), Client::V2, true).await;
}

#[tokio::test]
async fn hub_0_36_downloads_everything_from_postgres_and_presigned_s3() {
    let db = postgres_db().await;
    download_path(postgres_s3_presigned(&db), Client::V036, true).await;
}
