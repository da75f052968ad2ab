//! Lookup latency benchmark: seeds a registry with N models and M versions of varied
//! metadata straight through the metadata store, serves it with the real route table on a
//! loopback port, and measures p50/p99 of lookups over HTTP, single-field filters and
//! five-field combinations alike, and `POST /v1/choose` with three constraints and three
//! preferences (selective, so near misses are computed; and broad, so the candidates are
//! capped); then the web UI's render timings (`ui`). The baseline measured in the same run is
//! `GET /healthz` (the HTTP floor on this machine), so figures can be read as ratios. On a
//! freshly seeded database it measures the lookups twice: as seeded (planner statistics only
//! where autovacuum happened to get), then after the server's start-up statistics pass.
//!
//! Seeding publishes 500 versions a transaction through the store's batch publish (the same
//! rows a single publish writes), then runs `VACUUM ANALYZE` (`ANALYZE` on SQLite), so that
//! the planner has statistics as it would in production.
//!
//!   cargo run --release -p modelreg-bench -- [--models 20000] [--versions 100000] [--requests 200] [--warmup 10] [--sqlite [--sqlite-file PATH]]
//!   cargo run --release -p modelreg-bench -- --sizes 20000/100000,200000/1000000 \
//!       [--database-prefix postgres://postgres@127.0.0.1:5432/lookupbench_]
//!
//! Each line sends `--warmup` untimed requests before its timed ones: a connection's first
//! run of a statement pays for caches that last as long as the connection (PostgreSQL's
//! per-backend catalogue and statistics caches, SQLite's page cache), and the pools hand
//! requests to their connections in turn. The table's "first ms" is the line's very first
//! request, so that cost stays in view.
//!
//! `--sizes` prints one table per size in one run, each with its own `/healthz` floor;
//! `--database-prefix` keeps each size's PostgreSQL database (named prefix + models_versions,
//! created if missing, seeded only if empty) for the next run; `--sqlite-file PATH` keeps the
//! SQLite database in that file (created if missing, seeded only if short of the size) the
//! same way.

mod ui;

use std::net::TcpListener;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context;
use chrono::{TimeZone, Utc};
use futures_util::stream::{self, StreamExt, TryStreamExt};
use modelreg_api::{Digest, Facts, Manifest};
use modelreg_server::config::Config;
use modelreg_server::store::{MetadataStore, NewFile, NewVersion, PublishOutcome};

const LICENSES: &[&str] = &[
    "Apache-2.0",
    "MIT",
    "MIT OR Apache-2.0",
    "CC-BY-NC-4.0",
    "LicenseRef-llama3",
    "GPL-3.0-only",
    "BSD-3-Clause",
    "CC-BY-4.0",
];
const TASKS: &[&str] = &[
    "text-generation",
    "text-classification",
    "translation",
    "summarization",
    "image-classification",
    "automatic-speech-recognition",
    "feature-extraction",
    "question-answering",
];
const LANGS: &[&str] = &["en", "fr", "de", "es", "it", "pt-BR", "ja", "zh-Hans", "ar", "hi", "ru", "nl"];
const FORMATS: &[&str] = &["safetensors", "gguf", "onnx", "pytorch"];
const MODALITIES: &[&str] = &["text", "image", "audio", "video", "tabular"];

const USAGE: &str = "usage: lookup-bench [--models N] [--versions N] | [--sizes M/V,M/V] \
     [--requests N] [--warmup N] [--database-url URL | --database-prefix URL] [--sqlite] [--sqlite-file PATH]";

/// Versions per batch publish while seeding.
const SEED_BATCH: usize = 500;

/// How many requests each line sends: `warmup` untimed (at least the first, whose time the
/// table shows as "first"), then `requests` timed.
#[derive(Clone, Copy)]
struct Rounds {
    warmup: usize,
    requests: usize,
}

struct Args {
    /// Reuse this PostgreSQL database (seeded only if empty) and keep it afterwards.
    database_url: Option<String>,
    /// Reuse (or create) one PostgreSQL database per size, named this plus `models_versions`.
    database_prefix: Option<String>,
    /// (models, versions) of each registry measured, in order.
    sizes: Vec<(usize, usize)>,
    requests: usize,
    /// Untimed requests of each line before its timed ones.
    warmup: usize,
    sqlite: bool,
    /// Reuse this SQLite database file (seeded only if short of the size) and keep it.
    sqlite_file: Option<std::path::PathBuf>,
}

