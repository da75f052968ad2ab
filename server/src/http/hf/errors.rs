//! Errors as the Hub's clients read them: the status, `X-Error-Code` (`RepoNotFound`,
//! `RevisionNotFound`, `EntryNotFound`, `GatedRepo`) that picks the client's exception,
//! `X-Error-Message`, `X-Repo-Commit` where a revision was resolved, and a JSON body
//! `{"error": "..."}`. A registry error keeps its own status and headers (`Content-Range` on a
//! 416, `WWW-Authenticate`, `Retry-After`); 5xx say only "internal server error" (the cause is
//! logged once, by the registry error's own response).

use actix_web::body::BoxBody;
use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderName, HeaderValue};
use actix_web::{HttpRequest, HttpResponse, ResponseError};
use modelreg_api::CommitId;
use serde_json::json;

use crate::service::RegistryError;

pub const X_ERROR_CODE: &str = "x-error-code";
pub const X_ERROR_MESSAGE: &str = "x-error-message";
pub const X_REPO_COMMIT: &str = "x-repo-commit";

/// The Hub error codes the clients turn into exceptions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HfCode {
    RepoNotFound,
    RevisionNotFound,
    EntryNotFound,
    GatedRepo,
}

impl HfCode {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::RepoNotFound => "RepoNotFound",
            Self::RevisionNotFound => "RevisionNotFound",
            Self::EntryNotFound => "EntryNotFound",
            Self::GatedRepo => "GatedRepo",
        }
    }
}

/// An error answered on `/hf`.
#[derive(Debug)]
pub struct HfError {
    status: StatusCode,
    code: Option<HfCode>,
    message: String,
    commit: Option<CommitId>,
    /// The registry error this came from, whose own response supplies the extra headers.
    source: Option<Box<RegistryError>>,
}

impl std::fmt::Display for HfError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl HfError {
    /// An error of our own making (not from the registry).
    pub fn new(status: StatusCode, code: Option<HfCode>, message: impl Into<String>) -> Self {
        Self { status, code, message: message.into(), commit: None, source: None }
    }

    pub fn repo_not_found(repo: &str) -> Self {
        Self::new(StatusCode::NOT_FOUND, Some(HfCode::RepoNotFound), format!("repository '{repo}' not found"))
    }

    /// A path the resolved version does not have; the commit lets the client cache that.
    pub fn entry_not_found(path: &str, commit: CommitId) -> Self {
        Self::new(
            StatusCode::NOT_FOUND,
            Some(HfCode::EntryNotFound),
            format!("no file '{path}' in this revision"),
        )
        .with_commit(commit)
    }

    /// Adds `X-Repo-Commit`.
    pub fn with_commit(mut self, commit: CommitId) -> Self {
        self.commit = Some(commit);
        self
    }

    pub fn code(&self) -> Option<HfCode> {
        self.code
    }
}

impl From<RegistryError> for HfError {
    fn from(e: RegistryError) -> Self {
        let code = match &e {
            RegistryError::ModelNotFound(_) => Some(HfCode::RepoNotFound),
            RegistryError::VersionNotFound { .. } | RegistryError::AliasNotFound { .. } => {
                Some(HfCode::RevisionNotFound)
            }
            _ => None,
        };
        let status = e.status_code();
        let message =
            if status.is_server_error() { "internal server error".to_owned() } else { e.to_string() };
        Self { status, code, message, commit: None, source: Some(Box::new(e)) }
    }
}

/// A header value from any text: what is not visible ASCII becomes `?`, and it is cut at
/// 1000 bytes.
fn header_text(text: &str) -> HeaderValue {
    let clean: String =
        text.chars().take(1000).map(|c| if c.is_ascii_graphic() || c == ' ' { c } else { '?' }).collect();
    HeaderValue::from_str(&clean).unwrap_or_else(|_| HeaderValue::from_static("error"))
}

impl ResponseError for HfError {
    fn status_code(&self) -> StatusCode {
        self.status
    }

    fn error_response(&self) -> HttpResponse {
        let mut response = HttpResponse::build(self.status);
        if let Some(source) = &self.source {
            // Its response logs a 5xx (once) and carries the headers that belong to it.
            let base = source.error_response();
            for (name, value) in base.headers() {
                if name != header::CONTENT_TYPE && name != header::CONTENT_LENGTH {
                    response.append_header((name.clone(), value.clone()));
                }
            }
        }
        if let Some(code) = self.code {
            response.insert_header((
                HeaderName::from_static(X_ERROR_CODE),
                HeaderValue::from_static(code.as_str()),
            ));
        }
        response.insert_header((HeaderName::from_static(X_ERROR_MESSAGE), header_text(&self.message)));
        if let Some(commit) = self.commit {
            response.insert_header((HeaderName::from_static(X_REPO_COMMIT), commit.to_string()));
        }
        response.json(json!({ "error": self.message }))
    }
}

/// Unknown `/hf` routes: datasets and Spaces are repositories this registry does not have
/// (`RepoNotFound`); anything else is a plain 404.
pub async fn not_found(req: HttpRequest) -> Result<HttpResponse<BoxBody>, HfError> {
    let path = req.path().strip_prefix("/hf").unwrap_or(req.path());
    let other_kind = ["/datasets/", "/spaces/", "/api/datasets", "/api/spaces", "/kernels/", "/api/kernels"]
        .iter()
        .any(|p| path.starts_with(p));
    if other_kind {
        return Err(HfError::new(
            StatusCode::NOT_FOUND,
            Some(HfCode::RepoNotFound),
            "this registry serves models only: datasets, Spaces and kernels are not found here",
        ));
    }
    Err(HfError::new(StatusCode::NOT_FOUND, None, format!("no route for {} {}", req.method(), req.path())))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_text_keeps_visible_ascii_only() {
        assert_eq!(header_text("model 'a/b' not found"), "model 'a/b' not found");
        assert_eq!(header_text("caf\u{e9}\nx"), "caf??x");
    }
}
