//! GGUF header parsing (versions 2 and 3, little-endian): metadata key/values and tensor
//! infos, up to the start of the tensor data. Values nobody asked for, such as the
//! vocabulary arrays, are skipped by their lengths without being copied; every declared
//! length is checked against the file size and a cap before it is used.

use std::collections::BTreeMap;

use super::{AttentionShape, FactsError, FileKind, MAX_TENSORS, Parse, ggml_types, shorten};

const MAGIC: &[u8; 4] = b"GGUF";
/// Longest header read: a 256k-token vocabulary with its merges is 10-20 MiB.
pub const MAX_HEADER_BYTES: u64 = 32 << 20;
/// Longest string value (`tokenizer.huggingface.json` embeds a whole tokenizer, ~10 MiB).
pub const MAX_STRING_BYTES: u64 = 16 << 20;
/// The GGUF specification limits keys to 65,535 bytes; tensor names are far shorter.
pub const MAX_NAME_BYTES: u64 = 65_535;
/// Most metadata keys (real files have 20 to 60).
pub const MAX_KV_COUNT: u64 = 65_536;
/// Longest array (vocabularies are up to a few hundred thousand tokens).
pub const MAX_ARRAY_LEN: u64 = 1 << 24;
/// `GGML_MAX_DIMS`.
const MAX_DIMS: u32 = 4;
/// Arrays of arrays are legal but never deep in practice; the cap bounds recursion.
const MAX_ARRAY_DEPTH: u32 = 4;
/// The smallest prefix worth asking for: ranged reads are cheap, round-trips are not.
const MIN_READ_AHEAD: u64 = 64 * 1024;
const DEFAULT_ALIGNMENT: u64 = 32;
/// Smallest encodings, to bound declared counts by the bytes left in the file.
const MIN_KV_BYTES: u64 = 8 + 4 + 1;
const MIN_TENSOR_INFO_BYTES: u64 = 8 + 4 + 4 + 8;

/// What a GGUF header says about the model.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct GgufFacts {
    pub version: u32,
    /// `general.architecture`, e.g. `"llama"`.
    pub architecture: Option<String>,
    /// `general.name`.
    pub name: Option<String>,
    /// `<architecture>.context_length`.
    pub context_length: Option<u64>,
    /// Total number of elements over all tensors.
    pub parameters: u64,
    pub tensor_count: u64,
    /// `general.file_type`, llama.cpp's `llama_ftype`.
    pub file_type: Option<u32>,
    /// The llama.cpp name of `file_type`, e.g. `"Q4_K_M"`.
    pub quantization: Option<String>,
    /// `<architecture>.block_count` (layers).
    pub block_count: Option<u64>,
    /// `<architecture>.embedding_length` (hidden size).
    pub embedding_length: Option<u64>,
    /// Bytes of all tensors at their stored (quantized) types; `None` when a tensor has a
    /// type whose size is not known.
    pub weight_bytes: Option<u64>,
    /// `<architecture>.block_count` and `<architecture>.attention.*` (head counts given as
    /// per-layer arrays are not read).
    pub attention: AttentionShape,
}

/// `<architecture>.*` keys kept (suffixes).
const ARCH_KEYS: [&str; 8] = [
    ".context_length",
    ".block_count",
    ".embedding_length",
    ".attention.head_count",
    ".attention.head_count_kv",
    ".attention.key_length",
    ".attention.value_length",
    ".attention.sliding_window",
];

/// Parses the header of a GGUF file from the first `prefix.len()` bytes of a file of
/// `file_size` bytes. When the prefix ends inside the header, asks for at least the bytes
/// the next read needs and at least double the prefix, so a large vocabulary costs a few
/// round-trips rather than one per string.
pub fn parse_gguf(prefix: &[u8], file_size: u64) -> Result<Parse<GgufFacts>, FactsError> {
    if prefix.len() as u64 > file_size {
        return Err(malformed(format!("read {} bytes of a {file_size}-byte file", prefix.len())));
    }
    let seen = prefix.len().min(MAGIC.len());
    if prefix[..seen] != MAGIC[..seen] {
        return Err(malformed("the file does not start with the GGUF magic"));
    }
    let mut reader = Reader { buf: prefix, pos: 0, file_size };
    match read_header(&mut reader) {
        Ok(facts) => Ok(Parse::Done(facts)),
        Err(Stop::Short(needed)) => {
            let doubled = (prefix.len() as u64).saturating_mul(2);
            Ok(Parse::NeedMore(needed.max(doubled).max(MIN_READ_AHEAD).min(file_size)))
        }
        Err(Stop::Bad(error)) => Err(error),
    }
}

