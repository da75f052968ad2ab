//! `Client`: the typed HTTP client of the v1 registry API. It builds URLs segment by
//! segment, attaches the bearer token, and turns every non-2xx answer into a `ClientError`
//! decoded from the error envelope. It knows nothing of directories or files on disk.
//! The access and lifecycle routes (tokens, aliases, yank, delete, audit) are in `access`.

mod access;
mod outage;
mod transfer;

pub use access::{AuditQuery, DeletedModel, YankState};
pub use outage::DEFAULT_RETRY_FOR;

use outage::{OutageClock, Repeat};

use std::fmt;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use modelreg_api::{
    BlobUploaded, ChooseRequest, ChooseResponse, DerivativeList, Digest, ErrorBody, ErrorEnvelope,
    LookupPage, LookupQuery, MAX_MISSING_QUERY, Manifest, MissingBlobsRequest, MissingBlobsResponse,
    ModelName, ModelSummary, PublishResponse, Version, VersionList, VersionManifest, VersionSelector,
};
use reqwest::header::{AUTHORIZATION, CONTENT_LENGTH, CONTENT_TYPE, HeaderValue, RANGE};
use reqwest::{Method, RequestBuilder, Response, StatusCode, Url};
use serde::de::DeserializeOwned;

use crate::credentials::TokenOrigin;
use crate::error::ClientError;

/// Largest error body read from the registry; anything longer is cut.
const MAX_ERROR_BODY: usize = 64 * 1024;
/// Largest JSON success body the client buffers; past it the command fails, so that a
/// hostile or broken registry cannot make it take all memory.
pub const MAX_JSON_BODY: usize = 8 << 20;
/// The same for a version's manifest (`resolve`), which may list 100,000 files: the
/// registry takes manifests of up to 16 MiB by default (`limits.max_json_bytes`).
pub const MAX_MANIFEST_BODY: usize = 64 << 20;

/// Set once the warning about a token sent in the clear was printed: once per process.
static CLEARTEXT_WARNED: AtomicBool = AtomicBool::new(false);

/// A handle on one registry. Cheap to clone (the connection pool is shared).
#[derive(Clone)]
pub struct Client {
    http: reqwest::Client,
    /// Follows no redirect by itself: blob reads handle them in `transfer`, so that the
    /// token never reaches a storage host.
    direct: reqwest::Client,
    base: Url,
    auth: Option<HeaderValue>,
    origin: TokenOrigin,
    /// The token would travel over plain http:// to a host other than this machine.
    token_in_clear: bool,
    /// How long requests are retried while the registry is unavailable (`outage`).
    outage: OutageClock,
}

impl fmt::Debug for Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Client")
            .field("base", &self.base.as_str())
            .field("auth", &self.auth.as_ref().map(|_| "Bearer <redacted>"))
            .finish_non_exhaustive()
    }
}

impl Client {
    /// A client for the registry at `base` (`http://` or `https://`, optionally with a path
    /// prefix), sending `token` as a bearer token when given and not empty.
    pub fn new(base: Url, token: Option<&str>) -> Result<Self, ClientError> {
        if !matches!(base.scheme(), "http" | "https") || base.cannot_be_a_base() {
            return Err(ClientError::Invalid(format!(
                "registry URL '{base}' must start with http:// or https://"
            )));
        }
        let auth = match token.map(str::trim).filter(|t| !t.is_empty()) {
            None => None,
            Some(t) => {
                let mut value = HeaderValue::from_str(&format!("Bearer {t}")).map_err(|_| {
                    ClientError::Invalid("the token contains characters not allowed in an HTTP header".into())
                })?;
                value.set_sensitive(true);
                Some(value)
            }
        };
        let builder = || {
            reqwest::Client::builder()
                .user_agent(concat!("modelreg-cli/", env!("CARGO_PKG_VERSION")))
                .connect_timeout(Duration::from_secs(30))
        };
        let setup_err =
            |e: reqwest::Error| ClientError::Invalid(format!("cannot set up the HTTP client: {e}"));
        let http = builder().build().map_err(setup_err)?;
        let direct = builder().redirect(reqwest::redirect::Policy::none()).build().map_err(setup_err)?;
        let origin = if auth.is_some() { TokenOrigin::Given } else { TokenOrigin::None };
        let token_in_clear = auth.is_some() && base.scheme() == "http" && !is_loopback(&base);
        let outage = OutageClock::new(DEFAULT_RETRY_FOR);
        Ok(Self { http, direct, base, auth, origin, token_in_clear, outage })
    }

