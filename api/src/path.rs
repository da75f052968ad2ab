//! `FilePath`: a file's place inside a version, safe to join onto any output directory and
//! creatable on Linux, macOS and Windows alike. What collides only between paths (case,
//! Unicode normalisation) is the manifest's check (`Manifest::validate`).

use std::fmt;
use std::str::FromStr;

use crate::schema::string_newtype_serde;

/// Longest allowed path, in bytes.
pub const MAX_PATH_LEN: usize = 1024;
/// Longest allowed path component, in bytes.
pub const MAX_COMPONENT_LEN: usize = 255;

/// Characters Windows does not allow in a file name (besides control characters and '/', '\\').
const WINDOWS_FORBIDDEN: &[char] = &['<', '>', ':', '"', '|', '?', '*'];

/// Device names Windows reserves in every folder, also with an extension (`nul.txt`).
const WINDOWS_DEVICES: &[&str] = &["con", "prn", "aux", "nul"];

/// Characters that make a path display as something it is not: bidirectional overrides,
/// embeddings, isolates and marks, and the line and paragraph separators.
fn is_deceptive(c: char) -> bool {
    matches!(c, '\u{200E}' | '\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' | '\u{2028}' | '\u{2029}')
}

/// Whether Windows reserves `component` as a device name: `con`, `prn`, `aux`, `nul`,
/// `com0`-`com9` and `lpt0`-`lpt9` (also with superscript 1-3), in any case, with or
/// without an extension.
fn is_windows_device(component: &str) -> bool {
    let stem = component.split('.').next().unwrap_or(component).trim_end_matches(' ').to_ascii_lowercase();
    if WINDOWS_DEVICES.contains(&stem.as_str()) {
        return true;
    }
    let mut chars = stem.chars();
    let prefix: String = chars.by_ref().take(3).collect();
    let digit: Vec<char> = chars.collect();
    matches!(prefix.as_str(), "com" | "lpt")
        && matches!(digit.as_slice(), [d] if d.is_ascii_digit() || matches!(d, '\u{B9}' | '\u{B2}' | '\u{B3}'))
}

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
        if s.chars().any(is_deceptive) {
            return Err(err("contains a bidirectional control or a line separator character"));
        }
        if s.contains(WINDOWS_FORBIDDEN) {
            return Err(err("contains one of < > : \" | ? * (Windows cannot hold them)"));
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
                p if p.ends_with('.') || p.ends_with(' ') => {
                    return Err(err("has a component ending in '.' or ' ' (Windows cannot hold it)"));
                }
                p if is_windows_device(p) => {
                    return Err(err(
                        "has a component Windows reserves as a device name (con, nul, com1, ...)",
                    ));
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
    "Relative '/'-separated file path: no leading '/', no '.' or '..' components, no backslash, NUL, control, bidirectional-control or line-separator characters, none of < > : \" | ? *, no component ending in '.' or ' ' or named like a Windows device (con, nul, com1, ...), at most 1024 bytes.",
    None
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relative_paths_are_accepted() {
        for s in [
            "model.safetensors",
            "tokenizer/vocab.json",
            ".gitattributes",
            "a b/ü.bin",
            "x..y",
            "console.txt",
            "com10",
            "lpt",
            "nul_weights.bin",
            "עברית.txt",
        ] {
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

    #[test]
    fn paths_windows_cannot_hold_are_refused_with_the_reason() {
        for (s, reason) in [
            ("con", "device name"),
            ("weights/NUL.bin", "device name"),
            ("com1", "device name"),
            ("Lpt9.txt", "device name"),
            ("com\u{B9}", "device name"),
            ("aux .txt", "device name"),
            ("a:b", "Windows cannot hold"),
            ("what?.bin", "Windows cannot hold"),
            ("x<y>", "Windows cannot hold"),
            ("pipe|d", "Windows cannot hold"),
            ("star*", "Windows cannot hold"),
            ("say\"hi\"", "Windows cannot hold"),
            ("dir./x", "ending in '.'"),
            ("file ", "ending in '.' or ' '"),
            ("a\u{1f}b", "control character"),
        ] {
            let err = s.parse::<FilePath>().unwrap_err().to_string();
            assert!(err.contains(reason), "{s:?}: {err}");
        }
    }

    #[test]
    fn bidi_controls_and_line_separators_are_refused() {
        for c in
            ['\u{200E}', '\u{200F}', '\u{202A}', '\u{202E}', '\u{2066}', '\u{2069}', '\u{2028}', '\u{2029}']
        {
            let s = format!("invoice{c}fdp.exe");
            let err = s.parse::<FilePath>().unwrap_err().to_string();
            assert!(err.contains("bidirectional"), "{:?}: {err}", c);
        }
    }
}
