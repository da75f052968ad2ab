//! The route table of the `/v1` API and the system routes, as endpoint descriptors: `configure`
//! registers these, and the OpenAPI document is rendered from the same list. Order matters
//! where templates overlap (`/v1/blobs/missing` before `/v1/blobs/{digest}`).

use modelreg_api::{
    AliasInfo, AliasList, AuditPage, BlobUploaded, ChooseRequest, ChooseResponse, CreateTokenRequest,
    CreateUploadRequest, CreatedToken, DerivativeList, ErrorCode as E, LookupPage, Manifest,
    MissingBlobsRequest, MissingBlobsResponse, ModelSummary, PartUploaded, PublishResponse, Scope,
    SetAliasRequest, TokenInfo, TokenList, UploadSession, VersionList, VersionManifest, YankRequest,
};
use serde_json::json;

use super::endpoint::Endpoint;
use super::{blobs, choose, lifecycle, lookup, models, system, tokens, uploads};

const MODEL: &str = "/v1/models/{namespace}/{name}";
const VERSION: &str = "/v1/models/{namespace}/{name}/versions/{version}";
const ALIAS: &str = "/v1/models/{namespace}/{name}/aliases/{alias}";
const YANK: &str = "/v1/models/{namespace}/{name}/versions/{version}/yank";
const BLOB: &str = "/v1/blobs/{digest}";
const UPLOAD: &str = "/v1/uploads/{id}";

/// Every endpoint of the documented surface, in registration order.
pub fn endpoints() -> Vec<Endpoint> {
    let mut all = system_endpoints();
    all.extend(blob_endpoints());
    all.extend(model_endpoints());
    all.extend(access_endpoints());
    all
}

fn system_endpoints() -> Vec<Endpoint> {
    vec![
        Endpoint::get("/healthz", system::healthz)
            .summary("The process is up.")
            .response(200, status_answer("Up.", "ok")),
        Endpoint::get("/readyz", system::readyz)
            .summary(
                "Whether the database and the blob store answer (each asked for at most 2 s); names the one that is down.",
            )
            .response(200, readiness_answer("Ready: both answer.", None))
            .response(
                503,
                readiness_answer(
                    "A dependency is down (checks names it); with Retry-After.",
                    Some(json!({ "Retry-After": { "description": "Seconds to wait (server.retry_after_secs).",
                        "schema": { "type": "integer" } } })),
                ),
            ),
        Endpoint::get("/metrics", system::metrics)
            .summary(
                "Prometheus metrics (text format 0.0.4). Needs an admin token unless metrics.anonymous is on; \
                 not served here (404) when metrics.bind gives it a listener of its own, where it needs no token.",
            )
            .scope(Scope::Admin)
            .response(
                200,
                json!({ "description": "Every series.", "content": { "text/plain": { "schema": { "type": "string" } } } }),
            )
            .fails(E::NotFound, "served on metrics.bind instead"),
        Endpoint::get("/openapi.json", system::openapi)
            .summary("This document.")
            .response(200, json!({ "description": "OpenAPI 3.1 document.",
                "content": { "application/json": { "schema": { "type": "object" } } } })),
    ]
}

/// `/readyz`'s body, on 200 and 503 alike (not the error envelope): the status and one check per
/// dependency.
fn readiness_answer(description: &str, headers: Option<serde_json::Value>) -> serde_json::Value {
    let check = json!({ "type": "string", "enum": ["ok", "down"] });
    let mut answer = json!({ "description": description, "content": { "application/json": { "schema": {
        "type": "object", "required": ["status", "checks"], "properties": {
            "status": { "type": "string", "enum": ["ready", "unavailable"] },
            "checks": { "type": "object", "required": ["database", "blobs"],
                "properties": { "database": check.clone(), "blobs": check } } } } } } });
    if let Some(headers) = headers {
        answer["headers"] = headers;
    }
    answer
}

/// `{"status": "<status>"}`.
fn status_answer(description: &str, status: &str) -> serde_json::Value {
    json!({ "description": description, "content": { "application/json": { "schema": { "type": "object",
        "required": ["status"], "properties": { "status": { "const": status } } } } } })
}

