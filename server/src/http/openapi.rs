//! The OpenAPI 3.1 document and the manifest's JSON Schema: paths written here (those of
//! lifecycle and uploads in `openapi_lifecycle` and `openapi_uploads`), component schemas
//! generated from the api crate's types, so the document cannot drift from the wire types.
//! Committed as `schema/openapi.json`; a test fails when the committed copy is stale.

use modelreg_api::{
    BlobUploaded, ChooseRequest, ChooseResponse, DerivativeList, ErrorEnvelope, LookupPage, Manifest,
    MissingBlobsRequest, MissingBlobsResponse, ModelSummary, PublishResponse, VersionList, VersionManifest,
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
        generator.subschema_for::<LookupPage>(),
        generator.subschema_for::<DerivativeList>(),
        generator.subschema_for::<ChooseRequest>(),
        generator.subschema_for::<ChooseResponse>(),
    ]
    .map(|s| s.to_value());
    let [
        error,
        missing_req,
        missing_resp,
        uploaded,
        manifest,
        published,
        summary,
        list,
        resolved,
        page,
        derivatives,
        choose_req,
        choose_resp,
    ] = refs;
    // Referenced only from the lookup's query parameters.
    generator.subschema_for::<modelreg_api::SortKey>();
    generator.subschema_for::<modelreg_api::Order>();
    generator.subschema_for::<modelreg_api::VersionsMode>();
    generator.subschema_for::<modelreg_api::LicenseClass>();
    // The `details` of a publish refused for contradicting its files.
    generator.subschema_for::<modelreg_api::ContradictionDetails>();
    // The `details` of every `invalid_query` error.
    generator.subschema_for::<modelreg_api::InvalidQueryDetails>();
    let lifecycle = super::openapi_lifecycle::paths(&mut generator, &error);
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

    let mut doc = json!({
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
            "/metrics": { "get": {
                "summary": "Prometheus metrics (text format 0.0.4). Needs an admin token unless metrics.anonymous is on; not served here (404) when metrics.bind gives it a listener of its own, where it needs no token.",
                "responses": { "200": { "description": "Every series.", "content": { "text/plain": { "schema": { "type": "string" } } } },
                    "401": err("No valid token."), "403": err("Token lacks admin scope."), "404": err("Served on metrics.bind instead.") } } },
            "/openapi.json": { "get": { "summary": "This document.", "security": [],
                "responses": { "200": { "description": "OpenAPI 3.1 document." } } } },
            "/v1/blobs/missing": { "post": {
                "summary": "Which of these digests the caller has to upload (at most 10,000 per request): those the registry lacks and those the caller may not see (a digest is not a key).",
                "requestBody": json_body(&missing_req),
                "responses": { "200": ok("The missing digests, sorted.", &missing_resp),
                    "400": err("Malformed body or digest."), "401": err("No valid token."), "403": err("Token lacks write scope.") } } },
            "/v1/blobs/{digest}": {
                "parameters": digest_param,
                "put": {
                    "summary": "Upload a blob. The body is hashed as it streams; it is stored only if its sha256 and size match the digest and Content-Length.",
                    "requestBody": { "required": true, "content": { "application/octet-stream": { "schema": { "type": "string", "format": "binary" } } } },
                    "responses": { "201": ok("Stored; new to this token.", &uploaded), "200": ok("Stored again (replacing the copy); the token could already see it.", &uploaded),
                        "400": err("Digest or size mismatch, or an interrupted body."), "401": err("No valid token."),
                        "403": err("Token lacks write scope."), "408": err("No body bytes for limits.body_idle_timeout_secs (body_timeout); nothing is kept."),
                        "411": err("No Content-Length."), "413": err("Blob too large.") } },
                "get": {
                    "summary": "Download a blob the caller may see (a live version in its namespaces references it, or its token uploaded it); a single `Range: bytes=...` is honoured. Whole reads are verified as they stream, ranges are not.",
                    "responses": { "200": blob_body.clone(), "206": blob_body, "404": err("No such blob, or one the caller may not see (the same answer)."), "416": err("Range not satisfiable.") } },
                "head": { "summary": "Size and ETag of a blob.",
                    "responses": { "200": { "description": "Present and visible to the caller." }, "404": { "description": "Absent, or not visible to the caller." } } }
            },
            "/v1/models": { "get": {
                "summary": "Look up models by what matters when choosing one. Filters combine with AND; a repeated parameter is OR, except `language` (all required). By default one row per model: its highest non-pre-release version matching every filter.",
                "parameters": lookup_parameters(),
                "responses": { "200": ok("A page of results; pass next_cursor as cursor for the next.", &page),
                    "400": err("A parameter is unknown or invalid (code invalid_query; details is an InvalidQueryDetails naming it).") } } },
            "/v1/choose": { "post": {
                "summary": "Choose a model: the versions meeting every hard constraint (lookup parameters), ranked by weighted preferences normalised min-max over the candidates (missing values score 0), with the Pareto front, near misses failing exactly one constraint and the query echoed in normalised form. At most 200 matches are ranked (those first in the order of the heaviest preference; truncated says so, and then no near misses are listed). Same visibility as the lookup.",
                "requestBody": json_body(&choose_req),
                "responses": { "200": ok("The ranking.", &choose_resp),
                    "400": err("Malformed body (invalid_json) or an invalid constraint, preference or limit (invalid_query; details.parameter names it, e.g. constraints.min_context or preferences[1]).") } } },
            "/v1/models/{namespace}/{name}/derivatives": { "get": {
                "summary": "Models whose base_model is this one, with the relation.", "parameters": model_params,
                "responses": { "200": ok("The derivatives.", &derivatives), "404": err("No such model.") } } },
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
                        "408": err("No body bytes for limits.body_idle_timeout_secs (body_timeout)."),
                        "413": err("Manifest too large."), "422": err("Invalid manifest (invalid_manifest; when declared metadata contradicts the files, details is a ContradictionDetails), or referenced blobs are missing (missing_blobs, details.missing).") } },
                "get": {
                    "summary": "Resolve a selector (exact version, semver requirement such as ^1.4, or latest) to a version and its manifest.",
                    "parameters": with_param(json!({ "name": "version", "in": "path", "required": true,
                        "schema": { "type": "string" }, "description": "Selector, percent-encoded." })),
                    "responses": { "200": ok("The resolved version.", &resolved), "400": err("Invalid selector."),
                        "404": err("No such model, or no version matches.") } }
            }
        }
    });
    super::openapi_uploads::extend(&mut doc);
    if let Some(paths) = doc["paths"].as_object_mut() {
        paths.extend(lifecycle);
        for (path, operation) in super::openapi_lifecycle::delete_operations(&error) {
            if let Some(item) = paths.get_mut(path).and_then(Value::as_object_mut) {
                item.insert("delete".into(), operation);
            }
        }
    }
    declare_common_answers(&mut doc, &error);
    doc
}

