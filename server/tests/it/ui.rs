//! The web UI through the real route table, in process: each page's status and the facts it
//! shows, visibility for namespace-limited tokens and sessions, inert hostile content, security
//! headers, error pages, the hashed static assets, and sign-in/out with browser sessions.

mod compare;
mod model;
mod model_facts;
mod search;
mod security;
mod session;
mod session_visibility;
mod visibility;

use actix_web::dev::{Service, ServiceResponse};
use actix_web::test;
use serde_json::Value;

use crate::http::{Harness, bearer};
use crate::support::{body, digest_of, root};

/// Publishes `model@version` with one small file (distinct per call) and `metadata`.
pub async fn publish(h: &Harness, model: &str, version: &str, metadata: Value) {
    let data = format!("{model}@{version}").into_bytes();
    let size = data.len() as u64;
    h.registry.upload_blob(&root(), digest_of(&data), size, body(&data, 64)).await.unwrap();
    let manifest = serde_json::from_value(serde_json::json!({
        "files": [{ "path": "weights.bin", "digest": digest_of(&data), "size": size }], "metadata": metadata
    }))
    .unwrap();
    h.registry.publish(&root(), &model.parse().unwrap(), &version.parse().unwrap(), manifest).await.unwrap();
}

/// A fetched page: status, headers and body text.
pub struct Fetched {
    pub status: u16,
    pub headers: actix_web::http::header::HeaderMap,
    pub body: String,
}

impl Fetched {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).map(|v| v.to_str().unwrap())
    }

    /// The body with HTML's `&amp;` undone, for following links.
    pub fn href_after(&self, marker: &str) -> Option<String> {
        let at = self.body.find(marker)?;
        let start = self.body[..at].rfind("href=\"")? + 6;
        let end = start + self.body[start..].find('"')?;
        Some(self.body[start..end].replace("&amp;", "&"))
    }
}

pub async fn fetch(
    app: &impl Service<actix_http::Request, Response = ServiceResponse, Error = actix_web::Error>,
    uri: &str,
    token: Option<&str>,
) -> Fetched {
    let mut req = test::TestRequest::get().uri(uri);
    if let Some(t) = token {
        req = req.insert_header(bearer(t));
    }
    send(app, req).await
}

/// Sends any request and reads the answer.
pub async fn send(
    app: &impl Service<actix_http::Request, Response = ServiceResponse, Error = actix_web::Error>,
    req: test::TestRequest,
) -> Fetched {
    let resp = test::call_service(app, req.to_request()).await;
    let status = resp.status().as_u16();
    let headers = resp.headers().clone();
    let body = String::from_utf8(test::read_body(resp).await.to_vec()).unwrap();
    Fetched { status, headers, body }
}

/// The HTML row (`<tr>...</tr>`) containing `marker`.
pub fn row_with<'a>(body: &'a str, marker: &str) -> &'a str {
    let at = body.find(marker).unwrap_or_else(|| panic!("no {marker} in {body}"));
    let start = body[..at].rfind("<tr").unwrap();
    let end = at + body[at..].find("</tr>").unwrap();
    &body[start..end]
}
