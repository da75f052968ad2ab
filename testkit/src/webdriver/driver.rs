//! The `chromedriver` child process of one [`super::Browser`]: found through the variables
//! `scripts/test` exports, started on a port it picks itself (read from its first lines), and
//! stopped by id. Also the Chromium command line, which keeps the browser off the network.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use tempfile::TempDir;

const DRIVER_VAR: &str = "MODELREG_TEST_CHROMEDRIVER";
const CHROMIUM_VAR: &str = "MODELREG_TEST_CHROMIUM";
const STARTED: &str = "started successfully on port ";
const START_TIMEOUT: Duration = Duration::from_secs(30);
const QUIT_TIMEOUT: Duration = Duration::from_secs(20);

#[derive(Debug)]
pub(super) struct Driver {
    child: Child,
    port: u16,
    chromium: PathBuf,
    /// The browser profile and the driver's log; removed last.
    dir: TempDir,
}

impl Driver {
    pub(super) fn start() -> Driver {
        let driver = required_path(DRIVER_VAR);
        let chromium = required_path(CHROMIUM_VAR);
        let dir = tempfile::Builder::new()
            .prefix("modelreg-chromium-")
            .tempdir()
            .expect("a browser profile folder");
        let mut child = Command::new(&driver)
            .arg("--port=0")
            .arg(format!("--log-path={}", dir.path().join("chromedriver.log").display()))
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("starting {}: {e}", driver.display()));
        let stdout = child.stdout.take().expect("stdout is piped");
        let (port_tx, port_rx) = mpsc::channel();
        // The pipe is drained for the driver's whole life, so it never blocks on a full pipe.
        std::thread::spawn(move || {
            let mut reader = BufReader::new(stdout);
            let mut line = String::new();
            while reader.read_line(&mut line).is_ok_and(|n| n > 0) {
                if let Some(port) = started_port(&line) {
                    let _ = port_tx.send(port);
                }
                line.clear();
            }
        });
        let mut driver = Driver { child, port: 0, chromium, dir };
        driver.port = match port_rx.recv_timeout(START_TIMEOUT) {
            Ok(port) => port,
            Err(_) => {
                let _ = driver.child.kill();
                let _ = driver.child.wait();
                panic!("chromedriver did not say its port within 30 s:\n{}", driver.log())
            }
        };
        driver
    }

    pub(super) fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    pub(super) fn chromium(&self) -> String {
        self.chromium.display().to_string()
    }

    /// Headless, with a fresh profile, and nothing that reaches for the network on its own
    /// (updates, sync, safe browsing lists, QUIC probes).
    pub(super) fn chromium_args(&self) -> Vec<String> {
        let mut args: Vec<String> = [
            "--headless=new",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--disable-dev-shm-usage",
            "--lang=en-US",
            "--window-size=1280,900",
        ]
        .map(str::to_owned)
        .to_vec();
        args.push(format!("--user-data-dir={}", self.dir.path().join("profile").display()));
        args
    }

    /// What the driver logged (browser start-up failures show here).
    pub(super) fn log(&self) -> String {
        let mut text = String::new();
        if let Ok(mut f) = std::fs::File::open(self.dir.path().join("chromedriver.log")) {
            let _ = f.read_to_string(&mut text);
        }
        let tail: Vec<&str> = text.lines().rev().take(40).collect();
        tail.into_iter().rev().collect::<Vec<_>>().join("\n")
    }

    /// Ends `session` (the browser quits), then kills the driver and reaps it.
    pub(super) fn stop(&mut self, session: &str) {
        // Blocking on purpose: this runs from `Drop`, possibly while a test unwinds.
        let _ = delete(self.port, session);
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `DELETE path` on the driver over a plain socket, waiting for the whole answer (the driver
/// keeps the connection open, so the end of the answer is found by its `Content-Length`).
fn delete(port: u16, path: &str) -> std::io::Result<()> {
    let mut stream = TcpStream::connect(("127.0.0.1", port))?;
    stream.set_read_timeout(Some(QUIT_TIMEOUT))?;
    write!(stream, "DELETE {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Length: 0\r\n\r\n")?;
    let mut answer = Vec::new();
    let mut chunk = [0u8; 4096];
    loop {
        let n = stream.read(&mut chunk)?;
        if n == 0 {
            return Ok(());
        }
        answer.extend_from_slice(&chunk[..n]);
        if answer_complete(&answer) {
            return Ok(());
        }
    }
}

/// Whether `bytes` hold an HTTP answer's head and as much body as its `Content-Length` says.
fn answer_complete(bytes: &[u8]) -> bool {
    let Some(head_end) = bytes.windows(4).position(|w| w == b"\r\n\r\n") else { return false };
    let head = String::from_utf8_lossy(&bytes[..head_end]).to_ascii_lowercase();
    let length = head
        .lines()
        .find_map(|l| l.strip_prefix("content-length:"))
        .and_then(|v| v.trim().parse::<usize>().ok())
        .unwrap_or(0);
    bytes.len() >= head_end + 4 + length
}

fn required_path(var: &str) -> PathBuf {
    match std::env::var_os(var) {
        Some(path) if !path.is_empty() => PathBuf::from(path),
        _ => panic!(
            "{var} is not set: the browser tests need Chromium and chromedriver. Run them through \
             ./scripts/test, which installs both (scripts/test.d/chromium.sh) and sets it"
        ),
    }
}

/// The port in chromedriver's `ChromeDriver was started successfully on port 41234.`
fn started_port(line: &str) -> Option<u16> {
    let rest = &line[line.find(STARTED)? + STARTED.len()..];
    rest.trim_end().trim_end_matches('.').parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_answer_is_complete_once_its_content_length_has_arrived() {
        let head = b"HTTP/1.1 200 OK\r\nContent-Length: 14\r\nContent-Type: application/json\r\n\r\n";
        assert!(!answer_complete(&head[..20]));
        assert!(!answer_complete(&[&head[..], b"{\"value\""].concat()));
        assert!(answer_complete(&[&head[..], b"{\"value\":null}"].concat()));
        assert!(answer_complete(b"HTTP/1.1 204 No Content\r\n\r\n"));
    }

    #[test]
    fn the_port_is_read_from_the_started_line() {
        assert_eq!(started_port("ChromeDriver was started successfully on port 41234.\n"), Some(41234));
        assert_eq!(started_port("ChromeDriver was started successfully on port 9515"), Some(9515));
        assert_eq!(started_port("Starting ChromeDriver 156.0 on port 0"), None);
    }
}
