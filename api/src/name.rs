//! `ModelName`: `namespace/name`, both segments lower-case and bounded.

use std::fmt;
use std::str::FromStr;

use crate::schema::string_newtype_serde;

/// Longest allowed namespace or name segment.
pub const MAX_SEGMENT_LEN: usize = 64;

/// A model's full name, `namespace/name`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ModelName {
    namespace: String,
    name: String,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid model name '{input}': {reason}")]
pub struct NameError {
    input: String,
    reason: String,
}

impl ModelName {
    /// Builds a name from its two segments, validating both.
    pub fn from_parts(namespace: &str, name: &str) -> Result<Self, NameError> {
        let input = format!("{namespace}/{name}");
        let err = |reason: String| NameError { input: input.clone(), reason };
        check_segment(namespace).map_err(|r| err(format!("namespace {r}")))?;
        check_segment(name).map_err(|r| err(format!("name {r}")))?;
        Ok(Self { namespace: namespace.to_owned(), name: name.to_owned() })
    }

    pub fn namespace(&self) -> &str {
        &self.namespace
    }

    pub fn name(&self) -> &str {
        &self.name
    }
}

fn check_segment(s: &str) -> Result<(), String> {
    if s.is_empty() {
        return Err("is empty".into());
    }
    if s.len() > MAX_SEGMENT_LEN {
        return Err(format!("is longer than {MAX_SEGMENT_LEN} characters"));
    }
    let bytes = s.as_bytes();
    let edge_ok = |b: u8| b.is_ascii_lowercase() || b.is_ascii_digit();
    if !edge_ok(bytes[0]) || !edge_ok(bytes[bytes.len() - 1]) {
        return Err("must start and end with a lower-case letter or digit".into());
    }
    if let Some(bad) =
        s.chars().find(|&c| !(c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '.' | '_' | '-')))
    {
        return Err(format!("contains '{bad}' (allowed: a-z, 0-9, '.', '_', '-')"));
    }
    Ok(())
}

impl FromStr for ModelName {
    type Err = NameError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.split_once('/') {
            Some((ns, name)) if !name.contains('/') => Self::from_parts(ns, name),
            _ => Err(NameError { input: s.to_owned(), reason: "expected 'namespace/name'".into() }),
        }
    }
}

impl fmt::Display for ModelName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.namespace, self.name)
    }
}

string_newtype_serde!(
    ModelName,
    "Model name: 'namespace/name', lower-case [a-z0-9] with '.', '_', '-' inside, each segment at most 64 characters.",
    Some("^[a-z0-9]([a-z0-9._-]{0,62}[a-z0-9])?/[a-z0-9]([a-z0-9._-]{0,62}[a-z0-9])?$")
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn valid_names_parse_and_round_trip() {
        for s in ["acme/bert", "a/b", "team-1/llama_3.1-8b", "x0/0x"] {
            assert_eq!(s.parse::<ModelName>().unwrap().to_string(), s);
        }
    }

    #[test]
    fn invalid_names_are_refused_with_a_reason() {
        for s in ["acme", "Acme/bert", "acme/", "/bert", "a/b/c", "-a/b", "a/b-", "a/b c", "a/ü"] {
            assert!(s.parse::<ModelName>().is_err(), "{s} should be refused");
        }
        let long = format!("acme/{}", "a".repeat(65));
        let err = long.parse::<ModelName>().unwrap_err().to_string();
        assert!(err.contains("longer than 64"), "{err}");
    }
}
