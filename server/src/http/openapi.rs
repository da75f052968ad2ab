//! The OpenAPI 3.1 document: paths written here, component schemas generated from the api
//! crate's types, so the document cannot drift from the wire types. Committed as
//! `schema/openapi.json`; a test fails when the committed copy is stale.

use modelreg_api::{
    BlobUploaded, ErrorEnvelope, Manifest, MissingBlobsRequest, MissingBlobsResponse, ModelSummary,
    PublishResponse, VersionList, VersionManifest,
};
use schemars::generate::SchemaSettings;
use serde_json::{Value, json};

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
    let refs = [
        generator.subschema_for::<ErrorEnvelope>(),
        generator.subschema_for::<MissingBlobsRequest>(),
        generator.subschema_for::<MissingBlobsResponse>(),
        generator.subschema_for::<BlobUploaded>(),
        generator.subschema_for::<Manifest>(),
        generator.subschema_for::<PublishResponse>(),
        generator.subschema_for::<ModelSummary>(),
        generator.subschema_for::<VersionList>(),
        generator.subschema_for::<VersionManifest>(),
    ]
    .map(|s| s.to_value());
    let [error, missing_req, missing_resp, uploaded, manifest, published, summary, list, resolved] = refs;
    let components = generator.take_definitions(true);

    let json_body = |s: &Value| json!({ "content": { "application/json": { "schema": s } } });
    let ok = |desc: &str, s: &Value| {
        let mut r = json_body(s);
        r["description"] = json!(desc);
        r
    };
    let err = |desc: &str| ok(desc, &error);
    let model_params = json!([
        { "name": "namespace", "in": "path", "required": true, "schema": { "type": "string" } },
        { "name": "name", "in": "path", "required": true, "schema": { "type": "string" } }
    ]);
    let digest_param = json!([{ "name": "digest", "in": "path", "required": true,
        "schema": { "$ref": "#/components/schemas/Digest" } }]);
    let with_param = |extra: Value| {
        let mut p = model_params.clone();
        p.as_array_mut().expect("array").push(extra);
        p
    };
    let blob_body = json!({ "description": "The blob's bytes.",
        "headers": { "ETag": { "schema": { "type": "string" } }, "Accept-Ranges": { "schema": { "type": "string" } } },
        "content": { "application/octet-stream": { "schema": { "type": "string", "format": "binary" } } } });

    json!({
        "openapi": "3.1.0",
        "info": {
            "title": "modelreg",
            "version": env!("CARGO_PKG_VERSION"),
            "description": "Registry and artifact store for pretrained ML models. Every non-2xx response carries the ErrorEnvelope. Writes need a bearer token with write scope; reads need a read token unless anonymous read is on."
        },
        "components": {
            "schemas": components,
            "securitySchemes": { "bearer": { "type": "http", "scheme": "bearer" } }
        },
        "security": [{ "bearer": [] }],
        "paths": {
            "/healthz": { "get": { "summary": "The process is up.", "security": [],
                "responses": { "200": { "description": "Up." } } } },
            "/readyz": { "get": { "summary": "The database and the blob store answer.", "security": [],
                "responses": { "200": { "description": "Ready." }, "503": err("A backend is unreachable.") } } },
            "/openapi.json": { "get": { "summary": "This document.", "security": [],
                "responses": { "200": { "description": "OpenAPI 3.1 document." } } } },
            "/v1/blobs/missing": { "post": {
                "summary": "Which of these digests the registry lacks (at most 10,000 per request).",
                "requestBody": json_body(&missing_req),
                "responses": { "200": ok("The missing digests, sorted.", &missing_resp),
                    "400": err("Malformed body or digest."), "401": err("No valid token."), "403": err("Token lacks write scope.") } } },
            "/v1/blobs/{digest}": {
                "parameters": digest_param,
                "put": {
                    "summary": "Upload a blob. The body is hashed as it streams; it is stored only if its sha256 and size match the digest and Content-Length.",
                    "requestBody": { "required": true, "content": { "application/octet-stream": { "schema": { "type": "string", "format": "binary" } } } },
                    "responses": { "201": ok("Stored.", &uploaded), "200": ok("Already present.", &uploaded),
                        "400": err("Digest or size mismatch, or an interrupted body."), "401": err("No valid token."),
                        "403": err("Token lacks write scope."), "411": err("No Content-Length."), "413": err("Blob too large.") } },
                "get": {
                    "summary": "Download a blob; a single `Range: bytes=...` is honoured.",
                    "responses": { "200": blob_body.clone(), "206": blob_body, "404": err("No such blob."), "416": err("Range not satisfiable.") } },
                "head": { "summary": "Size and ETag of a blob.",
                    "responses": { "200": { "description": "Present." }, "404": { "description": "Absent." } } }
            },
            "/v1/models/{namespace}/{name}": { "get": {
                "summary": "Model summary.", "parameters": model_params,
                "responses": { "200": ok("The model.", &summary), "404": err("No such model.") } } },
            "/v1/models/{namespace}/{name}/versions": { "get": {
                "summary": "Every version, in semver order (lowest first).", "parameters": model_params,
                "responses": { "200": ok("The versions.", &list), "404": err("No such model.") } } },
            "/v1/models/{namespace}/{name}/versions/{version}": {
                "put": {
                    "summary": "Publish a version atomically. The same manifest again is a no-op (200); a different one is 409.",
                    "parameters": with_param(json!({ "name": "version", "in": "path", "required": true,
                        "schema": { "type": "string" }, "description": "Strict semver, e.g. 1.4.0." })),
                    "requestBody": json_body(&manifest),
                    "responses": { "201": ok("Published.", &published), "200": ok("Identical manifest already published.", &published),
                        "400": err("Invalid name or version."), "409": err("The version exists with other content."),
                        "413": err("Manifest too large."), "422": err("Invalid manifest, or referenced blobs are missing (details.missing).") } },
                "get": {
                    "summary": "Resolve a selector (exact version, semver requirement such as ^1.4, or latest) to a version and its manifest.",
                    "parameters": with_param(json!({ "name": "version", "in": "path", "required": true,
                        "schema": { "type": "string" }, "description": "Selector, percent-encoded." })),
                    "responses": { "200": ok("The resolved version.", &resolved), "400": err("Invalid selector."),
                        "404": err("No such model, or no version matches.") } }
            }
        }
    })
}
