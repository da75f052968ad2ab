//! `modelreg login`, `logout` and `whoami` against the fake registry: a token is checked
//! before it is saved, saved privately per registry, used after `--token` and
//! `MODELREG_TOKEN`, and never printed; nobody is asked for it without a terminal.

use std::path::Path;
use std::process::Output;

use serde_json::{Value, json};
use tempfile::TempDir;

use crate::fake_registry::{FakeRegistry, Recorded, Reply};
use crate::support::{code, modelreg_command, run_with_stdin, stderr, stdout};

const GOOD: &str = "mr_good-secret-0123456789";

/// A registry that knows one token, `GOOD`, and answers `versions` with 404 (so that the
/// token sent can be read from the recorded request).
fn registry() -> FakeRegistry {
    FakeRegistry::start(|req: &Recorded| {
        let known = req.header("authorization") == Some(&format!("Bearer {GOOD}"));
        match req.path.as_str() {
            "/v1/whoami" if known => Reply::json(
                200,
                &json!({"name": "ci-acme", "scope": "write", "namespaces": ["acme"],
                        "created_at": "2025-01-01T00:00:00Z", "expires_at": "2026-01-01T00:00:00Z"}),
            ),
            "/v1/whoami" => Reply::error(401, "unauthorized", "invalid or expired token"),
            _ => Reply::error(404, "model_not_found", "no such model"),
        }
    })
}

/// Runs `modelreg` with its config under `config`, extra env, and `stdin` piped in.
fn run_in(config: &Path, registry: &str, args: &[&str], env: &[(&str, &str)], stdin: &[u8]) -> Output {
    let mut cmd = modelreg_command(registry);
    cmd.args(args).env("XDG_CONFIG_HOME", config);
    for (key, value) in env {
        cmd.env(key, value);
    }
    run_with_stdin(cmd, stdin)
}

fn login(config: &Path, registry: &str, token: &str) -> Output {
    run_in(config, registry, &["login", "--token-stdin"], &[], format!("{token}\n").as_bytes())
}

fn credentials(config: &Path) -> std::path::PathBuf {
    config.join("modelreg/credentials.toml")
}

/// The bearer token of the last request the registry received.
fn last_token(fake: &FakeRegistry) -> Option<String> {
    fake.requests()
        .last()
        .unwrap()
        .header("authorization")
        .map(|v| v.trim_start_matches("Bearer ").to_owned())
}

#[test]
fn login_never_asks_when_stdin_is_not_a_terminal() {
    let fake = registry();
    let config = TempDir::new().unwrap();
    let out = run_in(config.path(), &fake.url, &["login"], &[], b"");
    assert_eq!(code(&out), 2, "{}", stderr(&out));
    assert!(stderr(&out).contains("--token-stdin"), "{}", stderr(&out));
    let out = run_in(config.path(), &fake.url, &["login", "--json"], &[], b"");
    assert_eq!(code(&out), 2);
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(doc["error"]["code"], "usage");
    assert!(fake.requests().is_empty(), "nothing was sent");
    assert!(!credentials(config.path()).exists());

    let out = run_in(config.path(), &fake.url, &["login", "--token-stdin"], &[], b"\n");
    assert_eq!(code(&out), 2, "an empty token: {}", stderr(&out));
}

#[test]
fn a_refused_token_is_not_saved_and_not_shown() {
    let fake = registry();
    let config = TempDir::new().unwrap();
    let out = login(config.path(), &fake.url, "mr_wrong-secret-42");
    assert_eq!(code(&out), 5, "{}", stderr(&out));
    assert!(stderr(&out).contains("nothing was saved"), "{}", stderr(&out));
    assert!(!stderr(&out).contains("mr_wrong-secret-42") && !stdout(&out).contains("mr_wrong-secret-42"));
    assert_eq!(last_token(&fake).as_deref(), Some("mr_wrong-secret-42"), "it was checked with whoami");
    assert!(!credentials(config.path()).exists());
}