/// llama.cpp's display name for a `general.file_type` (`enum llama_ftype`).
pub fn quantization_name(file_type: u32) -> Option<&'static str> {
    Some(match file_type {
        0 => "F32",
        1 => "F16",
        2 => "Q4_0",
        3 => "Q4_1",
        4 => "Q4_1_SOME_F16",
        5 => "Q4_2",
        6 => "Q4_3",
        7 => "Q8_0",
        8 => "Q5_0",
        9 => "Q5_1",
        10 => "Q2_K",
        11 => "Q3_K_S",
        12 => "Q3_K_M",
        13 => "Q3_K_L",
        14 => "Q4_K_S",
        15 => "Q4_K_M",
        16 => "Q5_K_S",
        17 => "Q5_K_M",
        18 => "Q6_K",
        19 => "IQ2_XXS",
        20 => "IQ2_XS",
        21 => "Q2_K_S",
        22 => "IQ3_XS",
        23 => "IQ3_XXS",
        24 => "IQ1_S",
        25 => "IQ4_NL",
        26 => "IQ3_S",
        27 => "IQ3_M",
        28 => "IQ2_S",
        29 => "IQ2_M",
        30 => "IQ4_XS",
        31 => "IQ1_M",
        32 => "BF16",
        33 => "Q4_0_4_4",
        34 => "Q4_0_4_8",
        35 => "Q4_0_8_8",
        36 => "TQ1_0",
        37 => "TQ2_0",
        38 => "MXFP4_MOE",
        _ => return None,
    })
}

fn malformed(reason: impl Into<String>) -> FactsError {
    FactsError::malformed(FileKind::Gguf, reason)
}

fn too_large(limit: &'static str, max: u64, found: impl Into<String>) -> Stop {
    Stop::Bad(FactsError::too_large(FileKind::Gguf, limit, max, found))
}

fn unsupported(reason: impl Into<String>) -> FactsError {
    FactsError::Unsupported { kind: FileKind::Gguf, reason: reason.into() }
}

/// Why reading stopped early.
#[derive(Debug)]
enum Stop {
    /// The prefix ended; the file has at least this many bytes and they are needed.
    Short(u64),
    Bad(FactsError),
}

impl From<FactsError> for Stop {
    fn from(error: FactsError) -> Self {
        Stop::Bad(error)
    }
}

impl Stop {
    /// Adds where the problem was found to a malformed-input reason.
    fn within(self, place: impl FnOnce() -> String) -> Self {
        match self {
            Stop::Bad(FactsError::Malformed { kind, reason }) => {
                Stop::Bad(FactsError::Malformed { kind, reason: format!("{}: {reason}", place()) })
            }
            other => other,
        }
    }
}

/// A metadata value, borrowed from the prefix; kinds nobody reads are not kept.
enum Value<'a> {
    Unsigned(u64),
    Signed(i64),
    Str(&'a [u8]),
    Other,
}

impl Value<'_> {
    fn as_u64(&self) -> Option<u64> {
        match *self {
            Value::Unsigned(v) => Some(v),
            Value::Signed(v) => u64::try_from(v).ok(),
            Value::Str(_) | Value::Other => None,
        }
    }

    fn as_string(&self, key: &str) -> Result<Option<String>, FactsError> {
        match *self {
            Value::Str(bytes) => match std::str::from_utf8(bytes) {
                Ok(s) => Ok(Some(s.to_owned())),
                Err(_) => Err(malformed(format!("value of '{key}' is not UTF-8"))),
            },
            _ => Ok(None),
        }
    }
}

struct Reader<'a> {
    buf: &'a [u8],
    pos: u64,
    file_size: u64,
}

impl<'a> Reader<'a> {
    fn remaining_in_file(&self) -> u64 {
        self.file_size.saturating_sub(self.pos)
    }

