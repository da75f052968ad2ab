//! Large transfers as typed calls: upload sessions (create, status, part, complete) and blob
//! reads by byte range. A blob read follows the registry's redirect to a storage host
//! (a presigned URL) by hand, so that the token is sent to the registry only, never to
//! storage. Like the rest of `Client`, it sends requests and decodes answers; it never
//! touches files.

use modelreg_api::{BlobUploaded, CreateUploadRequest, Digest, PartUploaded, UploadSession};
use reqwest::header::{AUTHORIZATION, CONTENT_LENGTH, CONTENT_TYPE, LOCATION, RANGE};
use reqwest::{Method, Response, Url};

use super::{Client, Repeat, read_json};
use crate::error::ClientError;

/// Redirects followed for one blob read (registry -> storage is one).
const MAX_REDIRECTS: usize = 5;

impl Client {
    /// `POST /v1/uploads`: opens a session for a blob of `size` bytes, or learns that the
    /// registry holds it already (state `exists`).
    pub async fn create_upload(&self, digest: &Digest, size: u64) -> Result<UploadSession, ClientError> {
        let url = self.endpoint(&["v1", "uploads"]);
        let body = CreateUploadRequest { digest: *digest, size };
        let resp = self.send(self.request(Method::POST, &url).json(&body), &url).await?;
        read_json(resp, &url).await
    }

    /// `GET /v1/uploads/{id}`: the session and the parts the registry holds.
    pub async fn upload_status(&self, id: &str) -> Result<UploadSession, ClientError> {
        self.get_json(self.endpoint(&["v1", "uploads", id])).await
    }

    /// `PUT /v1/uploads/{id}/parts/{part}` with a streamed body of exactly `len` bytes, or
    /// a PUT to the part's presigned URL (without the token) when the session has them.
    pub async fn upload_part(
        &self,
        session: &UploadSession,
        part: u32,
        len: u64,
        body: reqwest::Body,
    ) -> Result<PartUploaded, ClientError> {
        let presigned = session.part_urls.as_ref().and_then(|urls| urls.get(part as usize - 1));
        if let Some(raw) = presigned {
            let url = Url::parse(raw).map_err(|e| ClientError::BadResponse {
                url: self.base.to_string(),
                reason: format!("part {part} has an invalid presigned URL: {e}"),
            })?;
            let req = self.direct.put(url.clone()).header(CONTENT_LENGTH, len).body(body);
            self.send(req, &url).await?;
            return Ok(PartUploaded { part, size: len });
        }
        let id = session.id.as_deref().ok_or_else(|| ClientError::BadResponse {
            url: self.base.to_string(),
            reason: "the upload session has no id".into(),
        })?;
        let url = self.endpoint(&["v1", "uploads", id, "parts", &part.to_string()]);
        let req = self
            .request(Method::PUT, &url)
            .header(CONTENT_TYPE, "application/octet-stream")
            .header(CONTENT_LENGTH, len)
            .body(body);
        let resp = self.send(req, &url).await?;
        read_json(resp, &url).await
    }

    /// `POST /v1/uploads/{id}/complete`: the registry checks the whole digest and publishes
    /// the blob (or aborts the session on a mismatch).
    pub async fn complete_upload(&self, id: &str) -> Result<BlobUploaded, ClientError> {
        let url = self.endpoint(&["v1", "uploads", id, "complete"]);
        let resp = self.send(self.request(Method::POST, &url), &url).await?;
        read_json(resp, &url).await
    }

    /// `GET /v1/blobs/{digest}` for bytes `start..end` (`end` = the end of the blob when
    /// `None`; no `Range` header at all for the whole blob). A redirect is followed by hand:
    /// the token goes along only to the registry's own origin. The answer is 200 or 206;
    /// the caller checks which and streams the body.
    pub async fn read_blob(
        &self,
        digest: &Digest,
        start: u64,
        end: Option<u64>,
    ) -> Result<Response, ClientError> {
        let range = match (start, end) {
            (0, None) => None,
            (start, None) => Some(format!("bytes={start}-")),
            (start, Some(end)) => Some(format!("bytes={start}-{}", end.saturating_sub(1))),
        };
        let mut url = self.endpoint(&["v1", "blobs", &digest.to_string()]);
        for _ in 0..=MAX_REDIRECTS {
            let mut req = self.direct.get(url.clone());
            if let Some(value) = &range {
                req = req.header(RANGE, value);
            }
            if let Some(auth) = &self.auth
                && same_origin(&url, &self.base)
            {
                self.warn_if_token_in_clear();
                req = req.header(AUTHORIZATION, auth.clone());
            }
            let resp = self.execute(req, &url, Repeat::ByMethod).await?;
            if !resp.status().is_redirection() {
                if resp.status().is_success() {
                    return Ok(resp);
                }
                return Err(self.api_error(resp).await);
            }
            url = redirect_target(&url, &resp)?;
        }
        Err(ClientError::BadResponse { url: url.to_string(), reason: "too many redirects".into() })
    }
}

/// Where a redirect points, resolved against the URL that answered it.
fn redirect_target(from: &Url, resp: &Response) -> Result<Url, ClientError> {
    let bad = |reason: String| ClientError::BadResponse { url: from.to_string(), reason };
    let location = resp
        .headers()
        .get(LOCATION)
        .ok_or_else(|| bad(format!("{} without a Location header", resp.status())))?
        .to_str()
        .map_err(|_| bad("the Location header is not text".into()))?;
    let next = from.join(location).map_err(|e| bad(format!("invalid Location '{location}': {e}")))?;
    if !matches!(next.scheme(), "http" | "https") {
        return Err(bad(format!("refusing to follow a redirect to '{}'", next.scheme())));
    }
    Ok(next)
}

/// Scheme, host and port equal: only then may the token travel.
fn same_origin(a: &Url, b: &Url) -> bool {
    a.scheme() == b.scheme()
        && a.host_str() == b.host_str()
        && a.port_or_known_default() == b.port_or_known_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_token_stays_with_the_registry_origin() {
        let registry: Url = "https://models.example.com/reg/".parse().unwrap();
        assert!(same_origin(&"https://models.example.com:443/other".parse().unwrap(), &registry));
        assert!(!same_origin(&"https://bucket.s3.example.com/x".parse().unwrap(), &registry));
        assert!(!same_origin(&"http://models.example.com/reg/".parse().unwrap(), &registry));
        assert!(!same_origin(&"https://models.example.com:8443/".parse().unwrap(), &registry));
    }
}
