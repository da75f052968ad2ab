//! `GET /api/models/{namespace}/{name}[/revision/{revision}]`: a version as the Hub's model
//! info. `cardData`, `tags` and `pipeline_tag` come from the typed metadata, `safetensors` and
//! `config` from the facts derived at publish, `siblings` from the manifest (sizes and sha256
//! as `lfs`). `expand=` keeps only the properties asked for. The same shape, fewer fields,
//! is each row of `list_models`.

use actix_web::{HttpRequest, HttpResponse, web};
use modelreg_api::{DerivedField, Metadata, ModelName};
use serde_json::{Map, Value, json};

use super::auth::HfAuth;
use super::errors::HfError;
use super::revisions::repo_version;
use crate::http::auth::Read;
use crate::service::hf::HfVersion;
use crate::service::{ModelRecord, Registry};

fn timestamp(t: chrono::DateTime<chrono::Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

/// The Hub's licence id for an SPDX expression: `Apache-2.0` is `apache-2.0`,
/// `LicenseRef-llama3` is `llama3`; an expression of several licences is `other`.
pub fn hub_license(spdx: &str) -> String {
    if spdx.contains(' ') || spdx.contains('(') {
        return "other".to_owned();
    }
    let lower = spdx.to_ascii_lowercase();
    let id = lower.strip_prefix("licenseref-").unwrap_or(&lower);
    id.strip_suffix("-only").unwrap_or(id).to_owned()
}

/// The model card's front matter, from the typed metadata.
pub fn card_data(metadata: &Metadata) -> Value {
    let license = metadata.license.as_str();
    let mut card = Map::new();
    let hub = hub_license(license);
    if hub == "other" {
        card.insert("license_name".into(), json!(license));
    }
    card.insert("license".into(), json!(hub));
    if let Some(url) = &metadata.license_url {
        card.insert("license_link".into(), json!(url));
    }
    if !metadata.languages.is_empty() {
        card.insert("language".into(), json!(metadata.languages));
    }
    if let Some(task) = metadata.task {
        card.insert("pipeline_tag".into(), json!(task));
    }
    if let Some(framework) = &metadata.framework {
        card.insert("library_name".into(), json!(framework));
    }
    let bases: Vec<String> = metadata.bases().map(|b| b.model.to_string()).collect();
    match bases.as_slice() {
        [] => {}
        [one] => {
            card.insert("base_model".into(), json!(one));
        }
        many => {
            card.insert("base_model".into(), json!(many));
        }
    }
    if let Some(relation) = metadata.base_relation {
        card.insert("base_model_relation".into(), json!(relation));
    }
    if !metadata.tags.is_empty() {
        card.insert("tags".into(), json!(metadata.tags));
    }
    if !metadata.datasets.is_empty() {
        card.insert("datasets".into(), json!(metadata.datasets));
    }
    Value::Object(card)
}

/// The Hub's tags: the card's tags, then the task, library, format, languages and licence.
pub fn hub_tags(metadata: &Metadata, format: Option<&str>) -> Vec<String> {
    let mut tags: Vec<String> = metadata.tags.clone();
    tags.extend(metadata.task.map(|t| t.to_string()));
    tags.extend(metadata.framework.clone());
    tags.extend(format.map(str::to_owned));
    tags.extend(metadata.languages.iter().map(ToString::to_string));
    tags.push(format!("license:{}", hub_license(metadata.license.as_str())));
    let mut seen = std::collections::HashSet::new();
    tags.retain(|t| seen.insert(t.clone()));
    tags
}

fn fact(version: &HfVersion, field: DerivedField) -> Option<&Value> {
    version.resolved.facts.get(&field).map(|f| &f.value)
}

/// `config`: the architecture fields the facts read from `config.json`.
fn config(version: &HfVersion) -> Option<Value> {
    let architectures = match fact(version, DerivedField::Architecture)? {
        Value::String(s) => json!([s]),
        other => other.clone(),
    };
    let mut config = json!({ "architectures": architectures });
    if let Some(n) = fact(version, DerivedField::ContextLength) {
        config["max_position_embeddings"] = n.clone();
    }
    Some(config)
}

/// `safetensors`: parameters by dtype and in total, for safetensors weights.
fn safetensors(version: &HfVersion) -> Option<Value> {
    let format = fact(version, DerivedField::Format)?.as_str()?;
    let total = fact(version, DerivedField::Parameters)?.as_u64()?;
    if format != "safetensors" {
        return None;
    }
    let dtype = fact(version, DerivedField::Precision)
        .and_then(Value::as_str)
        .map_or_else(|| "F32".to_owned(), |p| p.to_ascii_uppercase().replace("FP", "F"));
    Some(json!({ "parameters": { dtype: total }, "total": total }))
}

fn siblings(version: &HfVersion) -> Value {
    let files = version.resolved.manifest.files.iter().map(|f| {
        json!({
            "rfilename": f.path.as_str(),
            "size": f.size,
            "blobId": f.digest.hex(),
            "lfs": { "sha256": f.digest.hex(), "size": f.size, "pointerSize": 134 },
        })
    });
    Value::Array(files.collect())
}

/// A version as the Hub's model info. `model` (creation time) is optional for list rows.
pub fn model_json(
    name: &ModelName,
    version: &HfVersion,
    model: Option<&ModelRecord>,
    private: bool,
) -> Map<String, Value> {
    let metadata = &version.resolved.manifest.metadata;
    let record = &version.resolved.record;
    let format = fact(version, DerivedField::Format).and_then(Value::as_str);
    let commit = version.commit.to_string();
    let mut info = Map::new();
    let mut put = |k: &str, v: Value| {
        info.insert(k.to_owned(), v);
    };
    put("_id", json!(commit));
    put("id", json!(name.to_string()));
    put("modelId", json!(name.to_string()));
    put("author", json!(name.namespace()));
    put("sha", json!(commit));
    put("lastModified", json!(timestamp(record.published_at)));
    put("createdAt", json!(timestamp(model.map_or(record.published_at, |m| m.created_at))));
    put("private", json!(private));
    put("gated", json!(false));
    put("disabled", json!(false));
    put("downloads", json!(0));
    put("likes", json!(0));
    if let Some(framework) = &metadata.framework {
        put("library_name", json!(framework));
    }
    put("tags", json!(hub_tags(metadata, format)));
    if let Some(task) = metadata.task {
        put("pipeline_tag", json!(task));
    }
    put("cardData", card_data(metadata));
    if let Some(config) = config(version) {
        put("config", config);
    }
    put("siblings", siblings(version));
    if let Some(st) = safetensors(version) {
        put("safetensors", st);
    }
    put("usedStorage", json!(record.size_bytes));
    put("spaces", json!([]));
    // Not Hub fields: the registry's own name for this revision.
    put("version", json!(record.version.to_string()));
    put("yanked", json!(record.yanked.is_some()));
    info
}

/// Keeps `_id`, `id` and the properties `expand` names (all of them when it is empty).
pub fn expand(mut info: Map<String, Value>, expand: &[String]) -> Map<String, Value> {
    if !expand.is_empty() {
        info.retain(|k, _| k == "_id" || k == "id" || expand.iter().any(|e| e == k));
    }
    info
}

/// The `expand` values of a query string (`expand=a&expand=b`, `expand[]=a`).
pub fn expand_params(req: &HttpRequest) -> Vec<String> {
    url::form_urlencoded::parse(req.query_string().as_bytes())
        .filter(|(k, _)| k == "expand" || k == "expand[]")
        .map(|(_, v)| v.into_owned())
        .collect()
}

async fn info_for(
    registry: &Registry,
    auth: &HfAuth<Read>,
    namespace: &str,
    name: &str,
    revision: &str,
    req: &HttpRequest,
) -> Result<HttpResponse, HfError> {
    let (model, version) = repo_version(registry, auth, namespace, name, revision).await?;
    let record = registry.hf_model_record(&model).await?;
    let private = !registry.policy().anonymous_read;
    let info = expand(model_json(&model, &version, Some(&record), private), &expand_params(req));
    Ok(HttpResponse::Ok().json(info))
}

/// `GET /api/models/{namespace}/{name}`: the model at `main`.
pub async fn model_info(
    registry: web::Data<Registry>,
    auth: HfAuth<Read>,
    path: web::Path<(String, String)>,
    req: HttpRequest,
) -> Result<HttpResponse, HfError> {
    info_for(&registry, &auth, &path.0, &path.1, "main", &req).await
}

/// `GET /api/models/{namespace}/{name}/revision/{revision}`.
pub async fn model_info_at(
    registry: web::Data<Registry>,
    auth: HfAuth<Read>,
    path: web::Path<(String, String, String)>,
    req: HttpRequest,
) -> Result<HttpResponse, HfError> {
    info_for(&registry, &auth, &path.0, &path.1, &path.2, &req).await
}

#[cfg(test)]
mod tests {
    use super::hub_license;

    #[test]
    fn spdx_ids_become_hub_licence_ids() {
        assert_eq!(hub_license("Apache-2.0"), "apache-2.0");
        assert_eq!(hub_license("MIT"), "mit");
        assert_eq!(hub_license("LicenseRef-llama3.1"), "llama3.1");
        assert_eq!(hub_license("GPL-3.0-only"), "gpl-3.0");
        assert_eq!(hub_license("MIT OR Apache-2.0"), "other");
    }
}
