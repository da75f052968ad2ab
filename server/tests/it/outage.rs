//! Dependencies failing under the real binary: a [`TcpProxy`] sits between `modelreg-server`
//! and PostgreSQL and another between it and the S3 test server. Cut (or blackholed) in the
//! middle of traffic, requests that need the dependency answer `503 unavailable` with
//! `Retry-After` within the configured timeouts, `/readyz` names the dependency, `/healthz`
//! stays 200; once restored, the server serves again without a restart, the real CLI's
//! retries succeed, every published version pulls byte for byte and nothing is
//! half-published. A CLI whose registry stays unavailable exits 7.

use std::net::SocketAddr;
use std::path::Path;
use std::process::{Command, Output};
use std::time::{Duration, Instant};

use modelreg_api::UploadSession;
use modelreg_testkit::{
    PgTestDb, ServerProcess, ServerSetup, TcpProxy, bin_path, postgres_db, s3_settings, unique_prefix,
};
use reqwest::{Client, StatusCode, Url};
use serde_json::{Value, json};
use tempfile::TempDir;

use crate::support::{bytes, digest_of, manifest};

/// `database.acquire_timeout_secs` of the server under test.
const ACQUIRE_TIMEOUT_SECS: u64 = 2;
/// `blobs.retry_timeout_secs` and `blobs.request_timeout_secs`.
const S3_TIMEOUT_SECS: u64 = 2;
/// An answer that takes longer than this counts as a hang: the configured timeouts plus
/// room for a machine under heavy load.
const HANG: Duration = Duration::from_secs(15);
/// Upload session parts, the smallest S3 takes.
const PART: usize = 5 << 20;

/// The server on PostgreSQL and S3, each behind a proxy, with a write token.
/// Fields drop in order: the server stops before its data directory and database go.
struct Rig {
    server: ServerProcess,
    pg: TcpProxy,
    s3: TcpProxy,
    token: String,
    work: TempDir,
    http: Client,
    _setup: ServerSetup,
    _db: PgTestDb,
}

/// `url` with its host and port replaced by `proxy`'s, and the address it named.
fn through(url: &str, default_port: u16) -> (SocketAddr, impl FnOnce(SocketAddr) -> String + use<>) {
    let mut parsed = Url::parse(url).expect("a URL");
    let target = parsed.socket_addrs(|| Some(default_port)).expect("the URL resolves")[0];
    (target, move |proxy: SocketAddr| {
        parsed.set_host(Some(&proxy.ip().to_string())).expect("a host");
        parsed.set_port(Some(proxy.port())).expect("a port");
        parsed.to_string().trim_end_matches('/').to_owned()
    })
}

