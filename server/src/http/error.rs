//! Maps `RegistryError` to HTTP: one exhaustive match gives each variant its stable code,
//! another each code its status (the OpenAPI document lists codes per status from it), and
//! unknown routes and wrong methods answer in the same JSON envelope. 5xx
//! bodies say only "internal server error"; the cause is logged here, once.

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::HeaderValue;
use actix_web::http::{Method, StatusCode, header};
use actix_web::middleware::Next;
use actix_web::{HttpRequest, HttpResponse, Resource, ResponseError, Route, web};
use modelreg_api::{ContradictionDetails, ErrorCode, ErrorEnvelope, InvalidQueryDetails};
use serde_json::json;

use crate::service::RegistryError;

/// The status every response with this code has.
pub(super) fn status_of(code: ErrorCode) -> StatusCode {
    use ErrorCode as C;
    match code {
        C::InvalidQuery
        | C::InvalidJson
        | C::InvalidModelName
        | C::InvalidVersion
        | C::InvalidSelector
        | C::InvalidAlias
        | C::InvalidDigest
        | C::InvalidContentLength
        | C::InvalidSize
        | C::InvalidPart
        | C::InvalidReason
        | C::InvalidTokenName
        | C::InvalidNamespaces
        | C::InvalidExpiry
        | C::TokenNameTaken
        | C::TooManyDigests
        | C::InvalidOid
        | C::InvalidCommit
        | C::InvalidOperation
        | C::InvalidBranch
        | C::InvalidTag
        | C::InvalidRepo
        | C::InvalidRevision
        | C::TooManyObjects
        | C::DigestMismatch
        | C::SizeMismatch
        | C::BodyInterrupted => StatusCode::BAD_REQUEST,
        C::Unauthorized => StatusCode::UNAUTHORIZED,
        C::Forbidden => StatusCode::FORBIDDEN,
        C::ModelNotFound
        | C::VersionNotFound
        | C::BlobNotFound
        | C::UploadNotFound
        | C::AliasNotFound
        | C::TokenNotFound
        | C::NotFound => StatusCode::NOT_FOUND,
        C::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
        C::BodyTimeout | C::BodyTooSlow => StatusCode::REQUEST_TIMEOUT,
        C::PartOutOfOrder
        | C::PartConflict
        | C::UploadIncomplete
        | C::VersionConflict
        | C::VersionYanked
        | C::VersionDeleted
        | C::AlreadyExists => StatusCode::CONFLICT,
        C::LengthRequired => StatusCode::LENGTH_REQUIRED,
        C::StaleParent => StatusCode::PRECONDITION_FAILED,
        C::BlobTooLarge | C::BodyTooLarge | C::PartTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
        C::RangeNotSatisfiable => StatusCode::RANGE_NOT_SATISFIABLE,
        C::InvalidManifest | C::FileHeaderTooLarge | C::MissingBlobs => StatusCode::UNPROCESSABLE_ENTITY,
        C::TooManyUploads => StatusCode::TOO_MANY_REQUESTS,
        C::Internal => StatusCode::INTERNAL_SERVER_ERROR,
        C::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
    }
}

impl RegistryError {
    /// The stable code of each variant.
    pub(super) fn code(&self) -> ErrorCode {
        match self {
            Self::Invalid { code, .. } => code.error_code(),
            Self::InvalidQuery { .. } => ErrorCode::InvalidQuery,
            Self::InvalidManifest(_) | Self::Contradicted(_) => ErrorCode::InvalidManifest,
            Self::FileHeaderTooLarge { .. } => ErrorCode::FileHeaderTooLarge,
            Self::MissingBlobs(_) => ErrorCode::MissingBlobs,
            Self::DigestMismatch { .. } => ErrorCode::DigestMismatch,
            Self::SizeMismatch { .. } => ErrorCode::SizeMismatch,
            Self::BodyInterrupted(_) => ErrorCode::BodyInterrupted,
            Self::BodyTimeout { .. } => ErrorCode::BodyTimeout,
            Self::BodyTooSlow { .. } => ErrorCode::BodyTooSlow,
            Self::BlobTooLarge { .. } => ErrorCode::BlobTooLarge,
            Self::BodyTooLarge { .. } => ErrorCode::BodyTooLarge,
            Self::LengthRequired => ErrorCode::LengthRequired,
            Self::RangeNotSatisfiable { .. } => ErrorCode::RangeNotSatisfiable,
            Self::ModelNotFound(_) => ErrorCode::ModelNotFound,
            Self::VersionNotFound { .. } => ErrorCode::VersionNotFound,
            Self::BlobNotFound(_) => ErrorCode::BlobNotFound,
            Self::UploadNotFound(_) => ErrorCode::UploadNotFound,
            Self::PartTooLarge { .. } => ErrorCode::PartTooLarge,
            Self::PartOutOfOrder { .. } => ErrorCode::PartOutOfOrder,
            Self::PartConflict { .. } => ErrorCode::PartConflict,
            Self::UploadIncomplete { .. } => ErrorCode::UploadIncomplete,
            Self::TooManyUploads { .. } => ErrorCode::TooManyUploads,
            Self::VersionConflict { .. } => ErrorCode::VersionConflict,
            Self::VersionYanked { .. } => ErrorCode::VersionYanked,
            Self::VersionDeleted { .. } => ErrorCode::VersionDeleted,
            Self::StaleParent { .. } => ErrorCode::StaleParent,
            Self::RefExists { .. } => ErrorCode::AlreadyExists,
            Self::AliasNotFound { .. } => ErrorCode::AliasNotFound,
            Self::TokenNotFound(_) => ErrorCode::TokenNotFound,
            Self::Unauthorized(_) => ErrorCode::Unauthorized,
            Self::Forbidden(_) => ErrorCode::Forbidden,
            Self::Unavailable(_) => ErrorCode::Unavailable,
            Self::Internal(_) => ErrorCode::Internal,
        }
    }