/// Answers that operations give by one rule, declared here once rather than path by path:
/// 401 wherever a token is needed (none, or one unknown, revoked or expired), and 400 wherever
/// the path names a model, version, alias or digest (a malformed one is refused before
/// anything is looked up).
fn declare_common_answers(doc: &mut Value, error: &Value) {
    let err = |d: &str| json!({ "description": d, "content": { "application/json": { "schema": error } } });
    let Some(paths) = doc["paths"].as_object_mut() else { return };
    for (path, item) in paths.iter_mut() {
        let validated = ["{namespace}", "{digest}"].iter().any(|p| path.contains(p));
        let Some(item) = item.as_object_mut() else { continue };
        for (method, operation) in item.iter_mut() {
            if !["get", "put", "post", "delete", "head", "patch"].contains(&method.as_str()) {
                continue;
            }
            let public = operation.get("security").and_then(Value::as_array).is_some_and(Vec::is_empty);
            let Some(responses) = operation.get_mut("responses").and_then(Value::as_object_mut) else {
                continue;
            };
            if !public {
                responses.entry("401").or_insert_with(|| err("No valid token."));
            }
            if validated {
                responses.entry("400").or_insert_with(|| {
                    err("A malformed path parameter (model name, version, alias or digest).")
                });
            }
        }
    }
}

