//! The OpenAPI document against the route table: every endpoint `configure` registers for the
//! `/v1` API and the system routes is documented and nothing else is, each documented
//! operation reaches a handler in the app actix builds (and no undocumented method does),
//! path parameters are the templates' segments, and every key the lookup parser accepts is a
//! documented parameter of `GET /v1/models`. Outside the document, on purpose: the Hugging
//! Face protocol under `/hf` (Hugging Face's contract, not ours) and the web UI's HTML pages
//! (`/`, `/compare`, `/m/...`, `/login`, `/logout`, `/ui/assets/...`).

use std::collections::BTreeSet;

use actix_web::http::Method;

use modelreg_api::{ErrorCode, ErrorEnvelope, LOOKUP_KEYS};
use modelreg_server::http::{openapi, routes};
use serde_json::Value;

use super::{Harness, bearer};

/// The mounts registered by `configure` that the document leaves out.
const EXCLUDED_PREFIXES: [&str; 6] = ["/hf", "/ui/", "/m/", "/compare", "/login", "/logout"];

fn operations(doc: &Value) -> BTreeSet<(String, String)> {
    let mut ops = BTreeSet::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for method in item.as_object().unwrap().keys() {
            ops.insert((method.to_ascii_uppercase(), path.clone()));
        }
    }
    ops
}

fn template_params(path: &str) -> Vec<String> {
    path.split('/').filter_map(|s| s.strip_prefix('{')?.strip_suffix('}')).map(str::to_owned).collect()
}

#[test]
fn the_document_lists_exactly_the_endpoints_of_the_route_table() {
    let table: BTreeSet<(String, String)> =
        routes::endpoints().iter().map(|e| (e.method.to_string(), e.path.to_owned())).collect();
    assert_eq!(table.len(), routes::endpoints().len(), "an endpoint is registered twice");
    assert_eq!(operations(&openapi::document()), table);
    for (_, path) in &table {
        assert!(path == "/" || !EXCLUDED_PREFIXES.iter().any(|p| path.starts_with(p)), "{path}");
        assert!(
            path.starts_with("/v1/")
                || ["/healthz", "/readyz", "/metrics", "/openapi.json"].contains(&path.as_str())
        );
    }
}

#[test]
fn path_parameters_are_the_segments_of_their_templates() {
    let doc = openapi::document();
    for (method, path) in operations(&doc) {
        let op = &doc["paths"][&path][method.to_ascii_lowercase()];
        let documented: Vec<String> = op["parameters"]
            .as_array()
            .map(|ps| {
                ps.iter()
                    .filter(|p| p["in"] == "path")
                    .map(|p| p["name"].as_str().unwrap().to_owned())
                    .collect()
            })
            .unwrap_or_default();
        assert_eq!(documented, template_params(&path), "{method} {path}");
    }
}

#[test]
fn every_key_the_lookup_parser_accepts_is_a_documented_parameter_of_the_lookup() {
    let doc = openapi::document();
    let params: BTreeSet<&str> = doc["paths"]["/v1/models"]["get"]["parameters"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| p["in"] == "query")
        .map(|p| p["name"].as_str().unwrap())
        .collect();
    let keys: BTreeSet<&str> = LOOKUP_KEYS.iter().copied().collect();
    assert_eq!(params, keys, "documented lookup parameters vs LOOKUP_KEYS");
    // Repeatable keys are documented as arrays (language=fr&language=de, eval=...).
    for repeated in ["language", "eval", "license", "tag", "modality"] {
        let p = doc["paths"]["/v1/models"]["get"]["parameters"]
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["name"] == repeated)
            .unwrap();
        assert_eq!(p["schema"]["type"], "array", "{repeated}");
    }
}

#[test]
fn every_error_code_a_response_names_is_in_the_error_code_schema() {
    let doc = openapi::document();
    let schema = serde_json::to_string(&doc["components"]["schemas"]["ErrorCode"]).unwrap();
    for code in ErrorCode::ALL {
        assert!(schema.contains(&format!("\"{code}\"")), "{code} is missing from the ErrorCode schema");
    }
    for (method, path) in operations(&doc) {
        let op = &doc["paths"][&path][method.to_ascii_lowercase()];
        for (status, response) in op["responses"].as_object().unwrap() {
            for code in response["x-error-codes"].as_array().into_iter().flatten() {
                let known = ErrorCode::ALL.iter().any(|c| c.as_str() == code);
                assert!(known, "{method} {path} {status}: {code}");
            }
        }
    }
}

/// A concrete path for a template (the values need not exist).
fn concrete(path: &str) -> String {
    path.replace("{namespace}", "acme")
        .replace("{name}", "m")
        .replace("{version}", "1.0.0")
        .replace("{alias}", "prod")
        .replace("{digest}", &format!("sha256:{}", "0".repeat(64)))
        .replace("{id}", "session")
        .replace("{part}", "1")
}