    /// Records where the token came from, so that a refused one gets the right hint.
    pub fn with_token_origin(mut self, origin: TokenOrigin) -> Self {
        if self.auth.is_some() {
            self.origin = origin;
        }
        self
    }

    /// Retries requests for up to `budget` of an outage (503 or no connection); zero
    /// tries each request once.
    pub fn with_retry_for(mut self, budget: Duration) -> Self {
        self.outage = OutageClock::new(budget);
        self
    }

    /// Says on stderr, when it is a terminal, each time a request is retried because the
    /// registry is unavailable (off by default; on unless `--json` or `-q`).
    pub fn with_retry_notices(mut self, on: bool) -> Self {
        self.outage.notices = on;
        self
    }

    /// The registry's base URL.
    pub fn base_url(&self) -> &Url {
        &self.base
    }

    /// The URL of an API path given as raw segments; each segment is percent-encoded on
    /// its own, so a selector such as `>=1, <2` stays one segment.
    pub fn endpoint(&self, segments: &[&str]) -> Url {
        let mut url = self.base.clone();
        url.set_query(None);
        url.set_fragment(None);
        url.path_segments_mut().expect("checked in Client::new").pop_if_empty().extend(segments);
        url
    }

    /// `POST /v1/blobs/missing`, in chunks of at most `MAX_MISSING_QUERY` digests.
    pub async fn missing_blobs(&self, digests: &[Digest]) -> Result<Vec<Digest>, ClientError> {
        let url = self.endpoint(&["v1", "blobs", "missing"]);
        let mut missing = Vec::new();
        for chunk in digests.chunks(MAX_MISSING_QUERY) {
            let body = MissingBlobsRequest { digests: chunk.to_vec() };
            let req = self.request(Method::POST, &url).json(&body);
            let resp = self.send_repeating(req, &url, Repeat::Safe).await?;
            missing.extend(read_json::<MissingBlobsResponse>(resp, &url).await?.missing);
        }
        Ok(missing)
    }

    /// `PUT /v1/blobs/{digest}` with a streamed body of exactly `size` bytes.
    pub async fn upload_blob(
        &self,
        digest: &Digest,
        size: u64,
        body: reqwest::Body,
    ) -> Result<BlobUploaded, ClientError> {
        let url = self.endpoint(&["v1", "blobs", &digest.to_string()]);
        let req = self
            .request(Method::PUT, &url)
            .header(CONTENT_TYPE, "application/octet-stream")
            .header(CONTENT_LENGTH, size)
            .body(body);
        let resp = self.send(req, &url).await?;
        read_json(resp, &url).await
    }

    /// `GET /v1/blobs/{digest}`, from byte `offset` on when it is not zero. The answer is
    /// 200 (whole blob) or 206 (from `offset`); the caller streams the body.
    pub async fn get_blob(&self, digest: &Digest, offset: u64) -> Result<Response, ClientError> {
        let url = self.endpoint(&["v1", "blobs", &digest.to_string()]);
        let mut req = self.request(Method::GET, &url);
        if offset > 0 {
            req = req.header(RANGE, format!("bytes={offset}-"));
        }
        self.send(req, &url).await
    }

    /// `PUT /v1/models/{ns}/{name}/versions/{version}`: publish a manifest.
    pub async fn publish(
        &self,
        model: &ModelName,
        version: &Version,
        manifest: &Manifest,
    ) -> Result<PublishResponse, ClientError> {
        let url = self.model_endpoint(model, &["versions", &version.to_string()]);
        let resp = self.send(self.request(Method::PUT, &url).json(manifest), &url).await?;
        read_json(resp, &url).await
    }

