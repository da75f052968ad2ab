//! Scrubbing (`modelreg-server verify`): the store's page of referenced blobs and its damage
//! records on both dialects, then the real binary on both backends (SQLite + local folder,
//! PostgreSQL + S3) beside a running server: blobs corrupted, removed and truncated behind
//! the registry's back are reported exactly, with the versions that reference them and exit
//! status 1; `--since` and `--sample` choose what is read; `missing` asks for the bad blobs
//! again and uploads of the right bytes (whole and through a session) repair them; the rate
//! limit is honoured and the metrics file shows the run during and after it.

use std::process::Output;
use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::{TimeZone, Utc};
use modelreg_api::{Digest, UploadSession};
use modelreg_server::blob::key_for;
use modelreg_server::service::sampled;
use modelreg_server::store::{MetadataStore, NewFile, NewVersion};
use modelreg_testkit::{ServerProcess, ServerSetup, bin_path, postgres_db, s3_settings, unique_prefix};
use object_store::{ObjectStore, ObjectStoreExt, PutPayload};
use reqwest::{Client, StatusCode};
use serde_json::{Value, json};

use crate::support::{bytes, digest_of, manifest, put_blob, raw_object_store};

store_contract!(
    referenced_blobs_come_in_digest_pages_with_every_reference,
    damage_records_are_kept_until_cleared
);

fn new_version(model: &str, version: &str, files: &[(&str, &[u8])], day: u32) -> NewVersion {
    NewVersion {
        actor: "test".into(),
        model: model.parse().unwrap(),
        version: version.parse().unwrap(),
        digest: digest_of(format!("{model}@{version}").as_bytes()),
        license: "MIT".into(),
        manifest_json: r#"{"files":[],"metadata":{"license":"MIT"}}"#.into(),
        files: files
            .iter()
            .map(|(p, data)| NewFile { path: (*p).into(), digest: digest_of(data), size: data.len() as u64 })
            .collect(),
        size_bytes: files.iter().map(|(_, d)| d.len() as u64).sum(),
        published_at: Utc.with_ymd_and_hms(2026, 1, day, 0, 0, 0).unwrap(),
        manifest: manifest(files, "MIT"),
        facts: Default::default(),
    }
}

async fn referenced_blobs_come_in_digest_pages_with_every_reference(store: Arc<dyn MetadataStore>) {
    let (a, b, c) = (b"aaaa".as_slice(), b"bb".as_slice(), b"c".as_slice());
    store
        .publish_version(&new_version("acme/one", "1.0.0", &[("x/a.bin", a), ("b.bin", b)], 1))
        .await
        .unwrap();
    store.publish_version(&new_version("acme/two", "1.0.0", &[("a.bin", a), ("c.bin", c)], 3)).await.unwrap();
    let mut pages = Vec::new();
    let mut after: Option<Digest> = None;
    loop {
        let page = store.referenced_blobs(after.as_ref(), None, 1).await.unwrap();
        let Some(last) = page.last() else { break };
        assert_eq!(page.len(), 1);
        after = Some(last.digest);
        pages.push(last.clone());
    }
    let mut digests: Vec<Digest> = pages.iter().map(|p| p.digest).collect();
    assert_eq!(digests.len(), 3, "each digest once: {digests:?}");
    digests.sort();
    digests.dedup();
    assert_eq!(digests.len(), 3);
    let of_a = pages.iter().find(|p| p.digest == digest_of(a)).unwrap();
    assert_eq!(of_a.size, 4);
    let mut refs: Vec<(String, String, String)> =
        of_a.references.iter().map(|r| (r.model.clone(), r.version.clone(), r.path.clone())).collect();
    refs.sort();
    assert_eq!(
        refs,
        [
            ("acme/one".into(), "1.0.0".into(), "x/a.bin".into()),
            ("acme/two".into(), "1.0.0".into(), "a.bin".into())
        ]
    );
    assert!(of_a.references.iter().all(|r| !r.yanked && !r.model_deleted));

    // Since day 2: only blobs acme/two references, each with all of its references.
    let since = Some(Utc.with_ymd_and_hms(2026, 1, 2, 0, 0, 0).unwrap());
    let recent = store.referenced_blobs(None, since, 100).await.unwrap();
    let mut recent_digests: Vec<Digest> = recent.iter().map(|r| r.digest).collect();
    recent_digests.sort();
    let mut want = vec![digest_of(a), digest_of(c)];
    want.sort();
    assert_eq!(recent_digests, want);
    assert_eq!(recent.iter().find(|r| r.digest == digest_of(a)).unwrap().references.len(), 2);
    let later = Some(Utc.with_ymd_and_hms(2026, 2, 1, 0, 0, 0).unwrap());
    assert!(store.referenced_blobs(None, later, 100).await.unwrap().is_empty());
}

