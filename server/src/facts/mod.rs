//! Model facts derived from file bytes: parameter counts, dtypes, quantization and context
//! length read from safetensors and GGUF headers and from Hugging Face `config.json` /
//! `tokenizer_config.json`. Pure functions over byte slices: no I/O, no allocation sized by
//! untrusted lengths, no tree built from untrusted JSON, and no panics on any input.
//!
//! Malformed bytes are an ordinary outcome (the registry stores opaque files too); a file
//! that is well-formed so far but holds more than the limits below is refused with
//! [`FactsError::TooLarge`], so one upload cannot make a publish parse megabytes of shape
//! or vocabulary. The limits are listed in `docs/metadata.md`.
//!
//! The binary parsers take a *prefix* of the file plus its full size, so the caller can read
//! the header with a ranged read and retry with a longer prefix when told
//! [`Parse::NeedMore`]; the caller owns the cap on how much it is willing to read.

mod attention;
mod ggml_types;
mod gguf;
mod hf_config;
mod safetensors;

#[cfg(test)]
mod robustness;
#[cfg(test)]
mod test_files;

use std::fmt;

pub use attention::AttentionShape;
pub use gguf::{GgufFacts, MAX_HEADER_BYTES as MAX_GGUF_HEADER_BYTES, parse_gguf};
pub use hf_config::{HfConfigFacts, MAX_CONFIG_BYTES, parse_config_json, parse_tokenizer_config};
pub use safetensors::{SafetensorsFacts, parse_safetensors};

/// Which parser understands a file, chosen by its name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum FileKind {
    /// `*.safetensors`: [`parse_safetensors`].
    Safetensors,
    /// `*.gguf`: [`parse_gguf`].
    Gguf,
    /// `config.json` at any depth: [`parse_config_json`].
    HfConfig,
    /// `tokenizer_config.json` at any depth: [`parse_tokenizer_config`].
    TokenizerConfig,
}

impl fmt::Display for FileKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            FileKind::Safetensors => "safetensors",
            FileKind::Gguf => "GGUF",
            FileKind::HfConfig => "config.json",
            FileKind::TokenizerConfig => "tokenizer_config.json",
        })
    }
}

/// The parser for a manifest file path (`/`-separated), or `None` when no parser applies.
/// Extensions match case-insensitively; the JSON file names match exactly, as the
/// Hugging Face loaders do.
pub fn kind_of(path: &str) -> Option<FileKind> {
    let name = path.rsplit('/').next().unwrap_or(path);
    let has_ext = |ext: &str| {
        name.len() > ext.len()
            && name.get(name.len() - ext.len()..).is_some_and(|tail| tail.eq_ignore_ascii_case(ext))
    };
    match name {
        "config.json" => Some(FileKind::HfConfig),
        "tokenizer_config.json" => Some(FileKind::TokenizerConfig),
        _ if has_ext(".safetensors") => Some(FileKind::Safetensors),
        _ if has_ext(".gguf") => Some(FileKind::Gguf),
        _ => None,
    }
}

/// The outcome of parsing a file prefix.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Parse<T> {
    /// The prefix held everything needed.
    Done(T),
    /// Call again with a prefix of at least this many bytes (never more than the file size,
    /// always more than the prefix given).
    NeedMore(u64),
}

/// Why a file's bytes could not be turned into facts. Messages are written for the person
/// who published the file and never echo file contents beyond short names.
#[derive(Debug, thiserror::Error)]
pub enum FactsError {
    /// The bytes do not follow the format.
    #[error("malformed {kind} file: {reason}")]
    Malformed { kind: FileKind, reason: String },
    /// A well-formed file in a version or variant this parser does not read.
    #[error("unsupported {kind} file: {reason}")]
    Unsupported { kind: FileKind, reason: String },
    /// The file holds more than the registry is willing to read: `limit` names the cap
    /// (`header_bytes`, `tensor_count`, ...), `max` its value, `found` what the file has.
    #[error("{kind} {found}, more than the {limit} limit of {max}")]
    TooLarge { kind: FileKind, limit: &'static str, max: u64, found: String },
}

impl FactsError {
    fn malformed(kind: FileKind, reason: impl Into<String>) -> Self {
        Self::Malformed { kind, reason: reason.into() }
    }

    fn too_large(kind: FileKind, limit: &'static str, max: u64, found: impl Into<String>) -> Self {
        Self::TooLarge { kind, limit, max, found: found.into() }
    }

    /// Which kind of file the error is about.
    pub fn kind(&self) -> FileKind {
        match self {
            Self::Malformed { kind, .. } | Self::Unsupported { kind, .. } | Self::TooLarge { kind, .. } => {
                *kind
            }
        }
    }
}

/// Most tensors one weight file may describe (safetensors or GGUF). The largest real
/// checkpoints hold a few thousand per file (DeepSeek-V3 has about 91,000 over 163 shards).
pub const MAX_TENSORS: u64 = 262_144;

/// Context lengths above this are "unlimited" sentinels (Hugging Face writes `int(1e30)`),
/// not real limits. Generous enough for 10M-token models (Llama 4 Scout: 10,485,760).
pub const MAX_PLAUSIBLE_CONTEXT: u64 = 100_000_000;

/// Shortens a name taken from a file for use in an error message.
fn shorten(name: &str) -> String {
    const MAX_CHARS: usize = 80;
    match name.char_indices().nth(MAX_CHARS) {
        Some((cut, _)) => format!("{}...", &name[..cut]),
        None => name.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kind_of_picks_the_parser_by_file_name() {
        assert_eq!(kind_of("model.safetensors"), Some(FileKind::Safetensors));
        assert_eq!(kind_of("shards/model-00001-of-00002.SafeTensors"), Some(FileKind::Safetensors));
        assert_eq!(kind_of("llama-7b.Q4_K_M.gguf"), Some(FileKind::Gguf));
        assert_eq!(kind_of("config.json"), Some(FileKind::HfConfig));
        assert_eq!(kind_of("text_encoder/config.json"), Some(FileKind::HfConfig));
        assert_eq!(kind_of("tokenizer_config.json"), Some(FileKind::TokenizerConfig));
        assert_eq!(kind_of("a/b/tokenizer_config.json"), Some(FileKind::TokenizerConfig));
    }

    #[test]
    fn kind_of_ignores_files_no_parser_reads() {
        for path in [
            "model.safetensors.index.json",
            "generation_config.json",
            "my-config.json",
            "Config.json",
            "README.md",
            ".gguf",
            "gguf",
            "weights.gguf/README",
            "",
        ] {
            assert_eq!(kind_of(path), None, "{path}");
        }
    }

    #[test]
    fn long_names_are_shortened_in_messages_without_splitting_characters() {
        assert_eq!(shorten("short"), "short");
        let long = "é".repeat(200);
        let s = shorten(&long);
        assert!(s.ends_with("...") && s.chars().count() == 83);
    }
}
