//! Maps `RegistryError` to HTTP: one exhaustive match gives each variant its status and
//! stable code, and unknown routes and wrong methods answer in the same JSON envelope. 5xx
//! bodies say only "internal server error"; the cause is logged here, once.

use actix_web::http::{StatusCode, header};
use actix_web::{HttpRequest, HttpResponse, ResponseError};
use modelreg_api::{ContradictionDetails, ErrorEnvelope, InvalidQueryDetails};
use serde_json::json;

use crate::service::RegistryError;

impl RegistryError {
    /// Status and stable snake_case code of each variant.
    fn status_and_code(&self) -> (StatusCode, &'static str) {
        match self {
            Self::Invalid { code, .. } => (StatusCode::BAD_REQUEST, code),
            Self::InvalidQuery { .. } => (StatusCode::BAD_REQUEST, "invalid_query"),
            Self::InvalidManifest(_) | Self::Contradicted(_) => {
                (StatusCode::UNPROCESSABLE_ENTITY, "invalid_manifest")
            }
            Self::FileHeaderTooLarge { .. } => (StatusCode::UNPROCESSABLE_ENTITY, "file_header_too_large"),
            Self::MissingBlobs(_) => (StatusCode::UNPROCESSABLE_ENTITY, "missing_blobs"),
            Self::DigestMismatch { .. } => (StatusCode::BAD_REQUEST, "digest_mismatch"),
            Self::SizeMismatch { .. } => (StatusCode::BAD_REQUEST, "size_mismatch"),
            Self::BodyInterrupted(_) => (StatusCode::BAD_REQUEST, "body_interrupted"),
            Self::BodyTimeout { .. } => (StatusCode::REQUEST_TIMEOUT, "body_timeout"),
            Self::BodyTooSlow { .. } => (StatusCode::REQUEST_TIMEOUT, "body_too_slow"),
            Self::BlobTooLarge { .. } => (StatusCode::PAYLOAD_TOO_LARGE, "blob_too_large"),
            Self::BodyTooLarge { .. } => (StatusCode::PAYLOAD_TOO_LARGE, "body_too_large"),
            Self::LengthRequired => (StatusCode::LENGTH_REQUIRED, "length_required"),
            Self::RangeNotSatisfiable { .. } => (StatusCode::RANGE_NOT_SATISFIABLE, "range_not_satisfiable"),
            Self::ModelNotFound(_) => (StatusCode::NOT_FOUND, "model_not_found"),
            Self::VersionNotFound { .. } => (StatusCode::NOT_FOUND, "version_not_found"),
            Self::BlobNotFound(_) => (StatusCode::NOT_FOUND, "blob_not_found"),
            Self::UploadNotFound(_) => (StatusCode::NOT_FOUND, "upload_not_found"),
            Self::PartTooLarge { .. } => (StatusCode::PAYLOAD_TOO_LARGE, "part_too_large"),
            Self::PartOutOfOrder { .. } => (StatusCode::CONFLICT, "part_out_of_order"),
            Self::PartConflict { .. } => (StatusCode::CONFLICT, "part_conflict"),
            Self::UploadIncomplete { .. } => (StatusCode::CONFLICT, "upload_incomplete"),
            Self::TooManyUploads { .. } => (StatusCode::TOO_MANY_REQUESTS, "too_many_uploads"),
            Self::VersionConflict { .. } => (StatusCode::CONFLICT, "version_conflict"),
            Self::VersionYanked { .. } => (StatusCode::CONFLICT, "version_yanked"),
            Self::VersionDeleted { .. } => (StatusCode::CONFLICT, "version_deleted"),
            Self::StaleParent { .. } => (StatusCode::PRECONDITION_FAILED, "stale_parent"),
            Self::RefExists { .. } => (StatusCode::CONFLICT, "already_exists"),
            Self::AliasNotFound { .. } => (StatusCode::NOT_FOUND, "alias_not_found"),
            Self::TokenNotFound(_) => (StatusCode::NOT_FOUND, "token_not_found"),
            Self::Unauthorized(_) => (StatusCode::UNAUTHORIZED, "unauthorized"),
            Self::Forbidden(_) => (StatusCode::FORBIDDEN, "forbidden"),
            Self::Unavailable(_) => (StatusCode::SERVICE_UNAVAILABLE, "unavailable"),
            Self::Internal(_) => (StatusCode::INTERNAL_SERVER_ERROR, "internal"),
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
        self.status_and_code().0
    }

    fn error_response(&self) -> HttpResponse {
        let (status, code) = self.status_and_code();
        let message = if status.is_server_error() {
            tracing::error!(error = %ErrorChain(self), http.status = status.as_u16(), "request failed");
            match self {
                Self::Unavailable(_) => self.to_string(),
                _ => "internal server error".to_owned(),
            }
        } else {
            self.to_string()
        };
        let mut envelope = ErrorEnvelope::new(code, message);
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

fn envelope(status: StatusCode, code: &str, message: String) -> HttpResponse {
    HttpResponse::build(status).json(ErrorEnvelope::new(code, message))
}

pub async fn route_not_found(req: HttpRequest) -> HttpResponse {
    envelope(StatusCode::NOT_FOUND, "not_found", format!("no route for {} {}", req.method(), req.path()))
}

/// The default service of a resource that answers the methods in `allow` (e.g. `"GET, HEAD"`):
/// any other method gets 405 in the envelope, with the `Allow` header RFC 9110 requires.
pub fn method_not_allowed(allow: &'static str) -> actix_web::Route {
    actix_web::web::to(move |req: HttpRequest| async move {
        let mut response = envelope(
            StatusCode::METHOD_NOT_ALLOWED,
            "method_not_allowed",
            format!("method {} is not allowed on {}", req.method(), req.path()),
        );
        response.headers_mut().insert(header::ALLOW, header::HeaderValue::from_static(allow));
        response
    })
}
