//! Runs the real `modelreg-server` binary for end-to-end tests: how to configure it
//! ([`ServerSetup`]) and one running instance on a free loopback port ([`ServerProcess`]).
//! Readiness is observed (the listening line, then `/healthz`), never waited for by sleeping.

use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tempfile::TempDir;
use tokio::sync::oneshot;

use crate::binary::bin_path;
use crate::s3::S3Settings;

const SERVER_BIN: &str = "modelreg-server";
const LISTENING: &str = "listening on http://";
const START_TIMEOUT: Duration = Duration::from_secs(60);
const POLL_INTERVAL: Duration = Duration::from_millis(25);

/// How to run `modelreg-server`: a data directory of its own plus the backends and
/// environment it gets. Nothing of the caller's `AWS_*` or `MODELREG_*` environment leaks in,
/// except `MODELREG_LOG` (the log filter).
///
/// Replicas: [`ServerSetup::replica`] gives a second setup on the same database, bucket
/// prefix, environment and binary, with a data directory of its own.
#[derive(Debug)]
pub struct ServerSetup {
    data_dir: TempDir,
    /// The `modelreg-server` executable; `None` = the workspace's, next to the test binary.
    pub binary: Option<PathBuf>,
    /// `--database-url`; `None` = the embedded SQLite file in the data directory.
    pub database_url: Option<String>,
    /// `--blobs-url`; `None` = the local folder in the data directory.
    pub blobs_url: Option<String>,
    /// Passed as the usual `AWS_*` variables.
    pub s3: Option<S3Settings>,
    /// Further variables, e.g. `MODELREG_ANONYMOUS_READ=true`.
    pub env: Vec<(String, String)>,
}

impl ServerSetup {
    /// SQLite and a local blob folder, both inside a fresh temporary data directory.
    pub fn embedded() -> Self {
        let data_dir = tempfile::Builder::new()
            .prefix("modelreg-server-")
            .tempdir()
            .expect("a temporary data directory for modelreg-server");
        Self { data_dir, binary: None, database_url: None, blobs_url: None, s3: None, env: Vec::new() }
    }

    /// Runs `binary` (e.g. [`crate::release_server_bin`]) instead of the workspace's
    /// `modelreg-server`, for `serve` and for the setup's own commands (`create_token`).
    pub fn with_binary(mut self, binary: impl Into<PathBuf>) -> Self {
        self.binary = Some(binary.into());
        self
    }

    /// Another instance of the same deployment: the same database, blob store, S3
    /// credentials, environment and binary, but a fresh data directory of its own (what a
    /// second machine behind a load balancer has).
    pub fn replica(&self) -> Self {
        Self {
            binary: self.binary.clone(),
            database_url: self.database_url.clone(),
            blobs_url: self.blobs_url.clone(),
            s3: self.s3.clone(),
            env: self.env.clone(),
            ..Self::embedded()
        }
    }

    /// The executable this setup runs.
    pub fn server_bin(&self) -> PathBuf {
        self.binary.clone().unwrap_or_else(|| bin_path(SERVER_BIN))
    }

    /// PostgreSQL at `pg_url` and blobs under `s3://<bucket>/<prefix>` on the test S3 server.
    pub fn postgres_s3(pg_url: &str, s3: &S3Settings, prefix: &str) -> Self {
        Self {
            database_url: Some(pg_url.to_owned()),
            blobs_url: Some(format!("s3://{}/{}", s3.bucket, prefix.trim_matches('/'))),
            s3: Some(s3.clone()),
            ..Self::embedded()
        }
    }

    /// Adds an environment variable for the server.
    pub fn with_env(mut self, key: &str, value: &str) -> Self {
        self.env.push((key.to_owned(), value.to_owned()));
        self
    }

    /// The server's data directory, removed when the setup is dropped.
    pub fn data_dir(&self) -> &Path {
        self.data_dir.path()
    }

    /// `bin` with the global flags and environment of this setup; the caller adds the
    /// subcommand and its arguments.
    pub fn command(&self, bin: &Path) -> Command {
        let mut cmd = Command::new(bin);
        for (key, _) in std::env::vars_os() {
            // MODELREG_LOG only sets the log filter: letting it through helps debug a test.
            let leaks =
                |k: &str| (k.starts_with("AWS_") || k.starts_with("MODELREG_")) && k != "MODELREG_LOG";
            if key.to_str().is_some_and(leaks) {
                cmd.env_remove(key);
            }
        }
        cmd.arg("--data-dir").arg(self.data_dir.path());
        if let Some(url) = &self.database_url {
            cmd.args(["--database-url", url]);
        }
        if let Some(url) = &self.blobs_url {
            cmd.args(["--blobs-url", url]);
        }
        if let Some(s3) = &self.s3 {
            cmd.env("AWS_ENDPOINT_URL", &s3.endpoint)
                .env("AWS_REGION", &s3.region)
                .env("AWS_ACCESS_KEY_ID", &s3.access_key_id)
                .env("AWS_SECRET_ACCESS_KEY", &s3.secret_access_key)
                .env("AWS_ALLOW_HTTP", "true");
        }
        cmd.env("NO_COLOR", "1");
        cmd.envs(self.env.iter().map(|(k, v)| (k, v)));
        cmd.stdin(Stdio::null());
        cmd
    }

