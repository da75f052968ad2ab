//! Model metadata from the files of a model: the YAML front matter of a Hugging Face model
//! card (`front_matter`), what its keys mean in metadata (`import`), and the merge with
//! `modelreg.toml` (`sources`). Shared by the CLI's push and the server's `/hf` commit so
//! that both read the same files the same way. Parses text; reads no files.

pub mod front_matter;
mod import;
mod sources;

pub use import::{CardImport, FRONT_MATTER_WARNING, HF_BASE_MODEL_LABEL, README_FILE, import_card};
pub use sources::{LoadedMetadata, METADATA_FILE, MetadataSourceError, merge_metadata, parse_metadata_file};
