//! Request bodies that stop arriving, through the real binary on a real socket: a client
//! that declares a body and then stalls (or trickles) gets `408` in about the configured idle
//! timeout, the connection is closed, nothing of the body is kept, and on S3 a trickling
//! upload part cannot keep the shared part buffer from a normal upload.

use std::time::{Duration, Instant};

use modelreg_server::blob::{self, BlobStore, S3Options};
use modelreg_testkit::{ServerProcess, ServerSetup, s3_settings, unique_prefix};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::net::tcp::OwnedWriteHalf;

use crate::support::{bytes, digest_of};

/// The idle timeout the servers here run with.
const IDLE: Duration = Duration::from_secs(2);
const MIB: usize = 1 << 20;

macro_rules! on_both_blob_stores {
    ($($name:ident),* $(,)?) => {
        mod local {
            $(#[tokio::test]
            async fn $name() {
                super::$name(super::Backend::Local).await;
            })*
        }
        mod s3 {
            $(#[tokio::test]
            async fn $name() {
                super::$name(super::Backend::S3).await;
            })*
        }
    };
}

on_both_blob_stores!(
    a_blob_put_that_stalls_answers_408_closes_and_keeps_nothing,
    an_upload_part_that_stalls_answers_408_and_is_not_recorded,
);

#[derive(Clone, Copy, PartialEq)]
enum Backend {
    Local,
    S3,
}

/// A running server with a write token, and the blob store it writes to, opened beside it.
struct Running {
    server: ServerProcess,
    blobs: BlobStore,
    token: String,
    setup: ServerSetup,
}

impl Running {
    async fn start(backend: Backend) -> Self {
        let mut setup =
            ServerSetup::embedded().with_env("MODELREG_BODY_IDLE_TIMEOUT_SECS", &IDLE.as_secs().to_string());
        let blobs = match backend {
            Backend::Local => {
                let url = format!("file://{}", setup.data_dir().display());
                blob::open(&url, &S3Options::default()).unwrap()
            }
            Backend::S3 => {
                let s3 = s3_settings();
                let url = format!("s3://{}/{}", s3.bucket, unique_prefix("body-timeout"));
                let options = S3Options {
                    endpoint: Some(s3.endpoint.clone()),
                    region: Some(s3.region.clone()),
                    access_key_id: Some(s3.access_key_id.clone()),
                    secret_access_key: Some(s3.secret_access_key.clone()),
                    allow_http: true,
                    ..S3Options::default()
                };
                setup.blobs_url = Some(url.clone());
                setup.s3 = Some(s3);
                blob::open(&url, &options).unwrap()
            }
        };
        let token = setup.create_token("writer", "write");
        let server = ServerProcess::start(&setup).await;
        Self { server, blobs, token, setup }
    }

    fn addr(&self) -> &str {
        self.server.url().trim_start_matches("http://")
    }

    fn head(&self, method: &str, path: &str, length: usize) -> String {
        format!(
            "{method} {path} HTTP/1.1\r\nHost: {}\r\nAuthorization: Bearer {}\r\n\
             Content-Type: application/octet-stream\r\nContent-Length: {length}\r\n\r\n",
            self.addr(),
            self.token
        )
    }

    fn client(&self, method: reqwest::Method, path: &str) -> reqwest::RequestBuilder {
        reqwest::Client::new()
            .request(method, format!("{}{path}", self.server.url()))
            .bearer_auth(&self.token)
    }

    /// Opens an upload session for `data` and returns its id.
    async fn open_session(&self, data: &[u8]) -> String {
        let body = serde_json::json!({ "digest": digest_of(data), "size": data.len() });
        let resp = self.client(reqwest::Method::POST, "/v1/uploads").json(&body).send().await.unwrap();
        assert_eq!(resp.status(), 201, "{}", self.server.logs());
        let session: serde_json::Value = resp.json().await.unwrap();
        session["id"].as_str().unwrap().to_owned()
    }

    async fn received_parts(&self, session: &str) -> serde_json::Value {
        let resp = self.client(reqwest::Method::GET, &format!("/v1/uploads/{session}")).send().await.unwrap();
        assert_eq!(resp.status(), 200);
        resp.json::<serde_json::Value>().await.unwrap()["received"].clone()
    }

