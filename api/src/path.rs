//! `FilePath`: a file's place inside a version, safe to join onto any output directory.

use std::fmt;
use std::str::FromStr;

use crate::schema::string_newtype_serde;

/// Longest allowed path, in bytes.
pub const MAX_PATH_LEN: usize = 1024;
/// Longest allowed path component, in bytes.
pub const MAX_COMPONENT_LEN: usize = 255;

/// A relative, normalised, '/'-separated path with no way out of its root.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct FilePath(String);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid file path '{input}': {reason}")]
pub struct PathError {
    input: String,
    reason: &'static str,
}

impl FilePath {
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The path's components, in order.
    pub fn components(&self) -> impl Iterator<Item = &str> {
        self.0.split('/')
    }
}

impl FromStr for FilePath {
    type Err = PathError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let err = |reason| PathError { input: s.chars().take(120).collect(), reason };
        if s.is_empty() {
            return Err(err("is empty"));
        }
        if s.len() > MAX_PATH_LEN {
            return Err(err("is longer than 1024 bytes"));
        }
        if s.contains('\0') {
            return Err(err("contains a NUL byte"));
        }
        if s.contains('\\') {
            return Err(err("contains a backslash (use '/')"));
        }
        if s.chars().any(char::is_control) {
            return Err(err("contains a control character"));
        }
        if s.starts_with('/') {
            return Err(err("is absolute"));
        }
        for part in s.split('/') {
            match part {
                "" => return Err(err("has an empty component ('//' or a trailing '/')")),
                "." | ".." => return Err(err("contains a '.' or '..' component")),
                p if p.len() > MAX_COMPONENT_LEN => {
                    return Err(err("has a component longer than 255 bytes"));
                }
                _ => {}
            }
        }
        Ok(Self(s.to_owned()))
    }
}

impl fmt::Display for FilePath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

string_newtype_serde!(
    FilePath,
    "Relative '/'-separated file path: no leading '/', no '.' or '..' components, no backslash, NUL or control characters, at most 1024 bytes.",
    None
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relative_paths_are_accepted() {
        for s in ["model.safetensors", "tokenizer/vocab.json", ".gitattributes", "a b/ü.bin", "x..y"] {
            assert_eq!(s.parse::<FilePath>().unwrap().as_str(), s);
        }
    }

    #[test]
    fn escaping_or_odd_paths_are_refused() {
        let long = "a".repeat(1025);
        for s in [
            "",
            "/etc/passwd",
            "../x",
            "a/../../x",
            "a/./b",
            "a//b",
            "a/",
            "a\\b",
            "a\0b",
            "a\nb",
            long.as_str(),
        ] {
            assert!(s.parse::<FilePath>().is_err(), "{s:?} should be refused");
        }
    }
}
