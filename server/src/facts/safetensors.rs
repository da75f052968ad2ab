//! safetensors header parsing: an 8-byte little-endian header length, then a JSON object of
//! tensor name -> {dtype, shape, data_offsets} plus an optional `__metadata__` string map.
//! Reads only the header; tensor data is never touched.
//!
//! The header is walked with serde visitors, never built into a `serde_json::Value`: per
//! tensor only its dtype, its element count (the product of `shape`, counted as it streams
//! by) and its offsets are kept, so memory is the header bytes plus a few words per tensor.

use std::cell::RefCell;
use std::collections::{BTreeMap, HashSet};
use std::fmt;
use std::hash::BuildHasher;

use serde::de::{self, DeserializeSeed, IgnoredAny, MapAccess, SeqAccess, Visitor};

use super::{FactsError, FileKind, MAX_TENSORS, Parse, shorten};

/// Longest header read. The reference implementation allows 100 MB, but real headers are
/// far smaller: about 100-200 KiB for a 1,000-tensor checkpoint, a few MiB with a large
/// `__metadata__` (training tags of LoRA files).
pub const MAX_HEADER_BYTES: u64 = 16 << 20;
/// Most dimensions a tensor may have (NumPy 2's limit).
pub const MAX_RANK: u64 = 64;
/// Longest tensor name, in bytes (real ones are under 200).
pub const MAX_NAME_BYTES: u64 = 4096;
/// Longest dtype name (`F8_E4M3FNUZ` is 11).
pub const MAX_DTYPE_BYTES: u64 = 32;
/// Most distinct dtypes in one file (the format defines about 20).
pub const MAX_DTYPES: u64 = 64;
/// `__metadata__` entries kept; further ones are checked but not kept.
const MAX_METADATA_ENTRIES: usize = 256;
/// `__metadata__` keys and values longer than this are checked but not kept.
const MAX_METADATA_VALUE_BYTES: usize = 64 << 10;
const LEN_BYTES: u64 = 8;
const METADATA_KEY: &str = "__metadata__";

/// What a safetensors header says about the model.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SafetensorsFacts {
    /// Total number of elements over all tensors.
    pub parameters: u64,
    /// Elements per dtype name as written in the file (`"BF16"`, `"F32"`, ...).
    pub parameters_by_dtype: BTreeMap<String, u64>,
    /// Bytes of tensor data over all tensors (the sum of their `data_offsets` spans, which
    /// the parser checks against elements x dtype size): the weights' memory.
    pub tensor_bytes: u64,
    /// The distinct dtypes, sorted.
    pub dtypes: Vec<String>,
    /// The free-form `__metadata__` map, up to 256 entries of at most 64 KiB each.
    pub metadata: BTreeMap<String, String>,
}

fn malformed(reason: impl Into<String>) -> FactsError {
    FactsError::malformed(FileKind::Safetensors, reason)
}

fn too_large(limit: &'static str, max: u64, found: impl Into<String>) -> FactsError {
    FactsError::too_large(FileKind::Safetensors, limit, max, found)
}

/// Bytes per element, for the dtypes whose size is a whole number of bytes.
fn dtype_size(dtype: &str) -> Option<u64> {
    match dtype {
        "F64" | "I64" | "U64" => Some(8),
        "F32" | "I32" | "U32" => Some(4),
        "F16" | "BF16" | "I16" | "U16" => Some(2),
        "I8" | "U8" | "BOOL" | "F8_E4M3" | "F8_E5M2" => Some(1),
        _ => None,
    }
}

