//! `GET /api/models`: `list_models` through the registry's lookup (same visibility, same
//! indexes; see `service::hf::list` for the parameters), one row per model at its best
//! version, paged with `Link: <...>; rel="next"` carrying the lookup's cursor. Rows are light
//! unless `full`, `cardData`, `config` or `expand` ask for what only the manifest has.

use actix_web::{HttpRequest, HttpResponse, web};
use modelreg_api::{CommitId, ModelName, Version, VersionSelector};
use serde_json::{Map, Value, json};

use super::auth::HfAuth;
use super::errors::HfError;
use super::info::{expand, model_json};
use super::revisions::{absolute_url, next_link};
use crate::http::auth::Read;
use crate::service::hf::{HfListQuery, Revision};
use crate::service::{LookupHit, Registry, RegistryError};

fn corrupt(what: &str, e: impl std::fmt::Display) -> HfError {
    RegistryError::internal(format!("stored lookup column {what} is unreadable: {e}")).into()
}

fn millis(ms: i64) -> String {
    chrono::DateTime::from_timestamp_millis(ms)
        .unwrap_or_default()
        .to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

/// A row from the lookup's columns alone.
fn light_row(model: &ModelName, hit: &LookupHit, commit: CommitId, private: bool) -> Map<String, Value> {
    let mut tags: Vec<String> = hit.task.iter().cloned().collect();
    tags.extend(hit.format.iter().cloned());
    tags.push(format!("license:{}", super::info::hub_license(&hit.license)));
    let mut row = json!({
        "_id": commit.to_string(),
        "id": model.to_string(),
        "modelId": model.to_string(),
        "author": model.namespace(),
        "sha": commit.to_string(),
        "lastModified": millis(hit.published_ms),
        "createdAt": millis(hit.created_ms),
        "private": private,
        "gated": false,
        "disabled": false,
        "downloads": 0,
        "likes": 0,
        "tags": tags,
        "version": hit.version,
    });
    if let Some(task) = &hit.task {
        row["pipeline_tag"] = json!(task);
    }
    match row {
        Value::Object(map) => map,
        _ => Map::new(),
    }
}

pub async fn list_models(
    registry: web::Data<Registry>,
    auth: HfAuth<Read>,
    req: HttpRequest,
) -> Result<HttpResponse, HfError> {
    let pairs: Vec<(String, String)> =
        url::form_urlencoded::parse(req.query_string().as_bytes()).into_owned().collect();
    let query = HfListQuery::from_pairs(pairs.iter().map(|(k, v)| (k.as_str(), v.as_str())))?;
    let result = registry.lookup(auth.0.caller(), query.lookup.clone()).await?;
    let private = !registry.policy().anonymous_read;
    let detailed = query.full || query.card_data || query.config || !query.expand.is_empty();
    let mut rows = Vec::with_capacity(result.hits.len());
    for hit in &result.hits {
        let model = ModelName::from_parts(&hit.namespace, &hit.name).map_err(|e| corrupt("name", e))?;
        let version: Version = hit.version.parse().map_err(|e| corrupt("version", e))?;
        let digest = hit.digest.parse().map_err(|e| corrupt("digest", e))?;
        let commit = CommitId::of(&model, &version, &digest);
        let mut row = light_row(&model, hit, commit, private);
        if detailed {
            let resolved =
                registry.hf_resolve(&model, &Revision::Selector(VersionSelector::Exact(version))).await?;
            let full = model_json(&model, &resolved, None, private);
            if query.full {
                row = full;
            } else {
                for key in ["cardData", "config"] {
                    let wanted = (key == "cardData" && query.card_data) || (key == "config" && query.config);
                    if let Some(value) = full.get(key).filter(|_| wanted) {
                        row.insert(key.to_owned(), value.clone());
                    }
                }
                if !query.expand.is_empty() {
                    row = expand(full, &query.expand);
                }
            }
        }
        rows.push(Value::Object(row));
    }
    let mut response = HttpResponse::Ok();
    if let Some(cursor) = result.next_cursor {
        let mut next = url::form_urlencoded::Serializer::new(String::new());
        for (k, v) in pairs.iter().filter(|(k, _)| k != "cursor") {
            next.append_pair(k, v);
        }
        next.append_pair("cursor", &cursor);
        response.insert_header(next_link(&absolute_url(&req, &next.finish())));
    }
    Ok(response.json(rows))
}
