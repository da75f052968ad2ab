//! `GET /api/models/{namespace}/{name}/refs` (branches: `main` and the aliases; tags: the
//! versions, yanked ones marked; `converts: []`, which the clients require) and
//! `GET .../commits/{revision}` (the versions up to the revision's, newest first).

use actix_web::{HttpResponse, web};
use serde_json::json;

use super::auth::HfAuth;
use super::errors::HfError;
use super::revisions::repo_version;
use crate::http::auth::Read;
use crate::service::Registry;

pub async fn refs(
    registry: web::Data<Registry>,
    auth: HfAuth<Read>,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, HfError> {
    let model = auth.repo(&registry, &path.0, &path.1)?;
    let refs = registry.hf_refs(&model).await?;
    let branches: Vec<_> = refs
        .branches
        .iter()
        .map(|(name, commit)| json!({ "name": name, "ref": format!("refs/heads/{name}"), "targetCommit": commit.to_string() }))
        .collect();
    let tags: Vec<_> = refs
        .tags
        .iter()
        .map(|(record, commit)| {
            let name = record.version.to_string();
            json!({
                "name": name,
                "ref": format!("refs/tags/{name}"),
                "targetCommit": commit.to_string(),
                "yanked": record.yanked.is_some(),
            })
        })
        .collect();
    Ok(HttpResponse::Ok()
        .json(json!({ "branches": branches, "tags": tags, "converts": [], "pullRequests": [] })))
}

pub async fn commits(
    registry: web::Data<Registry>,
    auth: HfAuth<Read>,
    path: web::Path<(String, String, String)>,
) -> Result<HttpResponse, HfError> {
    let (namespace, name, revision) = path.into_inner();
    let (model, version) = repo_version(&registry, &auth, &namespace, &name, &revision).await?;
    let history = registry.hf_history(&model, &version.resolved.record).await?;
    let commits: Vec<_> = history
        .iter()
        .map(|(record, commit)| {
            let title = format!("{model} {}", record.version);
            let message = match &record.yanked {
                Some(y) => format!("published {}; yanked: {}", record.digest, y.reason),
                None => format!("published {}", record.digest),
            };
            json!({
                "id": commit.to_string(),
                "authors": [{ "user": model.namespace() }],
                "date": record.published_at.to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
                "title": title,
                "message": message,
            })
        })
        .collect();
    Ok(HttpResponse::Ok().json(commits))
}
