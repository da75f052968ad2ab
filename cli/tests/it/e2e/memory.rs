//! End to end (issue 14 part 1): a pushed folder's memory is computed by the server from its
//! files, found by `modelreg search --fits ... --at-context ...` and printed by `show`.

use modelreg_testkit::{ServerProcess, ServerSetup};
use tempfile::TempDir;

use super::{json_of, ok, run, safetensors, write};
use crate::support::stdout;

/// A tiny Llama-shaped folder: 2 layers, 4 heads, 2 KV heads of width 4, bf16 config;
/// one F16 weight of 64 x 128.
fn tiny_llama_folder() -> TempDir {
    let dir = TempDir::new().unwrap();
    write(
        dir.path(),
        "config.json",
        br#"{"architectures": ["LlamaForCausalLM"], "model_type": "llama", "hidden_size": 16,
             "num_hidden_layers": 2, "num_attention_heads": 4, "num_key_value_heads": 2,
             "max_position_embeddings": 2048, "torch_dtype": "bfloat16"}"#,
    );
    write(dir.path(), "model.safetensors", &safetensors(&[64, 128]));
    write(dir.path(), "modelreg.toml", b"license = \"MIT\"\n");
    dir
}

#[tokio::test]
async fn search_fits_finds_a_pushed_model_by_its_computed_memory_and_show_prints_the_parts() {
    let setup = ServerSetup::embedded();
    let server = ServerProcess::start(&setup).await;
    let token = setup.create_token("ci", "write");
    let work = TempDir::new().unwrap();
    let url = server.url();
    let folder = tiny_llama_folder();
    let push = ["push", folder.path().to_str().unwrap(), "--model", "acme/tiny", "--version", "1.0.0"];
    ok(run(url, Some(&token), work.path(), &push));

    // Weights 64 x 128 x 2 = 16,384 bytes; cache 2 x 2 layers x 2 KV heads x 4 = 32 elements
    // x 2 bytes = 64 bytes a token. At its 2,048 tokens: 16,384 + 131,072 = 147,456, plus a
    // tenth (14,746) and 512 MiB = 537,033,114 bytes; at 16 tokens 536,890,061.
    let found = |args: &[&str]| {
        let mut argv = vec!["search"];
        argv.extend_from_slice(args);
        argv.push("--json");
        let page = json_of(&ok(run(url, Some(&token), work.path(), &argv)));
        page["results"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["model"].as_str().unwrap().to_owned())
            .collect::<Vec<_>>()
    };
    assert_eq!(found(&["--fits", "537033114"]), ["acme/tiny"]);
    assert!(found(&["--fits", "537033113"]).is_empty());
    assert!(found(&["--fits", "536900000"]).is_empty());
    assert_eq!(found(&["--fits", "536900000", "--at-context", "16"]), ["acme/tiny"]);
    assert_eq!(found(&["--fits", "24GiB", "--at-context", "8192"]), ["acme/tiny"]);

    let card = stdout(&ok(run(url, Some(&token), work.path(), &["show", "acme/tiny"])));
    for line in [
        "memory:        512.2 MiB at 2,048 tokens, batch 1",
        "  weights:     16.0 KiB (derived from model.safetensors)",
        "  kv cache:    128.0 KiB, 64 B per token (derived from config.json)",
        "  overhead:    512.0 MiB (10% + 512.0 MiB)",
    ] {
        assert!(card.contains(line), "missing {line:?} in\n{card}");
    }
}
