//! Two release servers on one PostgreSQL database and one S3 bucket prefix, each with a data
//! directory of its own, as replicas behind a load balancer run (issue 12 §3). Whatever one
//! replica writes, the other serves on the very next request: a push and its pull, an upload
//! session begun on one and completed on the other, a contested version, garbage collection
//! beside a publisher, a revoked token, a browser session; and two servers starting at the same
//! moment on a fresh database both come up. The binary is the release build named by
//! `MODELREG_TEST_RELEASE_SERVER` (`scripts/test.d/release-server.sh`).

mod gc;
mod startup;
mod tokens;

use std::path::Path;
use std::process::Output;
use std::time::Duration;

use futures_util::future::join_all;
use modelreg_testkit::{
    PgTestDb, ServerProcess, ServerSetup, bin_path, postgres_db, release_server_bin, s3_settings,
    unique_prefix,
};
use reqwest::{Client, StatusCode};
use serde_json::{Value, json};
use tempfile::TempDir;

use crate::support::{bytes, digest_of, manifest, put_blob};

/// Two replicas of one deployment, and an admin token for it. Fields drop in order: the
/// servers stop before their setups remove the data directories.
struct Replicas {
    a: ServerProcess,
    b: ServerProcess,
    setup_a: ServerSetup,
    setup_b: ServerSetup,
    admin: String,
    _db: PgTestDb,
}

/// Two setups of one deployment on a fresh database and a fresh bucket prefix, with `env`.
fn deployment_with(db: &PgTestDb, tag: &str, env: &[(&str, &str)]) -> (ServerSetup, ServerSetup) {
    let mut a = ServerSetup::postgres_s3(&db.url(), &s3_settings(), &unique_prefix(tag))
        .with_binary(release_server_bin());
    for (key, value) in env {
        a = a.with_env(key, value);
    }
    let b = a.replica();
    (a, b)
}

fn deployment(db: &PgTestDb, tag: &str) -> (ServerSetup, ServerSetup) {
    deployment_with(db, tag, &[])
}

async fn replicas(tag: &str) -> Replicas {
    replicas_with(tag, &[]).await
}

async fn replicas_with(tag: &str, env: &[(&str, &str)]) -> Replicas {
    let db = postgres_db().await;
    let (setup_a, setup_b) = deployment_with(&db, tag, env);
    let admin = setup_a.create_token("admin", "admin");
    let (a, b) = tokio::join!(ServerProcess::start(&setup_a), ServerProcess::start(&setup_b));
    Replicas { a, b, setup_a, setup_b, admin, _db: db }
}

fn client() -> Client {
    Client::builder()
        .timeout(Duration::from_secs(120))
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("an HTTP client")
}

/// `PUT /v1/models/{model}/versions/{version}` with one file per `(path, bytes)`, licence MIT.
async fn publish(
    c: &Client,
    url: &str,
    token: &str,
    model: &str,
    version: &str,
    files: &[(&str, &[u8])],
) -> (StatusCode, Value) {
    let body = serde_json::to_vec(&manifest(files, "MIT")).unwrap();
    let r = c
        .put(format!("{url}/v1/models/{model}/versions/{version}"))
        .bearer_auth(token)
        .header("content-type", "application/json")
        .body(body)
        .send()
        .await
        .unwrap();
    let status = r.status();
    (status, r.json().await.unwrap_or(Value::Null))
}

/// `GET` of a JSON document, asserting `200`.
async fn get_json(c: &Client, url: &str, token: &str) -> Value {
    let r = c.get(url).bearer_auth(token).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK, "GET {url}");
    r.json().await.unwrap()
}

/// The bytes of a blob, read through `url`.
async fn download(c: &Client, url: &str, token: &str, digest: &str) -> Vec<u8> {
    let r = c.get(format!("{url}/v1/blobs/{digest}")).bearer_auth(token).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK, "GET {url}/v1/blobs/{digest}");
    r.bytes().await.unwrap().to_vec()
}