fn blob_body() -> serde_json::Value {
    json!({ "description": "The blob's bytes.",
        "headers": { "ETag": { "schema": { "type": "string" } }, "Accept-Ranges": { "schema": { "type": "string" } } },
        "content": { "application/octet-stream": { "schema": { "type": "string", "format": "binary" } } } })
}

fn blob_endpoints() -> Vec<Endpoint> {
    vec![
        Endpoint::post("/v1/blobs/missing", blobs::missing)
            .summary(
                "Which of these digests the caller has to upload (at most 10,000 per request): those the registry \
                 lacks and those the caller may not see (a digest is not a key).",
            )
            .json_body::<MissingBlobsRequest>()
            .ok::<MissingBlobsResponse>(200, "The missing digests, sorted.")
            .fails(E::TooManyDigests, "more than 10,000 digests"),
        Endpoint::put(BLOB, blobs::upload)
            .summary(
                "Upload a blob. The body is hashed as it streams; it is stored only if its sha256 and size match \
                 the digest and Content-Length.",
            )
            .binary_body()
            .ok::<BlobUploaded>(201, "Stored; new to this token.")
            .ok::<BlobUploaded>(200, "Stored again (replacing the copy); the token could already see it.")
            .errors(&[E::DigestMismatch, E::SizeMismatch, E::BlobTooLarge]),
        Endpoint::get(BLOB, blobs::download)
            .summary(
                "Download a blob the caller may see (a live version in its namespaces references it, or its token \
                 uploaded it); a single `Range: bytes=...` is honoured. Whole reads are verified as they stream, \
                 ranges are not.",
            )
            .response(200, blob_body())
            .response(206, blob_body())
            .response(302, json!({
                "description": "With blobs.presign on (S3): the bytes are at the presigned URL in Location, valid for \
                    blobs.presign_ttl_secs. Send Range there too; do not send the registry token.",
                "headers": { "Location": { "schema": { "type": "string", "format": "uri" } } } }))
            .fails(E::BlobNotFound, "no such blob, or one the caller may not see (the same answer)")
            .errors(&[E::RangeNotSatisfiable]),
        Endpoint::new(actix_web::http::Method::HEAD, BLOB, blobs::head)
            .summary("Size and ETag of a blob.")
            .empty(200, "Present and visible to the caller.")
            .errors(&[E::BlobNotFound]),
        Endpoint::post("/v1/uploads", uploads::create)
            .summary(
                "Open a resumable upload session for a large blob. The server chooses the part size (at least \
                 5 MiB, at most 10,000 parts); parts are hashed in order, so one blob's parts are sent one after \
                 another.",
            )
            .json_body::<CreateUploadRequest>()
            .ok::<UploadSession>(201, "Session opened.")
            .ok::<UploadSession>(200, "The caller can already see the stored blob (state exists, id null); nothing to send.")
            .fails(E::InvalidSize, "size 0")
            .fails(E::SizeMismatch, "size differs from the stored blob's")
            .fails(E::BlobTooLarge, "declared size over limits.max_blob_bytes")
            .fails(
                E::TooManyUploads,
                "the token already holds uploads.max_open_sessions_per_token open sessions \
                 (details.max_open_sessions); see Retry-After",
            ),
        Endpoint::get(UPLOAD, uploads::status)
            .summary("Status: which parts the server holds.")
            .ok::<UploadSession>(200, "The session.")
            .fails(E::UploadNotFound, "no such live session of this token"),
        Endpoint::delete(UPLOAD, uploads::abort)
            .summary("Abort the session; the backend drops its parts.")
            .empty(204, "Aborted.")
            .errors(&[E::UploadNotFound]),
        Endpoint::put("/v1/uploads/{id}/parts/{part}", uploads::put_part)
            .summary(
                "Send one part. Content-Length must equal the part's exact size (part_size, or the remainder for \
                 the last). A repeated identical part is accepted again.",
            )
            .binary_body()
            .ok::<PartUploaded>(200, "The part is stored.")
            .fails(E::InvalidPart, "no such part number, or Content-Length short of the part")
            .errors(&[E::UploadNotFound])
            .fails(E::PartOutOfOrder, "a part ahead of the hashed prefix (details.next_part)")
            .fails(E::PartConflict, "a repeated part with other content")
            .fails(E::BodyTooSlow, "on S3, a part below 128 KiB/s holding the part buffer others wait for")
            .fails(E::PartTooLarge, "Content-Length over the part's size"),
        Endpoint::post("/v1/uploads/{id}/complete", uploads::complete)
            .summary(
                "Publish the blob once every part is stored and the whole hashes to the declared digest; on a \
                 mismatch the session is aborted and nothing is stored.",
            )
            .ok::<BlobUploaded>(201, "Stored.")
            .ok::<BlobUploaded>(200, "Already completed, or the token could already see the blob (created false).")
            .fails(E::DigestMismatch, "the parts do not hash to the digest; the session is aborted")
            .errors(&[E::UploadNotFound])
            .fails(E::UploadIncomplete, "parts are missing (details.missing)"),
    ]
}