    /// `GET /v1/models/{ns}/{name}`.
    pub async fn model(&self, model: &ModelName) -> Result<ModelSummary, ClientError> {
        self.get_json(self.model_endpoint(model, &[])).await
    }

    /// `GET /v1/models/{ns}/{name}/versions`, in semver order.
    pub async fn versions(&self, model: &ModelName) -> Result<VersionList, ClientError> {
        self.get_json(self.model_endpoint(model, &["versions"])).await
    }

    /// `GET /v1/models/{ns}/{name}/versions/{selector}`: resolve a selector to a manifest.
    pub async fn resolve(
        &self,
        model: &ModelName,
        selector: &VersionSelector,
    ) -> Result<VersionManifest, ClientError> {
        let url = self.model_endpoint(model, &["versions", &selector.to_string()]);
        let resp = self.send(self.request(Method::GET, &url), &url).await?;
        read_json_within(resp, &url, MAX_MANIFEST_BODY).await
    }

    /// `GET /v1/models?...`: one page of a lookup.
    pub async fn lookup(&self, query: &LookupQuery) -> Result<LookupPage, ClientError> {
        self.get_json(self.lookup_url(query)).await
    }

    /// `GET /v1/models/{ns}/{name}/derivatives`: the models that name this one as their base.
    pub async fn derivatives(&self, model: &ModelName) -> Result<DerivativeList, ClientError> {
        self.get_json(self.model_endpoint(model, &["derivatives"])).await
    }

    /// `POST /v1/choose`: ranked candidates and near misses.
    pub async fn choose(&self, request: &ChooseRequest) -> Result<ChooseResponse, ClientError> {
        let url = self.endpoint(&["v1", "choose"]);
        let req = self.request(Method::POST, &url).json(request);
        let resp = self.send_repeating(req, &url, Repeat::Safe).await?;
        read_json(resp, &url).await
    }

    /// The lookup URL, each pair percent-encoded; no `?` when there are no pairs.
    fn lookup_url(&self, query: &LookupQuery) -> Url {
        let mut url = self.endpoint(&["v1", "models"]);
        let pairs = query.to_pairs();
        if !pairs.is_empty() {
            let mut encoder = url.query_pairs_mut();
            for (key, value) in &pairs {
                encoder.append_pair(key, value);
            }
        }
        url
    }

    fn model_endpoint(&self, model: &ModelName, rest: &[&str]) -> Url {
        let mut segments = vec!["v1", "models", model.namespace(), model.name()];
        segments.extend_from_slice(rest);
        self.endpoint(&segments)
    }

    async fn get_json<T: DeserializeOwned>(&self, url: Url) -> Result<T, ClientError> {
        let resp = self.send(self.request(Method::GET, &url), &url).await?;
        read_json(resp, &url).await
    }

    fn request(&self, method: Method, url: &Url) -> RequestBuilder {
        let req = self.http.request(method, url.clone());
        match &self.auth {
            Some(value) => {
                self.warn_if_token_in_clear();
                req.header(AUTHORIZATION, value.clone())
            }
            None => req,
        }
    }

    /// Warns on stderr, once per process, before the token first travels in the clear.
    /// Printed in every output mode: it is about the credential, not the result.
    pub(crate) fn warn_if_token_in_clear(&self) {
        if self.token_in_clear && !CLEARTEXT_WARNED.swap(true, Ordering::Relaxed) {
            let host = self.base.host_str().unwrap_or_default();
            eprintln!(
                "warning: sending the token over plain http:// to {host}, which is not this machine: \
                 anyone on the way can read and reuse it (use https://)"
            );
        }
    }

    /// Sends a request, again while the registry is unavailable if its method is idempotent
    /// (see `outage`); a non-2xx answer becomes `ClientError::Api`.
    async fn send(&self, req: RequestBuilder, url: &Url) -> Result<Response, ClientError> {
        self.send_repeating(req, url, Repeat::ByMethod).await
    }