    /// Runs `modelreg-server token create --name <name> --scope <scope>` and returns the
    /// token it prints. Panics with the server's stderr when that fails.
    pub fn create_token(&self, name: &str, scope: &str) -> String {
        self.create_token_in(name, scope, &[])
    }

    /// As [`ServerSetup::create_token`], limited to `namespaces` (none: every namespace).
    pub fn create_token_in(&self, name: &str, scope: &str, namespaces: &[&str]) -> String {
        let output = self
            .command(&self.server_bin())
            .args(["token", "create", "--name", name, "--scope", scope])
            .args(namespaces.iter().flat_map(|ns| ["--namespace", ns]))
            .output()
            .expect("running modelreg-server token create");
        assert!(
            output.status.success(),
            "modelreg-server token create failed ({}):\n{}",
            output.status,
            String::from_utf8_lossy(&output.stderr)
        );
        String::from_utf8(output.stdout).expect("the token is UTF-8").trim().to_owned()
    }
}

/// A running `modelreg-server serve` on `127.0.0.1:<free port>`, killed when dropped.
/// The setup it was started from must outlive it (it owns the data directory).
#[derive(Debug)]
pub struct ServerProcess {
    child: Child,
    url: String,
    logs: Arc<Mutex<String>>,
}

impl ServerProcess {
    /// Starts the server and returns once `GET /healthz` answers 200.
    ///
    /// Panics, showing what the server printed, when it exits or is not ready in 60 s.
    pub async fn start(setup: &ServerSetup) -> ServerProcess {
        let child = setup
            .command(&setup.server_bin())
            .args(["--bind", "127.0.0.1:0", "serve"])
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawning modelreg-server");
        let mut server = ServerProcess { child, url: String::new(), logs: Arc::default() };

        // Both pipes are drained for the process's whole life so that it never blocks on a
        // full pipe; whichever shows the listening line first reports the URL.
        let (url_tx, url_rx) = oneshot::channel();
        let url_tx = Arc::new(Mutex::new(Some(url_tx)));
        let stderr = server.child.stderr.take().expect("stderr is piped");
        let stdout = server.child.stdout.take().expect("stdout is piped");
        for pipe in [Box::new(stderr) as Box<dyn Read + Send>, Box::new(stdout)] {
            let (logs, url_tx) = (Arc::clone(&server.logs), Arc::clone(&url_tx));
            std::thread::spawn(move || drain(pipe, &logs, &url_tx));
        }
        drop(url_tx);

        let deadline = Instant::now() + START_TIMEOUT;
        server.url = match tokio::time::timeout(START_TIMEOUT, url_rx).await {
            Ok(Ok(url)) => url,
            Ok(Err(_)) => server.fail("exited before it said where it listens"),
            Err(_) => server.fail("did not say where it listens within 60 s"),
        };
        server.wait_healthy(deadline).await;
        server
    }