/// Parses the header of a safetensors file from the first `prefix.len()` bytes of a file of
/// `file_size` bytes. Asks for exactly `8 + header length` bytes when the prefix is short.
pub fn parse_safetensors(prefix: &[u8], file_size: u64) -> Result<Parse<SafetensorsFacts>, FactsError> {
    if prefix.len() as u64 > file_size {
        return Err(malformed(format!("read {} bytes of a {file_size}-byte file", prefix.len())));
    }
    if file_size < LEN_BYTES {
        return Err(malformed(format!(
            "the file is {file_size} bytes, too short for the 8-byte header length"
        )));
    }
    let Some(len_bytes) = prefix.first_chunk::<8>() else {
        return Ok(Parse::NeedMore(LEN_BYTES));
    };
    let header_len = u64::from_le_bytes(*len_bytes);
    let header_end = LEN_BYTES.saturating_add(header_len);
    if header_end > file_size {
        return Err(malformed(format!(
            "header length {header_len} runs past the end of the {file_size}-byte file"
        )));
    }
    if header_len > MAX_HEADER_BYTES {
        return Err(too_large(
            "header_bytes",
            MAX_HEADER_BYTES,
            format!("header declares {header_len} bytes"),
        ));
    }
    let Some(header) = usize::try_from(header_end).ok().and_then(|end| prefix.get(8..end)) else {
        return Ok(Parse::NeedMore(header_end));
    };
    let data_len = file_size - header_end;
    parse_header(header, data_len).map(Parse::Done)
}

fn parse_header(header: &[u8], data_len: u64) -> Result<SafetensorsFacts, FactsError> {
    let header = std::str::from_utf8(header).map_err(|e| malformed(format!("header is not UTF-8: {e}")))?;
    if !header.trim_start().starts_with('{') {
        return Err(malformed("header is not a JSON object"));
    }
    let failure = Failure::default();
    let mut de = serde_json::Deserializer::from_str(header);
    let parsed = de::Deserializer::deserialize_map(&mut de, HeaderVisitor { failure: &failure, data_len })
        .and_then(|facts| de.end().map(|()| facts));
    parsed.map_err(|e| failure.take().unwrap_or_else(|| malformed(format!("header is not valid JSON: {e}"))))
}

/// The first error a visitor found, kept beside serde's error so that its kind (malformed
/// or too large) and its wording survive the trip through `serde_json::Error`.
#[derive(Default)]
struct Failure(RefCell<Option<FactsError>>);

impl Failure {
    fn fail<E: de::Error>(&self, error: FactsError) -> E {
        let message = error.to_string();
        self.0.borrow_mut().get_or_insert(error);
        E::custom(message)
    }

    /// Records `error` as malformed-at-`place` unless a more precise error came first.
    fn within<E: de::Error>(&self, place: impl FnOnce() -> String, error: E) -> E {
        let mut first = self.0.borrow_mut();
        if first.is_none() {
            *first = Some(malformed(format!("{}: {error}", place())));
        }
        error
    }

    fn take(&self) -> Option<FactsError> {
        self.0.borrow_mut().take()
    }
}

/// The top-level object: tensors and `__metadata__`.
struct HeaderVisitor<'a> {
    failure: &'a Failure,
    data_len: u64,
}

impl<'de> Visitor<'de> for HeaderVisitor<'_> {
    type Value = SafetensorsFacts;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON object of tensors")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let failure = self.failure;
        let mut facts = SafetensorsFacts::default();
        // Names are remembered by a keyed hash, not copied: a repeated name is caught
        // without holding every name (a false alarm needs a 64-bit collision).
        let hasher = std::collections::hash_map::RandomState::new();
        let mut seen = HashSet::new();
        let mut tensors = 0u64;
        while let Some(name) =
            map.next_key_seed(CappedStr { failure, limit: "tensor_name_bytes", max: MAX_NAME_BYTES })?
        {
            if name == METADATA_KEY {
                facts.metadata = map
                    .next_value_seed(MetadataSeed { failure })
                    .map_err(|e| failure.within(|| METADATA_KEY.to_owned(), e))?;
                continue;
            }
            tensors += 1;
            if tensors > MAX_TENSORS {
                return Err(failure.fail(too_large(
                    "tensor_count",
                    MAX_TENSORS,
                    format!("header has more than {MAX_TENSORS} tensors"),
                )));
            }
            if !seen.insert(hasher.hash_one(&name)) {
                return Err(failure.fail(malformed(format!("tensor '{}' appears twice", shorten(&name)))));
            }
            let tensor = map
                .next_value_seed(TensorSeed { failure, name: &name })
                .map_err(|e| failure.within(|| format!("tensor '{}'", shorten(&name)), e))?;
            let elements = tensor.check(self.data_len).map_err(|reason| {
                failure.fail(malformed(format!(
                    "tensor '{}' ({} of {} dimensions): {reason}",
                    shorten(&name),
                    tensor.dtype,
                    tensor.rank
                )))
            })?;
            facts.parameters = facts
                .parameters
                .checked_add(elements)
                .ok_or_else(|| failure.fail(malformed("total parameter count overflows 64 bits")))?;
            if !facts.parameters_by_dtype.contains_key(&tensor.dtype)
                && facts.parameters_by_dtype.len() as u64 >= MAX_DTYPES
            {
                return Err(failure.fail(too_large(
                    "distinct_dtypes",
                    MAX_DTYPES,
                    format!("header uses more than {MAX_DTYPES} dtypes"),
                )));
            }
            // Each span lies within the data section, but a hostile file may overlap them.
            facts.tensor_bytes = facts.tensor_bytes.saturating_add(tensor.offsets[1] - tensor.offsets[0]);
            // Cannot overflow: bounded by the total checked above.
            *facts.parameters_by_dtype.entry(tensor.dtype).or_default() += elements;
        }
        facts.dtypes = facts.parameters_by_dtype.keys().cloned().collect();
        Ok(facts)
    }
}

