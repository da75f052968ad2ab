//! The JSON error envelope every non-2xx response carries:
//! `{"error": {"code": "snake_case_code", "message": "...", "details": ...}}`.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct ErrorEnvelope {
    pub error: ErrorBody,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct ErrorBody {
    /// Stable, machine-readable snake_case code, e.g. `version_conflict`.
    pub code: String,
    /// Human-readable explanation naming the offending field.
    pub message: String,
    /// Structured extra information, e.g. the missing digests of a publish.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub details: Option<serde_json::Value>,
}

/// The `details` of an `invalid_query` error: the query parameter that was refused, as sent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct InvalidQueryDetails {
    pub parameter: String,
}

impl ErrorEnvelope {
    pub fn new(code: impl Into<String>, message: impl Into<String>) -> Self {
        Self { error: ErrorBody { code: code.into(), message: message.into(), details: None } }
    }
}
