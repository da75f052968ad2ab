//! `ModelRef`: the `NS/NAME[@SELECTOR]` argument of `pull` and `show`, parsed into a
//! validated model name and version selector; and `ExactRef`, the `NS/NAME[@X.Y.Z]` of
//! `yank` and `delete`, which only ever names exact versions.

use std::fmt;
use std::str::FromStr;

use modelreg_api::{ModelName, Version, VersionSelector};

/// A model and which of its versions, e.g. `acme/bert@^1.4` or `acme/bert@production`
/// (an alias); the selector defaults to `latest`.
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

/// A model, or one exact version of it (`acme/bert`, `acme/bert@1.0.0`): what `yank` and
/// `delete` act on. Ranges, `latest` and aliases are refused, so that nothing is changed
/// by a selector that resolves differently tomorrow.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExactRef {
    pub model: ModelName,
    pub version: Option<Version>,
}

impl ExactRef {
    /// Parses `NS/NAME@X.Y.Z`, the version required.
    pub fn parse_versioned(s: &str) -> Result<Self, RefError> {
        let parsed: Self = s.parse()?;
        if parsed.version.is_none() {
            return Err(RefError {
                input: s.chars().take(200).collect(),
                reason: "name the version after '@' (expected NS/NAME@X.Y.Z)".into(),
            });
        }
        Ok(parsed)
    }
}

impl FromStr for ExactRef {
    type Err = RefError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let err = |reason: String| RefError { input: s.chars().take(200).collect(), reason };
        let (name, version) = match s.split_once('@') {
            Some((_, "")) => return Err(err("the version after '@' is empty".into())),
            Some((name, version)) => {
                let version = version.parse::<Version>().map_err(|e| {
                    err(format!(
                        "{e}; only an exact version is accepted here, not a range, 'latest' or an alias"
                    ))
                })?;
                (name, Some(version))
            }
            None => (s, None),
        };
        let model = name.parse().map_err(|e| err(format!("{e}")))?;
        Ok(Self { model, version })
    }
}

impl fmt::Display for ExactRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.version {
            Some(v) => write!(f, "{}@{v}", self.model),
            None => self.model.fmt(f),
        }
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
        assert_eq!(parse("acme/bert@production"), ("acme/bert".into(), "production".into()));
        let r: ModelRef = "acme/bert@~1.4.2".parse().unwrap();
        assert_eq!(r.to_string(), "acme/bert@~1.4.2");
    }

    #[test]
    fn bad_references_explain_what_is_wrong() {
        for (input, needle) in [
            ("acme", "namespace/name"),
            ("Acme/bert", "invalid model name"),
            ("acme/bert@", "empty"),
            ("acme/bert@Newest", "invalid version"),
            ("@1.0.0", "invalid model name"),
        ] {
            let msg = input.parse::<ModelRef>().unwrap_err().to_string();
            assert!(msg.contains(needle) && msg.contains(input), "{input}: {msg}");
        }
    }

    #[test]
    fn exact_references_take_only_exact_versions() {
        let r: ExactRef = "acme/bert@1.0.0".parse().unwrap();
        assert_eq!(
            (r.model.to_string(), r.version.unwrap().to_string()),
            ("acme/bert".into(), "1.0.0".into())
        );
        let r: ExactRef = "acme/bert".parse().unwrap();
        assert_eq!((r.to_string(), r.version), ("acme/bert".into(), None));
        for bad in ["acme/bert@^1", "acme/bert@latest", "acme/bert@production", "acme/bert@", "acme"] {
            assert!(bad.parse::<ExactRef>().is_err(), "{bad}");
        }
        assert!(ExactRef::parse_versioned("acme/bert@1.0.0").is_ok());
        let msg = ExactRef::parse_versioned("acme/bert").unwrap_err().to_string();
        assert!(msg.contains("NS/NAME@X.Y.Z"), "{msg}");
    }
}
