//! The Hub's write routes: `create_repo`, `preupload`, the commit (ndjson), branches and
//! tags, and the answer to a Xet client. Each parses, authorises the repository for
//! writing, calls one `Registry::hf_*` method and shapes the Hub's JSON; what they mean is
//! in `service::hf_upload`. The LFS transfers are in `lfs`.

use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderName, HeaderValue};
use actix_web::{HttpRequest, HttpResponse, web};
use bytes::BytesMut;
use futures_util::StreamExt;
use modelreg_api::card::import_card;
use modelreg_api::{ModelName, PreuploadAnswer, PreuploadRequest, PreuploadResponse, parse_hf_commit};
use serde::Deserialize;
use serde_json::json;

use super::auth::HfAuth;
use super::errors::{HfError, X_ERROR_MESSAGE};
use crate::http::auth::{Read, Write};
use crate::http::body::{Body, JsonLimit, read_request};
use crate::service::{Registry, RegistryError};

/// Files up to this size travel inside the commit (`regular`); larger ones through LFS,
/// whose uploads are streamed.
pub const MAX_REGULAR_FILE: u64 = 64 << 10;
/// Largest commit body (its inline files are at most [`MAX_REGULAR_FILE`] each, base64).
pub const MAX_COMMIT_BODY: usize = 64 << 20;

/// Where a Xet client is sent: the clients show only the status and the URL of a failed
/// token request, so the URL itself says what to do.
pub const XET_REFUSAL_PATH: &str =
    "/xet-uploads-are-not-supported-here:set-HF_HUB_DISABLE_XET=1-and-upload-again";
/// What a Xet client is told.
pub const XET_MESSAGE: &str = "this registry takes uploads through Git LFS, not Xet: set HF_HUB_DISABLE_XET=1 \
     (or uninstall hf_xet) and upload again";

/// The repository's URL as the clients parse it. `models/` is explicit: with a path prefix
/// in the endpoint (`/hf`), 0.36 would otherwise read the prefix as the repository type.
fn url_of(req: &HttpRequest, model: &ModelName) -> String {
    let info = req.connection_info();
    format!("{}://{}{}/models/{model}", info.scheme(), info.host(), super::PREFIX)
}

#[derive(Deserialize)]
pub struct CreateRepo {
    name: String,
    #[serde(default)]
    organization: Option<String>,
}

/// `POST /api/repos/create`: 200 `{url}`, or 409 when the model exists.
pub async fn create_repo(
    registry: web::Data<Registry>,
    auth: HfAuth<Write>,
    limit: web::Data<JsonLimit>,
    req: HttpRequest,
    body: Body,
) -> Result<HttpResponse, HfError> {
    let request: CreateRepo = read_request(body, limit.0).await?;
    let (namespace, name) = match (&request.organization, request.name.split_once('/')) {
        (Some(org), None) => (org.clone(), request.name.clone()),
        (None, Some((ns, name))) => (ns.to_owned(), name.to_owned()),
        _ => {
            return Err(RegistryError::Invalid {
                code: crate::service::InvalidCode::InvalidRepo,
                message: "name: give 'namespace/name' (models here always have a namespace)".into(),
            }
            .into());
        }
    };
    let model = auth.repo(&registry, &namespace, &name)?;
    let caller = auth.0.writer()?;
    registry.hf_create_repo(caller, &model).await?;
    Ok(HttpResponse::Ok().json(json!({ "url": url_of(&req, &model), "name": model.to_string() })))
}

/// `POST /api/models/{ns}/{name}/preupload/{revision}`: small files inline, the rest LFS.
pub async fn preupload(
    registry: web::Data<Registry>,
    auth: HfAuth<Write>,
    limit: web::Data<JsonLimit>,
    path: web::Path<(String, String, String)>,
    body: Body,
) -> Result<HttpResponse, HfError> {
    auth.repo(&registry, &path.0, &path.1)?;
    let request: PreuploadRequest = read_request(body, limit.0).await?;
    let files = request
        .files
        .into_iter()
        .map(|f| PreuploadAnswer {
            upload_mode: if f.size <= MAX_REGULAR_FILE { "regular" } else { "lfs" },
            path: f.path,
            should_ignore: false,
        })
        .collect();
    Ok(HttpResponse::Ok().json(PreuploadResponse { files }))
}

/// `POST /api/models/{ns}/{name}/commit/{revision}`: one version, atomically.
pub async fn commit(
    registry: web::Data<Registry>,
    auth: HfAuth<Write>,
    path: web::Path<(String, String, String)>,
    req: HttpRequest,
    mut body: Body,
) -> Result<HttpResponse, HfError> {
    let model = auth.repo(&registry, &path.0, &path.1)?;
    let caller = auth.0.writer()?;
    let mut buf = BytesMut::new();
    while let Some(chunk) = body.next().await {
        let chunk = chunk.map_err(|e| RegistryError::body(&e))?;
        if buf.len() + chunk.len() > MAX_COMMIT_BODY {
            return Err(RegistryError::BodyTooLarge { limit: MAX_COMMIT_BODY }.into());
        }
        buf.extend_from_slice(&chunk);
    }
    let text = std::str::from_utf8(&buf).map_err(|_| RegistryError::Invalid {
        code: crate::service::InvalidCode::InvalidCommit,
        message: "the commit is not UTF-8".into(),
    })?;
    let parsed = parse_hf_commit(text).map_err(|message| RegistryError::Invalid {
        code: crate::service::InvalidCode::InvalidCommit,
        message,
    })?;
    let done = registry.hf_commit(caller, &model, &path.2, parsed).await?;
    let url = url_of(&req, &model);
    Ok(HttpResponse::Ok().json(json!({
        "commitUrl": format!("{url}/commit/{}", done.commit),
        "commitOid": done.commit.to_string(),
        "commitMessage": format!("{model}@{}", done.version),
        "version": done.version.to_string(),
        "created": done.created,
    })))
}

