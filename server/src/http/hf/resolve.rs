//! `HEAD`/`GET /{namespace}/{name}/resolve/{revision}/{path}`: a file of the version a
//! revision names. The etag is the file's sha256 (`ETag` and `X-Linked-Etag`), so the clients'
//! caches share identical files across versions; `X-Linked-Size` and `X-Repo-Commit` go on
//! every answer. With `blobs.presign` on, both methods redirect to a presigned URL on the
//! storage host (the clients send no token there); otherwise the bytes stream from here, a
//! `Range` answering `206` with `Content-Range` (resume, safetensors headers) or `416`.

use actix_web::body::SizedStream;
use actix_web::http::{Method, StatusCode, header};
use actix_web::{HttpRequest, HttpResponse, HttpResponseBuilder, web};
use futures_util::stream;
use modelreg_api::{CommitId, FileEntry};

use super::auth::HfAuth;
use super::errors::{HfError, X_REPO_COMMIT};
use super::revisions::repo_version;
use crate::http::auth::Read;
use crate::http::blobs::{ranged_body, requested_range};
use crate::service::Registry;
use crate::service::hf::Revision;

/// The headers every answer about a file carries.
fn file_headers(
    status: StatusCode,
    entry: &FileEntry,
    commit: CommitId,
    immutable: bool,
) -> HttpResponseBuilder {
    let mut response = HttpResponse::build(status);
    let etag = format!("\"{}\"", entry.digest.hex());
    response
        .insert_header((header::ETAG, etag.clone()))
        .insert_header(("X-Linked-Etag", etag))
        .insert_header(("X-Linked-Size", entry.size.to_string()))
        .insert_header((X_REPO_COMMIT, commit.to_string()))
        .insert_header((header::ACCEPT_RANGES, "bytes"))
        // A commit id always names the same bytes; a branch (`main`, an alias) moves.
        .insert_header((
            header::CACHE_CONTROL,
            if immutable { "private, max-age=31536000, immutable" } else { "private, no-cache" },
        ));
    response
}

pub async fn resolve(
    registry: web::Data<Registry>,
    auth: HfAuth<Read>,
    path: web::Path<(String, String, String, String)>,
    req: HttpRequest,
) -> Result<HttpResponse, HfError> {
    let (namespace, name, revision, file) = path.into_inner();
    let (_, version) = repo_version(&registry, &auth, &namespace, &name, &revision).await?;
    let commit = version.commit;
    let Some(entry) = version.file(&file).cloned() else {
        return Err(HfError::entry_not_found(&file, commit));
    };
    let immutable = matches!(Revision::parse(&revision), Revision::Commit(_));
    let caller = auth.0.caller();
    let redirect = registry
        .blob_redirect(caller, &entry.digest)
        .await
        .map_err(|e| HfError::from(e).with_commit(commit))?;
    if let Some(url) = redirect {
        return Ok(file_headers(StatusCode::FOUND, &entry, commit, false)
            .insert_header((header::LOCATION, url))
            .insert_header((header::CACHE_CONTROL, "no-store"))
            .finish());
    }
    if req.method() == Method::HEAD {
        let empty = stream::empty::<Result<bytes::Bytes, std::convert::Infallible>>();
        return Ok(file_headers(StatusCode::OK, &entry, commit, immutable)
            .content_type("application/octet-stream")
            .body(SizedStream::new(entry.size, empty)));
    }
    let read = registry
        .read_blob(caller, &entry.digest, requested_range(&req))
        .await
        .map_err(|e| HfError::from(e).with_commit(commit))?;
    Ok(ranged_body(
        |status| {
            let mut response = file_headers(status, &entry, commit, immutable);
            response.content_type("application/octet-stream");
            response
        },
        read,
    ))
}
