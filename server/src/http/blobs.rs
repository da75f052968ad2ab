//! Blob routes: which digests are missing, streamed verified upload, and ranged download, each
//! for the calling token (a digest is not a key: see `service::visibility`).

use actix_web::body::SizedStream;
use actix_web::http::{StatusCode, header};
use actix_web::{HttpRequest, HttpResponse, HttpResponseBuilder, web};
use futures_util::stream;
use modelreg_api::{BlobUploaded, Digest, MAX_MISSING_QUERY, MissingBlobsRequest, MissingBlobsResponse};

use super::auth::{Auth, Read, Write};
use super::body::{Body, JsonLimit, read_request};
use super::paths::DigestPath;
use crate::service::{BlobRead, RangeRequest, Registry, RegistryError};

fn parse_digest(raw: &str) -> Result<Digest, RegistryError> {
    raw.parse().map_err(|e: modelreg_api::DigestError| RegistryError::Invalid {
        code: crate::service::InvalidCode::InvalidDigest,
        message: e.to_string(),
    })
}

pub async fn missing(
    registry: web::Data<Registry>,
    auth: Auth<Write>,
    limit: web::Data<JsonLimit>,
    body: Body,
) -> Result<HttpResponse, RegistryError> {
    let request: MissingBlobsRequest = read_request(body, limit.0).await?;
    if request.digests.len() > MAX_MISSING_QUERY {
        return Err(RegistryError::Invalid {
            code: crate::service::InvalidCode::TooManyDigests,
            message: format!("digests: at most {MAX_MISSING_QUERY} per request"),
        });
    }
    let missing = registry.missing_blobs(auth.writer()?, request.digests).await?;
    Ok(HttpResponse::Ok().json(MissingBlobsResponse { missing }))
}

pub async fn upload(
    registry: web::Data<Registry>,
    auth: Auth<Write>,
    path: web::Path<DigestPath>,
    req: HttpRequest,
    body: Body,
) -> Result<HttpResponse, RegistryError> {
    let digest = parse_digest(&path.digest)?;
    let size = content_length(&req)?;
    let created = registry.upload_blob(auth.writer()?, digest, size, body).await?;
    let status = if created { StatusCode::CREATED } else { StatusCode::OK };
    Ok(HttpResponse::build(status).json(BlobUploaded { digest, size, created }))
}

pub async fn download(
    registry: web::Data<Registry>,
    auth: Auth<Read>,
    path: web::Path<DigestPath>,
    req: HttpRequest,
) -> Result<HttpResponse, RegistryError> {
    let digest = parse_digest(&path.digest)?;
    if let Some(url) = registry.blob_redirect(auth.caller(), &digest).await? {
        // S3 serves the bytes (and honours Range) from a short-lived presigned URL.
        return Ok(HttpResponse::Found()
            .insert_header((header::LOCATION, url))
            .insert_header((header::CACHE_CONTROL, "no-store"))
            .finish());
    }
    let read = registry.read_blob(auth.caller(), &digest, requested_range(&req)).await?;
    Ok(ranged_body(|status| blob_response(&digest, status), read))
}

pub async fn head(
    registry: web::Data<Registry>,
    auth: Auth<Read>,
    path: web::Path<DigestPath>,
) -> Result<HttpResponse, RegistryError> {
    let digest = parse_digest(&path.digest)?;
    let size = registry.blob_size(auth.caller(), &digest).await?;
    let empty = stream::empty::<Result<bytes::Bytes, std::convert::Infallible>>();
    Ok(blob_response(&digest, StatusCode::OK).body(SizedStream::new(size, empty)))
}

fn blob_response(digest: &Digest, status: StatusCode) -> HttpResponseBuilder {
    let mut response = HttpResponse::build(status);
    response
        .content_type("application/octet-stream")
        .insert_header((header::ACCEPT_RANGES, "bytes"))
        .insert_header((header::ETAG, format!("\"{digest}\"")))
        .insert_header(("Docker-Content-Digest", digest.to_string()))
        .insert_header((header::CACHE_CONTROL, "private, max-age=31536000, immutable"));
    response
}

pub(super) fn content_length(req: &HttpRequest) -> Result<u64, RegistryError> {
    let raw = req.headers().get(header::CONTENT_LENGTH).ok_or(RegistryError::LengthRequired)?;
    raw.to_str().ok().and_then(|s| s.parse().ok()).ok_or(RegistryError::Invalid {
        code: crate::service::InvalidCode::InvalidContentLength,
        message: "Content-Length must be a non-negative integer".into(),
    })
}

/// Parses a single-range `Range` header. Anything else (several ranges, other units, bad
/// syntax) is ignored, which per RFC 9110 means serving the whole blob.
/// The request's single `Range: bytes=...`, if it has one this server serves (else the whole
/// blob is sent, as HTTP allows).
pub(super) fn requested_range(req: &HttpRequest) -> Option<RangeRequest> {
    req.headers().get(header::RANGE).and_then(|v| v.to_str().ok()).and_then(parse_range)
}

/// The response to an open blob read: `206` with `Content-Range` for a range, else `200`,
/// the body sized to what is sent. `start` gives the builder its other headers per status.
pub(super) fn ranged_body(
    start: impl FnOnce(StatusCode) -> HttpResponseBuilder,
    read: BlobRead,
) -> HttpResponse {
    let status = if read.range.is_some() { StatusCode::PARTIAL_CONTENT } else { StatusCode::OK };
    let mut response = start(status);
    let len = match read.range {
        Some(r) => {
            response.insert_header((
                header::CONTENT_RANGE,
                format!("bytes {}-{}/{}", r.start, r.end - 1, read.size),
            ));
            r.end - r.start
        }
        None => read.size,
    };
    response.body(SizedStream::new(len, read.stream))
}

fn parse_range(raw: &str) -> Option<RangeRequest> {
    let spec = raw.trim().strip_prefix("bytes=")?.trim();
    if spec.contains(',') {
        return None;
    }
    let (first, last) = spec.split_once('-')?;
    let (first, last) = (first.trim(), last.trim());
    if first.is_empty() {
        return last.parse().ok().map(RangeRequest::Suffix);
    }
    let start = first.parse().ok()?;
    let last = if last.is_empty() { None } else { Some(last.parse().ok()?) };
    Some(RangeRequest::From { start, last })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn range_headers_parse_single_ranges_only() {
        assert_eq!(parse_range("bytes=0-99"), Some(RangeRequest::From { start: 0, last: Some(99) }));
        assert_eq!(parse_range("bytes=100-"), Some(RangeRequest::From { start: 100, last: None }));
        assert_eq!(parse_range("bytes=-5"), Some(RangeRequest::Suffix(5)));
        assert_eq!(parse_range("bytes=0-1,5-6"), None);
        assert_eq!(parse_range("items=0-1"), None);
        assert_eq!(parse_range("bytes=a-b"), None);
    }
}