async fn damage_records_are_kept_until_cleared(store: Arc<dyn MetadataStore>) {
    let (x, y) = (digest_of(b"x"), digest_of(b"y"));
    assert!(store.damaged_blobs(&[x, y]).await.unwrap().is_empty());
    store.mark_blob_damaged(&x, "missing", Utc::now()).await.unwrap();
    store.mark_blob_damaged(&x, "digest_mismatch", Utc::now()).await.unwrap();
    assert_eq!(store.damaged_blobs(&[x, y]).await.unwrap().into_iter().collect::<Vec<_>>(), vec![x]);
    store.clear_blob_damage(&x).await.unwrap();
    store.clear_blob_damage(&y).await.unwrap();
    assert!(store.damaged_blobs(&[x, y]).await.unwrap().is_empty());
}

fn client() -> Client {
    Client::builder().timeout(Duration::from_secs(60)).build().expect("an HTTP client")
}

/// Runs `modelreg-server verify <args>` against the setup's backends.
fn verify(setup: &ServerSetup, args: &[&str]) -> Output {
    setup.command(&bin_path("modelreg-server")).arg("verify").args(args).output().expect("running verify")
}

/// The exit code and the JSON report of a run.
fn report_of(out: &Output) -> (i32, Value) {
    let code = out.status.code().expect("verify exited");
    let report = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "not one JSON report ({e}): {}\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    });
    (code, report)
}