    /// Sends part 1 of `session` whole and completes the session.
    async fn upload_whole(&self, session: &str, data: &[u8]) {
        let part = self
            .client(reqwest::Method::PUT, &format!("/v1/uploads/{session}/parts/1"))
            .body(data.to_vec())
            .send()
            .await
            .unwrap();
        assert_eq!(part.status(), 200, "{}", part.text().await.unwrap());
        let done = self
            .client(reqwest::Method::POST, &format!("/v1/uploads/{session}/complete"))
            .send()
            .await
            .unwrap();
        assert_eq!(done.status(), 201, "{}", done.text().await.unwrap());
    }
}

/// What a stalled or trickling client got back.
struct Answer {
    status: u16,
    code: String,
    /// From the last byte of the first burst to the end of the connection.
    after: Duration,
}

/// Sends `head` and `first`, then nothing (or one byte every `drip`), keeping the connection
/// open, and reads the answer until the server closes the connection.
async fn stall(addr: &str, head: &str, first: &[u8], drip: Option<Duration>) -> Answer {
    let stream = TcpStream::connect(addr).await.unwrap();
    let (mut read, mut write) = stream.into_split();
    write.write_all(head.as_bytes()).await.unwrap();
    write.write_all(first).await.unwrap();
    let sent = Instant::now();
    // Kept open (dropping it would end the body early: that is an interruption, not a stall).
    let _writer: Option<OwnedWriteHalf>;
    let dripper = match drip {
        Some(every) => {
            _writer = None;
            Some(tokio::spawn(async move {
                loop {
                    tokio::time::sleep(every).await;
                    if write.write_all(b"x").await.is_err() {
                        break;
                    }
                }
            }))
        }
        None => {
            _writer = Some(write);
            None
        }
    };
    let mut raw = Vec::new();
    tokio::time::timeout(Duration::from_secs(30), read.read_to_end(&mut raw))
        .await
        .expect("the server answers and closes the connection")
        .unwrap();
    let after = sent.elapsed();
    if let Some(dripper) = dripper {
        dripper.abort();
    }
    let text = String::from_utf8_lossy(&raw);
    let status = text.split(' ').nth(1).and_then(|s| s.parse().ok()).unwrap_or_else(|| panic!("{text}"));
    let body = &text[text.find("\r\n\r\n").map_or(0, |i| i + 4)..];
    let envelope: serde_json::Value = serde_json::from_str(body).unwrap_or_else(|e| panic!("{e}: {text}"));
    let code = envelope["error"]["code"].as_str().unwrap_or_default().to_owned();
    Answer { status, code, after }
}

fn assert_timed_out(answer: &Answer, code: &str) {
    assert_eq!((answer.status, answer.code.as_str()), (408, code));
    assert!(
        answer.after >= IDLE - Duration::from_millis(500) && answer.after < IDLE + Duration::from_secs(10),
        "answered after {:?}, the idle timeout is {IDLE:?}",
        answer.after
    );
}

async fn a_blob_put_that_stalls_answers_408_closes_and_keeps_nothing(backend: Backend) {
    let running = Running::start(backend).await;
    // Buffered and written with one PUT; streamed to a temporary file or a multipart upload.
    for (size, seed) in [(1000, 1), (9 * MIB, 2)] {
        let data = bytes(size, seed);
        let digest = digest_of(&data);
        let head = running.head("PUT", &format!("/v1/blobs/{digest}"), size);
        let answer = stall(running.addr(), &head, &data[..10], None).await;
        assert_timed_out(&answer, "body_timeout");
        assert_eq!(running.blobs.size_of(&digest).await.unwrap(), None, "no blob of {size} bytes");
        if backend == Backend::Local {
            let uploads = running.setup.data_dir().join("uploads");
            let leftovers = || {
                std::fs::read_dir(&uploads).map_or(0, |dir| {
                    dir.filter(|e| e.as_ref().unwrap().file_name().to_string_lossy().starts_with("put_"))
                        .count()
                })
            };
            let deadline = Instant::now() + Duration::from_secs(5);
            while leftovers() > 0 && Instant::now() < deadline {
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
            assert_eq!(leftovers(), 0, "the partial file of a {size}-byte PUT is removed");
        }
        // Nothing is stuck: the same blob sent whole is stored.
        let resp = running
            .client(reqwest::Method::PUT, &format!("/v1/blobs/{digest}"))
            .body(data)
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), 201, "{}", resp.text().await.unwrap());
    }
}

