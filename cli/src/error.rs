//! `ClientError`: every way a CLI operation can fail, its stable code for `--json`, and its
//! documented process exit code. Printing belongs to `main`, not here.

use modelreg_api::ErrorBody;
use reqwest::StatusCode;

/// What kind of failure an error is; each kind has one stable exit code (docs/cli.md).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FailureKind {
    /// Anything without a more specific kind.
    Generic,
    /// The command line was wrong (clap reports these itself).
    Usage,
    /// The model or version does not exist.
    NotFound,
    /// The version exists already with different content; versions are immutable.
    Conflict,
    /// The token is missing, wrong, or lacks the right scope.
    Auth,
    /// A digest or size did not match: a file changed during a push, or a download was bad.
    Integrity,
    /// The registry could not be reached or said it is temporarily unavailable.
    Unavailable,
}

impl FailureKind {
    /// The process exit code for this kind. Stable: scripts depend on it.
    pub fn exit_code(self) -> u8 {
        match self {
            Self::Generic => 1,
            Self::Usage => 2,
            Self::NotFound => 3,
            Self::Conflict => 4,
            Self::Auth => 5,
            Self::Integrity => 6,
            Self::Unavailable => 7,
        }
    }
}

/// An error of the CLI library: from the registry, the network, or the local machine.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    /// The registry answered with a non-2xx status; `error` is its decoded envelope (or one
    /// made up from the status when the body was not an envelope, e.g. from a proxy).
    /// `retry_after` is the delay its `Retry-After` header asked for, if any.
    #[error("{}", .error.message)]
    Api { status: StatusCode, error: ErrorBody, retry_after: Option<std::time::Duration> },
    /// The registry could not be reached at all (refused, DNS, TLS, timeout).
    #[error("cannot reach the registry at {url}: {reason}")]
    Unreachable { url: String, reason: String },
    /// A request failed after it was sent (connection dropped, bad body).
    #[error("request to {url} failed: {reason}")]
    Transport { url: String, reason: String },
    /// The registry answered 2xx with a body this client does not understand.
    #[error("unexpected response from {url}: {reason}")]
    BadResponse { url: String, reason: String },
    /// Content did not match its digest or size; the message names the path.
    #[error("{0}")]
    Integrity(String),
    /// A local file operation failed; the message names the path.
    #[error("{context}: {source}")]
    Io {
        context: String,
        #[source]
        source: std::io::Error,
    },
    /// The input is not acceptable (missing licence, bad metadata file, refused file, ...).
    #[error("{0}")]
    Invalid(String),
    /// The command cannot run as invoked (e.g. it would need a terminal to ask on); the
    /// same exit code as clap's own usage errors.
    #[error("{0}")]
    Usage(String),
    /// The person at the terminal said no; nothing was changed.
    #[error("{0}")]
    Aborted(String),
}

impl ClientError {
    /// Wraps an I/O error with what was being done and to which path.
    pub fn io(context: impl Into<String>, source: std::io::Error) -> Self {
        Self::Io { context: context.into(), source }
    }

    /// The kind of failure, which decides the exit code.
    pub fn kind(&self) -> FailureKind {
        match self {
            Self::Api { status, error, .. } => kind_of_status(*status, &error.code),
            Self::Unreachable { .. } => FailureKind::Unavailable,
            Self::Integrity(_) => FailureKind::Integrity,
            Self::Usage(_) => FailureKind::Usage,
            Self::Transport { .. }
            | Self::BadResponse { .. }
            | Self::Io { .. }
            | Self::Invalid(_)
            | Self::Aborted(_) => FailureKind::Generic,
        }
    }

    /// The process exit code (see docs/cli.md).
    pub fn exit_code(&self) -> u8 {
        self.kind().exit_code()
    }

    /// A stable snake_case code for `--json` output: the registry's own code for API errors.
    pub fn code(&self) -> &str {
        match self {
            Self::Api { error, .. } => &error.code,
            Self::Unreachable { .. } => "unreachable",
            Self::Transport { .. } => "transport",
            Self::BadResponse { .. } => "bad_response",
            Self::Integrity(_) => "integrity",
            Self::Io { .. } => "io",
            Self::Invalid(_) => "invalid_input",
            Self::Usage(_) => "usage",
            Self::Aborted(_) => "aborted",
        }
    }

