//! Web UI render timings (issue 13, "Fast"): the search page with the same filters as each
//! JSON lookup line, timed in the same run and interleaved request by request with that
//! lookup (target: page at most twice the JSON lookup); and the model page of a model with
//! 200 versions of 1,000 files each, with aliases, a base and derivatives (target: p95 under
//! 50 ms), next to the JSON resolve of the same version and `GET /healthz`.

use std::time::{Duration, Instant};

use anyhow::Context;
use chrono::{TimeZone, Utc};
use modelreg_api::{Facts, Manifest, ModelName};
use modelreg_server::store::{MetadataStore, NewFile, NewVersion};

/// The model whose page is timed.
pub const BIG_MODEL: &str = "bench-ui/big";
const BIG_VERSIONS: usize = 200;
const BIG_FILES: usize = 1000;
const DERIVATIVES: usize = 5;

fn digest(seed: &str) -> modelreg_api::Digest {
    let mut h = modelreg_server::blob::Sha256Hasher::new();
    h.update(seed.as_bytes());
    h.finish()
}

/// A version of the big model (or of one of its derivatives): `files` files, rich metadata
/// and a README, so that the page renders every section.
fn big_version(model: &str, v: usize, files: usize, base: serde_json::Value) -> anyhow::Result<NewVersion> {
    let entries: Vec<serde_json::Value> = (0..files)
        .map(|i| {
            let d = digest(&format!("{model}/{v}/{i}"));
            serde_json::json!({ "path": format!("shards/model-{i:05}-of-{files:05}.safetensors"), "digest": d, "size": 1_000_000 + i })
        })
        .collect();
    let readme = (0..40)
        .map(|i| {
            format!("## Section {i}\n\nSome **bold** text, a [link](https://example.com/{i}) and `code`.\n")
        })
        .collect::<String>();
    let mut metadata = serde_json::json!({
        "license": "Apache-2.0",
        "description": "A model with many versions and files, for timing its page.",
        "task": "text-generation",
        "modalities": { "input": ["text"], "output": ["text"] },
        "languages": ["en", "fr", "de"],
        "context_length": 8192,
        "parameters": 7_000_000_000u64,
        "precision": "bf16",
        "format": "safetensors",
        "framework": "transformers",
        "fine_tunable": true,
        "latency": [{ "hardware": "A100", "p50_ms": 20.0, "p95_ms": 30.0 }, { "hardware": "CPU", "p50_ms": 900.0 }],
        "evaluations": [{ "dataset": "mmlu", "metric": "accuracy", "value": 0.61 }],
        "risks": { "intended_use": "Benchmarks.", "limitations": "None *known*." },
        "tags": ["bench"],
        "readme": readme,
    });
    if !base.is_null() {
        metadata["base_model"] = base;
        metadata["base_relation"] = "finetune".into();
    }
    let manifest: Manifest =
        serde_json::from_value(serde_json::json!({ "files": entries, "metadata": metadata }))?;
    manifest.validate()?;
    let manifest = manifest.canonicalize();
    let canonical = manifest.canonical_json();
    let size: u64 = manifest.files.iter().map(|f| f.size).sum();
    Ok(NewVersion {
        actor: "bench".into(),
        model: model.parse()?,
        version: format!("{}.{}.0", v / 10 + 1, v % 10).parse()?,
        digest: digest(&String::from_utf8_lossy(&canonical)),
        license: manifest.metadata.license.to_string(),
        manifest_json: String::from_utf8(canonical)?,
        files: manifest
            .files
            .iter()
            .map(|f| NewFile { path: f.path.to_string(), digest: f.digest, size: f.size })
            .collect(),
        size_bytes: size,
        published_at: Utc.timestamp_opt(1_750_000_000 + v as i64, 0).single().context("time")?,
        manifest,
        facts: Facts::new(),
    })
}

