//! The ready-made CI steps, run the way their CI systems run them, against the real server:
//! the GitHub composite action (.github/actions/modelreg-push/action.yml) step by step with
//! its inputs substituted into `env` and `run`, and the GitLab template's job script
//! (ci/gitlab/modelreg.gitlab-ci.yml) with its variables. Both install the CLI that
//! scripts/dist built: the wheel from its path, or the static binary from a file:// URL.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::process::Command;

use modelreg_testkit::{ServerProcess, ServerSetup};
use serde_json::Value;
use tempfile::TempDir;

use super::dist::{Dist, dist};
use super::{json_of, ok, run, write};
use crate::support::{code, stderr};

mod yaml;

const REPO: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/..");

/// A runner's machine: its temporary folder and the PATH it starts with (the python3 that
/// made the test venvs, and the system's tools, nothing of the developer's own PATH).
struct Runner {
    temp: TempDir,
    path: String,
}

impl Runner {
    fn new(dist: &Dist) -> Self {
        let python_dir = dist.python.parent().expect("python3 lives in a folder");
        Self {
            temp: TempDir::new().unwrap(),
            path: format!("{}:/usr/local/bin:/usr/bin:/bin", python_dir.display()),
        }
    }

    fn dir(&self) -> &Path {
        self.temp.path()
    }

    /// `sh -e -c SCRIPT` in `cwd` with only the runner's environment and `env`.
    fn sh<'a>(&self, script: &str, cwd: &Path, env: impl IntoIterator<Item = (&'a str, String)>) -> Command {
        let mut cmd = Command::new("sh");
        cmd.args(["-e", "-c", script])
            .current_dir(cwd)
            .env_clear()
            .env("PATH", &self.path)
            .env("HOME", self.dir().join("home"))
            .env("TMPDIR", self.dir());
        cmd.envs(env);
        cmd
    }
}

/// What a run of the action left: the exit status of its last step, its stderr, the
/// action's outputs, the step summary and the folders it added to PATH.
struct ActionRun {
    status: i32,
    stderr: String,
    outputs: BTreeMap<String, String>,
    summary: String,
    path_added: Vec<String>,
}

/// Runs the composite action with `inputs` as a runner would: the declared defaults fill
/// in, `${{ inputs.* }}` is substituted, each step runs with `sh -e`, a failing step ends
/// the run, $GITHUB_PATH reaches later steps and `steps.<id>.outputs` become the action's.
fn run_action(runner: &Runner, workspace: &Path, inputs: &[(&str, &str)]) -> ActionRun {
    let action_dir = Path::new(REPO).join(".github/actions/modelreg-push");
    let action = yaml::parse(&std::fs::read_to_string(action_dir.join("action.yml")).unwrap());
    assert_eq!(action["runs"]["using"], "composite");
    let declared = action["inputs"].as_object().expect("the action declares inputs");
    for (name, _) in inputs {
        assert!(declared.contains_key(*name), "the action has no input '{name}'");
    }
    let values: HashMap<String, String> = declared
        .iter()
        .map(|(name, spec)| {
            let given = inputs.iter().find(|(n, _)| n == name).map(|(_, v)| (*v).to_owned());
            let value = given.or_else(|| spec.get("default").and_then(Value::as_str).map(str::to_owned));
            assert!(value.is_some() || spec["required"] != "true", "the required input '{name}' is missing");
            (name.clone(), value.unwrap_or_default())
        })
        .collect();

    let files = runner.dir().join("github");
    std::fs::create_dir_all(&files).unwrap();
    let (github_path, summary) = (files.join("path"), files.join("step_summary"));
    let mut step_outputs: HashMap<String, BTreeMap<String, String>> = HashMap::new();
    let mut last = (0, String::new());
    for (i, step) in action["runs"]["steps"].as_array().unwrap().iter().enumerate() {
        assert_eq!(step["shell"], "sh", "the steps run with POSIX sh, as ci/modelreg-ci is written for");
        let output_file = files.join(format!("output-{i}"));
        std::fs::write(&output_file, "").unwrap();
        let added = lines(&github_path);
        let path = added.iter().rev().chain([&runner.path]).cloned().collect::<Vec<_>>().join(":");
        let env = step["env"].as_object().map(|env| {
            env.iter().map(|(k, v)| (k.as_str(), expand(v.as_str().unwrap(), &values))).collect::<Vec<_>>()
        });
        let mut cmd =
            runner.sh(&expand(step["run"].as_str().unwrap(), &values), workspace, env.unwrap_or_default());
        cmd.env("PATH", path)
            .env("RUNNER_TEMP", runner.dir())
            .env("GITHUB_ACTION_PATH", &action_dir)
            .env("GITHUB_OUTPUT", &output_file)
            .env("GITHUB_STEP_SUMMARY", &summary)
            .env("GITHUB_PATH", &github_path);
        let out = cmd.output().expect("sh runs");
        last = (code(&out), stderr(&out));
        if let Some(id) = step["id"].as_str() {
            let pairs = lines(&output_file).into_iter().filter_map(|l| {
                let (k, v) = l.split_once('=')?;
                Some((k.to_owned(), v.to_owned()))
            });
            step_outputs.insert(id.to_owned(), pairs.collect());
        }
        if last.0 != 0 {
            break;
        }
    }
    let outputs = action["outputs"]
        .as_object()
        .unwrap()
        .iter()
        .filter_map(|(name, spec)| {
            let expr = spec["value"].as_str().unwrap();
            let inner = expr.strip_prefix("${{").and_then(|e| e.strip_suffix("}}")).unwrap().trim();
            let parts: Vec<&str> = inner.split('.').collect();
            let ["steps", id, "outputs", key] = parts[..] else { panic!("output {name}: {expr}") };
            Some((name.clone(), step_outputs.get(id)?.get(key)?.clone()))
        })
        .collect();
    let summary = std::fs::read_to_string(&summary).unwrap_or_default();
    ActionRun { status: last.0, stderr: last.1, outputs, summary, path_added: lines(&github_path) }
}

