//! `modelreg show` against the fake registry: the card with its base chain resolved and
//! derived models listed, and the unchanged `--json` document.

use serde_json::{Value, json};

use crate::fake_registry::{FakeRegistry, Recorded, Reply};
use crate::support::{code, modelreg, stderr, stdout, version_digest};

fn manifest(model: &str, version: &str, metadata: Value) -> Value {
    json!({
        "model": model,
        "version": version,
        "digest": version_digest(),
        "size_bytes": 2048,
        "published_at": "2025-01-02T03:04:05Z",
        "files": [{"path": "model.safetensors", "digest": version_digest(), "size": 2048}],
        "metadata": metadata,
        "facts": {
            "parameters": {"value": 2_614_341_888u64, "source": "derived", "file": "model.safetensors"},
        },
    })
}

fn chat_registry(derivatives: Reply) -> FakeRegistry {
    let derivatives = std::sync::Mutex::new(Some(derivatives));
    FakeRegistry::start(move |req: &Recorded| match req.path.as_str() {
        "/v1/models/acme/chat/versions/latest" => Reply::json(
            200,
            &manifest(
                "acme/chat",
                "1.0.0",
                json!({"license": "Apache-2.0", "task": "text-generation", "readme": "# Chat card",
                       "base_model": {"model": "acme/base", "version": "2.0.0"}, "base_relation": "finetune"}),
            ),
        ),
        "/v1/models/acme/base/versions/2.0.0" => Reply::json(
            200,
            &manifest(
                "acme/base",
                "2.0.0",
                json!({"license": "MIT", "base_model": {"model": "meta/llama"}, "base_relation": "quantized"}),
            ),
        ),
        "/v1/models/acme/chat/derivatives" => {
            derivatives.lock().unwrap().take().unwrap_or_else(|| Reply::error(500, "internal", "again"))
        }
        _ => Reply::error(404, "model_not_found", "no such model"),
    })
}

#[test]
fn the_card_follows_the_base_chain_and_lists_derived_models() {
    let derived = json!({"model": "acme/chat", "derivatives": [
        {"model": "acme/chat-gguf", "version": "1.0.0", "relation": "quantized", "base_version": "1.0.0"}]});
    let fake = chat_registry(Reply::json(200, &derived));
    let out = modelreg(&fake.url, &["show", "acme/chat"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let card = stdout(&out);
    for expected in [
        "acme/chat@1.0.0\n",
        "  class:       permissive",
        "  commercial:  allowed",
        "task:          text-generation",
        "parameters:    2.6B (2,614,341,888) (derived from model.safetensors)",
        "lineage:       acme/chat@1.0.0 <- finetune of acme/base@2.0.0 <- quantized of meta/llama@latest (not in this registry)",
        "derivatives:\n  acme/chat-gguf@1.0.0  quantized of 1.0.0",
        "files:\n  2.0 KiB",
    ] {
        assert!(card.contains(expected), "missing {expected:?} in\n{card}");
    }
    assert!(!card.contains("# Chat card"), "{card}");
    assert_eq!(stderr(&out), "", "a missing base is not an error");
    let paths: Vec<String> = fake.requests().into_iter().map(|r| r.path).collect();
    assert!(paths.contains(&"/v1/models/meta/llama/versions/latest".to_owned()), "{paths:?}");
}

#[test]
fn readme_appends_the_model_card_and_a_failing_derivatives_route_only_warns() {
    let fake = chat_registry(Reply::error(500, "internal", "internal server error"));
    let out = modelreg(&fake.url, &["show", "acme/chat", "--readme"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert!(stdout(&out).ends_with("readme:\n# Chat card\n"), "{}", stdout(&out));
    assert!(!stdout(&out).contains("derivatives:"));
    assert!(
        stderr(&out).starts_with("warning: cannot list the models derived from acme/chat"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn json_is_the_version_manifest_alone() {
    let fake = chat_registry(Reply::json(200, &json!({"model": "acme/chat", "derivatives": []})));
    let out = modelreg(&fake.url, &["show", "acme/chat", "--json"]);
    assert_eq!(code(&out), 0);
    let doc: Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(doc["metadata"]["base_model"]["model"], "acme/base");
    assert_eq!(doc["facts"]["parameters"]["source"], "derived");
    assert_eq!(fake.requests().len(), 1, "no lineage look-ups for --json");
}

#[test]
fn long_and_circular_chains_stop() {
    // m0 -> m1 -> ... -> m14: the card follows ten bases and marks the rest.
    let fake = FakeRegistry::start(|req: &Recorded| {
        let Some(n) = req
            .path
            .strip_prefix("/v1/models/acme/m")
            .and_then(|rest| rest.split('/').next())
            .and_then(|n| n.parse::<u32>().ok())
        else {
            return Reply::json(200, &json!({"model": "acme/m0", "derivatives": []}));
        };
        let meta = json!({"license": "MIT", "base_model": {"model": format!("acme/m{}", n + 1)}});
        Reply::json(200, &manifest(&format!("acme/m{n}"), "1.0.0", meta))
    });
    let out = modelreg(&fake.url, &["show", "acme/m0"]);
    let card = stdout(&out);
    let line = card.lines().find(|l| l.starts_with("lineage:")).unwrap();
    assert!(line.ends_with("derived from acme/m10@1.0.0 <- …"), "{line}");
    assert_eq!(line.matches(" <- ").count(), 11, "{line}");

    let fake = FakeRegistry::start(|req: &Recorded| {
        let (me, base) =
            if req.path.contains("/acme/x/") { ("acme/x", "acme/y") } else { ("acme/y", "acme/x") };
        if req.path.ends_with("/derivatives") {
            return Reply::json(200, &json!({"model": me, "derivatives": []}));
        }
        Reply::json(200, &manifest(me, "1.0.0", json!({"license": "MIT", "base_model": {"model": base}})))
    });
    let card = stdout(&modelreg(&fake.url, &["show", "acme/x"]));
    assert!(
        card.contains(
            "lineage:       acme/x@1.0.0 <- derived from acme/y@1.0.0 <- derived from acme/x@1.0.0 (cycle)"
        ),
        "{card}"
    );
}

#[test]
fn the_card_shows_the_effective_licence_and_its_conflicts_from_the_registry() {
    let fake = FakeRegistry::start(|req: &Recorded| match req.path.as_str() {
        "/v1/models/acme/ft/versions/latest" => {
            let mut doc = manifest(
                "acme/ft",
                "1.0.0",
                json!({"license": "Apache-2.0", "base_model": {"model": "meta/llama-3"}, "base_relation": "finetune"}),
            );
            doc["effective_license"] = json!({
                "class": "restricted_use", "commercial_use": "restricted",
                "conflicts": [{"base": "meta/llama-3@1.0.0", "base_class": "restricted_use",
                               "base_commercial_use": "restricted", "declared_class": "permissive",
                               "declared_commercial_use": "allowed"}]
            });
            Reply::json(200, &doc)
        }
        "/v1/models/acme/ft/derivatives" => Reply::json(200, &json!({"model": "acme/ft", "derivatives": []})),
        _ => Reply::error(404, "model_not_found", "no such model"),
    });
    let out = modelreg(&fake.url, &["show", "acme/ft"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let card = stdout(&out);
    for expected in [
        "  class:       permissive",
        "  effective:   restricted_use, commercial restricted (through its bases)",
        "  conflict:    declares permissive / commercial allowed, but base meta/llama-3@1.0.0 is restricted_use / \
         commercial restricted",
    ] {
        assert!(card.contains(expected), "missing {expected:?} in\n{card}");
    }
}