impl Rig {
    async fn start() -> Rig {
        let db = postgres_db().await;
        let (pg_target, pg_url) = through(&db.url(), 5432);
        let pg = TcpProxy::start(pg_target);
        let mut s3_conf = s3_settings();
        let (s3_target, s3_url) = through(&s3_conf.endpoint, 80);
        let s3 = TcpProxy::start(s3_target);
        s3_conf.endpoint = s3_url(s3.addr());

        let setup = ServerSetup::postgres_s3(&pg_url(pg.addr()), &s3_conf, &unique_prefix("outage"));
        let config = setup.data_dir().join("server.toml");
        std::fs::write(&config, format!("[uploads]\npart_size = {PART}\n")).unwrap();
        let secs = |n: u64| n.to_string();
        let setup = setup
            .with_env("MODELREG_CONFIG", config.to_str().unwrap())
            .with_env("MODELREG_RETRY_AFTER_SECS", "1")
            .with_env("MODELREG_DATABASE_ACQUIRE_TIMEOUT_SECS", &secs(ACQUIRE_TIMEOUT_SECS))
            .with_env("MODELREG_DATABASE_STATEMENT_TIMEOUT_SECS", "10")
            .with_env("MODELREG_BLOBS_CONNECT_TIMEOUT_SECS", "1")
            .with_env("MODELREG_BLOBS_REQUEST_TIMEOUT_SECS", &secs(S3_TIMEOUT_SECS))
            .with_env("MODELREG_BLOBS_RETRY_TIMEOUT_SECS", &secs(S3_TIMEOUT_SECS));
        let token = setup.create_token("ci", "write");
        let server = ServerProcess::start(&setup).await;
        let http = Client::builder().timeout(Duration::from_secs(120)).build().unwrap();
        let work = tempfile::tempdir().unwrap();
        Rig { server, pg, s3, token, work, http, _setup: setup, _db: db }
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.server.url())
    }

    async fn get(&self, path: &str) -> reqwest::Response {
        self.http.get(self.url(path)).bearer_auth(&self.token).send().await.unwrap()
    }

    async fn put(&self, path: &str, body: Vec<u8>) -> reqwest::Response {
        self.http.put(self.url(path)).bearer_auth(&self.token).body(body).send().await.unwrap()
    }

    async fn publish(&self, version: &str, files: &[(&str, &[u8])]) -> reqwest::Response {
        let manifest = serde_json::to_vec(&manifest(files, "MIT")).unwrap();
        self.http
            .put(self.url(&format!("/v1/models/acme/bert/versions/{version}")))
            .bearer_auth(&self.token)
            .header("content-type", "application/json")
            .body(manifest)
            .send()
            .await
            .unwrap()
    }

    /// `/readyz`: its status and its checks.
    async fn readyz(&self) -> (StatusCode, Value) {
        let r = self.http.get(self.url("/readyz")).send().await.unwrap();
        (r.status(), r.json().await.unwrap())
    }

    /// Runs the real CLI against the server (retrying for `retry_for_secs`) off the runtime.
    async fn cli(&self, args: &[&str], retry_for_secs: u64) -> (Output, Duration) {
        let mut cmd = Command::new(bin_path("modelreg"));
        cmd.args(args)
            .env("MODELREG_URL", self.server.url())
            .env("MODELREG_TOKEN", &self.token)
            .env("MODELREG_CACHE_DIR", self.work.path().join("cache"))
            .env("MODELREG_RETRY_FOR", retry_for_secs.to_string())
            .env("NO_COLOR", "1");
        let started = Instant::now();
        let out = tokio::task::spawn_blocking(move || cmd.output().expect("running modelreg")).await.unwrap();
        (out, started.elapsed())
    }

    /// Pulls `selector` with the CLI and checks each file against `files`, byte for byte.
    async fn pulls_intact(&self, selector: &str, files: &[(&str, &[u8])]) {
        let dir = self.work.path().join(format!("pulled-{selector}"));
        let (out, _) =
            self.cli(&["pull", &format!("acme/bert@{selector}"), "-o", dir.to_str().unwrap()], 60).await;
        assert!(out.status.success(), "pull {selector}: {}", String::from_utf8_lossy(&out.stderr));
        for (path, data) in files {
            let got = std::fs::read(dir.join(path)).unwrap();
            assert!(got == *data, "{selector}: {path} differs after the outage");
        }
    }

    /// The published versions of `acme/bert`, in order.
    async fn versions(&self) -> Vec<String> {
        let r = self.get("/v1/models/acme/bert/versions").await;
        assert_eq!(r.status(), StatusCode::OK);
        let list: Value = r.json().await.unwrap();
        let items = list["versions"].as_array().unwrap_or_else(|| panic!("{list}"));
        items.iter().map(|v| v["version"].as_str().unwrap().to_owned()).collect()
    }
}

/// Asserts a `503 unavailable` envelope with a `Retry-After` of the configured 1 s, and
/// returns its message.
async fn assert_unavailable(r: reqwest::Response, what: &str) -> String {
    assert_eq!(r.status(), StatusCode::SERVICE_UNAVAILABLE, "{what}");
    assert_eq!(r.headers().get("retry-after").map(|v| v.to_str().unwrap()), Some("1"), "{what}");
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["error"]["code"], "unavailable", "{what}: {body}");
    body["error"]["message"].as_str().unwrap().to_owned()
}

fn write_files(dir: &Path, files: &[(&str, &[u8])]) {
    for (path, data) in files {
        std::fs::create_dir_all(dir.join(path).parent().unwrap()).unwrap();
        std::fs::write(dir.join(path), data).unwrap();
    }
}

