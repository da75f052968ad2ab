//! `GET /api/models/{namespace}/{name}/tree/{revision}[/{path}]` (the files and folders under
//! a folder, recursive or not, paged with `Link`) and `POST .../paths-info/{revision}` (the
//! entries for given paths). Booleans are read case-insensitively: 0.36 sends `True`.
//! Entries never carry `xetHash`: without a Xet store the clients must use HTTP.

use actix_web::{HttpRequest, HttpResponse, web};
use modelreg_api::CommitId;
use serde_json::{Value, json};

use super::auth::HfAuth;
use super::errors::HfError;
use super::revisions::{absolute_url, next_link, repo_version};
use crate::http::auth::Read;
use crate::http::body::{Body, JsonLimit, read_bytes};
use crate::service::Registry;
use crate::service::hf::{TreeEntry, paths_info, tree_page};

/// Entries per page of a tree listing.
const TREE_PAGE: usize = 1000;

fn truthy(value: &str) -> bool {
    matches!(value.trim().to_ascii_lowercase().as_str(), "true" | "1" | "yes")
}

pub fn entry_json(entry: &TreeEntry, commit: CommitId) -> Value {
    match entry {
        TreeEntry::File { path, size, digest } => json!({
            "type": "file",
            "oid": digest.hex(),
            "size": size,
            "path": path,
            "lfs": { "oid": digest.hex(), "size": size, "pointerSize": 134 },
        }),
        TreeEntry::Directory { path } => {
            json!({ "type": "directory", "oid": commit.to_string(), "size": 0, "path": path })
        }
    }
}

/// The tree at the root of a revision.
pub async fn tree_root(
    registry: web::Data<Registry>,
    auth: HfAuth<Read>,
    path: web::Path<(String, String, String)>,
    req: HttpRequest,
) -> Result<HttpResponse, HfError> {
    let (namespace, name, revision) = path.into_inner();
    tree(&registry, &auth, (&namespace, &name, &revision), "", &req).await
}

/// The tree under a folder of a revision.
pub async fn tree_at(
    registry: web::Data<Registry>,
    auth: HfAuth<Read>,
    path: web::Path<(String, String, String, String)>,
    req: HttpRequest,
) -> Result<HttpResponse, HfError> {
    let (namespace, name, revision, folder) = path.into_inner();
    tree(&registry, &auth, (&namespace, &name, &revision), &folder, &req).await
}

async fn tree(
    registry: &Registry,
    auth: &HfAuth<Read>,
    (namespace, name, revision): (&str, &str, &str),
    folder: &str,
    req: &HttpRequest,
) -> Result<HttpResponse, HfError> {
    let (_, version) = repo_version(registry, auth, namespace, name, revision).await?;
    let mut recursive = false;
    let mut cursor = None;
    for (k, v) in url::form_urlencoded::parse(req.query_string().as_bytes()) {
        match k.as_ref() {
            "recursive" => recursive = truthy(&v),
            "cursor" => cursor = Some(v.into_owned()),
            _ => {}
        }
    }
    let files = &version.resolved.manifest.files;
    let Some(page) = tree_page(files, folder, recursive, cursor.as_deref(), TREE_PAGE) else {
        return Err(HfError::entry_not_found(folder, version.commit));
    };
    let entries: Vec<Value> = page.entries.iter().map(|e| entry_json(e, version.commit)).collect();
    let mut response = HttpResponse::Ok();
    if let Some(next) = page.next {
        let query: String = url::form_urlencoded::Serializer::new(String::new())
            .append_pair("recursive", if recursive { "true" } else { "false" })
            .append_pair("cursor", &next)
            .finish();
        response.insert_header(next_link(&absolute_url(req, &query)));
    }
    Ok(response.json(entries))
}

pub async fn paths_info_route(
    registry: web::Data<Registry>,
    auth: HfAuth<Read>,
    path: web::Path<(String, String, String)>,
    limit: web::Data<JsonLimit>,
    body: Body,
) -> Result<HttpResponse, HfError> {
    let (namespace, name, revision) = path.into_inner();
    let (_, version) = repo_version(&registry, &auth, &namespace, &name, &revision).await?;
    let form = read_bytes(body, limit.0).await?;
    // The clients send a form (`paths=a&paths=b`); a JSON `{"paths": [...]}` is read too.
    let paths: Vec<String> = match serde_json::from_slice::<Value>(&form) {
        Ok(Value::Object(o)) => o
            .get("paths")
            .and_then(Value::as_array)
            .map(|a| a.iter().filter_map(Value::as_str).map(str::to_owned).collect())
            .unwrap_or_default(),
        _ => url::form_urlencoded::parse(&form)
            .filter(|(k, _)| k == "paths")
            .map(|(_, v)| v.into_owned())
            .collect(),
    };
    let entries = paths_info(&version.resolved.manifest.files, &paths);
    Ok(HttpResponse::Ok().json(entries.iter().map(|e| entry_json(e, version.commit)).collect::<Vec<_>>()))
}
