//! Facts derived from a version's files at publish, and their reconciliation with the
//! declared metadata. Files are read only through bounded `BlobStore::read_prefix` calls
//! (a weight file's header, never its data); a file that cannot be read as what its name
//! says is skipped, since the registry also stores opaque files.
//!
//! Aggregation rules, over the files of one version:
//! - parameters: the sum over every safetensors file (sharded checkpoints), derived only
//!   when all of them were read; otherwise the count the GGUF files agree on (several
//!   quantisations of one model hold the same tensors; files that disagree give none).
//! - precision: from the safetensors dtypes when they were read (one dtype holding at least
//!   90% of the parameters names it; otherwise `mixed` when every dtype is a precision and
//!   none when packed integer words hide it); else `torch_dtype` of `config.json`; else an
//!   unquantised GGUF file type (`F16`, `BF16`, `F32`).
//! - quantization: the GGUF file type the GGUF files agree on.
//! - architecture: `config.json` `architectures[0]` (else its `model_type`), else the GGUF
//!   `general.architecture` the GGUF files agree on.
//! - context length: `config.json`, else the GGUF files (agreeing), else
//!   `tokenizer_config.json` `model_max_length`.
//! - format: by file name; `.bin`/`.pt`/`.pth` count as PyTorch only beside a `config.json`
//!   and without safetensors; mixed formats give the one holding the most bytes.
//!
//! - weight bytes: the sum of the safetensors tensor bytes (all shards read), else the GGUF
//!   tensor bytes at their quantized types (agreeing files); memory facts are added by
//!   `memory` (with the declared fallback).
//! - KV cache: the attention shape of `config.json` at its `torch_dtype` (16 bits when not
//!   stated), else of the GGUF files (agreeing), at 16 bits (llama.cpp's default f16 cache).
//!
//! Only the top-level `config.json` / `tokenizer_config.json` is read, or the only one when
//! there is none at the top: nested ones (diffusers' `text_encoder/config.json`) describe
//! parts of a pipeline, not the model.

mod read;

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use modelreg_api::{
    Contradiction, DerivedField, Fact, FactSource, Facts, FileEntry, FilePath, Format, KvCacheShape,
    Manifest, Metadata, Precision,
};
use serde::Serialize;
use serde_json::{Value, json};

use self::read::FileFacts;
use super::RegistryError;
use crate::blob::BlobStore;
use crate::facts::{self, FileKind, GgufFacts};

/// How long one publish may spend reading and parsing its files. Every file is bounded by
/// the caps in `facts`, so running past this means a slow or saturated store, or a manifest
/// of very many files on a busy server: the publish is answered 503 (retry), not 422.
pub const DERIVE_BUDGET: Duration = Duration::from_secs(300);

/// A value read from the files, and where.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Derived<T> {
    pub value: T,
    /// The file it was read from; the first one when several contributed.
    pub file: FilePath,
    /// How many files contributed (summed shards, agreeing GGUF files).
    pub files: usize,
}

/// What the files of a version say about the derivable fields.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DerivedFacts {
    pub parameters: Option<Derived<u64>>,
    pub context_length: Option<Derived<u64>>,
    pub precision: Option<Derived<Precision>>,
    pub quantization: Option<Derived<String>>,
    pub architecture: Option<Derived<String>>,
    /// Every name the files give the architecture (config `architectures` and
    /// `model_type`, GGUF `general.architecture`), lower-cased: declaring any of them
    /// confirms `architecture`, so `llama` matches `LlamaForCausalLM`.
    pub architecture_names: BTreeSet<String>,
    pub format: Option<Derived<Format>>,
    /// Bytes of the weights as stored.
    pub weight_bytes: Option<Derived<u64>>,
    /// The KV-cache shape per token.
    pub kv_cache: Option<Derived<KvCacheShape>>,
}

/// Reads the headers and config files of `manifest` and aggregates what they say, within
/// [`DERIVE_BUDGET`]. Fails when the blob store does, when a file exceeds a limit
/// (`FileHeaderTooLarge`) or past the budget (`Unavailable`); unreadable files are skipped.
pub async fn derive(blobs: &BlobStore, manifest: &Manifest) -> Result<DerivedFacts, RegistryError> {
    derive_within(blobs, manifest, DERIVE_BUDGET).await
}