#[derive(Deserialize)]
pub struct ValidateYaml {
    content: String,
}

/// `POST /api/validate-yaml` (the client asks before committing a `README.md`): the card's
/// front matter read as a commit will read it; what would be skipped comes back as
/// warnings, which the client prints. Never an error: a commit decides what it needs.
pub async fn validate_yaml(
    _auth: HfAuth<Read>,
    limit: web::Data<JsonLimit>,
    body: Body,
) -> Result<HttpResponse, HfError> {
    let request: ValidateYaml = read_request(body, limit.0).await?;
    let card = import_card(&request.content);
    let warnings: Vec<_> = card.warnings.iter().map(|(_, message)| json!({ "message": message })).collect();
    Ok(HttpResponse::Ok().json(json!({ "errors": [], "warnings": warnings })))
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct CreateBranch {
    #[serde(default)]
    starting_point: Option<String>,
}

/// `POST /api/models/{ns}/{name}/branch/{branch}`: a new alias.
pub async fn create_branch(
    registry: web::Data<Registry>,
    auth: HfAuth<Write>,
    limit: web::Data<JsonLimit>,
    path: web::Path<(String, String, String)>,
    body: Body,
) -> Result<HttpResponse, HfError> {
    let model = auth.repo(&registry, &path.0, &path.1)?;
    let request: CreateBranch = read_request(body, limit.0).await.unwrap_or_default();
    registry.hf_create_branch(auth.0.writer()?, &model, &path.2, request.starting_point.as_deref()).await?;
    Ok(HttpResponse::Ok().json(json!({})))
}

/// `DELETE /api/models/{ns}/{name}/branch/{branch}`: removes the alias.
pub async fn delete_branch(
    registry: web::Data<Registry>,
    auth: HfAuth<Write>,
    path: web::Path<(String, String, String)>,
) -> Result<HttpResponse, HfError> {
    let model = auth.repo(&registry, &path.0, &path.1)?;
    registry.hf_delete_branch(auth.0.writer()?, &model, &path.2).await?;
    Ok(HttpResponse::Ok().json(json!({})))
}

#[derive(Deserialize)]
pub struct CreateTag {
    tag: String,
}

/// `POST /api/models/{ns}/{name}/tag/{revision}`: `{tag}` publishes the revision's version
/// under that number.
pub async fn create_tag(
    registry: web::Data<Registry>,
    auth: HfAuth<Write>,
    limit: web::Data<JsonLimit>,
    path: web::Path<(String, String, String)>,
    body: Body,
) -> Result<HttpResponse, HfError> {
    let model = auth.repo(&registry, &path.0, &path.1)?;
    let request: CreateTag = read_request(body, limit.0).await?;
    registry.hf_create_tag(auth.0.writer()?, &model, &path.2, &request.tag).await?;
    Ok(HttpResponse::Ok().json(json!({})))
}

/// `GET /api/models/{ns}/{name}/xet-write-token/{revision}`: no Xet here. Redirected to a
/// URL that says what to do, since that URL is all the client shows of the failure.
pub async fn xet_write_token() -> HttpResponse {
    HttpResponse::build(StatusCode::FOUND)
        .insert_header((header::LOCATION, format!("{}{XET_REFUSAL_PATH}", super::PREFIX)))
        .insert_header((HeaderName::from_static(X_ERROR_MESSAGE), HeaderValue::from_static(XET_MESSAGE)))
        .finish()
}

/// Where [`xet_write_token`] sends the client: a 400 with the message.
pub async fn xet_refusal() -> Result<HttpResponse, HfError> {
    Err(HfError::new(StatusCode::BAD_REQUEST, None, XET_MESSAGE))
}

/// The write routes, added to the `/hf` scope.
pub fn routes(scope: actix_web::Scope) -> actix_web::Scope {
    let repo = "/api/models/{namespace}/{name}";
    let scope = scope
        .route("/api/repos/create", web::post().to(create_repo))
        .route("/api/validate-yaml", web::post().to(validate_yaml))
        .route(&format!("{repo}/preupload/{{revision}}"), web::post().to(preupload))
        .route(&format!("{repo}/commit/{{revision}}"), web::post().to(commit))
        .route(&format!("{repo}/branch/{{branch}}"), web::post().to(create_branch))
        .route(&format!("{repo}/branch/{{branch}}"), web::delete().to(delete_branch))
        .route(&format!("{repo}/tag/{{revision}}"), web::post().to(create_tag))
        .route(&format!("{repo}/xet-write-token/{{revision}}"), web::get().to(xet_write_token))
        .route(XET_REFUSAL_PATH, web::get().to(xet_refusal));
    super::lfs::routes(scope)
}
