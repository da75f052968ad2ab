//! Running the Hub clients: which Python (from `scripts/test.d/hf.sh`, never skipped when
//! missing), a registry filled over the `/v1` API, and one client script run per scenario set
//! with `HF_ENDPOINT`, `HF_TOKEN` and a cache of its own.

use std::path::{Path, PathBuf};
use std::process::Command;

use modelreg_api::{CommitId, Digest, ModelName, Version};
use modelreg_testkit::{ServerProcess, ServerSetup, bin_path};
use serde_json::{Value, json};
use sha2::Digest as _;

/// A client version the tests drive.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Client {
    /// huggingface_hub 2.x with hf_xet and transformers.
    V2,
    /// huggingface_hub 0.36.
    V036,
}

impl Client {
    fn variable(self) -> &'static str {
        match self {
            Self::V2 => "MODELREG_TEST_HF_PYTHON_2",
            Self::V036 => "MODELREG_TEST_HF_PYTHON_036",
        }
    }

    /// The venv's python. Panics when the variable is unset: the clients are part of the suite.
    pub fn python(self) -> PathBuf {
        let var = self.variable();
        let path = std::env::var_os(var).map(PathBuf::from).unwrap_or_else(|| {
            panic!("{var} is not set: run the tests through ./scripts/test, which installs the Hugging Face clients")
        });
        assert!(path.is_file(), "{var}={} does not exist; rerun ./scripts/test", path.display());
        path
    }

    /// The `hf` command of the same venv.
    pub fn hf_cli(self) -> PathBuf {
        self.python().with_file_name("hf")
    }
}

pub fn sha256_hex(data: &[u8]) -> String {
    hex::encode(sha2::Sha256::digest(data))
}

/// A client of the `/v1` API with a token, to fill the registry.
pub struct Filler<'a> {
    http: reqwest::Client,
    server: &'a ServerProcess,
    url: String,
    token: String,
}

impl<'a> Filler<'a> {
    pub fn new(server: &'a ServerProcess, token: &str) -> Self {
        // A connection per request: no reuse of one the server is closing at that moment.
        let http = reqwest::Client::builder().pool_max_idle_per_host(0).build().expect("an HTTP client");
        Self { http, server, url: server.url().to_owned(), token: token.to_owned() }
    }

    async fn send(&self, req: reqwest::RequestBuilder) -> Value {
        let resp = match req.bearer_auth(&self.token).send().await {
            Ok(resp) => resp,
            Err(e) => panic!("the registry did not answer: {e:?}\nserver log:\n{}", self.server.logs()),
        };
        let status = resp.status();
        let body = resp.text().await.unwrap_or_default();
        assert!(status.is_success(), "{status}: {body}");
        serde_json::from_str(&body).unwrap_or(Value::Null)
    }

    /// Publishes `model@version` with `files` and `metadata`; returns its commit id and the
    /// files' sha256 and sizes as the scripts expect them.
    pub async fn publish(
        &self,
        model: &str,
        version: &str,
        files: &[(&str, Vec<u8>)],
        metadata: Value,
    ) -> Value {
        let mut entries = Vec::new();
        let mut expected = serde_json::Map::new();
        let digests: Vec<String> = files.iter().map(|(_, d)| format!("sha256:{}", sha256_hex(d))).collect();
        let ask =
            self.http.post(format!("{}/v1/blobs/missing", self.url)).json(&json!({ "digests": digests }));
        let missing = self.send(ask).await;
        let missing: Vec<&str> =
            missing["missing"].as_array().expect("missing[]").iter().filter_map(Value::as_str).collect();
        for (path, data) in files {
            let hex = sha256_hex(data);
            let digest = format!("sha256:{hex}");
            if missing.contains(&digest.as_str()) {
                let put = self.http.put(format!("{}/v1/blobs/{digest}", self.url)).body(data.clone());
                self.send(put).await;
            }
            entries.push(json!({ "path": path, "digest": digest, "size": data.len() }));
            expected.insert((*path).to_owned(), json!({ "sha256": hex, "size": data.len() }));
        }
        let manifest = json!({ "files": entries, "metadata": metadata });
        let url = format!("{}/v1/models/{model}/versions/{version}", self.url);
        let published = self.send(self.http.put(url).json(&manifest)).await;
        let digest: Digest = published["digest"].as_str().expect("a digest").parse().expect("a valid digest");
        let name: ModelName = model.parse().expect("a model name");
        let version: Version = version.parse().expect("a version");
        json!({ "commit": CommitId::of(&name, &version, &digest).to_string(), "files": expected })
    }

    pub async fn alias(&self, model: &str, alias: &str, version: &str) {
        let url = format!("{}/v1/models/{model}/aliases/{alias}", self.url);
        self.send(self.http.put(url).json(&json!({ "version": version }))).await;
    }

    pub async fn yank(&self, model: &str, version: &str) {
        let url = format!("{}/v1/models/{model}/versions/{version}/yank", self.url);
        self.send(self.http.post(url).json(&json!({ "reason": "broken tokenizer" }))).await;
    }
}

/// Creates a token limited to `namespaces` with `modelreg-server token create`.
pub fn limited_token(setup: &ServerSetup, name: &str, scope: &str, namespaces: &[&str]) -> String {
    let mut cmd = setup.command(&bin_path("modelreg-server"));
    cmd.args(["token", "create", "--name", name, "--scope", scope]);
    for ns in namespaces {
        cmd.args(["--namespace", ns]);
    }
    let out = cmd.output().expect("modelreg-server token create runs");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).expect("UTF-8").trim().to_owned()
}

/// Runs `server/tests/hf/<script>` with `client` against `server`, the spec as its argument.
/// Panics with everything the script printed when it fails.
pub fn run_script(
    client: Client,
    script: &str,
    server: &ServerProcess,
    token: &str,
    spec: &Value,
    work: &Path,
) {
    let spec_path = work.join("spec.json");
    std::fs::write(&spec_path, serde_json::to_vec_pretty(spec).expect("JSON")).expect("writing the spec");
    let scripts = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/hf");
    let mut cmd = Command::new(client.python());
    for (key, _) in std::env::vars_os() {
        if key.to_str().is_some_and(|k| k.starts_with("HF_") || k.starts_with("HUGGINGFACE_")) {
            cmd.env_remove(key);
        }
    }
    let out = cmd
        .arg(scripts.join(script))
        .arg(&spec_path)
        .current_dir(work)
        .env("PYTHONPATH", &scripts)
        .env("HF_ENDPOINT", format!("{}/hf", server.url()))
        .env("HF_TOKEN", token)
        .env("HF_HOME", work.join("hf-home"))
        .env("HF_HUB_DISABLE_TELEMETRY", "1")
        .env("HF_HUB_DISABLE_PROGRESS_BARS", "1")
        .env("HF_HUB_ETAG_TIMEOUT", "30")
        .env("HF_HUB_DOWNLOAD_TIMEOUT", "60")
        .env("NO_COLOR", "1")
        .output()
        .expect("the client's python runs");
    let printed = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(
        out.status.success(),
        "{script} with {client:?} failed:\n{printed}\nserver log:\n{}",
        server.logs()
    );
    assert!(printed.contains("all checks passed"), "{printed}");
}