/// A string of at most `max` bytes, refused as too large beyond that.
struct CappedStr<'a> {
    failure: &'a Failure,
    limit: &'static str,
    max: u64,
}

impl<'de> DeserializeSeed<'de> for CappedStr<'_> {
    type Value = String;

    fn deserialize<D: de::Deserializer<'de>>(self, deserializer: D) -> Result<String, D::Error> {
        deserializer.deserialize_str(self)
    }
}

impl Visitor<'_> for CappedStr<'_> {
    type Value = String;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "a string of at most {} bytes", self.max)
    }

    fn visit_str<E: de::Error>(self, s: &str) -> Result<String, E> {
        if s.len() as u64 > self.max {
            let found =
                format!("{} of {} bytes '{}'", self.limit.trim_end_matches("_bytes"), s.len(), shorten(s));
            return Err(self.failure.fail(too_large(self.limit, self.max, found)));
        }
        Ok(s.to_owned())
    }
}

/// What one tensor entry holds, without its shape.
struct Tensor {
    dtype: String,
    rank: u64,
    /// The product of the shape; `None` when it overflows 64 bits.
    elements: Option<u64>,
    offsets: [u64; 2],
}

impl Tensor {
    /// The element count, after checking the offsets against the dtype and the data section.
    fn check(&self, data_len: u64) -> Result<u64, String> {
        let elements = self.elements.ok_or_else(|| "element count overflows 64 bits".to_owned())?;
        let [begin, end] = self.offsets;
        if begin > end {
            return Err(format!("data_offsets [{begin}, {end}] are reversed"));
        }
        if end > data_len {
            return Err(format!("data_offsets end {end} is past the {data_len}-byte data section"));
        }
        if let Some(size) = dtype_size(&self.dtype) {
            let expected =
                elements.checked_mul(size).ok_or_else(|| "byte size overflows 64 bits".to_owned())?;
            if end - begin != expected {
                return Err(format!(
                    "data_offsets [{begin}, {end}] span {} bytes, expected {expected}",
                    end - begin
                ));
            }
        }
        Ok(elements)
    }
}

struct TensorSeed<'a> {
    failure: &'a Failure,
    name: &'a str,
}

impl<'de> DeserializeSeed<'de> for TensorSeed<'_> {
    type Value = Tensor;

    fn deserialize<D: de::Deserializer<'de>>(self, deserializer: D) -> Result<Tensor, D::Error> {
        deserializer.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for TensorSeed<'_> {
    type Value = Tensor;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a tensor object with dtype, shape and data_offsets")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Tensor, A::Error> {
        let (mut dtype, mut shape, mut offsets) = (None, None, None);
        while let Some(key) = map.next_key::<TensorField>()? {
            match key {
                TensorField::Dtype if dtype.is_none() => {
                    let seed =
                        CappedStr { failure: self.failure, limit: "dtype_bytes", max: MAX_DTYPE_BYTES };
                    dtype = Some(map.next_value_seed(seed)?);
                }
                TensorField::Shape if shape.is_none() => {
                    shape = Some(map.next_value_seed(ShapeSeed { failure: self.failure, name: self.name })?);
                }
                TensorField::DataOffsets if offsets.is_none() => {
                    offsets = Some(map.next_value::<[u64; 2]>()?)
                }
                TensorField::Dtype => return Err(de::Error::duplicate_field("dtype")),
                TensorField::Shape => return Err(de::Error::duplicate_field("shape")),
                TensorField::DataOffsets => return Err(de::Error::duplicate_field("data_offsets")),
                TensorField::Other => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        let dtype = dtype.ok_or_else(|| de::Error::missing_field("dtype"))?;
        let (rank, elements) = shape.ok_or_else(|| de::Error::missing_field("shape"))?;
        let offsets = offsets.ok_or_else(|| de::Error::missing_field("data_offsets"))?;
        Ok(Tensor { dtype, rank, elements, offsets })
    }
}

