//! The OpenAPI paths of upload sessions and of presigned blob downloads, added to the
//! document built in `openapi`. Component schemas come from the api crate's types.

use modelreg_api::{BlobUploaded, CreateUploadRequest, PartUploaded, UploadSession};
use schemars::generate::SchemaSettings;
use serde_json::{Value, json};

/// Adds the upload routes, their schemas, and the 302 of `GET /v1/blobs/{digest}`.
pub(super) fn extend(doc: &mut Value) {
    let mut settings = SchemaSettings::draft2020_12();
    settings.definitions_path = "/components/schemas".into();
    settings.meta_schema = None;
    let mut generator = settings.into_generator();
    let create = generator.subschema_for::<CreateUploadRequest>().to_value();
    let session = generator.subschema_for::<UploadSession>().to_value();
    let part = generator.subschema_for::<PartUploaded>().to_value();
    let uploaded = generator.subschema_for::<BlobUploaded>().to_value();
    let schemas = doc["components"]["schemas"].as_object_mut().expect("the document has component schemas");
    for (name, schema) in generator.take_definitions(true) {
        schemas.entry(name).or_insert(schema);
    }

    let error = json!({ "$ref": "#/components/schemas/ErrorEnvelope" });
    let body = |s: &Value| json!({ "content": { "application/json": { "schema": s } } });
    let ok = |desc: &str, s: &Value| {
        let mut r = body(s);
        r["description"] = json!(desc);
        r
    };
    let err = |desc: &str| ok(desc, &error);
    let id = json!([{ "name": "id", "in": "path", "required": true, "schema": { "type": "string" },
        "description": "Session id from POST /v1/uploads." }]);
    let mut part_params = id.clone();
    part_params.as_array_mut().expect("array").push(json!({ "name": "part", "in": "path", "required": true,
        "schema": { "type": "integer", "minimum": 1 }, "description": "1-based part number." }));
    let denied = |mut r: Value| {
        r["401"] = err("No valid token.");
        r["403"] = err("Token lacks write scope.");
        r
    };

    let paths = doc["paths"].as_object_mut().expect("the document has paths");
    paths.insert("/v1/uploads".into(), json!({ "post": {
        "summary": "Open a resumable upload session for a large blob. The server chooses the part size (at least 5 MiB, at most 10,000 parts); parts are hashed in order, so one blob's parts are sent one after another.",
        "requestBody": body(&create),
        "responses": denied(json!({ "201": ok("Session opened.", &session),
            "200": ok("The caller can already see the stored blob (state exists, id null); nothing to send.", &session),
            "400": err("Malformed body, size 0 (invalid_size), or size differs from the stored blob's (size_mismatch)."),
            "413": err("Declared size over limits.max_blob_bytes (blob_too_large)."),
            "429": err("The token already holds uploads.max_open_sessions_per_token open sessions (too_many_uploads, details.max_open_sessions); see Retry-After.") })) } }));
    paths.insert("/v1/uploads/{id}".into(), json!({
        "parameters": id.clone(),
        "get": { "summary": "Status: which parts the server holds.",
            "responses": denied(json!({ "200": ok("The session.", &session), "404": err("No such live session of this token (upload_not_found).") })) },
        "delete": { "summary": "Abort the session; the backend drops its parts.",
            "responses": denied(json!({ "204": { "description": "Aborted." }, "404": err("No such live session.") })) } }));
    paths.insert("/v1/uploads/{id}/parts/{part}".into(), json!({ "put": {
        "summary": "Send one part. Content-Length must equal the part's exact size (part_size, or the remainder for the last). A repeated identical part is accepted again.",
        "parameters": part_params,
        "requestBody": { "required": true, "content": { "application/octet-stream": { "schema": { "type": "string", "format": "binary" } } } },
        "responses": denied(json!({ "200": ok("The part is stored.", &part),
            "400": err("No such part number, or Content-Length short of the part (invalid_part); body broke off."),
            "404": err("No such live session."),
            "409": err("A part ahead of the hashed prefix (part_out_of_order, details.next_part), or a repeated part with other content (part_conflict)."),
            "408": err("No body bytes for limits.body_idle_timeout_secs (body_timeout), or on S3 a part below 128 KiB/s holding the part buffer others wait for (body_too_slow); the part is not recorded."),
            "411": err("No Content-Length."),
            "413": err("Content-Length over the part's size (part_too_large).") })) } }));
    paths.insert("/v1/uploads/{id}/complete".into(), json!({ "post": {
        "summary": "Publish the blob once every part is stored and the whole hashes to the declared digest; on a mismatch the session is aborted and nothing is stored.",
        "parameters": id,
        "responses": denied(json!({ "201": ok("Stored.", &uploaded),
            "200": ok("Already completed, or the token could already see the blob (created false).", &uploaded),
            "400": err("The parts do not hash to the digest (digest_mismatch); the session is aborted."),
            "404": err("No such live session."),
            "409": err("Parts are missing (upload_incomplete, details.missing).") })) } }));

    doc["paths"]["/v1/blobs/{digest}"]["get"]["responses"]["302"] = json!({
        "description": "With blobs.presign on (S3): the bytes are at the presigned URL in Location, valid for blobs.presign_ttl_secs. Send Range there too; do not send the registry token.",
        "headers": { "Location": { "schema": { "type": "string", "format": "uri" } } } });
}
