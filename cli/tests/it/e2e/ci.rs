//! End to end, the way a CI pipeline and a deployment use the registry: log in from a
//! secret, publish idempotently, promote with an alias, yank, stay inside the token's
//! namespaces, and log out; against the real `modelreg-server`.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use modelreg_testkit::{ServerProcess, ServerSetup};
use serde_json::Value;
use tempfile::TempDir;

use super::{json_of, ok, write};
use crate::support::{code, stderr, stdout};

/// A CI job's environment: the registry URL, a config directory of its own (where
/// `modelreg login` saves the token), and a working directory.
struct Job {
    url: String,
    config: PathBuf,
    cwd: PathBuf,
}

impl Job {
    fn command(&self, token: Option<&str>) -> Command {
        self.command_of(env!("CARGO_BIN_EXE_modelreg"), token)
    }

    fn command_of(&self, program: &str, token: Option<&str>) -> Command {
        let mut cmd = Command::new(program);
        cmd.current_dir(&self.cwd)
            .env("MODELREG_URL", &self.url)
            .env("XDG_CONFIG_HOME", &self.config)
            .env("MODELREG_CACHE_DIR", self.cwd.join(".modelreg-cache"))
            .env_remove("MODELREG_TOKEN")
            .env_remove("COLUMNS")
            .stdin(Stdio::null());
        if let Some(t) = token {
            cmd.env("MODELREG_TOKEN", t);
        }
        cmd
    }

    /// `modelreg ARGS` with the saved login (no MODELREG_TOKEN).
    fn run(&self, args: &[&str]) -> Output {
        self.command(None).args(args).output().expect("modelreg runs")
    }

    /// `modelreg ARGS` with `MODELREG_TOKEN` set, which wins over the saved login.
    fn run_as(&self, token: &str, args: &[&str]) -> Output {
        self.command(Some(token)).args(args).output().expect("modelreg runs")
    }

    /// `printf '%s\n' "$CI_REGISTRY_TOKEN" | modelreg login --token-stdin`, as a CI script
    /// would run it, the secret coming from an environment variable.
    fn login_from_env(&self, secret: &str) -> Output {
        let script = r#"printf '%s\n' "$CI_REGISTRY_TOKEN" | "$MODELREG_BIN" login --token-stdin"#;
        self.command_of("sh", None)
            .args(["-c", script])
            .env("CI_REGISTRY_TOKEN", secret)
            .env("MODELREG_BIN", env!("CARGO_BIN_EXE_modelreg"))
            .output()
            .expect("sh runs")
    }

    fn push(&self, dir: &Path, model: &str, version: &str) -> Output {
        self.run(&["push", dir.to_str().unwrap(), "--model", model, "--version", version, "--json"])
    }

    fn pull(&self, reference: &str, out: &str) -> Output {
        let out = self.cwd.join(out);
        self.run(&["pull", reference, "-o", out.to_str().unwrap(), "--json"])
    }
}