fn parse_args() -> anyhow::Result<Args> {
    let mut args = Args {
        database_url: None,
        database_prefix: None,
        sizes: Vec::new(),
        requests: 200,
        warmup: 10,
        sqlite: false,
        sqlite_file: None,
    };
    let (mut models, mut versions) = (20_000, 100_000);
    let mut it = std::env::args().skip(1);
    let number = |v: &str| v.parse::<usize>().with_context(|| format!("{v:?} is not a number"));
    while let Some(flag) = it.next() {
        let mut value = || it.next().with_context(|| format!("a value after {flag}"));
        match flag.as_str() {
            "--models" => models = number(&value()?)?,
            "--versions" => versions = number(&value()?)?,
            "--requests" => args.requests = number(&value()?)?,
            "--warmup" => args.warmup = number(&value()?)?,
            "--sizes" => {
                for size in value()?.split(',') {
                    let (m, v) = size.split_once('/').context("--sizes takes MODELS/VERSIONS,...")?;
                    args.sizes.push((number(m)?, number(v)?));
                }
            }
            "--sqlite" => args.sqlite = true,
            "--sqlite-file" => {
                args.sqlite = true;
                args.sqlite_file = Some(value()?.into());
            }
            "--database-url" => args.database_url = Some(value()?),
            "--database-prefix" => args.database_prefix = Some(value()?),
            "--help" | "-h" => {
                println!("{USAGE}");
                std::process::exit(0);
            }
            other => anyhow::bail!("unknown flag {other}\n{USAGE}"),
        }
    }
    if args.sizes.is_empty() {
        args.sizes.push((models, versions));
    }
    for &(m, v) in &args.sizes {
        anyhow::ensure!(v >= m && m > 0, "need versions >= models > 0");
    }
    anyhow::ensure!(
        args.database_url.is_none() || args.sizes.len() == 1,
        "--database-url names one database: use --database-prefix with --sizes"
    );
    anyhow::ensure!(
        args.sqlite_file.is_none() || args.sizes.len() == 1,
        "--sqlite-file names one database: one size only"
    );
    Ok(args)
}

fn digest(seed: &str) -> Digest {
    let mut h = modelreg_server::blob::Sha256Hasher::new();
    h.update(seed.as_bytes());
    h.finish()
}