/// Uploads `data` through an upload session of one part.
async fn put_blob_in_session(c: &Client, url: &str, token: &str, data: &[u8]) {
    let r = c
        .post(format!("{url}/v1/uploads"))
        .bearer_auth(token)
        .json(&json!({ "digest": digest_of(data), "size": data.len() }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::CREATED);
    let session: UploadSession = r.json().await.unwrap();
    assert_eq!(session.part_count, 1);
    let id = session.id.expect("an open session has an id");
    let r = c
        .put(format!("{url}/v1/uploads/{id}/parts/1"))
        .bearer_auth(token)
        .body(data.to_vec())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let r = c.post(format!("{url}/v1/uploads/{id}/complete")).bearer_auth(token).send().await.unwrap();
    assert!(r.status().is_success(), "complete: {}", r.status());
}

async fn publish(c: &Client, url: &str, token: &str, model: &str, version: &str, files: &[(&str, &[u8])]) {
    for (_, data) in files {
        put_blob(c, url, token, data).await;
    }
    let r = c
        .put(format!("{url}/v1/models/{model}/versions/{version}"))
        .bearer_auth(token)
        .json(&manifest(files, "MIT"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::CREATED, "{}", r.text().await.unwrap());
}

async fn missing(c: &Client, url: &str, token: &str, digests: &[Digest]) -> Vec<Digest> {
    let r = c
        .post(format!("{url}/v1/blobs/missing"))
        .bearer_auth(token)
        .json(&json!({ "digests": digests }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let body: Value = r.json().await.unwrap();
    serde_json::from_value(body["missing"].clone()).unwrap()
}

fn reference(model: &str, version: &str, path: &str, state: &str) -> Value {
    json!({ "model": model, "version": version, "path": path, "state": state })
}

fn sorted(mut v: Vec<Digest>) -> Vec<Digest> {
    v.sort();
    v
}

/// The whole story on one backend; `blobs` reaches the server's bucket or folder directly.
async fn corrupted_removed_and_truncated_blobs_are_reported_and_repaired(
    setup: ServerSetup,
    blobs: Arc<dyn ObjectStore>,
) {
    let admin = setup.create_token("ops", "admin");
    let server = ServerProcess::start(&setup).await;
    let (c, url) = (client(), server.url());
    let shared = bytes(3000, 1);
    let gone = bytes(2000, 2);
    let cut = bytes(5000, 3);
    let fine = bytes(1000, 4);
    publish(&c, url, &admin, "acme/a", "1.0.0", &[("w.bin", &shared[..])]).await;
    publish(&c, url, &admin, "acme/b", "1.0.0", &[("w.bin", &shared), ("m.bin", &gone[..])]).await;
    let r = c
        .post(format!("{url}/v1/models/acme/b/versions/1.0.0/yank"))
        .bearer_auth(&admin)
        .json(&json!({ "reason": "test" }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    tokio::time::sleep(Duration::from_millis(20)).await;
    let cutoff = Utc::now();
    tokio::time::sleep(Duration::from_millis(20)).await;
    publish(&c, url, &admin, "acme/b", "2.0.0", &[("t/cut.bin", &cut[..]), ("fine.bin", &fine[..])]).await;
    let all = [digest_of(&shared), digest_of(&gone), digest_of(&cut), digest_of(&fine)];

    let (code, clean) = report_of(&verify(&setup, &["--seed", "1"]));
    assert_eq!(code, 0, "{clean}");
    assert_eq!(clean["findings"], json!([]));
    assert_eq!((clean["blobs_checked"].as_u64(), clean["bytes_checked"].as_u64()), (Some(4), Some(11_000)));

    // Behind the registry's back: one byte flipped, one blob removed, one truncated.
    let mut flipped = shared.clone();
    flipped[1234] ^= 0xff;
    blobs.put(&key_for(&digest_of(&shared)), PutPayload::from(flipped.clone())).await.unwrap();
    blobs.delete(&key_for(&digest_of(&gone))).await.unwrap();
    blobs.put(&key_for(&digest_of(&cut)), PutPayload::from(cut[..4096].to_vec())).await.unwrap();

    let (code, report) = report_of(&verify(&setup, &["--seed", "1"]));
    assert_eq!(code, 1, "{report}");
    let mut expected_findings = [
        (
            digest_of(&shared),
            json!({
                "digest": digest_of(&shared), "problem": "digest_mismatch", "size": 3000, "stored_size": 3000,
                "actual_digest": digest_of(&flipped),
                "references": [reference("acme/a", "1.0.0", "w.bin", "published"), reference("acme/b", "1.0.0", "w.bin", "yanked")],
            }),
        ),
        (
            digest_of(&gone),
            json!({
                "digest": digest_of(&gone), "problem": "missing", "size": 2000,
                "references": [reference("acme/b", "1.0.0", "m.bin", "yanked")],
            }),
        ),
        (
            digest_of(&cut),
            json!({
                "digest": digest_of(&cut), "problem": "size_mismatch", "size": 5000, "stored_size": 4096,
                "references": [reference("acme/b", "2.0.0", "t/cut.bin", "published")],
            }),
        ),
    ];
    expected_findings.sort_by_key(|(d, _)| *d);
    let expected = json!({
        "blobs_referenced": 4, "blobs_checked": 4,
        // Only the flipped and the intact blob are read whole.
        "bytes_checked": 4000,
        "ok": 1, "missing": 1, "corrupt": 2,
        "sample": null, "seed": 1, "since": null,
        "findings": expected_findings.iter().map(|(_, f)| f.clone()).collect::<Vec<_>>(),
    });
    assert_eq!(report, expected);

    // Since the cut-off only acme/b@2.0.0's blobs are read.
    let since = cutoff.to_rfc3339();
    let (code, recent) = report_of(&verify(&setup, &["--seed", "1", "--since", &since]));
    assert_eq!(code, 1, "{recent}");
    assert_eq!((recent["blobs_referenced"].as_u64(), recent["blobs_checked"].as_u64()), (Some(2), Some(2)));
    assert_eq!(recent["findings"].as_array().unwrap().len(), 1);
    assert_eq!(recent["findings"][0]["digest"], json!(digest_of(&cut)));
    assert_eq!(recent["since"], json!(cutoff.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true)));
    let (code, none) = report_of(&verify(&setup, &["--since", "2100-01-01T00:00:00Z"]));
    assert_eq!((code, none["blobs_referenced"].as_u64()), (0, Some(0)), "{none}");

    // A sample reads exactly the blobs its seed picks.
    for seed in [3u64, 4, 5] {
        let picked: Vec<Digest> = all.iter().copied().filter(|d| sampled(d, seed, 0.5)).collect();
        let (code, part) = report_of(&verify(&setup, &["--sample", "0.5", "--seed", &seed.to_string()]));
        assert_eq!(part["blobs_referenced"].as_u64(), Some(4));
        assert_eq!(part["blobs_checked"].as_u64(), Some(picked.len() as u64), "seed {seed}: {part}");
        let found: Vec<Digest> = part["findings"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["digest"].as_str().unwrap().parse().unwrap())
            .collect();
        let bad: Vec<Digest> = picked.iter().copied().filter(|d| *d != digest_of(&fine)).collect();
        assert_eq!(sorted(found), sorted(bad.clone()), "seed {seed}");
        assert_eq!(code, i32::from(!bad.is_empty()), "seed {seed}");
    }

    // Every flagged blob is asked for again, although two of them are stored...
    let asked = missing(&c, url, &admin, &all).await;
    assert_eq!(asked, sorted(vec![digest_of(&shared), digest_of(&gone), digest_of(&cut)]));
    // ...and uploads of the right bytes, whole or through a session, replace the bad copies.
    put_blob(&c, url, &admin, &shared).await;
    put_blob(&c, url, &admin, &gone).await;
    put_blob_in_session(&c, url, &admin, &cut).await;
    assert_eq!(missing(&c, url, &admin, &all).await, Vec::<Digest>::new());
    let (code, repaired) = report_of(&verify(&setup, &["--seed", "1"]));
    assert_eq!(code, 0, "{repaired}");
    assert_eq!((repaired["ok"].as_u64(), repaired["findings"].clone()), (Some(4), json!([])));
    for data in [&shared, &gone, &cut] {
        let r =
            c.get(format!("{url}/v1/blobs/{}", digest_of(data))).bearer_auth(&admin).send().await.unwrap();
        assert_eq!(r.status(), StatusCode::OK);
        assert!(r.bytes().await.unwrap() == data.as_slice(), "the repaired blob reads back whole");
    }
    assert!(!server.logs().contains(&admin), "a token reached the server log");
}

#[tokio::test]
async fn verify_reports_and_uploads_repair_bad_blobs_on_sqlite_and_a_local_folder() {
    let setup = ServerSetup::embedded();
    let blobs = raw_object_store(&format!("file://{}", setup.data_dir().display()));
    corrupted_removed_and_truncated_blobs_are_reported_and_repaired(setup, blobs).await;
}

#[tokio::test]
async fn verify_reports_and_uploads_repair_bad_blobs_on_postgres_and_s3() {
    let db = postgres_db().await;
    let prefix = unique_prefix("verify");
    let setup = ServerSetup::postgres_s3(&db.url(), &s3_settings(), &prefix);
    let blobs = raw_object_store(&format!("s3://{}/{prefix}", s3_settings().bucket));
    corrupted_removed_and_truncated_blobs_are_reported_and_repaired(setup, blobs).await;
}

/// The value of a series in a textfile.
fn sample(text: &str, series: &str) -> Option<f64> {
    text.lines().find_map(|l| l.strip_prefix(series)?.strip_prefix(' ')?.parse().ok())
}

#[tokio::test]
async fn the_rate_limit_is_honoured_and_the_metrics_file_shows_the_run_during_and_after() {
    let setup = ServerSetup::embedded();
    let admin = setup.create_token("ops", "admin");
    let server = ServerProcess::start(&setup).await;
    let (c, url) = (client(), server.url());
    let big = bytes(2 << 20, 9);
    publish(&c, url, &admin, "acme/big", "1.0.0", &[("w.bin", &big[..])]).await;
    let prom = setup.data_dir().join("modelreg_verify.prom");

    let start = Instant::now();
    let mut child: std::process::Child = setup
        .command(&bin_path("modelreg-server"))
        .args(["verify", "--max-bytes-per-sec", "1048576", "--metrics-interval", "0s", "--metrics-file"])
        .arg(&prom)
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // While it runs, the file says so.
    let mut seen_running = false;
    while child.try_wait().unwrap().is_none() {
        if let Ok(text) = std::fs::read_to_string(&prom) {
            seen_running |= sample(&text, "modelreg_verify_running") == Some(1.0);
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let out = child.wait_with_output().unwrap();
    let took = start.elapsed();
    let (code, report) = report_of(&out);
    assert_eq!((code, report["bytes_checked"].as_u64()), (0, Some(2 << 20)), "{report}");
    assert!(took >= Duration::from_millis(1900), "2 MiB at 1 MiB/s took only {took:?}");
    assert!(seen_running, "the metrics file never showed the run in progress");

    let text = std::fs::read_to_string(&prom).unwrap();
    assert_eq!(sample(&text, "modelreg_verify_running"), Some(0.0), "{text}");
    assert_eq!(sample(&text, "modelreg_verify_blobs_checked"), Some(1.0), "{text}");
    assert_eq!(sample(&text, "modelreg_verify_checked_bytes"), Some(f64::from(2u32 << 20)), "{text}");
    assert_eq!(sample(&text, "modelreg_verify_blobs_corrupt"), Some(0.0), "{text}");
    assert!(sample(&text, "modelreg_verify_duration_seconds").unwrap() >= 1.9, "{text}");
    let finished = sample(&text, "modelreg_verify_last_success_timestamp_seconds").unwrap();
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs_f64();
    assert!((now - 300.0..=now + 1.0).contains(&finished), "{finished} vs {now}");

    // A run that cannot reach its database fails with 2 and keeps the last success.
    let broken = setup
        .command(&bin_path("modelreg-server"))
        .args(["--database-url", "postgres://nobody@127.0.0.1:1/none", "verify", "--metrics-file"])
        .arg(&prom)
        .output()
        .unwrap();
    assert_eq!(broken.status.code(), Some(2), "{}", String::from_utf8_lossy(&broken.stderr));
    let text = std::fs::read_to_string(&prom).unwrap();
    assert_eq!(sample(&text, "modelreg_verify_last_success_timestamp_seconds"), Some(finished), "{text}");
}

/// A run without arguments against an empty registry: nothing to read, exit 0.
#[test]
fn verify_of_an_empty_registry_is_clean() {
    let setup = ServerSetup::embedded();
    let out: Output = setup.command(&bin_path("modelreg-server")).arg("verify").output().unwrap();
    let (code, report) = report_of(&out);
    assert_eq!((code, report["blobs_checked"].as_u64()), (0, Some(0)), "{report}");
}