/// Seeds the big model (once per database): 200 versions of 1,000 files based on a seeded
/// model, two aliases with history, and derivatives.
pub async fn ensure_big_model(store: &dyn MetadataStore) -> anyhow::Result<()> {
    let name: ModelName = BIG_MODEL.parse()?;
    if store.get_model(&name).await?.is_some() {
        return Ok(());
    }
    let started = Instant::now();
    let base = serde_json::json!({ "model": "ns0/model-0" });
    for v in 0..BIG_VERSIONS {
        store.publish_version(&big_version(BIG_MODEL, v, BIG_FILES, base.clone())?).await?;
    }
    let at = Utc::now();
    for (alias, versions) in
        [("production", ["1.0.0", "10.0.0", "20.9.0"]), ("staging", ["19.0.0", "20.8.0", "20.9.0"])]
    {
        for v in versions {
            let alias: modelreg_api::AliasName = alias.parse().map_err(anyhow::Error::msg)?;
            store.set_alias(&name, &alias, &v.parse()?, true, "bench", at).await?;
        }
    }
    for d in 0..DERIVATIVES {
        let derivative = format!("bench-ui/big-ft-{d}");
        let base = serde_json::json!({ "model": BIG_MODEL, "version": "20.9.0" });
        store.publish_version(&big_version(&derivative, 0, 3, base)?).await?;
    }
    eprintln!(
        "seeded {BIG_MODEL} ({BIG_VERSIONS} versions of {BIG_FILES} files) in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

/// Latency percentiles of one URL, in milliseconds.
struct Timings(Vec<Duration>);

impl Timings {
    fn ms(&self, p: f64) -> f64 {
        let mut sorted = self.0.clone();
        sorted.sort();
        let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
        sorted[i].as_secs_f64() * 1000.0
    }
}

/// One GET, body read in full; the body for checking what came back.
async fn timed_get(client: &reqwest::Client, url: &str, times: &mut Timings) -> anyhow::Result<String> {
    let t = Instant::now();
    let body = client.get(url).send().await?.error_for_status()?.text().await?;
    times.0.push(t.elapsed());
    Ok(body)
}

/// Prints both tables. `lookups` are the JSON lookup lines' paths (`/v1/models?...`).
pub async fn print_tables(
    client: &reqwest::Client,
    base: &str,
    lookups: &[(&str, &str)],
    requests: usize,
) -> anyhow::Result<()> {
    println!();
    println!("search page next to the same JSON lookup, interleaved, {requests} requests each");
    println!("| filters | JSON p50 / p95 ms | page p50 / p95 ms | rows | page/JSON p50 | page/JSON p95 |");
    println!("|---|---|---|---|---|---|");
    let mut worst: f64 = 0.0;
    for (name, path) in lookups {
        let query = path.strip_prefix("/v1/models").context("a lookup path")?;
        let page_path = format!("/{query}");
        let (mut json, mut page) = (Timings(Vec::new()), Timings(Vec::new()));
        let (mut json_rows, mut page_rows) = (0, 0);
        for _ in 0..requests {
            let body = timed_get(client, &format!("{base}{path}"), &mut json).await?;
            json_rows =
                serde_json::from_str::<serde_json::Value>(&body)?["results"].as_array().map_or(0, Vec::len);
            let html = timed_get(client, &format!("{base}{page_path}"), &mut page).await?;
            page_rows = html.matches(r#"name="m""#).count();
        }
        anyhow::ensure!(
            json_rows == page_rows,
            "{name}: the page shows {page_rows} rows, the lookup {json_rows}"
        );
        let (r50, r95) = (page.ms(0.5) / json.ms(0.5), page.ms(0.95) / json.ms(0.95));
        worst = worst.max(r50).max(r95);
        println!(
            "| {name} `{page_path}` | {:.2} / {:.2} | {:.2} / {:.2} | {page_rows} | {r50:.2}x | {r95:.2}x |",
            json.ms(0.5),
            json.ms(0.95),
            page.ms(0.5),
            page.ms(0.95)
        );
    }
    println!("worst page/JSON ratio: {worst:.2}x (target <= 2x)");

    println!();
    println!(
        "model page of {BIG_MODEL}: {BIG_VERSIONS} versions, {BIG_FILES} files each, 2 aliases with history, a base, {DERIVATIVES} derivatives; {requests} requests each"
    );
    println!("| request | p50 ms | p95 ms | p99 ms | bytes |");
    println!("|---|---|---|---|---|");
    let lines = [
        ("baseline: GET /healthz", "/healthz".to_owned()),
        ("JSON resolve of the same version", format!("/v1/models/{BIG_MODEL}/versions/latest")),
        ("model page, latest", format!("/m/{BIG_MODEL}")),
        ("model page, a version", format!("/m/{BIG_MODEL}/v/10.0.0")),
    ];
    for (name, path) in lines {
        let mut times = Timings(Vec::new());
        let mut bytes = 0;
        for _ in 0..requests {
            bytes = timed_get(client, &format!("{base}{path}"), &mut times).await?.len();
        }
        println!(
            "| {name} `{path}` | {:.2} | {:.2} | {:.2} | {bytes} |",
            times.ms(0.5),
            times.ms(0.95),
            times.ms(0.99)
        );
    }
    Ok(())
}