    fn details(&self) -> Option<serde_json::Value> {
        match self {
            Self::InvalidQuery { parameter, .. } => {
                Some(json!(InvalidQueryDetails { parameter: parameter.clone() }))
            }
            Self::MissingBlobs(missing) => Some(json!({ "missing": missing })),
            Self::Contradicted(c) => Some(json!(ContradictionDetails { contradictions: c.0.clone() })),
            Self::FileHeaderTooLarge { path, limit, max, .. } => {
                Some(json!({ "path": path, "limit": limit, "max": max }))
            }
            Self::VersionConflict { existing, .. } => Some(json!({ "existing_digest": existing })),
            Self::PartOutOfOrder { next, .. } => Some(json!({ "next_part": next })),
            Self::UploadIncomplete { missing } => Some(json!({ "missing": missing })),
            Self::TooManyUploads { max, .. } => Some(json!({ "max_open_sessions": max })),
            _ => None,
        }
    }
}

impl ResponseError for RegistryError {
    fn status_code(&self) -> StatusCode {
        status_of(self.code())
    }

    fn error_response(&self) -> HttpResponse {
        let code = self.code();
        let status = status_of(code);
        let message = if status.is_server_error() {
            tracing::error!(error = %ErrorChain(self), http.status = status.as_u16(), "request failed");
            match self {
                Self::Unavailable(_) => self.to_string(),
                _ => "internal server error".to_owned(),
            }
        } else {
            self.to_string()
        };
        let mut envelope = ErrorEnvelope::new(code.as_str(), message);
        envelope.error.details = self.details();
        let mut response = HttpResponse::build(status);
        if let Self::RangeNotSatisfiable { size } = self {
            response.insert_header((header::CONTENT_RANGE, format!("bytes */{size}")));
        }
        if let Self::TooManyUploads { retry_after_secs, .. } = self {
            response.insert_header((header::RETRY_AFTER, retry_after_secs.to_string()));
        }
        if let Self::Unauthorized(_) = self {
            response.insert_header((header::WWW_AUTHENTICATE, "Bearer"));
        }
        if let Self::BodyTimeout { .. } | Self::BodyTooSlow { .. } = self {
            // The rest of the body may still arrive: the connection cannot carry another
            // request, so it is closed once this answer is sent.
            response.force_close();
        }
        response.json(envelope)
    }
}

/// How long a `503` asks clients to wait before they retry, in seconds (app data, from
/// `server.retry_after_secs`; [`RetryAfter::DEFAULT`] when absent).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryAfter(pub u64);

impl RetryAfter {
    pub const DEFAULT: Self = Self(5);
}

/// The middleware (`App::wrap(from_fn(retry_after))`) that gives every `503` a
/// `Retry-After` header, whichever route or layer produced it, unless it has one already.
pub async fn retry_after(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let secs = req.app_data::<web::Data<RetryAfter>>().map_or(RetryAfter::DEFAULT, |r| *r.get_ref()).0;
    let mut res = next.call(req).await?;
    if res.status() == StatusCode::SERVICE_UNAVAILABLE && !res.headers().contains_key(header::RETRY_AFTER) {
        res.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(secs));
    }
    Ok(res)
}

/// Displays an error and all its sources, for the one log line a 5xx gets.
struct ErrorChain<'a>(&'a (dyn std::error::Error + 'static));

impl std::fmt::Display for ErrorChain<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.0)?;
        let mut source = self.0.source();
        while let Some(s) = source {
            write!(f, ": {s}")?;
            source = s.source();
        }
        Ok(())
    }
}

fn envelope(code: ErrorCode, message: String) -> HttpResponse {
    HttpResponse::build(status_of(code)).json(ErrorEnvelope::new(code.as_str(), message))
}

pub async fn route_not_found(req: HttpRequest) -> HttpResponse {
    envelope(ErrorCode::NotFound, format!("no route for {} {}", req.method(), req.path()))
}

/// A resource at `path` answering each method with its route; any other method gets 405 in the
/// envelope with the `Allow` header RFC 9110 requires, listing exactly the methods registered
/// here (so the header cannot drift from the routes, nor from the document rendered from them).
pub fn resource(path: &str, routes: Vec<(Method, Route)>) -> Resource {
    let allow = routes.iter().map(|(m, _)| m.as_str()).collect::<Vec<_>>().join(", ");
    let allow = header::HeaderValue::from_str(&allow).expect("method names are valid header text");
    let refuse = move |req: HttpRequest| {
        let allow = allow.clone();
        async move {
            let mut response = envelope(
                ErrorCode::MethodNotAllowed,
                format!("method {} is not allowed on {}", req.method(), req.path()),
            );
            response.headers_mut().insert(header::ALLOW, allow);
            response
        }
    };
    routes
        .into_iter()
        .fold(web::resource(path).default_service(web::to(refuse)), |r, (_, route)| r.route(route))
}