#[test]
fn a_login_is_checked_saved_privately_and_used_after_token_and_env() {
    let fake = registry();
    let config = TempDir::new().unwrap();
    let out = login(config.path(), &fake.url, GOOD);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert_eq!(
        stdout(&out),
        format!("logged in to {} as 'ci-acme' (scope write, namespaces acme)\n", fake.url)
    );
    assert!(!stdout(&out).contains(GOOD) && !stderr(&out).contains(GOOD));
    let file = credentials(config.path());
    assert!(std::fs::read_to_string(&file).unwrap().contains(GOOD));
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!((mode(&file), mode(file.parent().unwrap())), (0o600, 0o700));
    }

    // The saved login is used; MODELREG_TOKEN wins over it, and --token over both.
    let versions = ["versions", "acme/bert"];
    assert_eq!(code(&run_in(config.path(), &fake.url, &versions, &[], b"")), 3);
    assert_eq!(last_token(&fake).as_deref(), Some(GOOD));
    run_in(config.path(), &fake.url, &versions, &[("MODELREG_TOKEN", "from-env")], b"");
    assert_eq!(last_token(&fake).as_deref(), Some("from-env"));
    let flagged = ["versions", "acme/bert", "--token", "from-flag"];
    run_in(config.path(), &fake.url, &flagged, &[("MODELREG_TOKEN", "from-env")], b"");
    assert_eq!(last_token(&fake).as_deref(), Some("from-flag"));
    // An empty variable counts as unset.
    run_in(config.path(), &fake.url, &versions, &[("MODELREG_TOKEN", "")], b"");
    assert_eq!(last_token(&fake).as_deref(), Some(GOOD));

    // Another registry has no login.
    let other = registry();
    run_in(config.path(), &other.url, &versions, &[], b"");
    assert_eq!(last_token(&other), None);

    let out = run_in(config.path(), &fake.url, &["whoami"], &[], b"");
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let text = stdout(&out);
    for line in
        ["name:       ci-acme", "scope:      write", "namespaces: acme", "expires:    2026-01-01T00:00:00Z"]
    {
        assert!(text.contains(line), "{line} in\n{text}");
    }
    assert!(text.contains("token from: saved by modelreg login") && !text.contains(GOOD), "{text}");
    let out = run_in(config.path(), &fake.url, &["whoami", "--json"], &[], b"");
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!((doc["name"].as_str(), doc["scope"].as_str()), (Some("ci-acme"), Some("write")));

    let out = run_in(config.path(), &fake.url, &["logout"], &[], b"");
    assert_eq!(stdout(&out), format!("logged out of {}\n", fake.url));
    assert!(!file.exists(), "the last login is gone, and the file with it");
    let out = run_in(config.path(), &fake.url, &["logout", "--json"], &[], b"");
    assert_eq!(code(&out), 0);
    assert_eq!(serde_json::from_slice::<Value>(&out.stdout).unwrap()["removed"], false);
    run_in(config.path(), &fake.url, &versions, &[], b"");
    assert_eq!(last_token(&fake), None);
}

#[test]
fn without_a_token_whoami_fails_with_exit_5_and_a_hint() {
    let fake = registry();
    let config = TempDir::new().unwrap();
    let out = run_in(config.path(), &fake.url, &["whoami"], &[], b"");
    assert_eq!(code(&out), 5);
    assert!(stderr(&out).contains("modelreg login"), "{}", stderr(&out));
}

#[test]
fn a_saved_token_the_registry_no_longer_accepts_says_to_log_in_again() {
    let fake = registry();
    let config = TempDir::new().unwrap();
    let file = credentials(config.path());
    std::fs::create_dir_all(file.parent().unwrap()).unwrap();
    let key = fake.url.clone();
    std::fs::write(&file, format!("[registry.\"{key}\"]\ntoken = \"mr_revoked\"\n")).unwrap();
    let out = run_in(config.path(), &fake.url, &["whoami"], &[], b"");
    assert_eq!(code(&out), 5);
    assert!(
        stderr(&out).contains("log in again") && !stderr(&out).contains("mr_revoked"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn a_broken_credentials_file_fails_commands_that_need_it_but_not_token_users() {
    let fake = registry();
    let config = TempDir::new().unwrap();
    let file = credentials(config.path());
    std::fs::create_dir_all(file.parent().unwrap()).unwrap();
    std::fs::write(&file, "not = [toml").unwrap();
    let out = run_in(config.path(), &fake.url, &["versions", "acme/bert"], &[], b"");
    assert_eq!(code(&out), 1);
    assert!(stderr(&out).contains("credentials.toml"), "{}", stderr(&out));
    let out = run_in(config.path(), &fake.url, &["versions", "acme/bert"], &[("MODELREG_TOKEN", GOOD)], b"");
    assert_eq!(code(&out), 3, "a given token does not read the file: {}", stderr(&out));
}
