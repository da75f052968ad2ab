//! Authentication on `/hf`: [`HfAuth`] is the registry's bearer-token extractor answering in
//! the Hub's error shape, with `repo` to parse and authorise a repository id (an invalid or
//! invisible one is `RepoNotFound`, never "forbidden": existence is not revealed); and the
//! two routes about the caller, `whoami-v2` and `auth-check`.

use std::future::Future;
use std::pin::Pin;

use actix_web::dev::Payload;
use actix_web::{FromRequest, HttpRequest, HttpResponse, web};
use modelreg_api::{ModelName, Scope};
use serde_json::json;

use super::errors::HfError;
use crate::http::auth::{Auth, Need, Read};
use crate::service::{Registry, RegistryError};

/// The registry's auth extractor, failing with [`HfError`].
pub struct HfAuth<N: Need>(pub Auth<N>);

impl<N: Need> HfAuth<N> {
    /// Parses `namespace/name` from a route and checks the caller may use it with the
    /// route's scope. A name the registry cannot have is an unknown repository.
    pub fn repo(&self, registry: &Registry, namespace: &str, name: &str) -> Result<ModelName, HfError> {
        let Ok(model) = ModelName::from_parts(namespace, name) else {
            return Err(HfError::repo_not_found(&format!("{namespace}/{name}")));
        };
        registry.authorize_model(self.0.caller(), &model, N::SCOPE)?;
        Ok(model)
    }
}

impl<N: Need + 'static> FromRequest for HfAuth<N> {
    type Error = HfError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, HfError>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let inner = Auth::<N>::from_request(req, payload);
        Box::pin(async move { inner.await.map(HfAuth).map_err(HfError::from) })
    }
}

/// `GET /api/whoami-v2`: the token as a Hub user. Its namespaces are its organisations, its
/// scope its role.
pub async fn whoami(auth: HfAuth<Read>) -> Result<HttpResponse, HfError> {
    let Some(token) = &auth.0.token else {
        return Err(RegistryError::Unauthorized(
            "whoami needs a token: send 'Authorization: Bearer <token>'",
        )
        .into());
    };
    let orgs: Vec<_> = token
        .namespaces
        .iter()
        .map(|ns| json!({ "type": "org", "name": ns.to_string(), "fullname": ns.to_string() }))
        .collect();
    Ok(HttpResponse::Ok().json(json!({
        "type": "user",
        "id": token.name,
        "name": token.name,
        "fullname": token.name,
        "isPro": false,
        "canPay": false,
        "emailVerified": false,
        "orgs": orgs,
        "auth": {
            "type": "access_token",
            "accessToken": {
                "displayName": token.name,
                "role": token.scope.as_str(),
                "createdAt": token.created_at.to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
            },
        },
    })))
}

/// `GET /api/models/{namespace}/{name}/auth-check`: 200 when the caller may read the model.
pub async fn auth_check(
    registry: web::Data<Registry>,
    auth: HfAuth<Read>,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, HfError> {
    let model = auth.repo(&registry, &path.0, &path.1)?;
    registry.hf_model_record(&model).await?;
    Ok(HttpResponse::Ok().json(json!({ "access": Scope::Read.as_str() })))
}
