//! What the browser tests find in the registry: the fixture catalogue of real-shaped model cards
//! (`testkit/fixtures/choose_catalogue.json`), a fine-tune of Llama 3.1 8B and a quantized
//! build of that fine-tune (two steps of lineage), and a model whose README, risk notes and
//! description carry hostile HTML. All published through the JSON API of the running server.

use serde_json::{Value, json};

use crate::support::digest_of;

/// The fine-tune: based on `meta-llama/llama-3.1-8b-instruct`, base of [`QUANTIZED`].
pub const FINETUNE: &str = "acme/llama-3.1-8b-support";
/// The quantized build of [`FINETUNE`].
pub const QUANTIZED: &str = "acme/llama-3.1-8b-support-gguf";
/// The model with hostile Markdown.
pub const HOSTILE: &str = "evil/readme";
/// The base model of [`FINETUNE`] (from the catalogue).
pub const LLAMA: &str = "meta-llama/llama-3.1-8b-instruct";

/// Every catalogue entry as (model, version, metadata), in file order.
pub fn catalogue() -> Vec<(String, String, Value)> {
    let doc: Value = serde_json::from_str(modelreg_testkit::CHOOSE_CATALOGUE).unwrap();
    doc["models"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["model"].as_str().unwrap().to_owned(),
                e["version"].as_str().unwrap().to_owned(),
                e["metadata"].clone(),
            )
        })
        .collect()
}

/// Publishes the catalogue, the lineage pair and the hostile model.
pub async fn seed(url: &str, token: &str) {
    let publisher = Publisher { http: reqwest::Client::new(), url: url.to_owned(), token: token.to_owned() };
    for (model, version, metadata) in catalogue() {
        publisher.publish(&model, &version, metadata).await;
    }
    publisher.publish(FINETUNE, "1.0.0", finetune()).await;
    publisher.publish(QUANTIZED, "1.0.0", quantized()).await;
    publisher.publish(HOSTILE, "1.0.0", hostile()).await;
}

fn finetune() -> Value {
    json!({
        "license": "LicenseRef-llama3.1",
        "license_url": "https://www.llama.com/llama3_1/license/",
        "license_terms": { "commercial_use": "restricted", "attribution_required": true,
            "restrictions": ["Products with more than 700 million monthly active users need a licence from Meta"] },
        "description": "A customer-support assistant: Llama 3.1 8B Instruct fine-tuned on support tickets in English, German and French.",
        "task": "text-generation",
        "modalities": { "input": ["text"], "output": ["text"] },
        "languages": ["en", "de", "fr"],
        "context_length": 131072,
        "max_output_tokens": 4096,
        "parameters": 8030000000u64,
        "precision": "bf16",
        "architecture": "LlamaForCausalLM",
        "format": "safetensors",
        "framework": "transformers",
        "fine_tunable": true,
        "base_model": { "model": LLAMA, "version": "1.0.0" },
        "base_relation": "finetune",
        "latency": [
            { "hardware": "1x NVIDIA L4 24GB", "precision": "bf16", "batch_size": 1, "input_tokens": 512,
              "output_tokens": 128, "p50_ms": 2150.0, "p95_ms": 2480.0, "throughput_tokens_per_s": 59.5 },
            { "hardware": "1x NVIDIA A100 80GB", "precision": "bf16", "batch_size": 1, "input_tokens": 512,
              "output_tokens": 128, "p50_ms": 980.0, "p95_ms": 1120.0 }
        ],
        "hardware": { "min_memory_bytes": 17179869184u64, "recommended": "1x GPU with 24 GB" },
        "risks": {
            "intended_use": "Drafting answers to **customer-support** tickets for a human agent to review.",
            "limitations": "Knows nothing after its training cut-off; may state wrong product facts.",
            "out_of_scope": "Medical, legal or financial advice."
        },
        "datasets": ["acme/support-tickets-2024"],
        "evaluations": [
            { "task": "text-generation", "dataset": "acme/support-eval", "metric": "win_rate", "value": 0.71, "language": "en" },
            { "task": "text-generation", "dataset": "acme/support-eval", "metric": "win_rate", "value": 0.64, "language": "de" }
        ],
        "tags": ["support", "chat"],
        "readme": "# Llama 3.1 8B support\n\nFine-tuned for **customer support**.\n\n\
                   | Split | Tickets |\n|---|---|\n| train | 120,000 |\n| eval | 4,000 |\n\n\
                   ```sh\nmodelreg pull acme/llama-3.1-8b-support@1.0.0 -o ./model\n```\n"
    })
}

