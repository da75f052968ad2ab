//! safetensors header parsing: an 8-byte little-endian header length, then a JSON object of
//! tensor name -> {dtype, shape, data_offsets} plus an optional `__metadata__` string map.
//! Reads only the header; tensor data is never touched.

use std::collections::BTreeMap;

use serde::Deserialize;
use serde_json::Value;

use super::{FactsError, FileKind, Parse, shorten};

/// The reference implementation refuses headers above 100 MB; so do we.
const MAX_HEADER_BYTES: u64 = 100 * 1024 * 1024;
const LEN_BYTES: u64 = 8;
const METADATA_KEY: &str = "__metadata__";

/// What a safetensors header says about the model.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SafetensorsFacts {
    /// Total number of elements over all tensors.
    pub parameters: u64,
    /// Elements per dtype name as written in the file (`"BF16"`, `"F32"`, ...).
    pub parameters_by_dtype: BTreeMap<String, u64>,
    /// The distinct dtypes, sorted.
    pub dtypes: Vec<String>,
    /// The free-form `__metadata__` map.
    pub metadata: BTreeMap<String, String>,
}

#[derive(Deserialize)]
struct TensorInfo {
    dtype: String,
    shape: Vec<u64>,
    data_offsets: [u64; 2],
}

fn malformed(reason: impl Into<String>) -> FactsError {
    FactsError::malformed(FileKind::Safetensors, reason)
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
    if header_len > MAX_HEADER_BYTES {
        return Err(malformed(format!(
            "header length {header_len} exceeds the {MAX_HEADER_BYTES}-byte limit"
        )));
    }
    let header_end = LEN_BYTES + header_len;
    if header_end > file_size {
        return Err(malformed(format!(
            "header length {header_len} runs past the end of the {file_size}-byte file"
        )));
    }
    let Some(header) = usize::try_from(header_end).ok().and_then(|end| prefix.get(8..end)) else {
        return Ok(Parse::NeedMore(header_end));
    };
    let data_len = file_size - header_end;
    parse_header(header, data_len).map(Parse::Done)
}

fn parse_header(header: &[u8], data_len: u64) -> Result<SafetensorsFacts, FactsError> {
    let header = std::str::from_utf8(header).map_err(|e| malformed(format!("header is not UTF-8: {e}")))?;
    let Value::Object(entries) =
        serde_json::from_str(header).map_err(|e| malformed(format!("header is not valid JSON: {e}")))?
    else {
        return Err(malformed("header is not a JSON object"));
    };

    let mut facts = SafetensorsFacts::default();
    for (name, value) in entries {
        if name == METADATA_KEY {
            facts.metadata = parse_metadata(value)?;
            continue;
        }
        let info: TensorInfo = serde_json::from_value(value)
            .map_err(|e| malformed(format!("tensor '{}': {e}", shorten(&name))))?;
        let elements = check_tensor(&info, data_len).map_err(|reason| {
            malformed(format!("tensor '{}' ({} {:?}): {reason}", shorten(&name), info.dtype, info.shape))
        })?;
        facts.parameters = facts
            .parameters
            .checked_add(elements)
            .ok_or_else(|| malformed("total parameter count overflows 64 bits"))?;
        let per_dtype = facts.parameters_by_dtype.entry(info.dtype).or_default();
        // Cannot overflow: bounded by the total checked above.
        *per_dtype += elements;
    }
    facts.dtypes = facts.parameters_by_dtype.keys().cloned().collect();
    Ok(facts)
}

fn parse_metadata(value: Value) -> Result<BTreeMap<String, String>, FactsError> {
    let Value::Object(map) = value else {
        return Err(malformed("__metadata__ is not a JSON object"));
    };
    map.into_iter()
        .map(|(key, value)| match value {
            Value::String(s) => Ok((key, s)),
            _ => Err(malformed(format!("__metadata__ value for '{}' is not a string", shorten(&key)))),
        })
        .collect()
}