    fn take(&mut self, len: u64, what: &str) -> Result<&'a [u8], Stop> {
        let end = self.pos.checked_add(len).filter(|&end| end <= self.file_size).ok_or_else(|| {
            malformed(format!(
                "{what} of {len} bytes at offset {} runs past the end of the {}-byte file",
                self.pos, self.file_size
            ))
        })?;
        let range = usize::try_from(self.pos).ok().zip(usize::try_from(end).ok());
        let bytes = range.and_then(|(start, end)| self.buf.get(start..end)).ok_or(Stop::Short(end))?;
        self.pos = end;
        Ok(bytes)
    }

    fn array<const N: usize>(&mut self, what: &str) -> Result<[u8; N], Stop> {
        let mut out = [0; N];
        out.copy_from_slice(self.take(N as u64, what)?);
        Ok(out)
    }

    fn u32(&mut self, what: &str) -> Result<u32, Stop> {
        self.array(what).map(u32::from_le_bytes)
    }

    fn u64(&mut self, what: &str) -> Result<u64, Stop> {
        self.array(what).map(u64::from_le_bytes)
    }

    fn string(&mut self, max: u64, limit: &'static str, what: &str) -> Result<&'a [u8], Stop> {
        let len = self.u64(what)?;
        // A length past the end of the file is corruption (malformed); one that fits but
        // exceeds the cap is a real, oversized value.
        if len > max && len <= self.remaining_in_file() {
            return Err(too_large(limit, max, format!("{what} declares {len} bytes")));
        }
        self.take(len, what)
    }

    /// A count of items each at least `min_item_bytes` long, checked against the file size.
    fn count(&mut self, min_item_bytes: u64, what: &str) -> Result<u64, Stop> {
        let count = self.u64(what)?;
        if count > self.remaining_in_file() / min_item_bytes {
            return Err(malformed(format!(
                "{what} {count} cannot fit in the {} bytes left in the file",
                self.remaining_in_file()
            ))
            .into());
        }
        Ok(count)
    }

    fn value(&mut self, value_type: u32, depth: u32) -> Result<Value<'a>, Stop> {
        Ok(match value_type {
            0 => Value::Unsigned(u8::from_le_bytes(self.array("u8")?).into()),
            1 => Value::Signed(i8::from_le_bytes(self.array("i8")?).into()),
            2 => Value::Unsigned(u16::from_le_bytes(self.array("u16")?).into()),
            3 => Value::Signed(i16::from_le_bytes(self.array("i16")?).into()),
            4 => Value::Unsigned(self.u32("u32")?.into()),
            5 => Value::Signed(i32::from_le_bytes(self.array("i32")?).into()),
            10 => Value::Unsigned(self.u64("u64")?),
            11 => Value::Signed(i64::from_le_bytes(self.array("i64")?)),
            8 => Value::Str(self.string(MAX_STRING_BYTES, "string_bytes", "string")?),
            9 => {
                self.skip_array(depth)?;
                Value::Other
            }
            _ => {
                let size = fixed_size(value_type).ok_or_else(|| unknown_type(value_type))?;
                self.take(size, "value")?;
                Value::Other
            }
        })
    }

    fn skip_array(&mut self, depth: u32) -> Result<(), Stop> {
        if depth >= MAX_ARRAY_DEPTH {
            return Err(malformed(format!("arrays nested deeper than {MAX_ARRAY_DEPTH}")).into());
        }
        let element_type = self.u32("array element type")?;
        if let Some(size) = fixed_size(element_type) {
            let count = self.u64("array length")?;
            if count > MAX_ARRAY_LEN && count.saturating_mul(size) <= self.remaining_in_file() {
                return Err(too_large(
                    "array_length",
                    MAX_ARRAY_LEN,
                    format!("array declares {count} elements"),
                ));
            }
            let bytes = count
                .checked_mul(size)
                .ok_or_else(|| malformed(format!("array of {count} elements overflows 64 bits")))?;
            self.take(bytes, "array")?;
            return Ok(());
        }
        let min_element_bytes = match element_type {
            8 => 8,
            9 => 4 + 8,
            _ => return Err(unknown_type(element_type).into()),
        };
        let count = self.count(min_element_bytes, "array length")?;
        if count > MAX_ARRAY_LEN {
            return Err(too_large("array_length", MAX_ARRAY_LEN, format!("array declares {count} elements")));
        }
        for _ in 0..count {
            self.value(element_type, depth + 1)?;
        }
        Ok(())
    }
}

fn fixed_size(value_type: u32) -> Option<u64> {
    match value_type {
        0 | 1 | 7 => Some(1),
        2 | 3 => Some(2),
        4..=6 => Some(4),
        10..=12 => Some(8),
        _ => None,
    }
}

fn unknown_type(value_type: u32) -> FactsError {
    malformed(format!("unknown metadata value type {value_type}"))
}

