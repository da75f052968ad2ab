//! The OpenAPI 3.1 document, rendered from the route table's endpoint descriptors
//! (`routes::endpoints`, the list `configure` registers): operations, parameters, bodies and
//! responses from the handlers' extractor and wire types, error responses from the error codes
//! each endpoint declares, component schemas generated from the api crate's types. Also the
//! manifest's JSON Schema. Both are committed under `schema/`; a test fails when a committed
//! copy is stale.

use std::collections::BTreeMap;

use modelreg_api::{ContradictionDetails, ErrorEnvelope, InvalidQueryDetails, Manifest, Scope};
use schemars::generate::SchemaSettings;
use serde_json::{Map, Value, json};

use super::endpoint::error_responses;
use super::routes::endpoints;

/// The document, pretty-printed with a trailing newline (as committed).
pub fn document_json() -> String {
    let mut text = serde_json::to_string_pretty(&document()).expect("document serialises");
    text.push('\n');
    text
}

pub fn document() -> Value {
    let mut settings = SchemaSettings::draft2020_12();
    settings.definitions_path = "/components/schemas".into();
    settings.meta_schema = None;
    let mut generator = settings.into_generator();
    generator.subschema_for::<ErrorEnvelope>();
    // The `details` of a publish refused for contradicting its files, and of `invalid_query`.
    generator.subschema_for::<ContradictionDetails>();
    generator.subschema_for::<InvalidQueryDetails>();

    let mut paths: BTreeMap<&str, Map<String, Value>> = BTreeMap::new();
    for endpoint in endpoints() {
        let op = endpoint.operation(&mut generator);
        let mut responses: Map<String, Value> =
            op.responses.into_iter().map(|(status, r)| (status.to_string(), r)).collect();
        for (status, r) in error_responses(&op.errors) {
            responses.entry(status.to_string()).or_insert(r);
        }
        let mut operation = json!({ "summary": op.summary, "responses": responses });
        match op.scope {
            None => operation["security"] = json!([]),
            Some(scope) => operation["x-required-scope"] = json!(scope_name(scope)),
        }
        if !op.parameters.is_empty() {
            operation["parameters"] = Value::Array(op.parameters);
        }
        if let Some(body) = op.request_body {
            operation["requestBody"] = body;
        }
        let method = endpoint.method.as_str().to_ascii_lowercase();
        paths.entry(endpoint.path).or_default().insert(method, operation);
    }
    let components = generator.take_definitions(true);

    json!({
        "openapi": "3.1.0",
        "info": {
            "title": "modelreg",
            "version": env!("CARGO_PKG_VERSION"),
            "description": "Registry and artifact store for pretrained ML models. Every non-2xx response carries the ErrorEnvelope (but /readyz, whose 503 body names the dependency that is down); each error response lists its codes (x-error-codes). Any request that needs the database or the blob store while it is unreachable answers 503 with code unavailable and Retry-After. Writes need a bearer token with write scope (x-required-scope names the scope); reads need a read token unless anonymous read is on."
        },
        "components": {
            "schemas": components,
            "securitySchemes": { "bearer": { "type": "http", "scheme": "bearer" } }
        },
        "security": [{ "bearer": [] }],
        "paths": paths,
    })
}

fn scope_name(scope: Scope) -> &'static str {
    match scope {
        Scope::Read => "read",
        Scope::Write => "write",
        Scope::Admin => "admin",
    }
}

/// JSON Schema (2020-12) of the manifest and its metadata, pretty-printed with a trailing
/// newline (committed as `schema/model-manifest.schema.json`).
pub fn manifest_schema_json() -> String {
    let schema =
        schemars::SchemaGenerator::new(SchemaSettings::draft2020_12()).into_root_schema_for::<Manifest>();
    let mut text = serde_json::to_string_pretty(&schema).expect("schema serialises");
    text.push('\n');
    text
}