/// [`derive`] with another time budget.
pub async fn derive_within(
    blobs: &BlobStore,
    manifest: &Manifest,
    budget: Duration,
) -> Result<DerivedFacts, RegistryError> {
    let chosen = files_to_read(&manifest.files);
    let Ok(read) = tokio::time::timeout(budget, read::read_all(blobs, &chosen)).await else {
        tracing::warn!(
            files = chosen.len(),
            budget_ms = budget.as_millis(),
            "deriving facts ran past its budget"
        );
        return Err(RegistryError::Unavailable(
            "reading the files' headers took longer than the publish allows; retry later",
        ));
    };
    let read: Vec<(&FileEntry, Option<Arc<FileFacts>>)> = chosen.iter().map(|(f, _)| *f).zip(read?).collect();
    Ok(aggregate(&manifest.files, &read))
}

/// Every safetensors and GGUF file, plus the config files that describe the model.
fn files_to_read(files: &[FileEntry]) -> Vec<(&FileEntry, FileKind)> {
    let mut chosen: Vec<(&FileEntry, FileKind)> = files
        .iter()
        .filter_map(|f| match facts::kind_of(f.path.as_str()) {
            Some(kind @ (FileKind::Safetensors | FileKind::Gguf)) => Some((f, kind)),
            _ => None,
        })
        .collect();
    for kind in [FileKind::HfConfig, FileKind::TokenizerConfig] {
        let all: Vec<&FileEntry> =
            files.iter().filter(|f| facts::kind_of(f.path.as_str()) == Some(kind)).collect();
        let top = all.iter().find(|f| !f.path.as_str().contains('/'));
        if let Some(file) = top.or(if all.len() == 1 { all.first() } else { None }) {
            chosen.push((file, kind));
        }
    }
    chosen
}

fn aggregate(files: &[FileEntry], read: &[(&FileEntry, Option<Arc<FileFacts>>)]) -> DerivedFacts {
    let mut safetensors = Vec::new();
    let mut safetensors_complete = true;
    let mut gguf = Vec::new();
    let mut config = None;
    let mut tokenizer = None;
    for (file, facts) in read {
        match facts.as_deref() {
            Some(FileFacts::Safetensors(f)) => safetensors.push((&file.path, f)),
            None if facts::kind_of(file.path.as_str()) == Some(FileKind::Safetensors) => {
                safetensors_complete = false;
            }
            Some(FileFacts::Gguf(f)) => gguf.push((&file.path, f)),
            Some(FileFacts::Config(f)) => config = Some((&file.path, f)),
            Some(FileFacts::Tokenizer(n)) => tokenizer = n.map(|n| derived(n, &file.path, 1)),
            None => {}
        }
    }
    let safetensors_read = safetensors_complete && !safetensors.is_empty();

    let mut out = DerivedFacts::default();
    if safetensors_read {
        let total = safetensors.iter().try_fold(0u64, |sum, (_, f)| sum.checked_add(f.parameters));
        out.parameters = total.filter(|&n| n > 0).map(|n| derived(n, safetensors[0].0, safetensors.len()));
        let mut by_dtype = BTreeMap::<&str, u128>::new();
        for (_, f) in &safetensors {
            for (dtype, n) in &f.parameters_by_dtype {
                *by_dtype.entry(dtype).or_default() += u128::from(*n);
            }
        }
        out.precision =
            precision_of_dtypes(&by_dtype).map(|p| derived(p, safetensors[0].0, safetensors.len()));
        let bytes = safetensors.iter().try_fold(0u64, |sum, (_, f)| sum.checked_add(f.tensor_bytes));
        out.weight_bytes = bytes.filter(|&n| n > 0).map(|n| derived(n, safetensors[0].0, safetensors.len()));
    } else {
        out.weight_bytes = agreed(&gguf, |g| g.weight_bytes.filter(|&n| n > 0));
        out.parameters = agreed(&gguf, |g| (g.parameters > 0).then_some(g.parameters));
        let from_config = config.and_then(|(path, c)| {
            let precision = Precision::from_dtype(c.torch_dtype.as_deref()?)?;
            Some(derived(precision, path, 1))
        });
        let from_gguf = || {
            let q = agreed(&gguf, |g| g.quantization.clone())?;
            Some(Derived { value: Precision::from_dtype(&q.value)?, file: q.file, files: q.files })
        };
        out.precision = from_config.or_else(from_gguf);
    }
    out.quantization = agreed(&gguf, |g| g.quantization.clone());

    let gguf_architecture = agreed(&gguf, |g| g.architecture.clone());
    let config_architecture = config.and_then(|(path, c)| {
        let name = c.architectures.first().or(c.model_type.as_ref())?;
        Some(derived(name.clone(), path, 1))
    });
    out.architecture = config_architecture.or(gguf_architecture);
    if let Some((_, c)) = config {
        out.architecture_names.extend(c.architectures.iter().chain(&c.model_type).map(|n| n.to_lowercase()));
    }
    out.architecture_names
        .extend(gguf.iter().filter_map(|(_, g)| g.architecture.as_deref()).map(str::to_lowercase));
    out.architecture_names.extend(out.architecture.iter().map(|a| a.value.to_lowercase()));

    let config_context = config.and_then(|(path, c)| Some(derived(c.context_length?, path, 1)));
    out.context_length = config_context.or_else(|| agreed(&gguf, |g| g.context_length)).or(tokenizer);
    out.format = format_of(files);
    let config_kv = config.and_then(|(path, c)| {
        let bits = c
            .torch_dtype
            .as_deref()
            .and_then(Precision::from_dtype)
            .and_then(super::memory::precision_bits)
            .unwrap_or(16);
        Some(derived(super::memory::kv_cache_shape(&c.attention, bits)?, path, 1))
    });
    out.kv_cache = config_kv.or_else(|| agreed(&gguf, |g| super::memory::kv_cache_shape(&g.attention, 16)));
    out
}