    /// The registry's error code, if this error came from the registry.
    pub fn api_code(&self) -> Option<&str> {
        match self {
            Self::Api { error, .. } => Some(&error.code),
            _ => None,
        }
    }

    /// The message as shown to the user (after `error: `), with the cause chain of local
    /// errors folded in.
    pub fn to_body(&self) -> ErrorBody {
        let details = match self {
            Self::Api { error, .. } => error.details.clone(),
            _ => None,
        };
        ErrorBody { code: self.code().to_owned(), message: self.to_string(), details }
    }
}

/// Maps an HTTP status (and the registry's code, for 400s) to a failure kind.
fn kind_of_status(status: StatusCode, code: &str) -> FailureKind {
    match status.as_u16() {
        404 => FailureKind::NotFound,
        409 => FailureKind::Conflict,
        401 | 403 => FailureKind::Auth,
        502..=504 => FailureKind::Unavailable,
        400 if matches!(code, "digest_mismatch" | "size_mismatch") => FailureKind::Integrity,
        _ => FailureKind::Generic,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn api(status: u16, code: &str) -> ClientError {
        ClientError::Api {
            status: StatusCode::from_u16(status).unwrap(),
            error: ErrorBody { code: code.into(), message: "m".into(), details: None },
            retry_after: None,
        }
    }

    #[test]
    fn http_statuses_map_to_documented_exit_codes() {
        assert_eq!(api(404, "version_not_found").exit_code(), 3);
        assert_eq!(api(404, "model_not_found").exit_code(), 3);
        assert_eq!(api(409, "version_conflict").exit_code(), 4);
        assert_eq!(api(409, "version_deleted").exit_code(), 4);
        assert_eq!(api(409, "version_yanked").exit_code(), 4);
        assert_eq!(api(404, "alias_not_found").exit_code(), 3);
        assert_eq!(api(404, "token_not_found").exit_code(), 3);
        assert_eq!(api(401, "unauthorized").exit_code(), 5);
        assert_eq!(api(403, "forbidden").exit_code(), 5);
        assert_eq!(api(400, "digest_mismatch").exit_code(), 6);
        assert_eq!(api(400, "size_mismatch").exit_code(), 6);
        assert_eq!(api(502, "bad_gateway").exit_code(), 7);
        assert_eq!(api(503, "unavailable").exit_code(), 7);
        assert_eq!(api(504, "gateway_timeout").exit_code(), 7);
        assert_eq!(api(500, "internal").exit_code(), 1);
        assert_eq!(api(400, "invalid_manifest").exit_code(), 1);
        assert_eq!(api(422, "missing_blobs").exit_code(), 1);
        assert_eq!(api(413, "blob_too_large").exit_code(), 1);
    }

    #[test]
    fn local_failures_map_to_documented_exit_codes() {
        let unreachable = ClientError::Unreachable { url: "http://x".into(), reason: "refused".into() };
        assert_eq!(unreachable.exit_code(), 7);
        assert_eq!(ClientError::Integrity("bad".into()).exit_code(), 6);
        assert_eq!(ClientError::Invalid("no licence".into()).exit_code(), 1);
        assert_eq!(ClientError::io("reading x", std::io::Error::other("boom")).exit_code(), 1);
        assert_eq!(FailureKind::Usage.exit_code(), 2);
        assert_eq!(ClientError::Usage("needs a terminal".into()).exit_code(), 2);
        assert_eq!(ClientError::Usage("x".into()).code(), "usage");
        assert_eq!(ClientError::Aborted("no".into()).exit_code(), 1);
    }

    #[test]
    fn api_errors_show_the_registry_message_and_code() {
        let err = api(404, "version_not_found");
        assert_eq!(err.to_string(), "m");
        let body = err.to_body();
        assert_eq!((body.code.as_str(), body.message.as_str()), ("version_not_found", "m"));
    }
}