/// `text` with every `${{ inputs.NAME }}` replaced; any other expression is a test failure
/// (the runner would have something to evaluate that this test does not know).
fn expand(text: &str, inputs: &HashMap<String, String>) -> String {
    let mut out = String::new();
    let mut rest = text;
    while let Some(start) = rest.find("${{") {
        let end = rest[start..].find("}}").expect("an expression is closed") + start;
        let expr = rest[start + 3..end].trim();
        let name = expr.strip_prefix("inputs.").unwrap_or_else(|| panic!("unsupported expression {expr}"));
        out.push_str(&rest[..start]);
        out.push_str(inputs.get(name).unwrap_or_else(|| panic!("no input '{name}'")));
        rest = &rest[end + 2..];
    }
    out + rest
}

fn lines(path: &Path) -> Vec<String> {
    std::fs::read_to_string(path).unwrap_or_default().lines().map(str::to_owned).collect()
}

/// A model folder as a build leaves it: weights, a config, a log folder to exclude.
fn model_folder(root: &Path, tag: &str) {
    write(root, "model.safetensors", format!("weights {tag} ").repeat(3000).as_bytes());
    write(root, "config.json", br#"{"labels": 2}"#);
    write(root, "logs/train.log", b"epoch 1\n");
    write(root, "modelreg.toml", b"license = \"Apache-2.0\"\n");
}

fn sha256_hex(data: &[u8]) -> String {
    use sha2::Digest as _;
    hex::encode(sha2::Sha256::digest(data))
}

/// Pulls `reference` with the workspace's own binary and returns the report.
fn pull(url: &str, token: &str, cwd: &Path, reference: &str) -> Value {
    let out = cwd.join(format!("pulled-{}", reference.replace(['/', '@', '^'], "_")));
    json_of(&ok(run(url, Some(token), cwd, &["pull", reference, "-o", out.to_str().unwrap(), "--json"])))
}

#[tokio::test]
async fn the_github_action_installs_the_wheel_pushes_sets_aliases_and_reports_the_digest() {
    let dist = dist();
    let setup = ServerSetup::embedded();
    let server = ServerProcess::start(&setup).await;
    let token = setup.create_token("ci", "write");
    let runner = Runner::new(&dist);
    let workspace = TempDir::new().unwrap();
    model_folder(&workspace.path().join("model"), "one");
    // `*.tmp` must reach `modelreg push --exclude` as it is, not expanded by the shell.
    write(workspace.path(), "model/notes.tmp", b"scratch");
    write(workspace.path(), "build.tmp", b"scratch");

    let wheel = dist.wheel.to_str().unwrap();
    let inputs = [
        ("registry", server.url()),
        ("token", token.as_str()),
        ("path", "model"),
        ("model", "acme/sentiment"),
        ("version", "v1.4.0"),
        ("aliases", "staging, production"),
        ("exclude", "logs\n*.tmp"),
        ("package", wheel),
    ];
    let first = run_action(&runner, workspace.path(), &inputs);
    assert_eq!(first.status, 0, "{}", first.stderr);
    let digest = first.outputs["digest"].clone();
    assert!(digest.starts_with("sha256:"), "{:?}", first.outputs);
    assert_eq!((first.outputs["version"].as_str(), first.outputs["created"].as_str()), ("1.4.0", "true"));
    assert!(first.stderr.contains("logged in to") && first.stderr.contains("as 'ci'"), "{}", first.stderr);
    assert_eq!(first.path_added.len(), 1, "the install step puts the CLI on PATH for later steps");
    assert!(Path::new(&first.path_added[0]).join("modelreg").is_file());
    for needle in
        ["modelreg push: `acme/sentiment@1.4.0`", "| result | published |", &digest, "staging production"]
    {
        assert!(first.summary.contains(needle), "{needle} in {}", first.summary);
    }

    // The registry holds what the outputs say, under both aliases, without the excluded logs.
    let pulled = pull(server.url(), &token, workspace.path(), "acme/sentiment@production");
    assert_eq!(
        (pulled["version"].as_str(), pulled["digest"].as_str()),
        (Some("1.4.0"), Some(digest.as_str()))
    );
    assert_eq!(
        pull(server.url(), &token, workspace.path(), "acme/sentiment@staging")["digest"],
        digest.as_str()
    );
    assert_eq!(pulled["files"], 2, "logs/ and *.tmp are excluded: {pulled}");

    // A re-run of the job is a no-op with the same digest; the token is nowhere to be read.
    let again = run_action(&runner, workspace.path(), &inputs);
    assert_eq!(again.status, 0, "{}", again.stderr);
    assert_eq!(
        (again.outputs["digest"].as_str(), again.outputs["created"].as_str()),
        (digest.as_str(), "false")
    );
    assert!(again.summary.contains("already published"), "{}", again.summary);
    for text in [&first.stderr, &first.summary, &again.stderr, &server.logs()] {
        assert!(!text.contains(&token), "the token leaked");
    }
    assert_no_saved_login(runner.dir());
}

#[tokio::test]
async fn the_github_action_runs_the_static_binary_only_once_its_sha256_matches() {
    let dist = dist();
    let setup = ServerSetup::embedded();
    let server = ServerProcess::start(&setup).await;
    let token = setup.create_token("ci", "write");
    let workspace = TempDir::new().unwrap();
    model_folder(&workspace.path().join("model"), "static");
    let url = format!("file://{}", dist.static_bin.display());
    let sha256 = sha256_hex(&std::fs::read(&dist.static_bin).unwrap());
    let action = |runner: &Runner, sha256: &str| {
        let inputs = [
            ("registry", server.url()),
            ("token", token.as_str()),
            ("path", "model"),
            ("model", "acme/static"),
            ("version", "2.0.0"),
            ("install", "static"),
            ("static-url", url.as_str()),
            ("static-sha256", sha256),
        ];
        run_action(runner, workspace.path(), &inputs)
    };

    let runner = Runner::new(&dist);
    let refused = action(&runner, &"0".repeat(64));
    assert_eq!(refused.status, 1);
    assert!(refused.stderr.contains("not MODELREG_CLI_STATIC_SHA256"), "{}", refused.stderr);
    assert!(
        refused.outputs.is_empty() && refused.path_added.is_empty(),
        "nothing ran after the install step"
    );
    assert!(!runner.dir().join("modelreg-cli/bin/modelreg").exists(), "the unverified download is removed");

    let runner = Runner::new(&dist);
    let pushed = action(&runner, &sha256);
    assert_eq!(pushed.status, 0, "{}", pushed.stderr);
    assert_eq!(pushed.outputs["created"], "true");
    let pulled = pull(server.url(), &token, workspace.path(), "acme/static@2.0.0");
    assert_eq!(pulled["digest"].as_str(), Some(pushed.outputs["digest"].as_str()));

    // Other content under the same version: the job fails with the CLI's exit code 4.
    model_folder(&workspace.path().join("model"), "retrained");
    let conflict = action(&runner, &sha256);
    assert_eq!(conflict.status, 4, "{}", conflict.stderr);
    assert!(conflict.stderr.contains("holds other content"), "{}", conflict.stderr);
    assert!(conflict.outputs.is_empty());
    assert_no_saved_login(runner.dir());
}

#[tokio::test]
async fn the_gitlab_template_job_pushes_and_leaves_its_digest_in_a_dotenv_report() {
    let dist = dist();
    let template_path = Path::new(REPO).join("ci/gitlab/modelreg.gitlab-ci.yml");
    let template = yaml::parse(&std::fs::read_to_string(template_path).unwrap());
    let job = &template[".modelreg-push"];
    let script: Vec<&str> = job["script"].as_array().unwrap().iter().map(|l| l.as_str().unwrap()).collect();
    assert_eq!(job["retry"]["exit_codes"], serde_json::json!(["7"]), "an unavailable registry is retried");
    let image_job = &template[".modelreg-push-image"];
    assert_eq!(image_job["extends"], ".modelreg-push");
    assert_eq!(image_job["script"], serde_json::json!([script.last().unwrap()]), "both run modelreg-ci push");
    let dotenv = job["artifacts"]["reports"]["dotenv"].as_str().unwrap();

    let setup = ServerSetup::embedded();
    let server = ServerProcess::start(&setup).await;
    let token = setup.create_token("ci", "write");
    let runner = Runner::new(&dist);
    let project = TempDir::new().unwrap();
    model_folder(&project.path().join("model"), "gitlab");

    // The template's variables, then the including job's (which win), then CI/CD settings.
    let mut variables: BTreeMap<String, String> = job["variables"]
        .as_object()
        .unwrap()
        .iter()
        .map(|(k, v)| (k.clone(), v.as_str().unwrap().to_owned()))
        .collect();
    for (k, v) in [
        ("MODELREG_URL", server.url()),
        ("MODELREG_TOKEN", token.as_str()),
        ("MODELREG_PUSH_MODEL", "acme/gitlab"),
        ("MODELREG_PUSH_VERSION", "v0.3.0"),
        ("MODELREG_PUSH_ALIASES", "candidate"),
        ("MODELREG_PUSH_EXCLUDE", "logs"),
        ("MODELREG_CLI_PACKAGE", dist.wheel.to_str().unwrap()),
        ("CI_PROJECT_DIR", project.path().to_str().unwrap()),
    ] {
        variables.insert(k.to_owned(), v.to_owned());
    }
    let env = variables.iter().map(|(k, v)| (k.as_str(), v.clone()));
    let out = runner.sh(&script.join("\n"), project.path(), env).output().unwrap();
    assert_eq!(code(&out), 0, "{}", stderr(&out));

    let report: BTreeMap<String, String> = lines(&project.path().join(dotenv))
        .into_iter()
        .filter_map(|l| l.split_once('=').map(|(k, v)| (k.to_owned(), v.to_owned())))
        .collect();
    assert_eq!(
        (report["MODELREG_MODEL"].as_str(), report["MODELREG_VERSION"].as_str()),
        ("acme/gitlab", "0.3.0")
    );
    assert_eq!(report["MODELREG_CREATED"], "true");
    let pulled = pull(server.url(), &token, project.path(), "acme/gitlab@candidate");
    assert_eq!(pulled["digest"].as_str(), Some(report["MODELREG_DIGEST"].as_str()));
    assert_eq!(pulled["files"], 2, "logs/ is excluded: {pulled}");
    assert!(!stderr(&out).contains(&token));
    assert_no_saved_login(project.path());
    assert_no_saved_login(runner.dir());
}

/// No `credentials.toml` under `dir`: the login of a CI step ends with the step.
fn assert_no_saved_login(dir: &Path) {
    let mut stack = vec![PathBuf::from(dir)];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap().flatten() {
            let path = entry.path();
            assert_ne!(
                path.file_name().unwrap(),
                "credentials.toml",
                "a saved login was left at {}",
                path.display()
            );
            if entry.file_type().unwrap().is_dir() {
                stack.push(path);
            }
        }
    }
}
