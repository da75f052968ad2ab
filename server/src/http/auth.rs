//! The auth extractor: `Auth<Read>` / `Auth<Write>` / `Auth<Admin>` on a handler reads the
//! bearer token (if any) and has the service authenticate it and check its scope before the
//! handler runs; `Auth::model` has it check the route's namespace. No token is hashed,
//! looked up or logged here, and no cookie is read (the web UI's sessions are `ui::session`'s).

use std::future::Future;
use std::marker::PhantomData;
use std::pin::Pin;

use actix_web::dev::Payload;
use actix_web::http::header;
use actix_web::{FromRequest, HttpRequest, web};

use modelreg_api::{ModelName, Scope};

use crate::service::{Principal, Registry, RegistryError, TokenRecord, actor_of};

/// The scope a route needs.
pub trait Need {
    const SCOPE: Scope;
}

pub struct Read;
pub struct Write;
pub struct Admin;

impl Need for Read {
    const SCOPE: Scope = Scope::Read;
}

impl Need for Write {
    const SCOPE: Scope = Scope::Write;
}

impl Need for Admin {
    const SCOPE: Scope = Scope::Admin;
}

/// An authorised caller; `principal` is `None` only for anonymous reads.
pub struct Auth<N: Need> {
    pub principal: Option<Principal>,
    /// The caller's token as stored (for `whoami`).
    pub token: Option<TokenRecord>,
    _need: PhantomData<N>,
}

impl<N: Need> Auth<N> {
    pub fn caller(&self) -> Option<&Principal> {
        self.principal.as_ref()
    }

    /// The name recorded in the audit log.
    pub fn actor(&self) -> &str {
        actor_of(self.principal.as_ref())
    }

    /// Parses a model name from a route and checks this caller may act on it with the
    /// route's scope (a read outside the token's namespaces is a 404, a write a 403).
    pub fn model(
        &self,
        registry: &Registry,
        namespace: &str,
        name: &str,
    ) -> Result<ModelName, RegistryError> {
        let model = ModelName::from_parts(namespace, name).map_err(|e| RegistryError::Invalid {
            code: crate::service::InvalidCode::InvalidModelName,
            message: e.to_string(),
        })?;
        registry.authorize_model(self.caller(), &model, N::SCOPE)?;
        Ok(model)
    }
}

impl Auth<Write> {
    /// The writing token: writes are never anonymous (`authorize` refuses them).
    pub fn writer(&self) -> Result<&Principal, RegistryError> {
        self.caller().ok_or_else(|| RegistryError::internal("a write passed authorization without a token"))
    }
}

impl<N: Need> Auth<N> {
    /// Authorises an authenticated caller (None = anonymous) for the route's scope: the one
    /// decision behind this extractor and the web UI's session extractor.
    pub(super) fn authorized(
        registry: &Registry,
        authenticated: Option<(Principal, TokenRecord)>,
    ) -> Result<Self, RegistryError> {
        let (principal, token) = authenticated.unzip();
        registry.authorize(principal.as_ref(), N::SCOPE)?;
        Ok(Self { principal, token, _need: PhantomData })
    }
}

/// The secret of the request's `Authorization: Bearer` header: None without the header, a
/// 401 when it is unreadable or not a bearer token.
pub(super) fn bearer_of(req: &HttpRequest) -> Option<Result<String, RegistryError>> {
    let raw = req.headers().get(header::AUTHORIZATION)?;
    Some(match raw.to_str() {
        Err(_) => Err(RegistryError::Unauthorized("malformed Authorization header")),
        Ok(raw) => bearer_secret(raw)
            .map(str::to_owned)
            .ok_or(RegistryError::Unauthorized("Authorization header must be 'Bearer <token>'")),
    })
}

impl<N: Need> FromRequest for Auth<N> {
    type Error = RegistryError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, RegistryError>>>>;

    /// Only the `Authorization` header counts here: the web UI's session cookie never
    /// authenticates the API (a browser would attach it to a forged cross-site request).
    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let registry = req.app_data::<web::Data<Registry>>().cloned();
        let bearer = bearer_of(req);
        Box::pin(async move {
            let registry = registry.ok_or_else(|| RegistryError::internal("registry is not configured"))?;
            let authenticated = match bearer {
                None => None,
                Some(secret) => Some(registry.authenticate(&secret?).await?),
            };
            Self::authorized(&registry, authenticated)
        })
    }
}

fn bearer_secret(header: &str) -> Option<&str> {
    let (scheme, rest) = header.split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then(|| rest.trim()).filter(|s| !s.is_empty())
}

#[cfg(test)]
mod tests {
    use super::bearer_secret;

    #[test]
    fn bearer_scheme_is_case_insensitive_and_needs_a_secret() {
        assert_eq!(bearer_secret("Bearer abc"), Some("abc"));
        assert_eq!(bearer_secret("bearer  abc "), Some("abc"));
        assert_eq!(bearer_secret("Basic abc"), None);
        assert_eq!(bearer_secret("Bearer "), None);
        assert_eq!(bearer_secret("Bearer"), None);
    }
}