#[tokio::test]
async fn a_database_outage_during_a_publish_answers_503_and_the_cli_push_succeeds_once_it_returns() {
    let rig = Rig::start().await;
    let weights = bytes(4096, 1);
    let digest = digest_of(&weights);
    let r = rig.put(&format!("/v1/blobs/{digest}"), weights.clone()).await;
    assert!(r.status().is_success(), "blob upload: {}", r.status());
    assert_eq!(rig.publish("1.0.0", &[("weights.bin", &weights)]).await.status(), StatusCode::CREATED);

    // PostgreSQL goes silent: live connections drop, new ones are accepted and never answered.
    rig.pg.blackhole();
    let started = Instant::now();
    let r = rig.publish("1.1.0", &[("weights.bin", &weights)]).await;
    let took = started.elapsed();
    let message = assert_unavailable(r, "a publish while the database is down").await;
    assert!(message.contains("database"), "{message}");
    assert!(took >= Duration::from_secs(ACQUIRE_TIMEOUT_SECS) - Duration::from_millis(500), "{took:?}");
    assert!(took < HANG, "a publish hung for {took:?} with the database down");
    let started = Instant::now();
    let (status, ready) = rig.readyz().await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(ready, json!({ "status": "unavailable", "checks": { "database": "down", "blobs": "ok" } }));
    assert!(started.elapsed() < HANG, "readiness hung for {:?}", started.elapsed());
    let r = rig.http.get(rig.url("/healthz")).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK, "liveness does not depend on the database");
    assert_unavailable(rig.get("/v1/models/acme/bert/versions").await, "listing versions").await;

    // The CLI pushes a new version while the database is still down; it comes back after 4 s.
    let dir = rig.work.path().join("model");
    let extra = bytes(2048, 2);
    let files: [(&str, &[u8]); 2] = [("weights.bin", &weights), ("extra/tokenizer.json", &extra)];
    write_files(&dir, &files);
    let restored = rig.pg.restore_after(Duration::from_secs(4));
    let args =
        ["push", dir.to_str().unwrap(), "--model", "acme/bert", "--version", "1.2.0", "--license", "MIT"];
    let (out, took) = rig.cli(&args, 60).await;
    restored.join().unwrap();
    assert!(
        out.status.success(),
        "push after the outage ({took:?}): {}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(took >= Duration::from_secs(3), "the push waited for the database: {took:?}");

    // Served again without a restart; nothing of the refused publish exists.
    assert_eq!(rig.readyz().await.0, StatusCode::OK);
    assert_eq!(rig.versions().await, ["1.0.0", "1.2.0"]);
    rig.pulls_intact("1.0.0", &[("weights.bin", &weights)]).await;
    rig.pulls_intact("1.2.0", &files).await;
}