    /// [`Client::send`], repeating as `repeat` allows.
    async fn send_repeating(
        &self,
        req: RequestBuilder,
        url: &Url,
        repeat: Repeat,
    ) -> Result<Response, ClientError> {
        let resp = self.execute(req, url, repeat).await?;
        if resp.status().is_success() {
            return Ok(resp);
        }
        Err(self.api_error(resp).await)
    }

    async fn api_error(&self, mut resp: Response) -> ClientError {
        let status = resp.status();
        let retry_after = resp
            .headers()
            .get(reqwest::header::RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| crate::transfer::retry::parse_retry_after(v, std::time::SystemTime::now()));
        let mut body = Vec::new();
        while let Ok(Some(chunk)) = resp.chunk().await {
            body.extend_from_slice(&chunk);
            if body.len() > MAX_ERROR_BODY {
                break;
            }
        }
        let mut error = match serde_json::from_slice::<ErrorEnvelope>(&body) {
            Ok(envelope) => envelope.error,
            Err(_) => ErrorBody {
                code: code_of_status(status),
                message: format!("the registry answered {status}"),
                details: None,
            },
        };
        if status.is_server_error() && !error.message.starts_with("the registry answered") {
            error.message = format!("the registry answered {status}: {}", error.message);
        }
        if status == StatusCode::UNAUTHORIZED {
            error.message.push_str(match self.origin {
                TokenOrigin::None => " (run `modelreg login`, pass --token or set MODELREG_TOKEN)",
                TokenOrigin::Stored => {
                    " (the token saved by `modelreg login` for this registry was refused: log in again)"
                }
                TokenOrigin::Given => "",
            });
        }
        ClientError::Api { status, error, retry_after }
    }
}

/// Decodes a 2xx JSON body of at most [`MAX_JSON_BODY`] bytes.
async fn read_json<T: DeserializeOwned>(resp: Response, url: &Url) -> Result<T, ClientError> {
    read_json_within(resp, url, MAX_JSON_BODY).await
}

/// Decodes a 2xx JSON body of at most `limit` bytes; a longer one fails before more of it
/// is read (whatever Content-Length says, or without one).
async fn read_json_within<T: DeserializeOwned>(
    mut resp: Response,
    url: &Url,
    limit: usize,
) -> Result<T, ClientError> {
    let too_large = || ClientError::BadResponse {
        url: url.to_string(),
        reason: format!("the answer is larger than {} MiB, more than this client reads", limit >> 20),
    };
    if resp.content_length().is_some_and(|len| len > limit as u64) {
        return Err(too_large());
    }
    let mut body = Vec::new();
    while let Some(chunk) = resp.chunk().await.map_err(|e| transport_error(&e, url))? {
        if body.len() + chunk.len() > limit {
            return Err(too_large());
        }
        body.extend_from_slice(&chunk);
    }
    serde_json::from_slice(&body)
        .map_err(|e| ClientError::BadResponse { url: url.to_string(), reason: e.to_string() })
}

/// Whether `url` names this machine: `localhost`, 127.0.0.0/8 or ::1.
fn is_loopback(url: &Url) -> bool {
    let Some(host) = url.host_str() else { return false };
    let host = host.trim_start_matches('[').trim_end_matches(']');
    if let Ok(ip) = host.parse::<std::net::IpAddr>() {
        return ip.is_loopback();
    }
    let name = host.trim_end_matches('.').to_ascii_lowercase();
    name == "localhost" || name.ends_with(".localhost")
}

/// Classifies a reqwest failure: no connection at all means the registry is unavailable.
pub(crate) fn transport_error(err: &reqwest::Error, url: &Url) -> ClientError {
    let reason = root_cause(err);
    if err.is_connect() || err.is_timeout() {
        ClientError::Unreachable { url: url.to_string(), reason }
    } else {
        ClientError::Transport { url: url.to_string(), reason }
    }
}

