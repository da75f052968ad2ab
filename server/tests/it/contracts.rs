//! Generated contracts are committed; these tests fail with a diff hint when they are stale.
//! Regenerate with `MODELREG_UPDATE_CONTRACTS=1 cargo test -p modelreg-server contracts`.

use std::path::PathBuf;

fn check(relative: &str, generated: &str) {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..").join(relative);
    if std::env::var_os("MODELREG_UPDATE_CONTRACTS").is_some() {
        std::fs::write(&path, generated).unwrap();
        return;
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    if committed != generated {
        let line = committed
            .lines()
            .zip(generated.lines())
            .position(|(a, b)| a != b)
            .map_or_else(|| "lengths differ".to_owned(), |i| format!("first difference at line {}", i + 1));
        panic!(
            "{relative} is stale ({line}); regenerate with MODELREG_UPDATE_CONTRACTS=1 cargo test -p modelreg-server contracts"
        );
    }
}

#[test]
fn the_committed_openapi_document_is_current() {
    check("schema/openapi.json", &modelreg_server::http::openapi::document_json());
}

#[test]
fn the_committed_manifest_schema_is_current() {
    check("schema/model-manifest.schema.json", &modelreg_server::http::openapi::manifest_schema_json());
}

#[test]
fn the_committed_example_config_is_current() {
    check("docs/modelreg-server.example.toml", &modelreg_server::config::example_toml());
}