/// The tensor's element count, after checking its offsets against its dtype and the data
/// section.
fn check_tensor(info: &TensorInfo, data_len: u64) -> Result<u64, String> {
    let elements = info
        .shape
        .iter()
        .try_fold(1u64, |acc, &dim| acc.checked_mul(dim))
        .ok_or_else(|| "element count overflows 64 bits".to_owned())?;
    let [begin, end] = info.data_offsets;
    if begin > end {
        return Err(format!("data_offsets [{begin}, {end}] are reversed"));
    }
    if end > data_len {
        return Err(format!("data_offsets end {end} is past the {data_len}-byte data section"));
    }
    if let Some(size) = dtype_size(&info.dtype) {
        let expected = elements.checked_mul(size).ok_or_else(|| "byte size overflows 64 bits".to_owned())?;
        if end - begin != expected {
            return Err(format!(
                "data_offsets [{begin}, {end}] span {} bytes, expected {expected}",
                end - begin
            ));
        }
    }
    Ok(elements)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::facts::test_files::safetensors_file;

    fn parse_whole(file: &[u8]) -> Result<Parse<SafetensorsFacts>, FactsError> {
        parse_safetensors(file, file.len() as u64)
    }

    fn done(file: &[u8]) -> SafetensorsFacts {
        match parse_whole(file) {
            Ok(Parse::Done(facts)) => facts,
            other => panic!("expected facts, got {other:?}"),
        }
    }

    fn malformed_reason(result: Result<Parse<SafetensorsFacts>, FactsError>) -> String {
        match result {
            Err(FactsError::Malformed { kind: FileKind::Safetensors, reason }) => reason,
            other => panic!("expected a malformed-safetensors error, got {other:?}"),
        }
    }

    #[test]
    fn counts_parameters_per_dtype_and_reads_metadata() {
        let file = safetensors_file(
            &[
                ("embed", "BF16", &[32, 8]),
                ("norm", "F32", &[8]),
                ("scale", "F32", &[]),
                ("mask", "BOOL", &[3]),
            ],
            &[("format", "pt")],
        );
        let facts = done(&file);
        assert_eq!(facts.parameters, 256 + 8 + 1 + 3);
        assert_eq!(
            facts.parameters_by_dtype,
            BTreeMap::from([("BF16".into(), 256), ("BOOL".into(), 3), ("F32".into(), 9)])
        );
        assert_eq!(facts.dtypes, ["BF16", "BOOL", "F32"]);
        assert_eq!(facts.metadata, BTreeMap::from([("format".into(), "pt".into())]));
    }

    #[test]
    fn a_header_without_tensors_has_zero_parameters() {
        let facts = done(&safetensors_file(&[], &[]));
        assert_eq!(facts, SafetensorsFacts::default());
    }

    #[test]
    fn a_short_prefix_asks_for_exactly_the_header() {
        let file = safetensors_file(&[("w", "F16", &[1024, 1024])], &[]);
        let size = file.len() as u64;
        let header_end = 8 + u64::from_le_bytes(file[..8].try_into().unwrap());
        assert_eq!(parse_safetensors(&file[..3], size).unwrap(), Parse::NeedMore(8));
        assert_eq!(parse_safetensors(&file[..8], size).unwrap(), Parse::NeedMore(header_end));
        let short = &file[..header_end as usize - 1];
        assert_eq!(parse_safetensors(short, size).unwrap(), Parse::NeedMore(header_end));
        let Parse::Done(facts) = parse_safetensors(&file[..header_end as usize], size).unwrap() else {
            panic!("the header alone must be enough");
        };
        assert_eq!(facts.parameters, 1024 * 1024);
    }

    #[test]
    fn a_header_length_past_the_end_of_the_file_is_malformed() {
        let mut file = safetensors_file(&[("w", "F32", &[4])], &[]);
        file.truncate(20);
        assert!(malformed_reason(parse_whole(&file)).contains("past the end"));
    }

    #[test]
    fn an_absurd_header_length_is_refused_before_asking_for_it() {
        let mut file = 200_000_000u64.to_le_bytes().to_vec();
        file.extend_from_slice(b"{}");
        let reason = malformed_reason(parse_safetensors(&file, 1 << 40));
        assert!(reason.contains("limit"), "{reason}");
    }

    #[test]
    fn a_file_shorter_than_the_length_field_is_malformed() {
        malformed_reason(parse_whole(&[1, 0, 0]));
    }

    #[test]
    fn a_shape_whose_product_overflows_is_malformed() {
        let header = json!({"w": {"dtype": "F32", "shape": [u64::MAX, 2], "data_offsets": [0, 0]}});
        let reason = malformed_reason(parse_whole(&raw_file(&header, 0)));
        assert!(reason.contains("overflows"), "{reason}");
    }

    #[test]
    fn a_negative_or_fractional_dimension_is_malformed() {
        for shape in [json!([-1]), json!([2.5]), json!("4")] {
            let header = json!({"w": {"dtype": "F32", "shape": shape, "data_offsets": [0, 4]}});
            malformed_reason(parse_whole(&raw_file(&header, 4)));
        }
    }

    #[test]
    fn offsets_that_disagree_with_dtype_and_shape_are_malformed() {
        let header = json!({"w": {"dtype": "F16", "shape": [4], "data_offsets": [0, 16]}});
        let reason = malformed_reason(parse_whole(&raw_file(&header, 16)));
        assert!(reason.contains("expected 8"), "{reason}");
    }

    #[test]
    fn offsets_past_the_data_section_or_reversed_are_malformed() {
        let past = json!({"w": {"dtype": "U8", "shape": [8], "data_offsets": [4, 12]}});
        assert!(malformed_reason(parse_whole(&raw_file(&past, 8))).contains("past"));
        let reversed = json!({"w": {"dtype": "U8", "shape": [0], "data_offsets": [4, 0]}});
        assert!(malformed_reason(parse_whole(&raw_file(&reversed, 8))).contains("reversed"));
    }

    #[test]
    fn dtypes_without_a_whole_byte_size_are_counted_without_an_offset_check() {
        let header = json!({"w": {"dtype": "F4", "shape": [8], "data_offsets": [0, 4]}});
        let facts = done(&raw_file(&header, 4));
        assert_eq!(facts.parameters_by_dtype, BTreeMap::from([("F4".into(), 8)]));
    }

    #[test]
    fn headers_that_are_not_objects_or_have_bad_metadata_are_malformed() {
        for header in [
            json!([1, 2]),
            json!({"w": "not a tensor"}),
            json!({"w": {"dtype": "F32", "shape": [1]}}),
            json!({"__metadata__": {"n": 1}}),
            json!({"__metadata__": "x"}),
        ] {
            malformed_reason(parse_whole(&raw_file(&header, 4)));
        }
        let mut file = 4u64.to_le_bytes().to_vec();
        file.extend_from_slice(b"{\xff}\0");
        assert!(malformed_reason(parse_whole(&file)).contains("UTF-8"));
    }

    #[test]
    fn header_padding_with_trailing_spaces_is_accepted() {
        let mut file = safetensors_file(&[("w", "I8", &[2])], &[]);
        let len = u64::from_le_bytes(file[..8].try_into().unwrap()) as usize;
        file.splice(8 + len..8 + len, *b"    ");
        file[..8].copy_from_slice(&(len as u64 + 4).to_le_bytes());
        assert_eq!(done(&file).parameters, 2);
    }

    fn raw_file(header: &Value, data_len: usize) -> Vec<u8> {
        let header = header.to_string().into_bytes();
        let mut file = (header.len() as u64).to_le_bytes().to_vec();
        file.extend_from_slice(&header);
        file.resize(file.len() + data_len, 0);
        file
    }
}