fn derived<T>(value: T, file: &FilePath, files: usize) -> Derived<T> {
    Derived { value, file: file.clone(), files }
}

/// The value every GGUF file that states one agrees on; none if two differ.
fn agreed<T: PartialEq>(
    gguf: &[(&FilePath, &GgufFacts)],
    get: impl Fn(&GgufFacts) -> Option<T>,
) -> Option<Derived<T>> {
    let mut found: Option<Derived<T>> = None;
    for (path, facts) in gguf {
        let Some(value) = get(facts) else { continue };
        match &mut found {
            None => found = Some(derived(value, path, 1)),
            Some(d) if d.value == value => d.files += 1,
            Some(_) => return None,
        }
    }
    found
}

/// The precision of weights with these element counts per safetensors dtype.
fn precision_of_dtypes(by_dtype: &BTreeMap<&str, u128>) -> Option<Precision> {
    let total: u128 = by_dtype.values().sum();
    let (dominant, count) = by_dtype.iter().max_by_key(|(_, n)| **n)?;
    if total == 0 {
        return None;
    }
    if count * 10 >= total * 9 {
        return Precision::from_dtype(dominant);
    }
    // Several dtypes share the weights: mixed when each is a precision (bf16 weights with
    // fp32 norms), unknown when some are packed integer words (GPTQ's I32).
    by_dtype
        .iter()
        .filter(|(_, n)| **n > 0)
        .all(|(dtype, _)| Precision::from_dtype(dtype).is_some())
        .then_some(Precision::Mixed)
}

/// The weight format by file name; the one holding the most bytes when several appear
/// (ties: the last in `Format` order).
fn format_of(files: &[FileEntry]) -> Option<Derived<Format>> {
    let ext = |f: &FileEntry| {
        let name = f.path.as_str().rsplit('/').next().unwrap_or_default().to_ascii_lowercase();
        if name.ends_with(".onnx.data") {
            return "onnx_data".to_owned();
        }
        name.rsplit_once('.').map(|(_, ext)| ext.to_owned()).unwrap_or_default()
    };
    let has_safetensors = files.iter().any(|f| ext(f) == "safetensors");
    let has_config = files.iter().any(|f| facts::kind_of(f.path.as_str()) == Some(FileKind::HfConfig));
    let mut by_format = BTreeMap::<Format, (u128, Derived<Format>)>::new();
    for f in files {
        let format = match ext(f).as_str() {
            "safetensors" => Format::Safetensors,
            "gguf" => Format::Gguf,
            "onnx" | "onnx_data" => Format::Onnx,
            "bin" | "pt" | "pth" if has_config && !has_safetensors => Format::Pytorch,
            _ => continue,
        };
        let (bytes, d) = by_format.entry(format).or_insert_with(|| (0, derived(format, &f.path, 0)));
        *bytes += u128::from(f.size);
        d.files += 1;
    }
    by_format.into_values().max_by_key(|(bytes, _)| *bytes).map(|(_, d)| d)
}

/// Every contradiction between the declared metadata and the files. Its `Display` is the
/// message of the refused publish; the HTTP layer also sends the list itself as the error's
/// `details` ([`modelreg_api::ContradictionDetails`]), which is what clients act on.
#[derive(Debug, Clone, PartialEq)]
pub struct Contradictions(pub Vec<Contradiction>);

