//! Hostile model-file headers against the real server binary: a publish whose safetensors
//! header claims 32 MiB of shape, listed under 16 paths, is refused with 422 naming the file
//! and the limit while the server's memory stays flat and `/healthz` keeps answering; so is
//! a 15 MiB header of shape (within the byte cap, past the rank cap), and a 12 MiB header of
//! metadata within every cap publishes.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use modelreg_testkit::{ServerProcess, ServerSetup};
use serde_json::{Value, json};

use crate::support::digest_of;

const MIB: u64 = 1 << 20;
/// Peak resident memory allowed while the hostile publishes run.
const MAX_RSS_BYTES: u64 = 100 * MIB;
/// Slowest `/healthz` answer allowed meanwhile.
const MAX_HEALTHZ: Duration = Duration::from_millis(100);

/// A safetensors file whose header is exactly `header_len` bytes: one F32 tensor whose
/// shape is `[1, 1, ...]` as long as it takes, padded with spaces.
fn long_shape_file(header_len: usize) -> Vec<u8> {
    let head = r#"{"w":{"dtype":"F32","data_offsets":[0,4],"shape":[1"#;
    let tail = "]}}";
    let ones = (header_len - head.len() - tail.len()) / 2;
    let mut header = String::with_capacity(header_len);
    header.push_str(head);
    header.push_str(&",1".repeat(ones));
    header.push_str(tail);
    while header.len() < header_len {
        header.push(' ');
    }
    file_with_header(header.as_bytes(), 4)
}

/// A safetensors file of one tensor whose header is `header_len` bytes, most of them a
/// long `__metadata__` value (kept by no one, checked and skipped).
fn long_metadata_file(header_len: usize) -> Vec<u8> {
    let head = r#"{"w":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"__metadata__":{"notes":""#;
    let tail = r#""}}"#;
    let mut header = String::with_capacity(header_len);
    header.push_str(head);
    header.push_str(&"x".repeat(header_len - head.len() - tail.len()));
    header.push_str(tail);
    file_with_header(header.as_bytes(), 4)
}

fn file_with_header(header: &[u8], data_len: usize) -> Vec<u8> {
    let mut file = (header.len() as u64).to_le_bytes().to_vec();
    file.extend_from_slice(header);
    file.resize(file.len() + data_len, 0);
    file
}

/// A memory field of `/proc/<pid>/status` (`VmRSS:`, `VmHWM:`) in bytes.
fn rss_bytes(pid: u32, field: &str) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    let line = status.lines().find(|l| l.starts_with(field)).unwrap();
    line.split_whitespace().nth(1).unwrap().parse::<u64>().unwrap() * 1024
}

struct Client {
    http: reqwest::Client,
    url: String,
    token: String,
}

impl Client {
    async fn upload(&self, data: &[u8]) -> String {
        let digest = digest_of(data).to_string();
        let response = self
            .http
            .put(format!("{}/v1/blobs/{digest}", self.url))
            .bearer_auth(&self.token)
            .body(data.to_vec())
            .send()
            .await
            .unwrap();
        assert!(response.status().is_success(), "upload: {}", response.status());
        digest
    }

