//! `modelreg choose` end to end: the fixture catalogue of real-shaped model cards published
//! to the real server binary, ranked through the real CLI, as JSON and as the table with
//! near-miss reasons.

use modelreg_testkit::{CHOOSE_CATALOGUE, ServerProcess, ServerSetup};
use serde_json::{Value, json};
use tempfile::TempDir;

use super::{json_of, ok, run};
use crate::support::{code, digest_of, stderr, stdout};

/// Publishes every version of the catalogue over HTTP, each with one small file, and a
/// `config.json` with the attention keys where the catalogue gives them, from which the
/// registry derives the KV-cache shape (the weights' bytes come from the declared
/// parameters and precision).
async fn publish_catalogue(url: &str, token: &str) {
    let http = reqwest::Client::new();
    let put = |data: Vec<u8>| {
        let http = http.clone();
        async move {
            let digest = digest_of(&data);
            let size = data.len();
            let resp = http
                .put(format!("{url}/v1/blobs/{digest}"))
                .bearer_auth(token)
                .body(data)
                .send()
                .await
                .unwrap();
            assert!(resp.status().is_success());
            json!({ "digest": digest, "size": size })
        }
    };
    let weights = put(b"weights".to_vec()).await;
    let doc: Value = serde_json::from_str(CHOOSE_CATALOGUE).unwrap();
    for entry in doc["models"].as_array().unwrap() {
        let (model, version) = (entry["model"].as_str().unwrap(), entry["version"].as_str().unwrap());
        let mut files =
            vec![json!({ "path": "weights.dat", "digest": weights["digest"], "size": weights["size"] })];
        if let Some(attention) = entry["attention"].as_object() {
            let mut config = attention.clone();
            config.insert("torch_dtype".into(), json!("bfloat16"));
            let blob = put(serde_json::to_vec(&config).unwrap()).await;
            files.push(json!({ "path": "config.json", "digest": blob["digest"], "size": blob["size"] }));
        }
        let manifest = json!({ "files": files, "metadata": entry["metadata"] });
        let resp = http
            .put(format!("{url}/v1/models/{model}/versions/{version}"))
            .bearer_auth(token)
            .json(&manifest)
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), 201, "{model}@{version}: {}", resp.text().await.unwrap());
    }
}

const QUERY: &[&str] = &[
    "choose",
    "--where",
    "license_class=permissive",
    "--where",
    "task=text-generation",
    "--where",
    "min_context=32768",
    "--prefer",
    "parameters:min:2",
    "--prefer",
    "context_length",
    "--limit",
    "5",
];