    /// The base URL, e.g. `http://127.0.0.1:41234` (no trailing slash).
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The server's process id (to watch its memory in `/proc/<pid>/status`).
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Everything the server printed so far.
    pub fn logs(&self) -> String {
        self.logs.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// Sends SIGTERM (the orchestrator's stop) and waits up to `limit` for the process to
    /// exit; returns its status and how long it took, or `None` if it is still running.
    pub async fn terminate(&mut self, limit: Duration) -> Option<(std::process::ExitStatus, Duration)> {
        let sent = Instant::now();
        let kill = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()
            .expect("running kill -TERM");
        assert!(kill.success(), "kill -TERM {} failed", self.child.id());
        while sent.elapsed() < limit {
            if let Some(status) = self.child.try_wait().expect("polling modelreg-server") {
                return Some((status, sent.elapsed()));
            }
            tokio::time::sleep(POLL_INTERVAL).await;
        }
        None
    }

    async fn wait_healthy(&mut self, deadline: Instant) {
        let client = reqwest::Client::builder()
            .timeout(Duration::from_secs(5))
            .build()
            .expect("an HTTP client for the health check");
        let health = format!("{}/healthz", self.url);
        loop {
            if let Ok(response) = client.get(&health).send().await
                && response.status() == reqwest::StatusCode::OK
            {
                return;
            }
            if let Ok(Some(status)) = self.child.try_wait() {
                self.fail(&format!("exited ({status}) before /healthz answered 200"));
            }
            if Instant::now() >= deadline {
                self.fail("did not answer 200 on /healthz within 60 s");
            }
            tokio::time::sleep(POLL_INTERVAL).await;
        }
    }

    fn fail(&mut self, what: &str) -> ! {
        let _ = self.child.kill();
        let _ = self.child.wait();
        // The drain threads finish once the pipes close; the last lines may trail slightly.
        std::thread::sleep(Duration::from_millis(100));
        panic!("modelreg-server {what}; it printed:\n{}", self.logs())
    }
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

type UrlSender = Arc<Mutex<Option<oneshot::Sender<String>>>>;

/// Copies one output pipe of the server into `logs` until it closes, reporting the
/// listening URL through `url_tx` the first time it appears.
fn drain(pipe: Box<dyn Read + Send>, logs: &Mutex<String>, url_tx: &UrlSender) {
    let mut reader = BufReader::new(pipe);
    let mut line = Vec::new();
    while reader.read_until(b'\n', &mut line).is_ok_and(|n| n > 0) {
        let text = String::from_utf8_lossy(&line);
        if let Some(url) = listening_url(&text)
            && let Some(tx) = url_tx.lock().unwrap_or_else(|e| e.into_inner()).take()
        {
            let _ = tx.send(url.to_owned());
        }
        logs.lock().unwrap_or_else(|e| e.into_inner()).push_str(&text);
        line.clear();
    }
}

/// The base URL in a line such as `INFO listening on http://127.0.0.1:41234`.
fn listening_url(line: &str) -> Option<&str> {
    let start = line.find(LISTENING)? + LISTENING.len() - "http://".len();
    let rest = &line[start..];
    let end =
        rest.find(|c: char| !(c.is_ascii_alphanumeric() || ".:/[]-_%".contains(c))).unwrap_or(rest.len());
    let url = rest[..end].trim_end_matches(['.', '/']);
    (url.len() > "http://".len()).then_some(url)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_url_is_taken_from_a_plain_listening_line() {
        let line = "2026-11-27T04:00:00Z  INFO modelreg_server: listening on http://127.0.0.1:41234\n";
        assert_eq!(listening_url(line), Some("http://127.0.0.1:41234"));
    }

    #[test]
    fn the_url_ends_before_fields_colours_and_punctuation() {
        assert_eq!(listening_url("listening on http://127.0.0.1:80 workers=2"), Some("http://127.0.0.1:80"));
        assert_eq!(
            listening_url("\x1b[2mlistening on http://127.0.0.1:80\x1b[0m"),
            Some("http://127.0.0.1:80")
        );
        assert_eq!(listening_url("listening on http://127.0.0.1:80/."), Some("http://127.0.0.1:80"));
        assert_eq!(listening_url(r#"msg="listening on http://[::1]:80""#), Some("http://[::1]:80"));
    }

    #[test]
    fn other_lines_carry_no_url() {
        assert_eq!(listening_url("starting modelreg-server"), None);
        assert_eq!(listening_url("listening on http:// "), None);
    }

    /// S3 settings for a test server on loopback.
    fn test_s3() -> S3Settings {
        S3Settings {
            endpoint: "http://127.0.0.1:8333".into(),
            region: "us-east-1".into(),
            access_key_id: "id".into(),
            secret_access_key: "secret".into(),
            bucket: "modelreg-test".into(),
        }
    }

    #[test]
    fn the_s3_setup_points_the_blobs_at_a_prefix_of_the_test_bucket() {
        let s3 = test_s3();
        let setup = ServerSetup::postgres_s3("postgres://db/x", &s3, "e2e-1");
        assert_eq!(setup.blobs_url.as_deref(), Some("s3://modelreg-test/e2e-1"));
        let cmd = setup.command(Path::new("modelreg-server"));
        let envs: Vec<_> = cmd.get_envs().filter_map(|(k, v)| Some((k.to_str()?, v?.to_str()?))).collect();
        assert!(envs.contains(&("AWS_ENDPOINT_URL", "http://127.0.0.1:8333")));
        assert!(envs.contains(&("AWS_ALLOW_HTTP", "true")));
        let args: Vec<_> = cmd.get_args().filter_map(|a| a.to_str()).collect();
        assert!(args.windows(2).any(|w| w == ["--database-url", "postgres://db/x"]));
    }

    #[test]
    fn a_replica_shares_the_backends_environment_and_binary_but_not_the_data_dir() {
        let s3 = test_s3();
        let a = ServerSetup::postgres_s3("postgres://db/x", &s3, "r-1")
            .with_env("MODELREG_ANONYMOUS_READ", "true")
            .with_binary("/opt/modelreg-server");
        let b = a.replica();
        assert_eq!(b.database_url, a.database_url);
        assert_eq!(b.blobs_url, a.blobs_url);
        assert_eq!(b.env, a.env);
        assert_eq!(b.server_bin(), Path::new("/opt/modelreg-server"));
        assert_eq!(b.s3.as_ref().map(|s| &s.endpoint), Some(&s3.endpoint));
        assert_ne!(b.data_dir(), a.data_dir());
    }
}
