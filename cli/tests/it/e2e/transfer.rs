//! End to end, large transfers against the real `modelreg-server`: a push through an upload
//! session killed mid-way and run again sends only the missing parts; a pull killed mid-way
//! resumes its `.part` file; a cached pull moves no blob bytes, `--no-cache` does, and a new
//! version sharing files fetches only the new ones. Interruptions are made deterministic by
//! a loopback proxy that stops forwarding after a byte budget, so the test never races the
//! transfer.

use std::io::{Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use modelreg_testkit::{ServerProcess, ServerSetup, postgres_db, s3_settings, unique_prefix};
use serde_json::Value;
use tempfile::TempDir;

use super::{json_of, ok, run, write};
use crate::support::digest_of;

const MIB: usize = 1 << 20;
/// The server's part size in these tests (its minimum).
const PART: usize = 5 * MIB;

/// A server cutting upload sessions into 5 MiB parts.
fn small_parts_setup() -> ServerSetup {
    let setup = ServerSetup::embedded();
    let config = setup.data_dir().join("server.toml");
    std::fs::write(&config, format!("[uploads]\npart_size = {PART}\n")).unwrap();
    setup.with_env("MODELREG_CONFIG", config.to_str().unwrap())
}

fn content(len: usize, seed: u32) -> Vec<u8> {
    (0..len as u32).map(|i| (i.wrapping_mul(2_654_435_761).wrapping_add(seed) >> 13) as u8).collect()
}

/// `modelreg ARGS` as `run` would start it, but not waited for.
fn spawn(url: &str, token: &str, cwd: &Path, args: &[&str]) -> Child {
    Command::new(env!("CARGO_BIN_EXE_modelreg"))
        .args(args)
        .current_dir(cwd)
        .env("MODELREG_URL", url)
        .env("MODELREG_TOKEN", token)
        .env("MODELREG_CACHE_DIR", cwd.join(".modelreg-cache"))
        .env_remove("MODELREG_NO_CACHE")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("modelreg starts")
}

/// Polls `done` every 50 ms for up to 60 s.
fn wait_until(what: &str, mut done: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(60);
    while !done() {
        assert!(Instant::now() < deadline, "timed out waiting until {what}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// A loopback proxy in front of the server that forwards at most `up` bytes towards it
/// and `down` bytes back (over all connections), then drops the rest: the transfer stalls
/// at a known point instead of finishing. The same URL serves the resumed run (`open`), so
/// that the client sees the same registry both times.
struct StallingProxy {
    url: String,
    up: Arc<AtomicU64>,
    down: Arc<AtomicU64>,
}

impl StallingProxy {
    /// Lifts both budgets, for connections made from now on.
    fn open(&self) {
        self.up.store(u64::MAX, Ordering::SeqCst);
        self.down.store(u64::MAX, Ordering::SeqCst);
    }
}

fn stalling_proxy(upstream: &str, up: u64, down: u64) -> StallingProxy {
    let target = upstream.trim_start_matches("http://").to_owned();
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let (up, down) = (Arc::new(AtomicU64::new(up)), Arc::new(AtomicU64::new(down)));
    let proxy = StallingProxy { url, up: Arc::clone(&up), down: Arc::clone(&down) };
    std::thread::spawn(move || {
        for client in listener.incoming().flatten() {
            let server = TcpStream::connect(&target).unwrap();
            for (from, to, budget) in [(&client, &server, &up), (&server, &client, &down)] {
                let both = [client.try_clone().unwrap(), server.try_clone().unwrap()];
                let (from, to, budget) =
                    (from.try_clone().unwrap(), to.try_clone().unwrap(), Arc::clone(budget));
                std::thread::spawn(move || forward(from, to, &budget, &both));
            }
        }
    });
    proxy
}

/// Copies `from` to `to` while `budget` lasts; past it, reads and drops. When either side
/// closes, both connections are shut down (so a killed client ends its server request).
fn forward(mut from: TcpStream, mut to: TcpStream, budget: &AtomicU64, both: &[TcpStream; 2]) {
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        let n = match from.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => n,
        };
        let allowed =
            budget.fetch_update(Ordering::SeqCst, Ordering::SeqCst, |b| Some(b.saturating_sub(n as u64)));
        let allowed = allowed.unwrap_or(0).min(n as u64) as usize;
        if allowed > 0 && to.write_all(&buf[..allowed]).is_err() {
            break;
        }
    }
    for s in both {
        let _ = s.shutdown(Shutdown::Both);
    }
}

#[tokio::test]
async fn a_push_killed_mid_upload_resumes_with_the_missing_parts_only() {
    let setup = small_parts_setup();
    let server = ServerProcess::start(&setup).await;
    let token = setup.create_token("ci", "write");
    let work = TempDir::new().unwrap();
    let cwd = work.path();
    let model = TempDir::new().unwrap();
    let weights = content(12 * MIB + 321, 1);
    write(model.path(), "weights.bin", &weights);
    write(model.path(), "config.json", br#"{"layers": 2}"#);
    write(model.path(), "modelreg.toml", b"license = \"MIT\"\n");
    let dir = model.path().to_str().unwrap();
    // One file at a time, largest first: the small file waits behind the stalled one.
    let args = [
        "push",
        dir,
        "--model",
        "acme/big",
        "--version",
        "1.0.0",
        "--chunk-threshold",
        "1MiB",
        "--jobs",
        "1",
        "--json",
    ];

    // Through a proxy that lets the first part and a bit more through, then stalls.
    let proxy = stalling_proxy(server.url(), (PART + MIB) as u64, u64::MAX);
    let mut child = spawn(&proxy.url, &token, cwd, &args);
    let digest = digest_of(&weights);
    let state = cwd.join(format!(".modelreg-cache/uploads/{}.json", digest.hex()));
    let http = reqwest::Client::new();
    let mut received = Vec::new();
    for _ in 0..1200 {
        if let Ok(text) = std::fs::read_to_string(&state) {
            let id = serde_json::from_str::<Value>(&text).unwrap()["id"].as_str().unwrap().to_owned();
            let session: Value = http
                .get(format!("{}/v1/uploads/{id}", server.url()))
                .bearer_auth(&token)
                .send()
                .await
                .unwrap()
                .json()
                .await
                .unwrap();
            received = session["received"].as_array().unwrap().clone();
            if !received.is_empty() {
                break;
            }
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(received, [Value::from(1)], "the first part arrived before the stall");
    child.kill().unwrap();
    child.wait().unwrap();

    proxy.open();
    let resumed = json_of(&ok(run(&proxy.url, Some(&token), cwd, &args)));
    assert_eq!(resumed["created"], true);
    let sent = resumed["bytes_uploaded"].as_u64().unwrap();
    assert_eq!(sent, (weights.len() - PART + 13) as u64, "parts 2 and 3 and the small file only: {resumed}");
    assert!(!state.exists(), "a completed session is forgotten");

    let out = cwd.join("out");
    let pulled = json_of(&ok(run(
        server.url(),
        Some(&token),
        cwd,
        &["pull", "acme/big@1.0.0", "-o", out.to_str().unwrap(), "--json"],
    )));
    assert_eq!(pulled["digest"], resumed["digest"]);
    assert_eq!(std::fs::read(out.join("weights.bin")).unwrap(), weights);
}

#[tokio::test]
async fn a_pull_killed_mid_download_resumes_from_its_part_file() {
    let setup = ServerSetup::embedded();
    let server = ServerProcess::start(&setup).await;
    let token = setup.create_token("ci", "write");
    let work = TempDir::new().unwrap();
    let cwd = work.path();
    let model = TempDir::new().unwrap();
    let weights = content(12 * MIB, 2);
    write(model.path(), "weights.bin", &weights);
    write(model.path(), "modelreg.toml", b"license = \"MIT\"\n");
    ok(run(
        server.url(),
        Some(&token),
        cwd,
        &["push", model.path().to_str().unwrap(), "--model", "acme/dl", "--version", "1.0.0"],
    ));

    let out = cwd.join("out");
    let args = ["pull", "acme/dl@1.0.0", "-o", out.to_str().unwrap(), "--json"];
    let proxy = stalling_proxy(server.url(), u64::MAX, (4 * MIB) as u64);
    let mut child = spawn(&proxy.url, &token, cwd, &args);
    let part = modelreg_cli::verify::temp_path(&out.join("weights.bin"), &digest_of(&weights));
    wait_until("the .part file holds 2 MiB", || {
        std::fs::metadata(&part).is_ok_and(|m| m.len() >= 2 * MIB as u64)
    });
    child.kill().unwrap();
    child.wait().unwrap();
    let kept = std::fs::metadata(&part).unwrap().len();
    assert!(kept < weights.len() as u64);

    let resumed = json_of(&ok(run(server.url(), Some(&token), cwd, &args)));
    assert_eq!(resumed["bytes_downloaded"].as_u64().unwrap(), weights.len() as u64 - kept, "{resumed}");
    assert_eq!(std::fs::read(out.join("weights.bin")).unwrap(), weights);
    assert!(!part.exists());
}

#[tokio::test]
async fn a_cached_pull_moves_no_bytes_and_a_new_version_fetches_only_its_new_files() {
    let setup = ServerSetup::embedded();
    let server = ServerProcess::start(&setup).await;
    let url = server.url();
    let token = setup.create_token("ci", "write");
    let work = TempDir::new().unwrap();
    let cwd = work.path();
    let model = TempDir::new().unwrap();
    let (a, b, c) = (content(300_000, 3), content(200_000, 4), content(100_000, 5));
    write(model.path(), "a.bin", &a);
    write(model.path(), "b.bin", &b);
    write(model.path(), "modelreg.toml", b"license = \"MIT\"\n");
    let dir = model.path().to_str().unwrap();
    ok(run(url, Some(&token), cwd, &["push", dir, "--model", "acme/c", "--version", "1.0.0"]));
    let pull = |reference: &str, out: &str, extra: &[&str]| {
        let out = cwd.join(out);
        let mut args = vec!["pull", reference, "-o", out.to_str().unwrap(), "--json"];
        args.extend_from_slice(extra);
        json_of(&ok(run(url, Some(&token), cwd, &args)))
    };
    let total = (a.len() + b.len()) as u64;

    assert_eq!(pull("acme/c@1.0.0", "first", &[])["bytes_downloaded"], total);
    assert_eq!(pull("acme/c@1.0.0", "second", &[])["bytes_downloaded"], 0, "all from the cache");
    assert_eq!(std::fs::read(cwd.join("second/a.bin")).unwrap(), a);
    assert_eq!(std::fs::read(cwd.join("second/b.bin")).unwrap(), b);
    assert_eq!(pull("acme/c@1.0.0", "uncached", &["--no-cache"])["bytes_downloaded"], total);

    std::fs::remove_file(model.path().join("b.bin")).unwrap();
    write(model.path(), "c.bin", &c);
    ok(run(url, Some(&token), cwd, &["push", dir, "--model", "acme/c", "--version", "1.1.0"]));
    let next = pull("acme/c@1.1.0", "next", &[]);
    assert_eq!(next["bytes_downloaded"], c.len() as u64, "only the new file: {next}");
    assert_eq!(std::fs::read(cwd.join("next/c.bin")).unwrap(), c);

    let info = json_of(&ok(run(url, None, cwd, &["cache", "info", "--json"])));
    assert_eq!(
        (info["files"].as_u64(), info["bytes"].as_u64()),
        (Some(3), Some((a.len() + b.len() + c.len()) as u64))
    );
    // b.bin was used longest ago (a.bin was placed again, c.bin stored, by the last pull).
    let pruned = json_of(&ok(run(url, None, cwd, &["cache", "prune", "--max-size", "450KB", "--json"])));
    assert_eq!(
        (pruned["removed_files"].as_u64(), pruned["removed_bytes"].as_u64()),
        (Some(1), Some(b.len() as u64))
    );
    let pruned = json_of(&ok(run(url, None, cwd, &["cache", "prune", "--all", "--json"])));
    assert_eq!(pruned["files"], 0);
    assert_eq!(std::fs::read(cwd.join("next/a.bin")).unwrap(), a, "pulled files outlive the cache");
    assert_eq!(pull("acme/c@1.1.0", "after-prune", &[])["bytes_downloaded"], (a.len() + c.len()) as u64);
}

/// With presigned reads on, blob GETs answer 302 to S3: the CLI follows them without the
/// registry token (S3 refuses a request carrying a second authorisation), ranges included.
#[tokio::test]
async fn a_pull_on_postgres_and_s3_follows_presigned_redirects() {
    let db = postgres_db().await;
    let s3 = s3_settings();
    let setup = ServerSetup::postgres_s3(&db.url(), &s3, &unique_prefix("presign"))
        .with_env("MODELREG_BLOBS_PRESIGN", "true");
    let server = ServerProcess::start(&setup).await;
    let token = setup.create_token("ci", "write");
    let work = TempDir::new().unwrap();
    let cwd = work.path();
    let model = TempDir::new().unwrap();
    let weights = content(3 * MIB + 17, 6);
    write(model.path(), "weights.bin", &weights);
    write(model.path(), "modelreg.toml", b"license = \"MIT\"\n");
    let dir = model.path().to_str().unwrap();
    ok(run(server.url(), Some(&token), cwd, &["push", dir, "--model", "acme/s3", "--version", "1.0.0"]));

    let digest = digest_of(&weights);
    let redirect = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
        .get(format!("{}/v1/blobs/{digest}", server.url()))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(redirect.status(), 302, "presigned reads are on");

    // Half of the file is already there: the rest comes with a Range request to S3.
    let out = cwd.join("out");
    std::fs::create_dir_all(&out).unwrap();
    let part = modelreg_cli::verify::temp_path(&out.join("weights.bin"), &digest);
    std::fs::write(&part, &weights[..weights.len() / 2]).unwrap();
    let pulled = json_of(&ok(run(
        server.url(),
        Some(&token),
        cwd,
        &["pull", "acme/s3@1.0.0", "-o", out.to_str().unwrap(), "--json"],
    )));
    assert_eq!(pulled["bytes_downloaded"].as_u64().unwrap(), (weights.len() - weights.len() / 2) as u64);
    assert_eq!(std::fs::read(out.join("weights.bin")).unwrap(), weights);
}