fn read_header(r: &mut Reader<'_>) -> Result<GgufFacts, Stop> {
    r.take(4, "magic")?;
    let version = r.u32("version")?;
    if version != 2 && version != 3 {
        let reason = if matches!(version.swap_bytes(), 2 | 3) {
            "big-endian GGUF is not supported".to_owned()
        } else {
            format!("version {version} is not supported (only 2 and 3)")
        };
        return Err(unsupported(reason).into());
    }
    let tensor_count = r.u64("tensor count")?;
    let kv_count = r.count(MIN_KV_BYTES, "metadata count")?;
    if tensor_count > r.remaining_in_file() / MIN_TENSOR_INFO_BYTES {
        return Err(malformed(format!("tensor count {tensor_count} cannot fit in the file")).into());
    }
    if kv_count > MAX_KV_COUNT {
        return Err(too_large(
            "metadata_count",
            MAX_KV_COUNT,
            format!("header declares {kv_count} metadata keys"),
        ));
    }
    if tensor_count > MAX_TENSORS {
        return Err(too_large(
            "tensor_count",
            MAX_TENSORS,
            format!("header declares {tensor_count} tensors"),
        ));
    }

    let mut facts = GgufFacts { version, tensor_count, ..GgufFacts::default() };
    let mut alignment = DEFAULT_ALIGNMENT;
    // `<arch>.*` keys may precede `general.architecture`, so keep the candidates.
    let mut per_architecture = BTreeMap::<String, u64>::new();
    for index in 0..kv_count {
        let key = r
            .string(MAX_NAME_BYTES, "name_bytes", "metadata key")
            .map_err(|s| s.within(|| format!("key {index}")))?;
        let key =
            std::str::from_utf8(key).map_err(|_| malformed(format!("metadata key {index} is not UTF-8")))?;
        let place = || format!("metadata '{}'", shorten(key));
        let value_type = r.u32("value type").map_err(|s| s.within(place))?;
        let value = r.value(value_type, 0).map_err(|s| s.within(place))?;
        match key {
            "general.architecture" => facts.architecture = value.as_string(key)?,
            "general.name" => facts.name = value.as_string(key)?,
            "general.file_type" => facts.file_type = value.as_u64().and_then(|v| u32::try_from(v).ok()),
            "general.alignment" => {
                alignment = value
                    .as_u64()
                    .filter(|a| a.is_power_of_two())
                    .ok_or_else(|| malformed("general.alignment is not a power of two"))?;
            }
            _ if ARCH_KEYS.iter().any(|s| key.ends_with(s)) => {
                if let Some(v) = value.as_u64() {
                    per_architecture.insert(key.to_owned(), v);
                }
            }
            _ => {}
        }
    }
    if let Some(arch) = &facts.architecture {
        let get = |suffix: &str| per_architecture.get(&format!("{arch}.{suffix}")).copied();
        facts.context_length = get("context_length");
        facts.block_count = get("block_count");
        facts.embedding_length = get("embedding_length");
        let heads = get("attention.head_count");
        facts.attention = AttentionShape {
            layers: facts.block_count,
            heads,
            kv_heads: get("attention.head_count_kv"),
            key_dim: get("attention.key_length"),
            value_dim: get("attention.value_length"),
            hidden_size: facts.embedding_length,
            // Windows are not applied from GGUF: the key does not say which layers use it
            // (Gemma interleaves), and counting every layer in full only overestimates.
            sliding_window: None,
            window_layers: None,
        };
    }
    facts.quantization = facts.file_type.and_then(quantization_name).map(str::to_owned);

    let mut last_offset = 0u64;
    let mut weight_bytes = Some(0u64);
    for index in 0..tensor_count {
        let name = r
            .string(MAX_NAME_BYTES, "name_bytes", "tensor name")
            .map_err(|s| s.within(|| format!("tensor {index}")))?;
        let name = String::from_utf8_lossy(name);
        let place = || format!("tensor '{}'", shorten(&name));
        let n_dims = r.u32("dimension count").map_err(|s| s.within(place))?;
        if n_dims > MAX_DIMS {
            return Err(
                Stop::from(malformed(format!("{n_dims} dimensions, at most {MAX_DIMS}"))).within(place)
            );
        }
        let mut elements = 1u64;
        for _ in 0..n_dims {
            let dim = r.u64("dimension").map_err(|s| s.within(place))?;
            elements = elements
                .checked_mul(dim)
                .ok_or_else(|| Stop::from(malformed("element count overflows 64 bits")).within(place))?;
        }
        let ggml_type = r.u32("tensor type").map_err(|s| s.within(place))?;
        weight_bytes = weight_bytes
            .zip(ggml_types::tensor_bytes(ggml_type, elements))
            .and_then(|(sum, bytes)| sum.checked_add(bytes));
        last_offset = last_offset.max(r.u64("data offset").map_err(|s| s.within(place))?);
        facts.parameters = facts
            .parameters
            .checked_add(elements)
            .ok_or_else(|| malformed("total parameter count overflows 64 bits"))?;
    }
    facts.weight_bytes = weight_bytes.filter(|_| tensor_count > 0);
    if tensor_count > 0 {
        let data_start = r.pos.div_ceil(alignment).saturating_mul(alignment);
        if data_start.saturating_add(last_offset) > r.file_size {
            return Err(malformed(format!(
                "tensor data offset {last_offset} lies past the end of the {}-byte file",
                r.file_size
            ))
            .into());
        }
    }
    Ok(facts)
}

#[cfg(test)]
mod tests;
