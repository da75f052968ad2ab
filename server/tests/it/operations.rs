//! Operating the real binary over HTTP: `/metrics` after traffic (series and labels, route
//! templates never raw paths), the separate metrics listener, request ids echoed or generated
//! and carried by every log line of their request, JSON logs, and graceful shutdown on
//! SIGTERM with an interrupted upload session that resumes after the restart.

use std::time::Duration;

use bytes::Bytes;
use modelreg_api::{Digest, UploadSession};
use modelreg_testkit::{ServerProcess, ServerSetup};
use reqwest::{Client, StatusCode};
use serde_json::Value;

use crate::support::{bytes, digest_of, manifest};

fn client() -> Client {
    Client::builder().timeout(Duration::from_secs(60)).build().expect("an HTTP client")
}

/// The value of `series` (its name and labels exactly as rendered) in a scrape.
fn sample(text: &str, series: &str) -> Option<f64> {
    text.lines().find_map(|l| l.strip_prefix(series)?.strip_prefix(' ')?.parse().ok())
}

/// Uploads `blob` whole and publishes it as `acme/bert@1.0.0`, tagging the publish with
/// `request_id`; returns the publish response.
async fn publish(c: &Client, url: &str, token: &str, blob: &[u8], request_id: &str) -> reqwest::Response {
    let digest = digest_of(blob);
    let r = c
        .put(format!("{url}/v1/blobs/{digest}"))
        .bearer_auth(token)
        .body(blob.to_vec())
        .send()
        .await
        .unwrap();
    assert!(r.status().is_success(), "blob upload: {}", r.status());
    let body = serde_json::to_vec(&manifest(&[("weights.bin", blob)], "MIT")).unwrap();
    c.put(format!("{url}/v1/models/acme/bert/versions/1.0.0"))
        .bearer_auth(token)
        .header("content-type", "application/json")
        .header("x-request-id", request_id)
        .body(body)
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn metrics_after_traffic_count_requests_by_route_template_and_blob_operations_by_backend() {
    let setup = ServerSetup::embedded();
    let admin = setup.create_token("ops", "admin");
    let server = ServerProcess::start(&setup).await;
    let (c, url) = (client(), server.url());
    for name in ["nope-one", "nope-two"] {
        let r = c.get(format!("{url}/v1/models/acme/{name}")).bearer_auth(&admin).send().await.unwrap();
        assert_eq!(r.status(), StatusCode::NOT_FOUND);
    }
    let blob = bytes(3000, 1);
    let r = publish(&c, url, &admin, &blob, "m-1").await;
    assert_eq!(r.status(), StatusCode::CREATED);

    let r = c.get(format!("{url}/metrics")).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED, "the main listener needs an admin token");
    // A request is recorded once its response is sent, which can trail the client's read
    // by a moment: scrape until the refused scrape shows (it was the last request).
    let refused = r#"modelreg_http_requests_total{route="/metrics",method="GET",status="4xx"}"#;
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    let text = loop {
        let r = c.get(format!("{url}/metrics")).bearer_auth(&admin).send().await.unwrap();
        assert_eq!(r.status(), StatusCode::OK);
        assert_eq!(r.headers()["content-type"], "text/plain; version=0.0.4; charset=utf-8");
        let text = r.text().await.unwrap();
        if sample(&text, refused).is_some() || std::time::Instant::now() > deadline {
            break text;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    };

    let model_404 = r#"{route="/v1/models/{namespace}/{name}",method="GET",status="4xx"}"#;
    assert_eq!(sample(&text, &format!("modelreg_http_requests_total{model_404}")), Some(2.0), "{text}");
    assert_eq!(sample(&text, &format!("modelreg_http_request_duration_seconds_count{model_404}")), Some(2.0));
    assert!(!text.contains("nope-one") && !text.contains("acme/bert"), "raw paths never become labels");
    let blob_put = r#"{route="/v1/blobs/{digest}",method="PUT"}"#;
    assert_eq!(
        sample(&text, &format!("modelreg_http_received_bytes_total{blob_put}")),
        Some(3000.0),
        "{text}"
    );
    let publish_2xx =
        r#"{route="/v1/models/{namespace}/{name}/versions/{version}",method="PUT",status="2xx"}"#;
    assert_eq!(sample(&text, &format!("modelreg_http_requests_total{publish_2xx}")), Some(1.0), "{text}");
    assert_eq!(sample(&text, r#"modelreg_publishes_total{outcome="created"}"#), Some(1.0), "{text}");
    let put_ops = r#"modelreg_blob_operation_duration_seconds_count{operation="put",backend="local"}"#;
    assert_eq!(sample(&text, put_ops), Some(1.0), "{text}");
    assert!(!text.contains(r#"modelreg_blob_operation_errors_total{operation="put""#), "{text}");
    assert_eq!(sample(&text, "modelreg_db_pool_max_connections"), Some(4.0), "{text}");
    assert!(sample(&text, r#"modelreg_db_pool_connections{state="idle"}"#).is_some(), "{text}");
    assert_eq!(sample(&text, "modelreg_upload_sessions_open"), Some(0.0), "{text}");
    let build = format!(r#"modelreg_build_info{{version="{}"}}"#, env!("CARGO_PKG_VERSION"));
    assert_eq!(sample(&text, &build), Some(1.0), "{text}");
    // The refused scrape was itself a request, counted under its template.
    assert_eq!(
        sample(&text, r#"modelreg_http_requests_total{route="/metrics",method="GET",status="4xx"}"#),
        Some(1.0)
    );
}

#[tokio::test]
async fn a_metrics_bind_serves_metrics_without_a_token_and_only_there() {
    let setup = ServerSetup::embedded().with_env("MODELREG_METRICS_BIND", "127.0.0.1:0");
    let admin = setup.create_token("ops", "admin");
    let server = ServerProcess::start(&setup).await;
    let logs = server.logs();
    let at = logs.find("metrics on http://").unwrap_or_else(|| panic!("no metrics line:\n{logs}"));
    let metrics_url = logs[at + "metrics on ".len()..].split_whitespace().next().unwrap().to_owned();
    assert!(metrics_url.ends_with("/metrics") && !metrics_url.contains(":0/"), "{metrics_url}");

    let c = client();
    let r = c.get(&metrics_url).header("x-request-id", "scrape-1").send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(r.headers()["x-request-id"], "scrape-1");
    assert!(r.text().await.unwrap().contains("# TYPE modelreg_http_requests_total counter"));
    let r = c.get(format!("{}/metrics", server.url())).bearer_auth(&admin).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::NOT_FOUND, "not on the main listener, even for an admin");
    let elsewhere = metrics_url.replace("/metrics", "/v1/models");
    let r = c.get(&elsewhere).bearer_auth(&admin).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::NOT_FOUND, "the metrics listener serves nothing else");
    let envelope: Value = r.json().await.unwrap();
    assert_eq!(envelope["error"]["code"], "not_found");
}

#[tokio::test]
async fn request_ids_are_echoed_or_generated_and_every_json_log_line_of_a_request_carries_it() {
    let setup =
        ServerSetup::embedded().with_env("MODELREG_LOG_FORMAT", "json").with_env("MODELREG_LOG", "info");
    let writer = setup.create_token("ci", "write");
    let server = ServerProcess::start(&setup).await;
    let (c, url) = (client(), server.url());

    let r = publish(&c, url, &writer, &bytes(2048, 2), "publish.1-A_b").await;
    assert_eq!(r.status(), StatusCode::CREATED);
    assert_eq!(r.headers()["x-request-id"], "publish.1-A_b");
    let generated = |r: &reqwest::Response| r.headers()["x-request-id"].to_str().unwrap().to_owned();
    let is_fresh = |id: &str| id.len() == 24 && id.bytes().all(|b| b.is_ascii_hexdigit());
    let mut fresh = Vec::new();
    for sent in [None, Some("has space"), Some(&*"x".repeat(129)), Some("semi;colon")] {
        let mut req = c.get(format!("{url}/healthz"));
        if let Some(id) = sent {
            req = req.header("x-request-id", id);
        }
        let r = req.send().await.unwrap();
        let id = generated(&r);
        assert!(is_fresh(&id), "{sent:?} -> {id}");
        fresh.push(id);
    }
    fresh.sort();
    fresh.dedup();
    assert_eq!(fresh.len(), 4, "each generated id is new");
    // An error answer carries it too.
    let r = c.get(format!("{url}/v1/models/acme/none")).header("x-request-id", "err-7").send().await.unwrap();
    assert_eq!((r.status(), generated(&r)), (StatusCode::UNAUTHORIZED, "err-7".to_owned()));

    // A request's last line is written once its response is sent: wait for it to arrive.
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    while !server.logs().contains(r#""http.status":401"#) && std::time::Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    let logs = server.logs();
    let lines: Vec<Value> = logs
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not a JSON line ({e}): {l}")))
        .collect();
    let of = |id: &str| -> Vec<&Value> { lines.iter().filter(|v| v["span"]["request.id"] == id).collect() };
    let publish_lines = of("publish.1-A_b");
    let messages: Vec<&str> = publish_lines.iter().filter_map(|v| v["message"].as_str()).collect();
    assert!(messages.contains(&"version published"), "the handler's own line: {messages:?}\n{logs}");
    let done = publish_lines.iter().find(|v| v["message"] == "request done").expect("an access line");
    assert_eq!(done["http.status"], 201);
    assert_eq!(done["span"]["http.route"], "/v1/models/{namespace}/{name}/versions/{version}");
    assert_eq!(done["level"], "INFO");
    let refused = of("err-7");
    assert!(refused.iter().any(|v| v["message"] == "request done" && v["http.status"] == 401), "{logs}");
}

/// Bytes of a part body sent `chunk` at a time, waiting `pause` before every chunk but the
/// first; with `stall`, it stops after the first chunk and never ends. `started` fires when
/// the body is first polled (the request head is out).
fn slow_body(
    data: Vec<u8>,
    chunk: usize,
    pause: Duration,
    stall: bool,
    started: tokio::sync::oneshot::Sender<()>,
) -> reqwest::Body {
    let chunks: Vec<Bytes> = data.chunks(chunk).map(Bytes::copy_from_slice).collect();
    let state = (chunks.into_iter().enumerate(), Some(started));
    let stream = futures_util::stream::unfold(state, move |(mut chunks, mut started)| async move {
        if let Some(tx) = started.take() {
            let _ = tx.send(());
        }
        let (i, bytes) = chunks.next()?;
        if i > 0 {
            if stall {
                futures_util::future::pending::<()>().await;
            }
            tokio::time::sleep(pause).await;
        }
        Some((Ok::<_, std::io::Error>(bytes), (chunks, started)))
    });
    reqwest::Body::wrap_stream(stream)
}

#[tokio::test]
async fn sigterm_lets_requests_in_flight_finish_within_the_grace_then_exits_0_and_the_upload_resumes() {
    const PART: usize = 5 << 20;
    const GRACE_SECS: u64 = 4;
    let setup = ServerSetup::embedded();
    let config = setup.data_dir().join("server.toml");
    std::fs::write(&config, format!("[uploads]\npart_size = {PART}\n")).unwrap();
    let setup = setup
        .with_env("MODELREG_CONFIG", config.to_str().unwrap())
        .with_env("MODELREG_SHUTDOWN_GRACE_SECS", &GRACE_SECS.to_string());
    let writer = setup.create_token("ci", "write");
    let mut server = ServerProcess::start(&setup).await;
    let (c, url) = (client(), server.url().to_owned());

    let blob = bytes(3 * PART, 3);
    let digest: Digest = digest_of(&blob);
    let r = c
        .post(format!("{url}/v1/uploads"))
        .bearer_auth(&writer)
        .json(&serde_json::json!({ "digest": digest, "size": blob.len() }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::CREATED);
    let session: UploadSession = r.json().await.unwrap();
    assert_eq!((session.part_size, session.part_count), (PART as u64, 3));
    let id = session.id.expect("an open session has an id");
    let part_url = |n: usize| format!("{url}/v1/uploads/{id}/parts/{n}");
    let part = |n: usize| blob[(n - 1) * PART..n * PART].to_vec();
    let r = c.put(part_url(1)).bearer_auth(&writer).body(part(1)).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);

    // A whole blob comes slowly but within the grace period; part 2 stalls past it.
    let small = bytes(3 << 20, 4);
    let small_digest = digest_of(&small);
    let mut in_flight = Vec::new();
    let mut heads_out = Vec::new();
    for (target, data, stall) in
        [(format!("{url}/v1/blobs/{small_digest}"), small.clone(), false), (part_url(2), part(2), true)]
    {
        let (tx, rx) = tokio::sync::oneshot::channel();
        heads_out.push(rx);
        let length = data.len().to_string();
        let body = slow_body(data, 1 << 20, Duration::from_millis(250), stall, tx);
        let request = c.put(target).bearer_auth(&writer).header("content-length", length).body(body).send();
        in_flight.push(tokio::spawn(request));
    }
    for rx in heads_out {
        rx.await.expect("the request started");
    }
    // Let both requests reach a worker before the signal.
    tokio::time::sleep(Duration::from_millis(300)).await;
    let (status, took) =
        server.terminate(Duration::from_secs(GRACE_SECS + 20)).await.expect("the server exited");
    assert!(status.success(), "exit status {status}:\n{}", server.logs());
    assert!(took >= Duration::from_secs(GRACE_SECS - 1), "the stalled part held it for the grace: {took:?}");
    assert!(took < Duration::from_secs(GRACE_SECS + 10), "exited long after the grace: {took:?}");
    let mut results = Vec::new();
    for task in in_flight {
        results.push(task.await.unwrap());
    }
    let logs = server.logs();
    let finished =
        results.remove(0).unwrap_or_else(|e| panic!("the slow blob was not answered: {e}\n{logs}"));
    assert_eq!(finished.status(), StatusCode::CREATED, "the slow blob finished during the grace period");
    match results.remove(0) {
        Err(_) => {}
        Ok(r) => {
            assert!(!r.status().is_success(), "the stalled part cannot have been stored: {}", r.status())
        }
    }
    assert!(logs.contains("shutting down") && logs.contains("SIGTERM") && logs.contains("stopped"), "{logs}");
    drop(server);

    let server = ServerProcess::start(&setup).await;
    let url = server.url();
    let status: UploadSession = c
        .get(format!("{url}/v1/uploads/{id}"))
        .bearer_auth(&writer)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(status.received, vec![1], "the part stored before the stop is kept, the cut one is not");
    for n in [2, 3] {
        let r = c
            .put(format!("{url}/v1/uploads/{id}/parts/{n}"))
            .bearer_auth(&writer)
            .body(part(n))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::OK, "part {n}");
    }
    let r = c.post(format!("{url}/v1/uploads/{id}/complete")).bearer_auth(&writer).send().await.unwrap();
    assert!(r.status().is_success(), "complete: {}", r.status());
    let r = c.get(format!("{url}/v1/blobs/{digest}")).bearer_auth(&writer).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert!(r.bytes().await.unwrap() == blob, "the resumed blob reads back whole");
    let r = c.get(format!("{url}/v1/blobs/{small_digest}")).bearer_auth(&writer).send().await.unwrap();
    assert!(r.bytes().await.unwrap() == small, "the blob finished during the grace period is whole");
}

#[test]
fn gc_writes_what_its_run_did_as_gauges_for_a_textfile_collector() {
    let setup = ServerSetup::embedded();
    let out = setup.command(&modelreg_testkit::bin_path("modelreg-server")).arg("migrate").output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    // An unreferenced blob, as an upload that was never published leaves.
    let garbage = bytes(1234, 5);
    let hex = digest_of(&garbage).hex();
    let dir = setup.data_dir().join(format!("blobs/sha256/{}/{}", &hex[0..2], &hex[2..4]));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join(&hex), &garbage).unwrap();

    let prom = setup.data_dir().join("modelreg_gc.prom");
    let out = setup
        .command(&modelreg_testkit::bin_path("modelreg-server"))
        .args(["gc", "--grace", "0s", "--metrics-file"])
        .arg(&prom)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let text = std::fs::read_to_string(&prom).unwrap();
    assert_eq!(sample(&text, "modelreg_gc_last_blobs_deleted"), Some(1.0), "{text}");
    assert_eq!(sample(&text, "modelreg_gc_last_freed_bytes"), Some(1234.0), "{text}");
    let finished = sample(&text, "modelreg_gc_last_success_timestamp_seconds").unwrap();
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs_f64();
    assert!((now - 300.0..=now + 1.0).contains(&finished), "{finished} vs {now}");
    assert!(!setup.data_dir().join("modelreg_gc.prom.tmp").exists());
}
