//! OpenAPI paths of access control and the version lifecycle: tokens, whoami, aliases,
//! yank, deletion and the audit log.

use modelreg_api::{
    AliasInfo, AliasList, AuditPage, CreateTokenRequest, CreatedToken, SetAliasRequest, TokenInfo, TokenList,
    YankRequest,
};
use schemars::SchemaGenerator;
use serde_json::{Map, Value, json};

/// The paths, with their schemas registered in `generator`.
pub fn paths(generator: &mut SchemaGenerator, error: &Value) -> Map<String, Value> {
    let schema = |s: schemars::Schema| s.to_value();
    let token_info = schema(generator.subschema_for::<TokenInfo>());
    let token_list = schema(generator.subschema_for::<TokenList>());
    let create_token = schema(generator.subschema_for::<CreateTokenRequest>());
    let created = schema(generator.subschema_for::<CreatedToken>());
    let alias_info = schema(generator.subschema_for::<AliasInfo>());
    let alias_list = schema(generator.subschema_for::<AliasList>());
    let set_alias = schema(generator.subschema_for::<SetAliasRequest>());
    let yank = schema(generator.subschema_for::<YankRequest>());
    let audit = schema(generator.subschema_for::<AuditPage>());

    let body = |s: &Value| json!({ "required": true, "content": { "application/json": { "schema": s } } });
    let ok =
        |d: &str, s: &Value| json!({ "description": d, "content": { "application/json": { "schema": s } } });
    let err = |d: &str| ok(d, error);
    let path_param =
        |name: &str| json!({ "name": name, "in": "path", "required": true, "schema": { "type": "string" } });
    let model = [path_param("namespace"), path_param("name")];
    let with = |extra: &[&str]| {
        let mut p: Vec<Value> = model.to_vec();
        p.extend(extra.iter().map(|n| path_param(n)));
        Value::Array(p)
    };
    let generic = json!({ "description": "Done.", "content": { "application/json": { "schema": { "type": "object" } } } });

    let doc = json!({
        "/v1/whoami": { "get": { "summary": "The calling token: name, scope, namespaces, expiry.",
            "responses": { "200": ok("The token.", &token_info), "401": err("No valid token.") } } },
        "/v1/tokens": {
            "get": { "summary": "Every token, never its secret (admin).",
                "responses": { "200": ok("Tokens.", &token_list), "403": err("Not admin.") } },
            "post": { "summary": "Create a token (admin). The secret is in this answer only; only its hash is stored.",
                "requestBody": body(&create_token),
                "responses": { "201": ok("Created.", &created), "400": err("Invalid or taken name."), "403": err("Not admin.") } } },
        "/v1/tokens/{name}": { "delete": { "summary": "Revoke a token (admin); it stops working at once.",
            "parameters": [path_param("name")],
            "responses": { "204": { "description": "Revoked." }, "404": err("No live token by that name.") } } },
        "/v1/audit": { "get": { "summary": "Every state change, oldest first (admin). Filters: model, actor, since (RFC 3339); paging: limit (1-1000, default 100), cursor.",
            "responses": { "200": ok("A page of entries.", &audit), "400": err("Invalid parameter (code invalid_query; details is an InvalidQueryDetails naming it).") } } },
        "/v1/models/{namespace}/{name}/aliases": { "get": { "summary": "A model's aliases; with ?history=true every move (who, when, from, to).",
            "parameters": with(&[]), "responses": { "200": ok("Aliases.", &alias_list), "404": err("No such model.") } } },
        "/v1/models/{namespace}/{name}/aliases/{alias}": {
            "put": { "summary": "Point an alias at a version (write). A yanked version needs force.",
                "parameters": with(&["alias"]), "requestBody": body(&set_alias),
                "responses": { "200": ok("Set.", &alias_info), "400": err("Alias reads as a version, or is malformed."),
                    "404": err("No such version."), "409": err("The version is yanked (version_yanked).") } },
            "delete": { "summary": "Remove an alias (write).", "parameters": with(&["alias"]),
                "responses": { "204": { "description": "Removed." }, "404": err("No such alias.") } } },
        "/v1/models/{namespace}/{name}/versions/{version}/yank": {
            "post": { "summary": "Yank a version (write): it no longer matches latest, ranges or the lookup; an exact pull still works, with the reason.",
                "parameters": with(&["version"]), "requestBody": body(&yank),
                "responses": { "200": generic.clone(), "404": err("No such version.") } },
            "delete": { "summary": "Un-yank a version (write).", "parameters": with(&["version"]),
                "responses": { "200": generic.clone(), "404": err("No such version.") } } }
    });
    match doc {
        Value::Object(paths) => paths,
        _ => Map::new(),
    }
}

/// The DELETE operations merged into existing path items.
pub fn delete_operations(error: &Value) -> [(&'static str, Value); 2] {
    let err = |d: &str| json!({ "description": d, "content": { "application/json": { "schema": error } } });
    let path_param =
        |name: &str| json!({ "name": name, "in": "path", "required": true, "schema": { "type": "string" } });
    [
        (
            "/v1/models/{namespace}/{name}/versions/{version}",
            json!({ "parameters": [path_param("namespace"), path_param("name"), path_param("version")],
                "summary": "Delete a version (admin). It leaves a tombstone: the number can never be published again (409 version_deleted). Its blobs become garbage unless shared.",
                "responses": { "204": { "description": "Deleted." }, "403": err("Not admin."), "404": err("No such version.") } }),
        ),
        (
            "/v1/models/{namespace}/{name}",
            json!({ "parameters": [path_param("namespace"), path_param("name")],
                "summary": "Delete every version of a model (admin), leaving tombstones, and its aliases.",
                "responses": { "200": { "description": "{\"model\", \"deleted_versions\"}" }, "403": err("Not admin."), "404": err("No such model.") } }),
        ),
    ]
}