fn quantized() -> Value {
    json!({
        "license": "LicenseRef-llama3.1",
        "description": "4-bit GGUF build of the support assistant, for llama.cpp on a laptop.",
        "task": "text-generation",
        "modalities": { "input": ["text"], "output": ["text"] },
        "languages": ["en", "de", "fr"],
        "context_length": 131072,
        "parameters": 8030000000u64,
        "quantization": "q4_k_m",
        "format": "gguf",
        "framework": "llama.cpp",
        "fine_tunable": false,
        "base_model": { "model": FINETUNE, "version": "1.0.0" },
        "base_relation": "quantized",
        "latency": [{ "hardware": "Apple M2, 8 cores", "batch_size": 1, "p50_ms": 3900.0 }],
        "tags": ["support", "gguf"]
    })
}

/// Markup that would run script, load an image with a handler, or follow a `javascript:` link,
/// each of which would set `data-pwned` on the body and open an alert.
pub const HOSTILE_README: &str = "# Totally safe model\n\n\
    <script>document.body.setAttribute('data-pwned', 'script'); alert('script');</script>\n\n\
    <img src=\"/no-such-image.png\" onerror=\"document.body.setAttribute('data-pwned', 'onerror'); alert('onerror')\">\n\n\
    [Read the docs](javascript:document.body.setAttribute('data-pwned','md-link');alert('md-link'))\n\n\
    <a href=\"javascript:document.body.setAttribute('data-pwned','raw-link');alert('raw-link')\">Raw link</a>\n\n\
    <p onclick=\"document.body.setAttribute('data-pwned','onclick');alert('onclick')\">Click this paragraph</p>\n\n\
    <iframe src=\"javascript:parent.document.body.setAttribute('data-pwned','iframe')\"></iframe>\n\n\
    <svg><script>alert('svg')</script></svg>\n";

fn hostile() -> Value {
    json!({
        "license": "MIT",
        "description": "<script>document.body.setAttribute('data-pwned','description');alert('description')</script>",
        "task": "text-classification",
        "languages": ["en"],
        "risks": { "limitations": "<img src=x onerror=\"document.body.setAttribute('data-pwned','risk');alert('risk')\">" },
        "tags": ["<img/src=x/onerror=alert('tag')>"],
        "readme": HOSTILE_README
    })
}

struct Publisher {
    http: reqwest::Client,
    url: String,
    token: String,
}

impl Publisher {
    /// Uploads one small file, distinct per version, and publishes `model@version` with it.
    async fn publish(&self, model: &str, version: &str, metadata: Value) {
        let data = format!("weights of {model}@{version}").into_bytes();
        let digest = digest_of(&data).to_string();
        let response = self
            .http
            .put(format!("{}/v1/blobs/{digest}", self.url))
            .bearer_auth(&self.token)
            .body(data.clone())
            .send()
            .await
            .unwrap();
        assert!(response.status().is_success(), "upload for {model}: {}", response.status());
        let manifest = json!({
            "files": [{ "path": "weights.bin", "digest": digest, "size": data.len() }],
            "metadata": metadata,
        });
        let response = self
            .http
            .put(format!("{}/v1/models/{model}/versions/{version}", self.url))
            .bearer_auth(&self.token)
            .json(&manifest)
            .send()
            .await
            .unwrap();
        let status = response.status();
        assert!(
            status.is_success(),
            "publishing {model}@{version}: {status} {}",
            response.text().await.unwrap()
        );
    }
}