/// The keys of a tensor entry; others are skipped unread.
enum TensorField {
    Dtype,
    Shape,
    DataOffsets,
    Other,
}

impl<'de> de::Deserialize<'de> for TensorField {
    fn deserialize<D: de::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct FieldVisitor;
        impl Visitor<'_> for FieldVisitor {
            type Value = TensorField;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a field name")
            }

            fn visit_str<E: de::Error>(self, s: &str) -> Result<TensorField, E> {
                Ok(match s {
                    "dtype" => TensorField::Dtype,
                    "shape" => TensorField::Shape,
                    "data_offsets" => TensorField::DataOffsets,
                    _ => TensorField::Other,
                })
            }
        }
        deserializer.deserialize_identifier(FieldVisitor)
    }
}

/// A shape, read as its rank and the product of its dimensions; never stored.
struct ShapeSeed<'a> {
    failure: &'a Failure,
    name: &'a str,
}

impl<'de> DeserializeSeed<'de> for ShapeSeed<'_> {
    type Value = (u64, Option<u64>);

    fn deserialize<D: de::Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_seq(self)
    }
}

impl<'de> Visitor<'de> for ShapeSeed<'_> {
    type Value = (u64, Option<u64>);

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an array of dimensions")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        let (mut rank, mut elements) = (0u64, Some(1u64));
        while let Some(dim) = seq.next_element::<u64>()? {
            rank += 1;
            if rank > MAX_RANK {
                let found = format!("tensor '{}' has more than {MAX_RANK} dimensions", shorten(self.name));
                return Err(self.failure.fail(too_large("shape_rank", MAX_RANK, found)));
            }
            elements = elements.and_then(|n| n.checked_mul(dim));
        }
        Ok((rank, elements))
    }
}

/// `__metadata__`: a map of strings. Every value is checked to be a string; only the first
/// entries, and only short ones, are kept.
struct MetadataSeed<'a> {
    failure: &'a Failure,
}

impl<'de> DeserializeSeed<'de> for MetadataSeed<'_> {
    type Value = BTreeMap<String, String>;

    fn deserialize<D: de::Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for MetadataSeed<'_> {
    type Value = BTreeMap<String, String>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON object of strings")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut kept = BTreeMap::new();
        while let Some(key) = map.next_key::<ShortStr>()? {
            let value = map.next_value::<ShortStr>().map_err(|e| {
                let key = key.0.as_deref().unwrap_or("(a long key)");
                self.failure.within(|| format!("{METADATA_KEY} value for '{}'", shorten(key)), e)
            })?;
            if let (Some(key), Some(value)) = (key.0, value.0)
                && (kept.len() < MAX_METADATA_ENTRIES || kept.contains_key(&key))
            {
                kept.insert(key, value);
            }
        }
        Ok(kept)
    }
}

/// A string that is kept only when at most `MAX_METADATA_VALUE_BYTES` long.
struct ShortStr(Option<String>);

impl<'de> de::Deserialize<'de> for ShortStr {
    fn deserialize<D: de::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct ShortVisitor;
        impl Visitor<'_> for ShortVisitor {
            type Value = ShortStr;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a string")
            }

            fn visit_str<E: de::Error>(self, s: &str) -> Result<ShortStr, E> {
                Ok(ShortStr((s.len() <= MAX_METADATA_VALUE_BYTES).then(|| s.to_owned())))
            }
        }
        deserializer.deserialize_str(ShortVisitor)
    }
}

#[cfg(test)]
mod tests;
