//! The step every repository route starts with: parse and authorise the repository, then
//! resolve the revision (already percent-decoded by the route) to a version and its commit.

use actix_web::HttpRequest;
use modelreg_api::ModelName;

use super::auth::HfAuth;
use super::errors::HfError;
use crate::http::auth::Need;
use crate::service::Registry;
use crate::service::hf::{HfVersion, Revision};

/// The repository `namespace/name` and the version `revision` names in it.
pub async fn repo_version<N: Need>(
    registry: &Registry,
    auth: &HfAuth<N>,
    namespace: &str,
    name: &str,
    revision: &str,
) -> Result<(ModelName, HfVersion), HfError> {
    let model = auth.repo(registry, namespace, name)?;
    let version = registry.hf_resolve(&model, &Revision::parse(revision)).await?;
    Ok((model, version))
}

/// The absolute URL of this request's path with another query string, for `Link` headers
/// (the clients follow them verbatim).
pub fn absolute_url(req: &HttpRequest, query: &str) -> String {
    let info = req.connection_info();
    let path = req.uri().path();
    if query.is_empty() {
        format!("{}://{}{path}", info.scheme(), info.host())
    } else {
        format!("{}://{}{path}?{query}", info.scheme(), info.host())
    }
}

/// `Link: <url>; rel="next"`.
pub fn next_link(url: &str) -> (&'static str, String) {
    ("Link", format!("<{url}>; rel=\"next\""))
}
