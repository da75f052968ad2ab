//! The `modelreg-server` binary itself: start-up defaults, subcommands, failing fast on bad
//! configuration, and secrets kept out of `config show`.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

fn server() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_modelreg-server"));
    for (key, _) in std::env::vars() {
        if key.starts_with("MODELREG_") || key.starts_with("AWS_") {
            cmd.env_remove(key);
        }
    }
    cmd.stdin(Stdio::null());
    cmd
}

#[test]
fn with_no_config_it_serves_sqlite_and_a_local_folder_under_modelreg_data() {
    let cwd = tempfile::TempDir::new().unwrap();
    let mut child = server()
        .args(["--bind", "127.0.0.1:0"])
        .current_dir(cwd.path())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stderr = BufReader::new(child.stderr.take().unwrap());
    let deadline = Instant::now() + Duration::from_secs(60);
    let mut listening = None;
    for line in stderr.lines() {
        let line = line.unwrap();
        if let Some(at) = line.find("listening on http://") {
            listening = Some(line[at..].to_owned());
            break;
        }
        assert!(Instant::now() < deadline, "no listening line");
    }
    child.kill().unwrap();
    child.wait().unwrap();
    let listening = listening.expect("the server logged where it listens");
    let port: u16 = listening.rsplit(':').next().unwrap().trim().parse().unwrap();
    assert!(listening.starts_with("listening on http://127.0.0.1:") && port != 0, "{listening}");
    assert!(cwd.path().join("modelreg-data/modelreg.db").is_file());
    assert!(cwd.path().join("modelreg-data").is_dir());
}

#[test]
fn migrate_and_token_create_work_without_a_running_server() {
    let data = tempfile::TempDir::new().unwrap();
    let dir = data.path().to_str().unwrap();
    let out = server().args(["--data-dir", dir, "migrate"]).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let out = server()
        .args(["token", "create", "--name", "ci", "--scope", "read", "--data-dir", dir])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let token = String::from_utf8(out.stdout).unwrap();
    assert!(token.trim().starts_with("mrg_") && token.trim().len() == 68, "{token}");
    let db = std::fs::read(data.path().join("modelreg.db")).unwrap();
    let needle = token.trim().as_bytes();
    assert!(!db.windows(needle.len()).any(|w| w == needle), "only the token's hash is stored");
    let out = server().args(["token", "create", "--name", "ci", "--data-dir", dir]).output().unwrap();
    assert!(!out.status.success(), "token names are unique");
    assert!(String::from_utf8_lossy(&out.stderr).contains("already exists"));
}

#[test]
fn bad_configuration_fails_fast_naming_the_key() {
    let dir = tempfile::TempDir::new().unwrap();
    let file = dir.path().join("c.toml");
    std::fs::write(&file, "[server]\nbnid = \"127.0.0.1:1\"\n").unwrap();
    let out = server().arg("--config").arg(&file).arg("serve").output().unwrap();
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("bnid"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    let out = server().env("MODELREG_BLOBS_URL", "ftp://nowhere").arg("serve").output().unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("blobs.url"));
}

#[test]
fn config_show_prints_the_effective_config_without_secrets() {
    let out = server()
        .args(["--database-url", "postgres://modelreg:hunter2@db.example/modelreg", "config", "show"])
        .env("AWS_SECRET_ACCESS_KEY", "wJalrXUtnFEMI")
        .env("MODELREG_ANONYMOUS_READ", "true")
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let shown = String::from_utf8(out.stdout).unwrap();
    assert!(!shown.contains("hunter2") && !shown.contains("wJalrXUtnFEMI"), "{shown}");
    assert!(shown.contains("anonymous_read = true"), "{shown}");
    assert!(shown.contains("db.example"), "{shown}");
}

#[test]
fn token_list_revoke_gc_and_audit_work_from_the_command_line() {
    let data = tempfile::TempDir::new().unwrap();
    let dir = data.path().to_str().unwrap();
    let run = |args: &[&str]| {
        let out = server().args(["--data-dir", dir]).args(args).output().unwrap();
        assert!(out.status.success(), "{args:?}: {}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8(out.stdout).unwrap()
    };
    let secret = run(&[
        "token",
        "create",
        "--name",
        "ci-acme",
        "--scope",
        "write",
        "--namespace",
        "acme",
        "--expires-in-days",
        "7",
    ]);
    let listed = run(&["token", "list"]);
    assert!(listed.contains("ci-acme\twrite\tacme\tactive"), "{listed}");
    assert!(!listed.contains(secret.trim()), "list never shows secrets");
    run(&["token", "revoke", "ci-acme"]);
    assert!(run(&["token", "list"]).contains("\trevoked\t"));

    let report: serde_json::Value =
        serde_json::from_str(&run(&["gc", "--dry-run", "--grace", "0s"])).unwrap();
    assert_eq!(report["dry_run"], true);
    assert_eq!(report["blobs_deleted"], 0);
    let report: serde_json::Value = serde_json::from_str(&run(&["gc", "--grace", "1h"])).unwrap();
    assert_eq!(report["uploads_aborted"], 0);

    let audit = run(&["audit", "--actor", "server-cli"]);
    let actions: Vec<String> = audit
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap()["action"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(actions, ["token_create", "token_revoke"]);
    let out = server().args(["--data-dir", dir, "gc", "--grace", "soon"]).output().unwrap();
    assert!(!out.status.success());
}

#[test]
fn out_of_range_lifetimes_and_grace_periods_exit_with_a_message_not_a_panic() {
    let data = tempfile::TempDir::new().unwrap();
    let dir = data.path().to_str().unwrap();
    let cases: [(&[&str], &str); 4] = [
        (&["token", "create", "--name", "long", "--expires-in-days", "100000000"], "--expires-in-days"),
        (&["token", "create", "--name", "long", "--expires-in-days", "36501"], "--expires-in-days"),
        (&["gc", "--grace", "99999999999999d"], "--grace"),
        (&["gc", "--grace", "36501d"], "--grace"),
    ];
    for (args, named) in cases {
        let out = server().args(["--data-dir", dir]).args(args).output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {stderr}");
        assert!(stderr.contains(named) && !stderr.contains("panicked"), "{args:?}: {stderr}");
    }
    let out = server().args(["--data-dir", dir, "gc", "--dry-run", "--grace", "36500d"]).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));

    let file = data.path().join("c.toml");
    std::fs::write(&file, "[uploads]\nsession_ttl_secs = 18446744073709551615\n").unwrap();
    let out = server().arg("--config").arg(&file).args(["--bind", "127.0.0.1:0", "serve"]).output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "{stderr}");
    assert!(stderr.contains("uploads.session_ttl_secs") && !stderr.contains("panicked"), "{stderr}");
}