fn model_endpoints() -> Vec<Endpoint> {
    vec![
        Endpoint::get("/v1/models", lookup::lookup)
            .summary(
                "Look up models by what matters when choosing one. Filters combine with AND; a repeated parameter \
                 is OR, except `language` (all required). By default one row per model: its highest \
                 non-pre-release version matching every filter.",
            )
            .ok::<LookupPage>(200, "A page of results; pass next_cursor as cursor for the next."),
        Endpoint::post("/v1/choose", choose::choose)
            .summary(
                "Choose a model: the versions meeting every hard constraint (lookup parameters), ranked by weighted \
                 preferences normalised min-max over the candidates (missing values score 0), with the Pareto \
                 front, near misses failing exactly one constraint and the query echoed in normalised form. At \
                 most 200 matches are ranked (those first in the order of the heaviest preference; truncated says \
                 so, and then no near misses are listed). Same visibility as the lookup.",
            )
            .json_body::<ChooseRequest>()
            .ok::<ChooseResponse>(200, "The ranking.")
            .fails(
                E::InvalidQuery,
                "an invalid constraint, preference or limit; details.parameter names it, e.g. \
                 constraints.min_context or preferences[1]",
            ),
        Endpoint::get(MODEL, models::summary_route)
            .summary("Model summary.")
            .ok::<ModelSummary>(200, "The model.")
            .errors(&[E::ModelNotFound]),
        Endpoint::delete(MODEL, lifecycle::delete_model)
            .summary("Delete every version of a model (admin), leaving tombstones, and its aliases.")
            .response(200, json!({ "description": "The model and how many versions were deleted.",
                "content": { "application/json": { "schema": { "type": "object", "required": ["model", "deleted_versions"],
                    "properties": { "model": { "$ref": "#/components/schemas/ModelName" },
                        "deleted_versions": { "type": "integer", "minimum": 0 } } } } } }))
            .errors(&[E::ModelNotFound]),
        Endpoint::get("/v1/models/{namespace}/{name}/aliases", lifecycle::list_aliases)
            .summary("A model's aliases; with history=true every move (who, when, from, to).")
            .ok::<AliasList>(200, "Aliases.")
            .errors(&[E::ModelNotFound]),
        Endpoint::put(ALIAS, lifecycle::set_alias)
            .summary("Point an alias at a version (write). A yanked version needs force.")
            .json_body::<SetAliasRequest>()
            .ok::<AliasInfo>(200, "Set.")
            .fails(E::InvalidAlias, "the alias reads as a version, or is malformed")
            .errors(&[E::ModelNotFound, E::VersionNotFound])
            .fails(E::VersionYanked, "the version is yanked and force is not set"),
        Endpoint::delete(ALIAS, lifecycle::remove_alias)
            .summary("Remove an alias (write).")
            .empty(204, "Removed.")
            .errors(&[E::ModelNotFound, E::AliasNotFound]),
        Endpoint::post(YANK, lifecycle::yank)
            .summary(
                "Yank a version (write): it no longer matches latest, ranges or the lookup; an exact pull still \
                 works, with the reason.",
            )
            .json_body::<YankRequest>()
            .response(200, yank_answer(true))
            .errors(&[E::InvalidReason, E::ModelNotFound, E::VersionNotFound]),
        Endpoint::delete(YANK, lifecycle::unyank)
            .summary("Un-yank a version (write).")
            .response(200, yank_answer(false))
            .errors(&[E::ModelNotFound, E::VersionNotFound]),
        Endpoint::get("/v1/models/{namespace}/{name}/derivatives", lookup::derivatives)
            .summary("Models whose base_model is this one, with the relation.")
            .ok::<DerivativeList>(200, "The derivatives.")
            .errors(&[E::ModelNotFound]),
        Endpoint::get("/v1/models/{namespace}/{name}/versions", models::versions)
            .summary("Every version, in semver order (lowest first).")
            .ok::<VersionList>(200, "The versions.")
            .errors(&[E::ModelNotFound]),
        Endpoint::put(VERSION, models::publish)
            .summary("Publish a version atomically. The same manifest again is a no-op (200); a different one is 409.")
            .json_body_refused_as::<Manifest>(E::InvalidManifest)
            .ok::<PublishResponse>(201, "Published.")
            .ok::<PublishResponse>(200, "Already published with this manifest.")
            .fails(E::VersionConflict, "already published with a different manifest (details.existing_digest)")
            .fails(E::VersionDeleted, "the version was deleted; its number can never be published again")
            .fails(
                E::InvalidManifest,
                "the manifest is malformed or invalid; when declared metadata contradicts the files, details is a \
                 ContradictionDetails",
            )
            .fails(E::MissingBlobs, "referenced blobs are not in the registry (details.missing)")
            .fails(E::FileHeaderTooLarge, "a file holds more header than the registry reads (details.limit)"),
        Endpoint::get(VERSION, models::resolve)
            .summary(
                "Resolve a selector (exact version, semver requirement such as ^1.4, latest, or an alias) to a \
                 version and its manifest.",
            )
            .ok::<VersionManifest>(200, "The resolved version.")
            .errors(&[E::ModelNotFound])
            .fails(E::VersionNotFound, "no version matches"),
        Endpoint::delete(VERSION, lifecycle::delete_version)
            .summary(
                "Delete a version (admin). It leaves a tombstone: the number can never be published again \
                 (409 version_deleted). Its blobs become garbage unless shared.",
            )
            .empty(204, "Deleted.")
            .errors(&[E::ModelNotFound, E::VersionNotFound]),
    ]
}

