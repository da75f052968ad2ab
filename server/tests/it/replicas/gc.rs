//! Garbage collection beside a replica that keeps publishing: `modelreg-server gc --grace 0s`
//! runs again and again on the other replica's setup (same database, same bucket), with a
//! second collector beside it each time, while replica A uploads and publishes. A publish may lose a just-uploaded blob to the collector
//! (it is unreferenced and older than no grace at all): it then answers `422 missing_blobs`
//! and the client uploads again, as the CLI does. What must never happen is a published
//! version whose blob is gone: every version is pulled afterwards and every file re-hashed.

use std::sync::atomic::{AtomicBool, Ordering};

use super::*;

/// Versions A publishes while the collector runs.
const ROUNDS: u32 = 24;
/// Publish attempts per version before the test gives up on it.
const ATTEMPTS: u32 = 30;

/// One `modelreg-server gc --grace 0s` through `setup`; its JSON report.
async fn collect(setup: &ServerSetup) -> Value {
    let mut cmd = setup.command(&setup.server_bin());
    cmd.args(["gc", "--grace", "0s"]);
    let out = tokio::process::Command::from(cmd).output().await.expect("running modelreg-server gc");
    assert!(out.status.success(), "gc failed ({}):\n{}", out.status, String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!("gc printed no JSON report ({e}): {}", String::from_utf8_lossy(&out.stdout))
    })
}

#[tokio::test]
async fn gc_on_one_replica_while_the_other_publishes_never_leaves_a_version_without_its_blob() {
    let r = replicas("replica-gc").await;
    let (c, a, b) = (client(), r.a.url(), r.b.url());
    let model = "acme/busy";
    let shared = bytes(2048, 1);
    let garbage: Vec<Vec<u8>> = (0..ROUNDS).map(|i| bytes(1024, 100 + i as u8)).collect();
    let done = AtomicBool::new(false);

    let publisher = async {
        let mut retries = 0u32;
        for i in 0..ROUNDS {
            let own = bytes(8192 + i as usize, 10 + i as u8);
            put_blob(&c, a, &r.admin, &garbage[i as usize]).await;
            let files: [(&str, &[u8]); 2] = [("shared.bin", &shared), ("own.bin", &own)];
            let version = format!("1.0.{i}");
            let mut attempt = 0;
            loop {
                attempt += 1;
                assert!(
                    attempt <= ATTEMPTS,
                    "{model}@{version}: still missing blobs after {ATTEMPTS} attempts"
                );
                let (status, body) = publish(&c, a, &r.admin, model, &version, &files).await;
                match status {
                    StatusCode::CREATED => break,
                    StatusCode::UNPROCESSABLE_ENTITY if body["error"]["code"] == "missing_blobs" => {
                        // The collector took it (or it was never sent): upload what is missing.
                        if attempt > 1 {
                            retries += 1;
                        }
                        let missing = body["error"]["details"]["missing"].as_array().unwrap().clone();
                        for (_, data) in files.iter().filter(|(_, d)| missing.contains(&json!(digest_of(d))))
                        {
                            put_blob(&c, a, &r.admin, data).await;
                        }
                    }
                    other => panic!("{model}@{version}: {other} {body}"),
                }
            }
        }
        done.store(true, Ordering::SeqCst);
        retries
    };
    let collector = async {
        let (mut runs, mut deleted) = (0u64, 0u64);
        while !done.load(Ordering::SeqCst) {
            // Two collectors at once, too: B's, and a second one from A's setup.
            let (one, two) = tokio::join!(collect(&r.setup_b), collect(&r.setup_a));
            runs += 2;
            deleted += one["blobs_deleted"].as_u64().unwrap() + two["blobs_deleted"].as_u64().unwrap();
        }
        (runs, deleted)
    };
    let (retries, (runs, deleted)) = tokio::join!(publisher, collector);
    let last = collect(&r.setup_b).await;
    eprintln!(
        "replica gc: {ROUNDS} versions published on A, {runs} gc runs beside them deleted {deleted} \
         blobs, {retries} publishes re-uploaded a blob the collector took; last run {last}"
    );
    assert!(runs > 0 && deleted > 0, "the collector ran ({runs}) and freed garbage ({deleted}) meanwhile");

    // Every published version pulls whole through B, every file's bytes hashing to its digest.
    let versions = get_json(&c, &format!("{b}/v1/models/{model}/versions"), &r.admin).await;
    let versions = versions["versions"].as_array().unwrap();
    assert_eq!(versions.len(), ROUNDS as usize, "{versions:?}");
    for v in versions {
        let v = v["version"].as_str().unwrap();
        let resolved = get_json(&c, &format!("{b}/v1/models/{model}/versions/{v}"), &r.admin).await;
        for f in resolved["files"].as_array().unwrap() {
            let digest = f["digest"].as_str().unwrap();
            let data = download(&c, b, &r.admin, digest).await;
            assert_eq!(digest_of(&data).to_string(), digest, "{model}@{v} {}", f["path"]);
            assert_eq!(Some(data.len() as u64), f["size"].as_u64(), "{model}@{v} {}", f["path"]);
        }
    }
    // And the last run took what nothing references, on either replica's view.
    for data in &garbage {
        for url in [a, b] {
            let head = c.head(format!("{url}/v1/blobs/{}", digest_of(data))).bearer_auth(&r.admin).send();
            assert_eq!(
                head.await.unwrap().status(),
                StatusCode::NOT_FOUND,
                "garbage is gone after the last gc"
            );
        }
    }
}