/// Whether the answer came from the router's fallbacks rather than a handler.
async fn routed_to_fallback(resp: actix_web::dev::ServiceResponse) -> Option<String> {
    let status = resp.status().as_u16();
    let body = actix_web::test::read_body(resp).await;
    let envelope: Option<ErrorEnvelope> = serde_json::from_slice(&body).ok();
    match envelope {
        Some(e) if ["not_found", "method_not_allowed"].contains(&e.error.code.as_str()) => Some(e.error.code),
        _ if status == 405 => Some("405".into()),
        _ => None,
    }
}

#[actix_web::test]
async fn every_documented_operation_reaches_a_handler_and_other_methods_get_405_with_the_documented_allow() {
    let h = Harness::new().await;
    let app = h.app().await;
    let doc = openapi::document();
    let ops = operations(&doc);
    let paths: BTreeSet<&String> = ops.iter().map(|(_, p)| p).collect();
    let methods =
        [Method::GET, Method::HEAD, Method::POST, Method::PUT, Method::DELETE, Method::PATCH, Method::TRACE];
    for path in paths {
        let mut documented: Vec<String> =
            ops.iter().filter(|(_, p)| p == path).map(|(m, _)| m.clone()).collect();
        documented.sort();
        for method in &methods {
            let req = actix_web::test::TestRequest::default()
                .method(method.clone())
                .uri(&concrete(path))
                .insert_header(bearer(&h.admin))
                .to_request();
            let resp = actix_web::test::call_service(&app, req).await;
            let allow = resp.headers().get("allow").map(|v| v.to_str().unwrap().to_owned());
            let fallback = routed_to_fallback(resp).await;
            if ops.contains(&(method.to_string(), path.clone())) {
                assert_eq!(fallback, None, "{method} {path} is documented but no handler answers it");
            } else {
                assert_eq!(
                    fallback.as_deref(),
                    Some("method_not_allowed"),
                    "{method} {path} is served but not documented"
                );
                // RFC 9110: a 405 lists the methods the resource answers; here, the documented ones.
                let mut allowed: Vec<String> = allow
                    .unwrap_or_else(|| panic!("{method} {path}: 405 without Allow"))
                    .split(", ")
                    .map(str::to_owned)
                    .collect();
                allowed.sort();
                assert_eq!(allowed, documented, "Allow of {method} {path}");
            }
        }
    }
}

#[test]
fn every_operation_that_needs_a_token_documents_401() {
    let doc = openapi::document();
    let mut authed = 0;
    for (method, path) in operations(&doc) {
        let op = &doc["paths"][&path][method.to_ascii_lowercase()];
        let public = op["security"].as_array().is_some_and(Vec::is_empty);
        let codes = &op["responses"]["401"]["x-error-codes"];
        if public {
            assert!(op["responses"].get("401").is_none(), "{method} {path} is public but documents 401");
        } else {
            authed += 1;
            assert_eq!(
                codes,
                &serde_json::json!(["unauthorized"]),
                "{method} {path} needs a token but lacks 401"
            );
        }
    }
    assert!(authed >= 25, "only {authed} operations need a token");
}

/// A concrete path for a template with one parameter malformed (`None` when it has none that can be).
fn malformed(path: &str, param: &str) -> Option<String> {
    let bad = match param {
        "namespace" => "Not_A_Namespace!",
        "name" if path.contains("{namespace}") => "-bad-",
        "version" => "not a version",
        "alias" => "1.0.0",
        "digest" => "sha256:zz",
        "part" => "zero",
        _ => return None,
    };
    let encoded: String = bad
        .bytes()
        .map(|b| if b.is_ascii_alphanumeric() { (b as char).to_string() } else { format!("%{b:02X}") })
        .collect();
    Some(concrete(&path.replace(&format!("{{{param}}}"), &encoded)))
}

#[actix_web::test]
async fn a_malformed_path_parameter_is_a_documented_400() {
    let h = Harness::new().await;
    let app = h.app().await;
    let doc = openapi::document();
    let mut checked = 0;
    for (method, path) in operations(&doc) {
        let op = &doc["paths"][&path][method.to_ascii_lowercase()];
        let documented: Vec<&str> = op["responses"]["400"]["x-error-codes"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
            .collect();
        for param in template_params(&path) {
            let Some(uri) = malformed(&path, &param) else { continue };
            let req = actix_web::test::TestRequest::default()
                .method(Method::from_bytes(method.as_bytes()).unwrap())
                .uri(&uri)
                .insert_header(bearer(&h.admin))
                .insert_header(("content-length", "2"))
                .insert_header(("content-type", "application/json"))
                .set_payload("{}")
                .to_request();
            let resp = actix_web::test::call_service(&app, req).await;
            let status = resp.status().as_u16();
            let body = actix_web::test::read_body(resp).await;
            let e: ErrorEnvelope = serde_json::from_slice(&body)
                .unwrap_or_else(|_| panic!("{method} {uri}: {status} without the envelope"));
            assert_eq!(status, 400, "{method} {uri}: {}", e.error.code);
            assert!(
                documented.contains(&e.error.code.as_str()),
                "{method} {uri}: {} is not documented ({documented:?})",
                e.error.code
            );
            checked += 1;
        }
    }
    assert!(checked >= 30, "only {checked} malformed parameters tried");
}