#[tokio::test]
async fn an_s3_outage_during_an_upload_session_answers_503_and_the_session_resumes_once_it_returns() {
    let rig = Rig::start().await;
    let blob = bytes(2 * PART + 1000, 3);
    let digest = digest_of(&blob);
    let r = rig
        .http
        .post(rig.url("/v1/uploads"))
        .bearer_auth(&rig.token)
        .json(&json!({ "digest": digest, "size": blob.len() }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::CREATED);
    let session: UploadSession = r.json().await.unwrap();
    assert_eq!(session.part_count, 3);
    let id = session.id.expect("an open session has an id");
    let part = |n: usize| blob[(n - 1) * PART..(n * PART).min(blob.len())].to_vec();
    assert_eq!(rig.put(&format!("/v1/uploads/{id}/parts/1"), part(1)).await.status(), StatusCode::OK);

    // S3 refuses connections: the next part cannot be stored.
    rig.s3.cut();
    let started = Instant::now();
    let r = rig.put(&format!("/v1/uploads/{id}/parts/2"), part(2)).await;
    let took = started.elapsed();
    let message = assert_unavailable(r, "a part while S3 is down").await;
    assert!(message.contains("blob store"), "{message}");
    assert!(took < HANG, "a part hung for {took:?} with S3 down");
    let (status, ready) = rig.readyz().await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(ready, json!({ "status": "unavailable", "checks": { "database": "ok", "blobs": "down" } }));
    assert_eq!(rig.http.get(rig.url("/healthz")).send().await.unwrap().status(), StatusCode::OK);

    // Back again: the session still holds part 1 and takes the rest.
    rig.s3.restore();
    let status: UploadSession = rig.get(&format!("/v1/uploads/{id}")).await.json().await.unwrap();
    assert_eq!(status.received, vec![1], "the part stored before the outage is kept, the refused one is not");
    for n in [2, 3] {
        assert_eq!(rig.put(&format!("/v1/uploads/{id}/parts/{n}"), part(n)).await.status(), StatusCode::OK);
    }
    let r =
        rig.http.post(rig.url(&format!("/v1/uploads/{id}/complete"))).bearer_auth(&rig.token).send().await;
    assert!(r.unwrap().status().is_success(), "complete after the outage");
    assert_eq!(rig.readyz().await.0, StatusCode::OK);

    // The CLI pushes through another S3 outage that ends after 3 s.
    let dir = rig.work.path().join("model");
    let small = bytes(3000, 4);
    let files: [(&str, &[u8]); 2] = [("model.bin", &blob), ("config.json", &small)];
    write_files(&dir, &files);
    rig.s3.cut();
    let restored = rig.s3.restore_after(Duration::from_secs(3));
    let args =
        ["push", dir.to_str().unwrap(), "--model", "acme/bert", "--version", "2.0.0", "--license", "MIT"];
    let (out, took) = rig.cli(&args, 60).await;
    restored.join().unwrap();
    assert!(
        out.status.success(),
        "push after the outage ({took:?}): {}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(rig.versions().await, ["2.0.0"]);
    rig.pulls_intact("2.0.0", &files).await;
}

#[tokio::test]
async fn an_s3_outage_during_a_pull_answers_503_and_a_retrying_pull_gets_every_byte() {
    let rig = Rig::start().await;
    let weights = bytes(300_000, 5);
    let digest = digest_of(&weights);
    assert!(rig.put(&format!("/v1/blobs/{digest}"), weights.clone()).await.status().is_success());
    assert_eq!(rig.publish("1.0.0", &[("weights.bin", &weights)]).await.status(), StatusCode::CREATED);

    // S3 goes silent: the blob read times out after the configured request timeout.
    rig.s3.blackhole();
    let started = Instant::now();
    let r = rig.get(&format!("/v1/blobs/{digest}")).await;
    let took = started.elapsed();
    assert_unavailable(r, "a blob read while S3 is down").await;
    assert!(took < HANG, "a blob read hung for {took:?} with S3 down");
    let r = rig.get("/v1/models/acme/bert/versions/1.0.0").await;
    assert_eq!(r.status(), StatusCode::OK, "what needs only the database still answers");
    let (status, ready) = rig.readyz().await;
    assert_eq!((status, &ready["checks"]["blobs"]), (StatusCode::SERVICE_UNAVAILABLE, &json!("down")));

    let restored = rig.s3.restore_after(Duration::from_secs(4));
    rig.pulls_intact("1.0.0", &[("weights.bin", &weights)]).await;
    restored.join().unwrap();
    assert_eq!(rig.readyz().await.0, StatusCode::OK);
    assert_eq!(rig.versions().await, ["1.0.0"]);
}

#[tokio::test]
async fn a_cli_whose_registry_stays_unavailable_gives_up_after_its_budget_with_exit_7() {
    let rig = Rig::start().await;
    rig.pg.cut();
    let (out, took) = rig.cli(&["versions", "acme/bert"], 3).await;
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(7), "{stderr}");
    assert!(stderr.contains("503") && stderr.contains("database"), "{stderr}");
    assert!(stderr.contains("still unavailable after retrying for 3 s"), "{stderr}");
    assert!(took >= Duration::from_secs(3), "it retried for its budget: {took:?}");
    assert!(took < Duration::from_secs(3) + HANG, "it gave up in time: {took:?}");

    // With no budget it fails at once, with the same exit code.
    let (out, _) = rig.cli(&["versions", "acme/bert", "--json"], 0).await;
    assert_eq!(out.status.code(), Some(7));
    let body: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(body["error"]["code"], "unavailable", "{body}");
}