#[tokio::test]
async fn choose_ranks_the_fixture_catalogue_as_json_and_as_a_table_with_reasons() {
    let setup = ServerSetup::embedded();
    let server = ServerProcess::start(&setup).await;
    let url = server.url();
    publish_catalogue(url, &setup.create_token("ci", "write")).await;
    let read = setup.create_token("reader", "read");
    let work = TempDir::new().unwrap();

    let mut args = QUERY.to_vec();
    args.push("--json");
    let answer = json_of(&ok(run(url, Some(&read), work.path(), &args)));
    let ranked: Vec<(String, f64, bool)> = answer["candidates"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| (c["model"].as_str().unwrap().to_owned(), c["score"].as_f64().unwrap(), c["pareto"] == true))
        .collect();
    let want = [
        ("microsoft/phi-3-mini-128k-instruct", 0.952012, true),
        ("microsoft/phi-3.5-mini-instruct", 0.952012, true),
        ("deepseek-ai/deepseek-r1-distill-qwen-7b", 0.897185, false),
        ("qwen/qwen2.5-7b-instruct", 0.897185, false),
        ("deepseek-ai/deepseek-r1-distill-llama-8b", 0.89127, false),
    ];
    assert_eq!(ranked, want.map(|(m, s, p)| (m.to_owned(), s, p)));
    assert_eq!(answer["ranked"], 10);
    assert_eq!(answer["near_misses"].as_array().unwrap().len(), 18);
    assert_eq!(
        answer["query"],
        json!({
            "constraints": { "license_class": "permissive", "min_context": "32768", "task": "text-generation" },
            "preferences": [
                { "criterion": "parameters", "direction": "min", "weight": 2.0 },
                { "criterion": "context_length", "direction": "max", "weight": 1.0 }
            ],
            "limit": 5
        })
    );

    let table = stdout(&ok(run(url, Some(&read), work.path(), QUERY)));
    let lines: Vec<&str> = table.lines().collect();
    assert!(lines[0].starts_with("RANK  MODEL"), "{table}");
    assert!(lines[1].starts_with("1     microsoft/phi-3-mini-128k-instruct"), "{table}");
    assert!(
        lines[1].contains("yes") && lines[1].contains("parameters 3.8B (0.93)  context_length 128K (1.00)"),
        "{table}"
    );
    assert!(table.contains("near misses (each fails one constraint):"), "{table}");
    let llama = lines.iter().find(|l| l.starts_with("meta-llama/llama-3.2-1b-instruct")).expect(&table);
    assert!(
        llama.contains("license_class=permissive") && llama.ends_with("license_class is restricted_use"),
        "{table}"
    );
    let gpt2 = lines.iter().find(|l| l.starts_with("openai-community/gpt2")).expect(&table);
    assert!(gpt2.ends_with("context_length is 1024 tokens"), "{table}");

    // Memory at 8k of context and MMLU: the registry's estimates from the published
    // config.json files (as the store contract computes them by hand), the distill without
    // an attention shape last with its reason.
    let memory = [
        "choose",
        "--where",
        "license_class=permissive",
        "--where",
        "task=text-generation",
        "--where",
        "min_context=32768",
        "--prefer",
        "memory@8192:min:2",
        "--prefer",
        "eval:mmlu:accuracy",
    ];
    let mut args = memory.to_vec();
    args.push("--json");
    let answer = json_of(&ok(run(url, Some(&read), work.path(), &args)));
    let top: Vec<(String, f64, bool)> = answer["candidates"]
        .as_array()
        .unwrap()
        .iter()
        .take(4)
        .map(|c| (c["model"].as_str().unwrap().to_owned(), c["score"].as_f64().unwrap(), c["pareto"] == true))
        .collect();
    let want = [
        ("qwen/qwen2.5-7b-instruct", 0.895621, true),
        ("microsoft/phi-3-mini-128k-instruct", 0.874055, true),
        ("microsoft/phi-3.5-mini-instruct", 0.865316, false),
        ("qwen/qwen2.5-1.5b-instruct", 0.818065, true),
    ];
    assert_eq!(top, want.map(|(m, s, p)| (m.to_owned(), s, p)));
    assert_eq!(answer["candidates"][1]["criteria"][0]["value"], json!(12_484_218_932.0));
    let last = &answer["candidates"][9];
    assert_eq!(last["model"], "deepseek-ai/deepseek-r1-distill-qwen-7b");
    assert_eq!(last["criteria"][0]["missing"], "memory cannot be determined: no KV-cache shape is known");
    assert_eq!(last["criteria"][1]["missing"], "no evaluation on mmlu:accuracy");
    let table = stdout(&ok(run(url, Some(&read), work.path(), &memory)));
    assert!(table.contains("memory@8192 11.6GiB (0.90)  eval:mmlu:accuracy 69.7 (0.83)"), "{table}");
    assert!(table.contains("missing values (scored 0):"), "{table}");
    let why = table
        .lines()
        .find(|l| {
            l.split_whitespace().take(2).eq(["deepseek-ai/deepseek-r1-distill-qwen-7b", "eval:mmlu:accuracy"])
        })
        .expect(&table);
    assert!(why.ends_with("no evaluation on mmlu:accuracy"), "{table}");

    // A bad constraint is the registry's 400, naming it.
    let bad = run(url, Some(&read), work.path(), &["choose", "--where", "min_context=lots"]);
    assert_ne!(code(&bad), 0);
    assert!(stderr(&bad).contains("constraints.min_context"), "{}", stderr(&bad));
}