    /// Publishes `model@1.0.0` listing `digest` under `copies` paths; the status and body.
    async fn publish(&self, model: &str, digest: &str, size: usize, copies: usize) -> (u16, Value) {
        let files: Vec<Value> = (0..copies)
            .map(|i| json!({"path": format!("m-{i:02}.safetensors"), "digest": digest, "size": size}))
            .collect();
        let manifest = json!({"files": files, "metadata": {"license": "MIT"}});
        let response = self
            .http
            .put(format!("{}/v1/models/{model}/versions/1.0.0", self.url))
            .bearer_auth(&self.token)
            .json(&manifest)
            .send()
            .await
            .unwrap();
        (response.status().as_u16(), response.json().await.unwrap())
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_hostile_safetensors_header_is_refused_while_memory_stays_flat_and_healthz_answers() {
    let setup = ServerSetup::embedded();
    let token = setup.create_token("ci", "write");
    let server = ServerProcess::start(&setup).await;
    let pid = server.pid();
    let client = Arc::new(Client { http: reqwest::Client::new(), url: server.url().to_owned(), token });

    let hostile = long_shape_file(32 << 20);
    let long_shape = long_shape_file(15 << 20);
    let within_caps = long_metadata_file(12 << 20);
    let hostile_digest = client.upload(&hostile).await;
    let long_shape_digest = client.upload(&long_shape).await;
    let within_digest = client.upload(&within_caps).await;

    // Memory is a property of the code and is checked on every round. /healthz latency is also
    // a property of the machine: on a loaded CI runner one slow scheduling of the poller can
    // cross the bound, so a round over it is run once more, and the test fails only when both
    // rounds are over it.
    let mut rounds = Vec::new();
    for round in 0..2 {
        let observed = publish_watched(
            &client,
            &server,
            pid,
            round,
            [&hostile_digest, &within_digest, &long_shape_digest],
            [hostile.len(), within_caps.len(), long_shape.len()],
        )
        .await;
        assert!(observed.peak_rss < MAX_RSS_BYTES, "peak RSS {} bytes", observed.peak_rss);
        let fast = observed.slowest_healthz < MAX_HEALTHZ;
        rounds.push(observed);
        if fast {
            break;
        }
    }
    let last = rounds.last().expect("one round at least");
    let (a, b, c, d) = &last.answers;
    for ((status, body), limit) in [(&a, "header_bytes"), (&b, "header_bytes"), (&d, "shape_rank")] {
        assert_eq!(*status, 422, "{body}");
        let error = &body["error"];
        assert_eq!(error["code"], "file_header_too_large", "{body}");
        assert_eq!(error["details"]["path"], "m-00.safetensors", "{body}");
        assert_eq!(error["details"]["limit"], limit, "{body}");
        let message = error["message"].as_str().unwrap();
        assert!(message.contains("m-00.safetensors") && message.contains(limit), "{message}");
    }
    assert_eq!(c.0, 201, "a header within the caps publishes: {}", c.1);
    assert!(last.health_answers > 0);
    assert!(
        last.slowest_healthz < MAX_HEALTHZ,
        "slowest /healthz over {} rounds: {:?}",
        rounds.len(),
        rounds.iter().map(|r| r.slowest_healthz).collect::<Vec<_>>()
    );
}

/// A publish's status and body.
type Answer = (u16, Value);

/// What one round of concurrent publishes showed.
struct Observed {
    answers: (Answer, Answer, Answer, Answer),
    peak_rss: u64,
    slowest_healthz: Duration,
    health_answers: u32,
}

/// Publishes the two hostile headers, the one within the caps and the long shape at once
/// (under model names of their own per round), sampling the server's RSS and /healthz until
/// the answers are in and the server has settled.
async fn publish_watched(
    client: &Arc<Client>,
    server: &ServerProcess,
    pid: u32,
    round: u32,
    [hostile_digest, within_digest, long_shape_digest]: [&String; 3],
    [hostile_len, within_len, long_shape_len]: [usize; 3],
) -> Observed {
    // Watch memory and /healthz only while publishing: uploads are another subject.
    let done = Arc::new(AtomicBool::new(false));
    let rss_watch = {
        let done = Arc::clone(&done);
        std::thread::spawn(move || {
            let mut peak = 0;
            while !done.load(Ordering::Relaxed) {
                peak = peak.max(rss_bytes(pid, "VmRSS:"));
                std::thread::sleep(Duration::from_millis(2));
            }
            peak
        })
    };
    let health_watch = {
        let (done, url) = (Arc::clone(&done), format!("{}/healthz", server.url()));
        tokio::spawn(async move {
            let http = reqwest::Client::new();
            let (mut slowest, mut answers) = (Duration::ZERO, 0);
            while !done.load(Ordering::Relaxed) {
                let started = Instant::now();
                let status = http.get(&url).send().await.unwrap().status();
                assert_eq!(status, 200);
                slowest = slowest.max(started.elapsed());
                answers += 1;
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
            (slowest, answers)
        })
    };

    let started = Instant::now();
    let [hostile, hostile_too, roomy, long_shape] =
        ["hostile", "hostile-too", "roomy", "long-shape"].map(|base| format!("acme/{base}-{round}"));
    let answers = tokio::join!(
        client.publish(&hostile, hostile_digest, hostile_len, 16),
        client.publish(&hostile_too, hostile_digest, hostile_len, 16),
        client.publish(&roomy, within_digest, within_len, 16),
        client.publish(&long_shape, long_shape_digest, long_shape_len, 16),
    );
    let publish_time = started.elapsed();
    // Let the watchers see the server settle after the answers.
    tokio::time::sleep(Duration::from_millis(200)).await;
    done.store(true, Ordering::Relaxed);
    let peak_rss = rss_watch.join().unwrap();
    let (slowest_healthz, answers_seen) = health_watch.await.unwrap();
    let high_water = rss_bytes(pid, "VmHWM:");
    eprintln!(
        "hostile-header publish, round {round}: peak VmRSS {:.1} MiB while publishing (VmHWM {:.1} MiB over the \
         server's life, uploads included), slowest /healthz {} ms over {answers_seen} answers, \
         publishes answered in {} ms",
        peak_rss as f64 / MIB as f64,
        high_water as f64 / MIB as f64,
        slowest_healthz.as_millis(),
        publish_time.as_millis()
    );
    Observed { answers, peak_rss, slowest_healthz, health_answers: answers_seen }
}