/// The lookup's query parameters, one entry each.
fn lookup_parameters() -> Value {
    let p = |name: &str, schema: Value, description: &str| json!({ "name": name, "in": "query", "required": false, "schema": schema, "description": description });
    let s = || json!({ "type": "string" });
    let n = || json!({ "type": "integer", "minimum": 0 });
    let b = || json!({ "type": "boolean" });
    let many = |inner: Value| json!({ "type": "array", "items": inner });
    let r = |name: &str| json!({ "$ref": format!("#/components/schemas/{name}") });
    Value::Array(vec![
        p("q", s(), "Words that must all appear in the name, description or tags."),
        p("namespace", many(s()), "Namespaces (any)."),
        p(
            "license",
            many(s()),
            "SPDX ids the expression lets you choose, e.g. MIT matches 'MIT OR Apache-2.0'.",
        ),
        p("license_class", many(r("LicenseClass")), "Licence classes (any)."),
        p(
            "commercial_use",
            b(),
            "true: commercial use allowed (with or without conditions); false: forbidden.",
        ),
        p("modality", many(r("Modality")), "Input or output modality (any)."),
        p("input_modality", many(r("Modality")), "Input modality (any)."),
        p("output_modality", many(r("Modality")), "Output modality (any)."),
        p("task", many(r("Task")), "Tasks (any)."),
        p("language", many(s()), "BCP-47 tags, all required; 'fr' also matches 'fr-CA'."),
        p("any_language", many(s()), "BCP-47 tags, any."),
        p("min_context", n(), "Context length at least, tokens."),
        p("max_context", n(), "Context length at most, tokens."),
        p("min_params", n(), "Parameter count at least."),
        p("max_params", n(), "Parameter count at most."),
        p("max_size_bytes", n(), "Total size at most."),
        p("format", many(r("Format")), "Weight formats (any)."),
        p("framework", many(s()), "Frameworks (any), case-insensitive."),
        p("precision", many(r("Precision")), "Precisions (any)."),
        p("quantization", many(s()), "Quantisations (any), case-insensitive."),
        p("base_model", s(), "Direct derivatives of this model (namespace/name), merges included."),
        p("fine_tunable", b(), "Fine-tunable or not."),
        p("max_latency_ms", json!({ "type": "number" }), "Some stated p50 latency at most this, ms."),
        p("hardware", s(), "With max_latency_ms: only measurements on this hardware (case-insensitive)."),
        p("has_risk_notes", b(), "Whether any risk note is written."),
        // Effective licence through lineage (issue 14 part 2).
        p(
            "effective_license_class",
            many(r("LicenseClass")),
            "Licence classes after the base chain, the most restrictive on it (any).",
        ),
        p(
            "effective_commercial_use",
            many(r("CommercialUse")),
            "Commercial-use answers after the base chain (any): allowed, restricted, forbidden, unknown.",
        ),
        p(
            "license_conflicts",
            b(),
            "Whether the version declares a more permissive licence than a base allows.",
        ),
        p("tag", many(s()), "Tags (any)."),
        p("label", many(s()), "key:value labels (any)."),
        // Memory fit (issue 14 part 1; formula in docs/metadata.md).
        p(
            "fits_memory",
            s(),
            "Bytes or a size such as 24GiB: weights + KV cache x tokens x batch + overhead fit within it; \
             versions whose memory is unknown do not match.",
        ),
        p("at_context", n(), "With fits_memory: tokens per sequence (caps each model's context length)."),
        p("batch", n(), "With fits_memory: sequences at once (default 1)."),
        p(
            "kv_precision",
            s(),
            "With fits_memory: KV-cache precision (fp32, fp16, bf16, fp8, int8, q8_0, int4, q4_0).",
        ),
        p(
            "eval",
            many(s()),
            "Evaluation bounds, all required: <dataset>:<metric>>=<value> or <dataset>:<metric><=<value> \
             (URL-encoded; names case-insensitive). Some evaluation on that dataset and metric, in an \
             eval_language when given, is within the bound; a version without one never matches.",
        ),
        p(
            "eval_language",
            many(s()),
            "With eval or an evaluation sort: only evaluations in these BCP-47 tags (any) count; 'sw' also matches 'sw-KE'.",
        ),
        p(
            "sort",
            json!({ "anyOf": [r("SortKey"), { "type": "string", "pattern": "^eval:.+:.+$" }] }),
            "Sort key (default name), or eval:<dataset>:<metric> (each version's best value on it, best first by \
             the metric's direction unless order is given); missing values sort last.",
        ),
        p(
            "order",
            r("Order"),
            "asc (default; desc for an evaluation whose metric is higher-is-better) or desc.",
        ),
        p("limit", json!({ "type": "integer", "minimum": 1, "maximum": 200 }), "Page size (default 20)."),
        p("cursor", s(), "next_cursor of the previous page."),
        p("versions", r("VersionsMode"), "best (default): one row per model; all: every matching version."),
    ])
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