/// Runs the real CLI `modelreg` against `url`.
fn modelreg(url: &str, token: &str, cache: &Path, args: &[&str]) -> Output {
    let out = std::process::Command::new(bin_path("modelreg"))
        .args(args)
        .env("MODELREG_URL", url)
        .env("MODELREG_TOKEN", token)
        .env("MODELREG_CACHE_DIR", cache)
        .env("NO_COLOR", "1")
        .output()
        .expect("running modelreg");
    assert!(
        out.status.success(),
        "modelreg {args:?} against {url} failed ({}):\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

#[tokio::test]
async fn a_model_pushed_through_one_replica_pulls_byte_identical_through_the_other() {
    let r = replicas("replica-push").await;
    let work = TempDir::new().unwrap();
    let model = work.path().join("model");
    let files: [(&str, Vec<u8>); 3] = [
        ("weights.bin", bytes((3 << 20) + 17, 1)),
        ("tokenizer/vocab.txt", bytes(70_000, 2)),
        ("notes.txt", b"replicated".to_vec()),
    ];
    for (path, data) in &files {
        let path = model.join(path);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, data).unwrap();
    }
    let cache = work.path().join("cache");
    let model_dir = model.to_str().unwrap();
    let push = ["push", model_dir, "--model", "acme/twin", "--version", "1.0.0", "--license", "MIT"];
    modelreg(r.a.url(), &r.admin, &cache, &push);

    let pulled = work.path().join("pulled");
    modelreg(
        r.b.url(),
        &r.admin,
        &cache.join("b"),
        &["pull", "acme/twin@1.0.0", "-o", pulled.to_str().unwrap()],
    );
    for (path, sent) in &files {
        let got = std::fs::read(pulled.join(path)).unwrap_or_else(|e| panic!("{path} was not pulled: {e}"));
        assert!(&got == sent, "{path}: the pull through B differs from the push through A");
    }
    let (c, version) = (client(), "/v1/models/acme/twin/versions/1.0.0");
    let on_a = get_json(&c, &format!("{}{version}", r.a.url()), &r.admin).await;
    let on_b = get_json(&c, &format!("{}{version}", r.b.url()), &r.admin).await;
    assert_eq!(on_a, on_b, "both replicas serve the same version");
    assert_eq!(on_b["files"].as_array().map(Vec::len), Some(3), "{on_b}");
}

#[tokio::test]
async fn an_upload_session_opened_on_one_replica_is_continued_and_completed_on_the_other() {
    let r = replicas("replica-session").await;
    let (c, a, b) = (client(), r.a.url(), r.b.url());
    // Three parts at the default 16 MiB: 16 + 16 + 1 MiB.
    let blob = bytes(33 << 20, 9);
    let digest = digest_of(&blob).to_string();
    // Hashing 33 MiB in a debug build takes seconds: done before any connection is pooled,
    // not while one idles past the server's keep-alive.
    let publish_body = serde_json::to_vec(&manifest(&[("weights.bin", &blob)], "MIT")).unwrap();
    let created = c
        .post(format!("{a}/v1/uploads"))
        .bearer_auth(&r.admin)
        .json(&json!({"digest": digest, "size": blob.len()}))
        .send()
        .await
        .unwrap();
    assert_eq!(created.status(), StatusCode::CREATED);
    let session: Value = created.json().await.unwrap();
    let (id, part_size) =
        (session["id"].as_str().unwrap().to_owned(), session["part_size"].as_u64().unwrap());
    assert_eq!((session["part_count"].as_u64(), part_size), (Some(3), 16 << 20), "{session}");

    let put_part = |url: &str, n: usize| {
        let chunk = blob.chunks(part_size as usize).nth(n - 1).unwrap().to_vec();
        c.put(format!("{url}/v1/uploads/{id}/parts/{n}")).bearer_auth(&r.admin).body(chunk).send()
    };
    let part = put_part(a, 1).await.unwrap();
    assert_eq!(part.status(), StatusCode::OK, "part 1 on A");
    let status = get_json(&c, &format!("{b}/v1/uploads/{id}"), &r.admin).await;
    assert_eq!(status["received"], json!([1]), "B sees the part A took: {status}");
    for n in [2, 3] {
        let part = put_part(b, n).await.unwrap();
        assert_eq!(part.status(), StatusCode::OK, "part {n} on B");
    }
    let done = c.post(format!("{b}/v1/uploads/{id}/complete")).bearer_auth(&r.admin).send().await.unwrap();
    assert_eq!(done.status(), StatusCode::CREATED, "complete on B");
    let done: Value = done.json().await.unwrap();
    assert_eq!((done["digest"].as_str(), done["created"].as_bool()), (Some(digest.as_str()), Some(true)));
    let status = get_json(&c, &format!("{a}/v1/uploads/{id}"), &r.admin).await;
    assert_eq!(status["state"], "complete", "A sees B's completion: {status}");

    let sent = c
        .put(format!("{b}/v1/models/acme/big/versions/1.0.0"))
        .bearer_auth(&r.admin)
        .header("content-type", "application/json")
        .body(publish_body)
        .send()
        .await;
    let sent = sent.unwrap_or_else(|e| panic!("publish on B: {e:?}\nB printed:\n{}", r.b.logs()));
    let code = sent.status();
    let body: Value = sent.json().await.unwrap_or(Value::Null);
    assert_eq!(code, StatusCode::CREATED, "{body}");
    let work = TempDir::new().unwrap();
    let pulled = work.path().join("pulled");
    modelreg(
        a,
        &r.admin,
        &work.path().join("cache"),
        &["pull", "acme/big@1.0.0", "-o", pulled.to_str().unwrap()],
    );
    assert!(std::fs::read(pulled.join("weights.bin")).unwrap() == blob, "the pull through A differs");
}

#[tokio::test]
async fn the_open_session_cap_of_a_token_holds_across_replicas() {
    let r = replicas_with("replica-cap", &[("MODELREG_MAX_OPEN_SESSIONS_PER_TOKEN", "3")]).await;
    let (c, admin, urls) = (&client(), r.admin.as_str(), [r.a.url(), r.b.url()]);
    // Eight sessions for eight different blobs, four opened through each replica at once.
    let opens = (0..8u8).map(|i| async move {
        let digest = digest_of(&[i]).to_string();
        let r = c
            .post(format!("{}/v1/uploads", urls[usize::from(i) % 2]))
            .bearer_auth(admin)
            .json(&json!({"digest": digest, "size": 6 << 20}))
            .send()
            .await
            .unwrap();
        let status = r.status();
        (status, r.json::<Value>().await.unwrap())
    });
    let results = join_all(opens).await;
    let opened = results.iter().filter(|(s, _)| *s == StatusCode::CREATED).count();
    assert_eq!(opened, 3, "exactly the cap opens, whichever replica is asked: {results:?}");
    for (status, body) in results.iter().filter(|(s, _)| *s != StatusCode::CREATED) {
        assert_eq!(*status, StatusCode::TOO_MANY_REQUESTS, "{body}");
        assert_eq!(body["error"]["code"], "too_many_uploads", "{body}");
    }
}

#[tokio::test]
async fn ten_conflicting_publishes_split_across_replicas_have_one_winner_that_both_serve() {
    let r = replicas("replica-conflict").await;
    let c = client();
    let urls = [r.a.url(), r.b.url()];
    let blobs: Vec<Vec<u8>> = (0..10u8).map(|i| bytes(4096 + usize::from(i), 40 + i)).collect();
    for (i, blob) in blobs.iter().enumerate() {
        put_blob(&c, urls[i % 2], &r.admin, blob).await;
    }
    let (c, admin) = (&c, r.admin.as_str());
    let attempts = blobs.iter().enumerate().map(|(i, blob)| async move {
        publish(c, urls[i % 2], admin, "acme/contested", "1.0.0", &[("weights.bin", blob.as_slice())]).await
    });
    let results = join_all(attempts).await;

    let winners: Vec<usize> = (0..10).filter(|&i| results[i].0 == StatusCode::CREATED).collect();
    assert_eq!(winners.len(), 1, "exactly one publish wins: {results:?}");
    let winner = winners[0];
    let digest = results[winner].1["digest"].as_str().unwrap().to_owned();
    for (i, (status, body)) in results.iter().enumerate().filter(|&(i, _)| i != winner) {
        assert_eq!(*status, StatusCode::CONFLICT, "attempt {i}: {body}");
        assert_eq!(body["error"]["code"], "version_conflict", "attempt {i}: {body}");
        assert_eq!(body["error"]["details"]["existing_digest"], digest.as_str(), "attempt {i}: {body}");
    }

    let path = "/v1/models/acme/contested/versions/1.0.0";
    let on_a = get_json(c, &format!("{}{path}", urls[0]), &r.admin).await;
    let on_b = get_json(c, &format!("{}{path}", urls[1]), &r.admin).await;
    assert_eq!(on_a, on_b, "both replicas serve the same manifest");
    assert_eq!(on_a["digest"], digest.as_str());
    let file = on_a["files"][0]["digest"].as_str().unwrap();
    assert_eq!(file, digest_of(&blobs[winner]).to_string(), "the winner's file");
    for url in urls {
        assert!(download(c, url, &r.admin, file).await == blobs[winner], "{url} serves the winner's bytes");
    }
    // The winner's manifest again, through the other replica: the identical no-op.
    let (status, _) = publish(
        c,
        urls[1 - winner % 2],
        &r.admin,
        "acme/contested",
        "1.0.0",
        &[("weights.bin", &blobs[winner])],
    )
    .await;
    assert_eq!(status, StatusCode::OK);
}
