//! `ModelRef`: the `NS/NAME[@SELECTOR]` argument of `pull` and `show`, parsed into a
//! validated model name and version selector.

use std::fmt;
use std::str::FromStr;

use modelreg_api::{ModelName, VersionSelector};

/// A model and which of its versions, e.g. `acme/bert@^1.4`; the selector defaults to
/// `latest`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ModelRef {
    pub model: ModelName,
    pub selector: VersionSelector,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid model reference '{input}': {reason} (expected NS/NAME or NS/NAME@SELECTOR)")]
pub struct RefError {
    input: String,
    reason: String,
}

impl FromStr for ModelRef {
    type Err = RefError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let err = |reason: String| RefError { input: s.chars().take(200).collect(), reason };
        let (name, selector) = match s.split_once('@') {
            Some((_, "")) => return Err(err("the selector after '@' is empty".into())),
            Some((name, selector)) => (name, selector.parse().map_err(|e| err(format!("{e}")))?),
            None => (s, VersionSelector::Latest),
        };
        let model = name.parse().map_err(|e| err(format!("{e}")))?;
        Ok(Self { model, selector })
    }
}

impl fmt::Display for ModelRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}@{}", self.model, self.selector)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(s: &str) -> (String, String) {
        let r: ModelRef = s.parse().unwrap();
        (r.model.to_string(), r.selector.to_string())
    }

    #[test]
    fn references_parse_into_name_and_selector() {
        assert_eq!(parse("acme/bert"), ("acme/bert".into(), "latest".into()));
        assert_eq!(parse("acme/bert@latest"), ("acme/bert".into(), "latest".into()));
        assert_eq!(parse("acme/bert@1.4.0"), ("acme/bert".into(), "1.4.0".into()));
        assert_eq!(parse("acme/bert@^1.4"), ("acme/bert".into(), "^1.4".into()));
        assert_eq!(parse("acme/bert@>=1, <2"), ("acme/bert".into(), ">=1, <2".into()));
        let r: ModelRef = "acme/bert@~1.4.2".parse().unwrap();
        assert_eq!(r.to_string(), "acme/bert@~1.4.2");
    }

    #[test]
    fn bad_references_explain_what_is_wrong() {
        for (input, needle) in [
            ("acme", "namespace/name"),
            ("Acme/bert", "invalid model name"),
            ("acme/bert@", "empty"),
            ("acme/bert@newest", "invalid version"),
            ("@1.0.0", "invalid model name"),
        ] {
            let msg = input.parse::<ModelRef>().unwrap_err().to_string();
            assert!(msg.contains(needle) && msg.contains(input), "{input}: {msg}");
        }
    }
}