impl fmt::Display for Contradictions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, c) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str("; ")?;
            }
            let Contradiction { field, declared, derived, file, files } = c;
            write!(f, "metadata.{field}: declared {declared} but {file}")?;
            match files.saturating_sub(1) {
                0 => write!(f, " says")?,
                1 => write!(f, " and 1 more file say")?,
                more => write!(f, " and {more} more files say")?,
            }
            write!(f, " {derived} (add \"{field}\" to override_derived to keep the declared value)")?;
        }
        Ok(())
    }
}

impl std::error::Error for Contradictions {}

impl From<Contradictions> for RegistryError {
    fn from(c: Contradictions) -> Self {
        Self::Contradicted(c)
    }
}

/// One field's declared value, derived value, and whether they agree.
struct Compared<'a> {
    declared: Option<Value>,
    derived: Option<(Value, &'a FilePath, usize)>,
    agree: bool,
}

fn compare<'a, T: Serialize, D: Serialize>(
    declared: Option<T>,
    derived: Option<&'a Derived<D>>,
    agree: impl Fn(&T, &D) -> bool,
) -> Compared<'a> {
    let agree = match (&declared, derived) {
        (Some(a), Some(b)) => agree(a, &b.value),
        _ => true,
    };
    Compared {
        declared: declared.map(|v| json!(v)),
        derived: derived.map(|d| (json!(d.value), &d.file, d.files)),
        agree,
    }
}

/// Declared parameter counts are often rounded ("7B"): within 1% of the derived count they
/// confirm it.
fn parameters_agree(declared: u64, derived: u64) -> bool {
    u128::from(declared.abs_diff(derived)) * 100 <= u128::from(derived)
}

/// The effective facts of a version: declared where only declared, derived where only
/// derived, declared (with the confirming derived value) where they agree, and overridden
/// where they differ and the field is in `overrides`. Every other difference is a
/// contradiction; all of them are returned together.
///
/// Parameters agree within 1%, context length, precision and format exactly, quantization
/// case-insensitively, and architecture when it names any of the files' architecture names.
pub fn effective_facts(
    metadata: &Metadata,
    derived: &DerivedFacts,
    overrides: &BTreeSet<DerivedField>,
) -> Result<Facts, Contradictions> {
    let same_text = |a: &String, b: &String| a.trim().eq_ignore_ascii_case(b.trim());
    let names = &derived.architecture_names;
    let fields = [
        (
            DerivedField::Parameters,
            compare(metadata.parameters.map(|n| n.get()), derived.parameters.as_ref(), |a, b| {
                parameters_agree(*a, *b)
            }),
        ),
        (
            DerivedField::ContextLength,
            compare(metadata.context_length.map(|n| n.get()), derived.context_length.as_ref(), PartialEq::eq),
        ),
        (DerivedField::Precision, compare(metadata.precision, derived.precision.as_ref(), PartialEq::eq)),
        (
            DerivedField::Quantization,
            compare(metadata.quantization.clone(), derived.quantization.as_ref(), same_text),
        ),
        (
            DerivedField::Architecture,
            compare(metadata.architecture.clone(), derived.architecture.as_ref(), |a, b| {
                same_text(a, b) || names.contains(&a.trim().to_lowercase())
            }),
        ),
        (DerivedField::Format, compare(metadata.format, derived.format.as_ref(), PartialEq::eq)),
    ];

    let mut facts = Facts::new();
    let mut contradictions = Vec::new();
    for (field, Compared { declared, derived, agree }) in fields {
        let fact = match (declared, derived) {
            (None, None) => continue,
            (Some(value), None) => Fact { value, source: FactSource::Declared, derived: None, file: None },
            (None, Some((value, file, _))) => {
                Fact { value, source: FactSource::Derived, derived: None, file: Some(file.clone()) }
            }
            (Some(value), Some((d, file, _))) if agree => {
                Fact { value, source: FactSource::Declared, derived: Some(d), file: Some(file.clone()) }
            }
            (Some(value), Some((d, file, _))) if overrides.contains(&field) => {
                Fact { value, source: FactSource::Overridden, derived: Some(d), file: Some(file.clone()) }
            }
            (Some(declared), Some((derived, file, files))) => {
                let files = u64::try_from(files).unwrap_or(u64::MAX);
                contradictions.push(Contradiction { field, declared, derived, file: file.clone(), files });
                continue;
            }
        };
        facts.insert(field, fact);
    }
    if !contradictions.is_empty() {
        return Err(Contradictions(contradictions));
    }
    super::memory::add_memory_facts(metadata, derived, &mut facts);
    Ok(facts)
}