/// The innermost cause of an error ("Connection refused"), which says more than
/// reqwest's own summary.
fn root_cause(err: &(dyn std::error::Error + 'static)) -> String {
    let mut innermost = err;
    while let Some(source) = innermost.source() {
        innermost = source;
    }
    innermost.to_string()
}

/// A snake_case code for a status whose body was not an error envelope.
fn code_of_status(status: StatusCode) -> String {
    let reason = status.canonical_reason().unwrap_or("http error");
    reason.chars().map(|c| if c.is_ascii_alphanumeric() { c.to_ascii_lowercase() } else { '_' }).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn client(base: &str) -> Client {
        Client::new(base.parse().unwrap(), Some("secret-token")).unwrap()
    }

    #[test]
    fn selectors_travel_as_one_encoded_segment() {
        let c = client("http://127.0.0.1:8080");
        let model: ModelName = "acme/bert".parse().unwrap();
        let sel: VersionSelector = ">=1, <2".parse().unwrap();
        let url = c.model_endpoint(&model, &["versions", &sel.to_string()]);
        assert_eq!(url.as_str(), "http://127.0.0.1:8080/v1/models/acme/bert/versions/%3E=1,%20%3C2");
        let url = c.model_endpoint(&model, &["versions", "^1.4"]);
        assert_eq!(
            url.path_segments().unwrap().collect::<Vec<_>>(),
            ["v1", "models", "acme", "bert", "versions", "^1.4"]
        );
    }

    #[test]
    fn lookup_queries_are_percent_encoded_pair_by_pair() {
        let c = client("http://127.0.0.1:8080/reg");
        let query = LookupQuery {
            q: Some("chat & code".into()),
            label: vec![("team".into(), "nlp/fr".into())],
            limit: 5,
            ..LookupQuery::default()
        };
        let url = c.lookup_url(&query);
        assert_eq!(url.path(), "/reg/v1/models");
        let pairs: Vec<(String, String)> = url.query_pairs().into_owned().collect();
        assert_eq!(
            pairs,
            [
                ("q".into(), "chat & code".into()),
                ("label".into(), "team:nlp/fr".into()),
                ("limit".into(), "5".into())
            ]
        );
        let bare = LookupQuery { limit: modelreg_api::DEFAULT_LIMIT, ..LookupQuery::default() };
        assert_eq!(c.lookup_url(&bare).as_str(), "http://127.0.0.1:8080/reg/v1/models");
    }

    #[test]
    fn a_base_path_prefix_is_kept() {
        let c = client("https://example.com/registry/");
        assert_eq!(
            c.endpoint(&["v1", "blobs", "missing"]).as_str(),
            "https://example.com/registry/v1/blobs/missing"
        );
        let c = client("https://example.com/registry");
        assert_eq!(c.endpoint(&["v1"]).as_str(), "https://example.com/registry/v1");
    }

    #[test]
    fn the_token_never_shows_in_debug_output() {
        let shown = format!("{:?}", client("http://localhost"));
        assert!(!shown.contains("secret-token"), "{shown}");
        assert!(shown.contains("redacted"), "{shown}");
    }

    #[test]
    fn non_http_registry_urls_are_refused() {
        let err = Client::new("ftp://example.com".parse().unwrap(), None).unwrap_err();
        assert!(err.to_string().contains("http://"), "{err}");
    }

    #[test]
    fn only_plain_http_to_another_host_sends_the_token_in_the_clear() {
        for (base, clear) in [
            ("http://registry.example.com", true),
            ("http://10.0.0.5:8080", true),
            ("http://[2001:db8::1]", true),
            ("http://127.0.0.1:8080", false),
            ("http://127.8.9.10", false),
            ("http://[::1]:80", false),
            ("http://LOCALHOST:1", false),
            ("https://registry.example.com", false),
        ] {
            assert_eq!(client(base).token_in_clear, clear, "{base}");
        }
        let anonymous = Client::new("http://registry.example.com".parse().unwrap(), None).unwrap();
        assert!(!anonymous.token_in_clear);
    }

    #[test]
    fn statuses_without_an_envelope_get_a_snake_case_code() {
        assert_eq!(code_of_status(StatusCode::BAD_GATEWAY), "bad_gateway");
        assert_eq!(code_of_status(StatusCode::NOT_FOUND), "not_found");
    }
}