async fn an_upload_part_that_stalls_answers_408_and_is_not_recorded(backend: Backend) {
    let running = Running::start(backend).await;
    let data = bytes(6 * MIB, 3);
    let session = running.open_session(&data).await;
    let head = running.head("PUT", &format!("/v1/uploads/{session}/parts/1"), data.len());
    let answer = stall(running.addr(), &head, &data[..10], None).await;
    assert_timed_out(&answer, "body_timeout");
    assert_eq!(running.received_parts(&session).await, serde_json::json!([]));
    // The session is still usable: its part sent whole is taken, and the blob completes.
    running.upload_whole(&session, &data).await;
    assert_eq!(running.blobs.size_of(&digest_of(&data)).await.unwrap(), Some(data.len() as u64));
}

#[tokio::test]
async fn a_json_body_that_stalls_answers_408() {
    let running = Running::start(Backend::Local).await;
    let manifest = br#"{"files": [], "metadata": {"license": "MIT"}}"#;
    let mut head = running.head("PUT", "/v1/models/acme/stalled/versions/1.0.0", manifest.len() + 100);
    head = head.replace("application/octet-stream", "application/json");
    let answer = stall(running.addr(), &head, manifest, None).await;
    assert_timed_out(&answer, "body_timeout");
    let resp = running.client(reqwest::Method::GET, "/v1/models/acme/stalled").send().await.unwrap();
    assert_eq!(resp.status(), 404, "nothing was published");
}

// Several threads: the tricklers must keep trickling while the test hashes and sends.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn on_s3_parts_that_trickle_cannot_starve_a_normal_upload_of_the_part_buffer() {
    let running = Running::start(Backend::S3).await;
    let normal = bytes(16 * MIB, 20);
    // Three 16 MiB parts fill the 48 MiB part buffer; each trickles a byte every half
    // second, well inside the idle timeout, so only the buffer's rule can free it.
    let mut tricklers = Vec::new();
    for seed in 10..13 {
        let data = bytes(16 * MIB, seed);
        let session = running.open_session(&data).await;
        let head = running.head("PUT", &format!("/v1/uploads/{session}/parts/1"), data.len());
        let addr = running.addr().to_owned();
        let first = data[..10].to_vec();
        tricklers.push(tokio::spawn(async move {
            stall(&addr, &head, &first, Some(Duration::from_millis(500))).await
        }));
    }
    // Let the tricklers take the buffer first (if they were late, this test would pass
    // without testing anything, never fail wrongly).
    tokio::time::sleep(Duration::from_secs(1)).await;
    let session = running.open_session(&normal).await;
    let started = Instant::now();
    tokio::time::timeout(Duration::from_secs(20), running.upload_whole(&session, &normal))
        .await
        .expect("the normal upload completes while the tricklers still trickle");
    assert!(started.elapsed() < Duration::from_secs(15), "took {:?}", started.elapsed());
    // The room the normal part needed was freed by cutting tricklers. Which of them are cut
    // depends on timing: once the normal part has its room nobody waits any more, and a slow
    // part with nobody waiting behind it is never cut. So at least one was cut, every answer
    // that came is `body_too_slow`, and those still trickling are let go.
    let mut cut = 0;
    for mut trickler in tricklers {
        match tokio::time::timeout(Duration::from_secs(3), &mut trickler).await {
            Ok(answer) => {
                let answer = answer.unwrap();
                assert_eq!(
                    (answer.status, answer.code.as_str()),
                    (408, "body_too_slow"),
                    "after {:?}",
                    answer.after
                );
                cut += 1;
            }
            Err(_still_trickling) => trickler.abort(),
        }
    }
    assert!(cut >= 1, "the normal part got its room only by cutting a trickler");
}