/// A well-mixed pseudo-random number for (model, field): fields vary independently.
fn mix(m: usize, salt: u64) -> u64 {
    let mut z =
        (m as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15).wrapping_add(salt.wrapping_mul(0xBF58_476D_1CE4_E5B9));
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// Varied but deterministic metadata for version `v` of model `m`.
fn version(m: usize, v: usize, per_model: usize) -> anyhow::Result<NewVersion> {
    let pick = |list: &[&'static str], salt: u64| list[(mix(m, salt) % list.len() as u64) as usize];
    let languages: Vec<&str> = {
        let mut l: Vec<&str> = (0..(1 + mix(m, 10) % 4)).map(|i| pick(LANGS, 11 + i)).collect();
        l.sort_unstable();
        l.dedup();
        l
    };
    let params = 10_000_000u64 * (1 + mix(m, 5) % 1000);
    let context = 512u64 << (mix(m, 6) % 8);
    let file = digest(&format!("{m}/{v}"));
    let metadata = serde_json::json!({
        "license": pick(LICENSES, 1),
        "task": pick(TASKS, 2),
        "languages": languages,
        "modalities": { "input": [pick(MODALITIES, 3)], "output": ["text"] },
        "context_length": context,
        "parameters": params + v as u64,
        "format": pick(FORMATS, 4),
        "framework": if mix(m, 13).is_multiple_of(2) { "transformers" } else { "llama.cpp" },
        "fine_tunable": mix(m, 7).is_multiple_of(3),
        "tags": [format!("family-{}", mix(m, 8) % 50)],
        "latency": [{ "hardware": if mix(m, 9).is_multiple_of(2) { "A100" } else { "CPU" }, "p50_ms": 5.0 + (mix(m, 12) % 400) as f64 }],
        "description": format!("model number {m} for benchmarking"),
    });
    let manifest: Manifest = serde_json::from_value(serde_json::json!({
        "files": [{ "path": "model.bin", "digest": file, "size": 1000 + v }],
        "metadata": metadata,
    }))?;
    manifest.validate()?;
    let manifest = manifest.canonicalize();
    let canonical = manifest.canonical_json();
    Ok(NewVersion {
        actor: "bench".into(),
        model: format!("ns{}/model-{m}", m % 100).parse()?,
        version: format!("{}.{}.0", v / 10 + 1, v % 10).parse()?,
        digest: digest(&String::from_utf8_lossy(&canonical)),
        license: manifest.metadata.license.to_string(),
        manifest_json: String::from_utf8(canonical)?,
        files: vec![NewFile { path: "model.bin".into(), digest: file, size: 1000 + v as u64 }],
        size_bytes: 1000 + v as u64,
        published_at: Utc
            .timestamp_opt(1_700_000_000 + (m * per_model + v) as i64, 0)
            .single()
            .context("time")?,
        manifest,
        facts: Facts::new(),
    })
}

/// Publishes `versions / models` versions of each model from model `from` on, [`SEED_BATCH`]
/// a transaction; the next batch is built while the store writes the previous one. A version
/// already there (a seed interrupted and resumed) is identical.
async fn seed(
    store: Arc<dyn MetadataStore>,
    models: usize,
    versions: usize,
    from: usize,
) -> anyhow::Result<Duration> {
    let started = Instant::now();
    let per_model = versions / models;
    let jobs: Vec<(usize, usize)> =
        (from..models).flat_map(|m| (0..per_model).map(move |v| (m, v))).collect();
    let done = std::sync::atomic::AtomicUsize::new(0);
    stream::iter(jobs.chunks(SEED_BATCH))
        .map(|chunk| {
            let store = store.clone();
            let done = &done;
            async move {
                let batch = chunk
                    .iter()
                    .map(|&(m, v)| version(m, v, per_model))
                    .collect::<anyhow::Result<Vec<_>>>()?;
                for outcome in store.publish_versions(&batch).await? {
                    anyhow::ensure!(
                        matches!(outcome, PublishOutcome::Created | PublishOutcome::Identical),
                        "seeding: {outcome:?}"
                    );
                }
                let n = done.fetch_add(batch.len(), std::sync::atomic::Ordering::Relaxed) + batch.len();
                if n % 100_000 < SEED_BATCH {
                    eprintln!("  {n} versions after {:.0} s", started.elapsed().as_secs_f64());
                }
                anyhow::Ok(())
            }
        })
        .buffered(2)
        .try_collect::<Vec<()>>()
        .await?;
    Ok(started.elapsed())
}

/// Refreshes the planner's statistics (after reclaiming space, on PostgreSQL), as a
/// production database has them.
async fn analyze(url: &str, vacuum: bool) -> anyhow::Result<Duration> {
    use sqlx::Connection;
    let started = Instant::now();
    if url.starts_with("sqlite:") {
        let mut conn = sqlx::SqliteConnection::connect(url).await?;
        sqlx::raw_sql("ANALYZE").execute(&mut conn).await?;
        conn.close().await?;
    } else {
        let mut conn = sqlx::PgConnection::connect(url).await?;
        sqlx::raw_sql(if vacuum { "VACUUM ANALYZE" } else { "ANALYZE" }).execute(&mut conn).await?;
        conn.close().await?;
    }
    Ok(started.elapsed())
}

/// How many versions the registry at `url` holds.
async fn count_versions(url: &str) -> anyhow::Result<usize> {
    use sqlx::Connection;
    let count: (i64,) = if url.starts_with("sqlite:") {
        let mut conn = sqlx::SqliteConnection::connect(url).await?;
        sqlx::query_as("SELECT COUNT(*) FROM versions").fetch_one(&mut conn).await?
    } else {
        let mut conn = sqlx::PgConnection::connect(url).await?;
        sqlx::query_as("SELECT COUNT(*) FROM versions").fetch_one(&mut conn).await?
    };
    Ok(usize::try_from(count.0)?)
}

/// The database of one size under `prefix`, created if missing.
async fn prefixed_database(prefix: &str, models: usize, versions: usize) -> anyhow::Result<String> {
    use sqlx::Connection;
    let url = format!("{prefix}{models}_{versions}");
    let (server, name) = url.rsplit_once('/').context("a database URL prefix")?;
    anyhow::ensure!(
        name.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_'),
        "database name {name:?}: lower-case letters, digits and '_' only"
    );
    let mut admin = sqlx::PgConnection::connect(&format!("{server}/postgres")).await?;
    let exists: Option<(i32,)> = sqlx::query_as("SELECT 1 FROM pg_database WHERE datname = $1")
        .bind(name)
        .fetch_optional(&mut admin)
        .await?;
    if exists.is_none() {
        sqlx::raw_sql(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}"))).execute(&mut admin).await?;
    }
    admin.close().await?;
    Ok(url)
}

fn percentile(sorted: &[Duration], p: f64) -> f64 {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i].as_secs_f64() * 1000.0
}

/// A line's timings in ms: p50 and p99 of the timed requests, and the line's very first
/// request (before the warm-up).
struct Timing {
    p50: f64,
    p99: f64,
    first: f64,
}

/// Sends `rounds.warmup` untimed requests, then times `rounds.requests`; `send` makes one
/// request and returns what the table shows of its answer (the last one's is kept).
async fn timed<T, F, Fut>(rounds: Rounds, mut send: F) -> anyhow::Result<(Timing, T)>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = anyhow::Result<T>>,
{
    let t = Instant::now();
    let mut shown = send().await?;
    let first = t.elapsed().as_secs_f64() * 1000.0;
    for _ in 1..rounds.warmup {
        send().await?;
    }
    let mut times = Vec::with_capacity(rounds.requests);
    for _ in 0..rounds.requests {
        let t = Instant::now();
        shown = send().await?;
        times.push(t.elapsed());
    }
    times.sort();
    Ok((Timing { p50: percentile(&times, 0.5), p99: percentile(&times, 0.99), first }, shown))
}

/// A GET lookup's timings and its rows.
async fn measure(client: &reqwest::Client, url: &str, rounds: Rounds) -> anyhow::Result<(Timing, usize)> {
    timed(rounds, || async {
        let body: serde_json::Value = client.get(url).send().await?.error_for_status()?.json().await?;
        Ok(body["results"].as_array().map_or(0, Vec::len))
    })
    .await
}

/// Like `measure`, for a JSON POST; rows are the ranked versions and near misses.
async fn measure_post(
    client: &reqwest::Client,
    url: &str,
    body: &serde_json::Value,
    rounds: Rounds,
) -> anyhow::Result<(Timing, String)> {
    timed(rounds, || async {
        let answer: serde_json::Value =
            client.post(url).json(body).send().await?.error_for_status()?.json().await?;
        Ok(format!(
            "{} ranked{}, {} near misses",
            answer["ranked"],
            if answer["truncated"] == true { " (capped)" } else { "" },
            answer["near_misses"].as_array().map_or(0, Vec::len)
        ))
    })
    .await
}

/// `POST /v1/choose` bodies: three constraints and three preferences each. The last ranks
/// by memory at 8k and an evaluation, which this seed does not record (its versions have no
/// memory facts or evaluations): the reads run, and every value is missing.
fn choose_queries() -> [(&'static str, serde_json::Value); 3] {
    let preferences = serde_json::json!([
        { "criterion": "parameters", "direction": "min", "weight": 2 },
        { "criterion": "context_length", "direction": "max" },
        { "criterion": "latency", "hardware": "a100" }
    ]);
    [
        (
            "choose: 3 constraints (selective: near misses computed), 3 preferences",
            serde_json::json!({
                "constraints": { "task": "translation", "min_context": 65536, "max_params": 2_000_000_000u64 },
                "preferences": preferences,
            }),
        ),
        (
            "choose: 3 constraints (broad: candidates capped at 200), 3 preferences",
            serde_json::json!({
                "constraints": { "task": "text-generation", "commercial_use": true, "min_context": 4096 },
                "preferences": preferences,
            }),
        ),
        (
            "choose: 3 constraints (selective), memory@8192 + eval + latency preferences",
            serde_json::json!({
                "constraints": { "task": "translation", "min_context": 65536, "max_params": 2_000_000_000u64 },
                "preferences": [
                    { "criterion": "memory", "at_context": 8192, "weight": 2 },
                    { "criterion": "eval", "dataset": "wmt14", "metric": "bleu" },
                    { "criterion": "latency", "hardware": "a100" }
                ],
            }),
        ),
    ]
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = parse_args()?;
    for &(models, versions) in &args.sizes {
        run_size(&args, models, versions).await?;
    }
    Ok(())
}

/// Seeds (or reuses) a registry of one size and prints its table.
async fn run_size(args: &Args, models: usize, versions: usize) -> anyhow::Result<()> {
    let data = tempfile::TempDir::new()?;
    let pg = if args.sqlite || args.database_url.is_some() || args.database_prefix.is_some() {
        None
    } else {
        Some(modelreg_testkit::postgres_db().await)
    };
    let url = match (&args.database_prefix, &args.database_url) {
        _ if args.sqlite => args.sqlite_file.as_ref().map(|f| format!("sqlite://{}", f.display())),
        (Some(prefix), _) => Some(prefixed_database(prefix, models, versions).await?),
        (None, Some(url)) => Some(url.clone()),
        (None, None) => pg.as_ref().map(|db| db.url()),
    };
    let mut config = Config::load(None, |_| None, &Default::default())?;
    config.server.data_dir = data.path().to_owned();
    config.auth.anonymous_read = true;
    config.database.url = url;
    let registry = modelreg_server::app::build_registry(&config).await?;
    let store = modelreg_server::app::open_store(&config).await?;
    let existing = count_versions(&config.database_url()).await?;
    let fresh = existing < versions / models * models;
    if fresh {
        // Resuming: batches commit out of order, so the last two may be missing before the
        // first model with no versions.
        let per_model = versions / models;
        let from = (existing / per_model).saturating_sub(2 * SEED_BATCH / per_model + 1);
        eprintln!("seeding {models} models / {versions} versions from model {from} ...");
        let took = seed(store.clone(), models, versions, from).await?;
        eprintln!("seeded in {:.1} s", took.as_secs_f64());
    }
    ui::ensure_big_model(store.as_ref()).await?;

    let listener = TcpListener::bind("127.0.0.1:0")?;
    let base = format!("http://{}", listener.local_addr()?);
    let server = modelreg_server::app::serve(listener, registry, &config)?;
    let handle = server.handle();
    tokio::spawn(server);

    let client = reqwest::Client::new();
    let backend = if args.sqlite { "SQLite" } else { "PostgreSQL" };
    let rounds = Rounds { warmup: args.warmup, requests: args.requests };
    let setting = format!(
        "{backend}, {models} models / {versions} versions, {} requests each after {} to warm up",
        args.requests, args.warmup
    );
    if fresh {
        // As a bulk load or a restore leaves it: statistics only where autovacuum got to.
        println!("lookup latency over HTTP, {setting}, as seeded (before the start-up statistics pass)");
        run_queries(&client, &base, rounds, false).await?;
        let analysed = store.ensure_statistics().await?;
        let names: Vec<&str> = analysed.iter().map(|t| t.table.as_str()).collect();
        let ms: u128 = analysed.iter().map(|t| t.duration.as_millis()).sum();
        println!("\nthe start-up statistics pass analysed {} tables in {ms} ms: {names:?}\n", names.len());
        let took = analyze(&config.database_url(), true).await?;
        eprintln!("vacuumed and analysed in {:.1} s", took.as_secs_f64());
    } else {
        let took = analyze(&config.database_url(), false).await?;
        eprintln!("reusing the seeded database (analysed in {:.1} s)", took.as_secs_f64());
    }
    println!("lookup latency over HTTP, {setting}");
    run_queries(&client, &base, rounds, true).await?;
    handle.stop(true).await;
    Ok(())
}

/// Prints the table of lookup latencies, `GET /healthz` first as the in-run floor.
/// With `with_ui`, the web UI's render timings follow (see `ui`).
async fn run_queries(
    client: &reqwest::Client,
    base: &str,
    rounds: Rounds,
    with_ui: bool,
) -> anyhow::Result<()> {
    println!("| query | p50 ms | p99 ms | first ms | rows | p99 vs /healthz |");
    println!("|---|---|---|---|---|---|");
    let (floor, _) = measure(client, &format!("{base}/healthz"), rounds).await?;
    println!(
        "| baseline: GET /healthz | {:.2} | {:.2} | {:.2} | | 1.0x |",
        floor.p50, floor.p99, floor.first
    );
    let queries = [
        ("license", "/v1/models?license=MIT"),
        ("task", "/v1/models?task=translation"),
        ("language", "/v1/models?language=fr"),
        ("min_context", "/v1/models?min_context=32768"),
        ("max_params", "/v1/models?max_params=500000000"),
        ("format", "/v1/models?format=gguf"),
        ("modality", "/v1/models?modality=audio"),
        ("commercial_use", "/v1/models?commercial_use=true"),
        ("max_latency_ms", "/v1/models?max_latency_ms=50"),
        ("q (text)", "/v1/models?q=number%201234"),
        ("sort=parameters desc", "/v1/models?sort=parameters&order=desc"),
        ("sort=created desc", "/v1/models?sort=created&order=desc"),
        (
            "5 fields",
            "/v1/models?modality=text&license=Apache-2.0&language=fr&min_context=8000&max_params=3000000000",
        ),
        (
            "5 fields",
            "/v1/models?task=text-generation&commercial_use=true&language=en&format=safetensors&max_latency_ms=200",
        ),
        (
            "5 fields, versions=all",
            "/v1/models?task=translation&language=de&min_context=1024&framework=transformers&fine_tunable=true&versions=all",
        ),
        (
            "5 fields, versions=all, sort=parameters",
            "/v1/models?task=translation&language=de&min_context=1024&framework=transformers&fine_tunable=true&versions=all&sort=parameters",
        ),
        // What the web UI's search page sends: the landing page (no filter), and its filter
        // panel's usual shape (a task, a licence class and a size bound, newest first; a
        // modality, a language and a context bound by latency).
        ("web UI: landing page, no filter", "/v1/models"),
        (
            "web UI: filter panel, newest first",
            "/v1/models?task=text-generation&license_class=permissive&max_params=8000000000&sort=updated&order=desc",
        ),
        (
            "web UI: filter panel, fastest first",
            "/v1/models?modality=image&language=de&min_context=4096&sort=latency",
        ),
        // The near misses of the selective choice below: the lookup once per dropped
        // constraint, candidates + 20 rows each (run concurrently), for its cost breakdown.
        (
            "choice's near misses (1 of 3): without task",
            "/v1/models?min_context=65536&max_params=2000000000&sort=parameters&limit=81",
        ),
        (
            "choice's near misses (2 of 3): without min_context",
            "/v1/models?task=translation&max_params=2000000000&sort=parameters&limit=81",
        ),
        (
            "choice's near misses (3 of 3): without max_params",
            "/v1/models?task=translation&min_context=65536&sort=parameters&limit=81",
        ),
    ];
    for (name, path) in &queries {
        let (t, rows) = measure(client, &format!("{base}{path}"), rounds).await?;
        let ratio = t.p99 / floor.p99;
        println!("| {name} `{path}` | {:.2} | {:.2} | {:.2} | {rows} | {ratio:.1}x |", t.p50, t.p99, t.first);
    }
    for (name, body) in choose_queries() {
        let (t, rows) = measure_post(client, &format!("{base}/v1/choose"), &body, rounds).await?;
        let ratio = t.p99 / floor.p99;
        println!("| {name} `{body}` | {:.2} | {:.2} | {:.2} | {rows} | {ratio:.1}x |", t.p50, t.p99, t.first);
    }
    if with_ui {
        ui::print_tables(client, base, &queries, rounds.requests).await?;
    }
    println!();
    Ok(())
}
