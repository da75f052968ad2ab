//! `LicenseExpr`: an SPDX licence expression, checked against the SPDX licence list
//! (`LicenseRef-...` identifiers are accepted for licences the list does not know).

use std::fmt;
use std::str::FromStr;

use crate::schema::string_newtype_serde;

/// A syntactically valid SPDX expression, stored as written (trimmed).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct LicenseExpr(String);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid licence expression '{input}': {reason}")]
pub struct LicenseError {
    input: String,
    reason: String,
}

impl LicenseExpr {
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl FromStr for LicenseExpr {
    type Err = LicenseError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let trimmed = s.trim();
        let err = |reason: String| LicenseError { input: trimmed.chars().take(200).collect(), reason };
        if trimmed.is_empty() {
            return Err(err("is empty".into()));
        }
        if trimmed.len() > 1024 {
            return Err(err("is longer than 1024 bytes".into()));
        }
        spdx::Expression::parse(trimmed).map_err(|e| err(e.reason.to_string()))?;
        Ok(Self(trimmed.to_owned()))
    }
}

impl fmt::Display for LicenseExpr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

string_newtype_serde!(
    LicenseExpr,
    "SPDX licence expression, e.g. 'Apache-2.0', 'MIT OR Apache-2.0', 'LicenseRef-llama3'.",
    None
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spdx_expressions_are_accepted() {
        for s in [
            "MIT",
            "Apache-2.0",
            "MIT OR Apache-2.0",
            "(MIT AND BSD-3-Clause) OR GPL-3.0-only",
            "LicenseRef-llama3",
            "Apache-2.0 WITH LLVM-exception",
        ] {
            assert!(s.parse::<LicenseExpr>().is_ok(), "{s} should parse");
        }
    }

    #[test]
    fn unknown_or_malformed_licences_are_refused() {
        for s in ["", "Made-Up-1.0", "MIT OR", "MIT AND (Apache-2.0"] {
            assert!(s.parse::<LicenseExpr>().is_err(), "{s} should be refused");
        }
    }
}