fn model(content: &str) -> TempDir {
    let dir = TempDir::new().unwrap();
    write(dir.path(), "model.safetensors", content.repeat(2000).as_bytes());
    write(dir.path(), "config.json", br#"{"labels": 2}"#);
    write(dir.path(), "modelreg.toml", b"license = \"MIT\"\n");
    dir
}

#[tokio::test]
async fn a_ci_pipeline_publishes_promotes_yanks_and_stays_in_its_namespace() {
    let setup = ServerSetup::embedded();
    let server = ServerProcess::start(&setup).await;
    let admin = setup.create_token("admin", "admin");
    let work = TempDir::new().unwrap();
    let job =
        Job { url: server.url().to_owned(), config: work.path().join("config"), cwd: work.path().to_owned() };

    // An admin makes the pipeline's token: write access to `acme` only.
    let created = json_of(&ok(job.run_as(
        &admin,
        &["token", "create", "ci-acme", "--scope", "write", "--namespace", "acme", "--json"],
    )));
    let secret = created["token"].as_str().unwrap().to_owned();
    assert_eq!(created["info"]["namespaces"][0], "acme");

    // The pipeline logs in from its secret; later steps use the saved login.
    let login = ok(job.login_from_env(&secret));
    assert!(stdout(&login).contains("as 'ci-acme'"), "{}", stdout(&login));
    assert!(job.config.join("modelreg/credentials.toml").exists());
    let me = json_of(&ok(job.run(&["whoami", "--json"])));
    assert_eq!((me["name"].as_str(), me["scope"].as_str()), (Some("ci-acme"), Some("write")));
    assert_eq!(me["namespaces"], serde_json::json!(["acme"]));

    // Publish 0.9.0 and 1.0.0; re-running the job is a no-op, changed content fails (4).
    let old = model("zero nine");
    ok(job.push(old.path(), "acme/bert", "0.9.0"));
    let v1 = model("one");
    let first = json_of(&ok(job.push(v1.path(), "acme/bert", "1.0.0")));
    assert_eq!(first["created"], true);
    let rerun = json_of(&ok(job.push(v1.path(), "acme/bert", "1.0.0")));
    assert_eq!((rerun["created"].as_bool(), rerun["bytes_uploaded"].as_u64()), (Some(false), Some(0)));
    let changed = model("one, retrained");
    let conflict = job.push(changed.path(), "acme/bert", "1.0.0");
    assert_eq!(code(&conflict), 4, "{}", stdout(&conflict));
    assert_eq!(json_of(&conflict)["error"]["code"], "version_conflict");

    // Checks passed: promote 1.0.0, and deployment pulls by alias.
    let moved = json_of(&ok(job.run(&["alias", "set", "acme/bert", "production", "1.0.0", "--json"])));
    assert_eq!(moved["version"], "1.0.0");
    let pulled = json_of(&ok(job.pull("acme/bert@production", "deploy")));
    assert_eq!(pulled["version"], "1.0.0");
    assert_eq!(
        std::fs::read(work.path().join("deploy/model.safetensors")).unwrap(),
        std::fs::read(v1.path().join("model.safetensors")).unwrap()
    );

    // Yanking 1.0.0: latest skips it, an exact pull still works and warns, an alias
    // refuses it without --force.
    ok(job.run(&["yank", "acme/bert@1.0.0", "--reason", "wrong labels"]));
    assert_eq!(json_of(&ok(job.pull("acme/bert", "latest")))["version"], "0.9.0");
    let exact = ok(job.command(None).args(["pull", "acme/bert@1.0.0", "-o", "exact"]).output().unwrap());
    assert!(
        stderr(&exact).contains("warning: acme/bert@1.0.0 is yanked: wrong labels"),
        "{}",
        stderr(&exact)
    );
    let shown = ok(job.run(&["show", "acme/bert@1.0.0"]));
    assert!(stdout(&shown).contains("yanked:        wrong labels"), "{}", stdout(&shown));
    let refused = job.run(&["alias", "set", "acme/bert", "staging", "1.0.0"]);
    assert_eq!(code(&refused), 4, "{}", stderr(&refused));
    assert!(stderr(&refused).contains("--force"), "{}", stderr(&refused));
    ok(job.run(&["alias", "set", "acme/bert", "staging", "1.0.0", "--force"]));
    let found = json_of(&ok(job.run(&["search", "bert", "--all-versions", "--json"])));
    let versions = |doc: &Value| -> Vec<String> {
        doc["results"].as_array().unwrap().iter().map(|r| r["version"].as_str().unwrap().to_owned()).collect()
    };
    assert_eq!(versions(&found), ["0.9.0"]);
    let found = json_of(&ok(job.run(&["search", "bert", "--all-versions", "--include-yanked", "--json"])));
    assert_eq!(versions(&found).len(), 2, "{found}");
    ok(job.run(&["yank", "acme/bert@1.0.0", "--undo"]));
    assert_eq!(json_of(&ok(job.pull("acme/bert", "latest")))["version"], "1.0.0");

    // The token is confined to `acme`: a push elsewhere is refused (5), and a model in a
    // namespace it cannot see does not exist for it (3).
    let elsewhere = job.push(v1.path(), "other/bert", "1.0.0");
    assert_eq!(code(&elsewhere), 5, "{}", stdout(&elsewhere));
    let other = model("other");
    let args = ["push", other.path().to_str().unwrap(), "--model", "other/secret", "--version", "1.0.0"];
    ok(job.run_as(&admin, &args));
    let hidden = job.pull("other/secret", "hidden");
    assert_eq!(code(&hidden), 3, "{}", stdout(&hidden));

    // Admin: a deleted number is never published again (4); the audit log shows who did what.
    let denied = job.run(&["delete", "acme/bert@0.9.0", "--yes"]);
    assert_eq!(code(&denied), 5, "a write token cannot delete");
    ok(job.run_as(&admin, &["delete", "acme/bert@0.9.0", "--yes"]));
    let again = job.push(old.path(), "acme/bert", "0.9.0");
    assert_eq!(code(&again), 4, "{}", stdout(&again));
    assert_eq!(json_of(&again)["error"]["code"], "version_deleted");
    let audit = json_of(&ok(job.run_as(&admin, &["audit", "--model", "acme/bert", "--all", "--json"])));
    let actions: Vec<(&str, &str)> = audit["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| (e["actor"].as_str().unwrap(), e["action"].as_str().unwrap()))
        .collect();
    for expected in
        [("ci-acme", "publish"), ("ci-acme", "alias_set"), ("ci-acme", "yank"), ("admin", "delete_version")]
    {
        assert!(actions.contains(&expected), "{expected:?} in {actions:?}");
    }

    // Logging out forgets the token: the next command has none.
    ok(job.run(&["logout"]));
    assert!(!job.config.join("modelreg/credentials.toml").exists());
    assert_eq!(code(&job.run(&["whoami"])), 5);

    let logs = server.logs();
    assert!(!logs.contains(&secret) && !logs.contains(&admin), "a token reached the server log");
}