fn yank_answer(yanked: bool) -> serde_json::Value {
    let mut properties = json!({ "model": { "$ref": "#/components/schemas/ModelName" },
        "version": { "$ref": "#/components/schemas/Version" }, "yanked": { "const": yanked } });
    let mut required = vec!["model", "version", "yanked"];
    if yanked {
        properties["reason"] = json!({ "type": "string" });
        required.push("reason");
    }
    json!({ "description": if yanked { "Yanked." } else { "Un-yanked." },
        "content": { "application/json": { "schema": { "type": "object", "required": required, "properties": properties } } } })
}

fn access_endpoints() -> Vec<Endpoint> {
    vec![
        Endpoint::get("/v1/whoami", tokens::whoami)
            .summary("The calling token: name, scope, namespaces, expiry.")
            .ok::<TokenInfo>(200, "The token."),
        Endpoint::post("/v1/tokens", tokens::create)
            .summary("Create a token (admin). The secret is in this answer only; only its hash is stored.")
            .json_body::<CreateTokenRequest>()
            .ok::<CreatedToken>(201, "Created.")
            .errors(&[E::InvalidTokenName, E::TokenNameTaken, E::InvalidNamespaces, E::InvalidExpiry]),
        Endpoint::get("/v1/tokens", tokens::list)
            .summary("Every token, never its secret (admin).")
            .ok::<TokenList>(200, "Tokens."),
        Endpoint::delete("/v1/tokens/{name}", tokens::revoke)
            .summary("Revoke a token (admin); it stops working at once.")
            .empty(204, "Revoked.")
            .fails(E::TokenNotFound, "no live token by that name"),
        Endpoint::get("/v1/audit", tokens::audit)
            .summary("Every state change, oldest first (admin).")
            .ok::<AuditPage>(200, "A page of entries."),
    ]
}
