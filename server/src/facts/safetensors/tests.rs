use serde_json::{Value, json};

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

fn too_large(result: Result<Parse<SafetensorsFacts>, FactsError>) -> (&'static str, String) {
    match result {
        Err(FactsError::TooLarge { kind: FileKind::Safetensors, limit, found, .. }) => (limit, found),
        other => panic!("expected a too-large safetensors error, got {other:?}"),
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
        &[("embed", "BF16", &[32, 8]), ("norm", "F32", &[8]), ("scale", "F32", &[]), ("mask", "BOOL", &[3])],
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
fn a_header_longer_than_the_limit_is_too_large_before_it_is_read() {
    let header_len = MAX_HEADER_BYTES + 1;
    let (limit, found) = too_large(parse_safetensors(&header_len.to_le_bytes(), 1 << 40));
    assert_eq!(limit, "header_bytes");
    assert!(found.contains(&header_len.to_string()), "{found}");
}

#[test]
fn a_header_at_the_limit_is_asked_for() {
    let len = MAX_HEADER_BYTES.to_le_bytes();
    assert_eq!(parse_safetensors(&len, 1 << 40).unwrap(), Parse::NeedMore(8 + MAX_HEADER_BYTES));
}

#[test]
fn a_long_shape_is_refused_at_the_rank_limit_without_being_stored() {
    let dims = vec!["1"; 1_000_000].join(",");
    let header = format!(r#"{{"w":{{"dtype":"F32","shape":[{dims}],"data_offsets":[0,4]}}}}"#);
    let (limit, found) = too_large(parse_whole(&raw_bytes(header.as_bytes(), 4)));
    assert_eq!(limit, "shape_rank");
    assert!(found.contains("tensor 'w'"), "{found}");
    let at_limit = vec![json!(1); MAX_RANK as usize];
    let header = json!({"w": {"dtype": "F32", "shape": at_limit, "data_offsets": [0, 4]}});
    assert_eq!(done(&raw_file(&header, 4)).parameters, 1);
}

#[test]
fn more_tensors_than_the_limit_are_too_large() {
    let entry = |i: u64| format!(r#""{i}":{{"dtype":"U8","shape":[],"data_offsets":[0,1]}}"#);
    let header = format!("{{{}}}", (0..=MAX_TENSORS).map(entry).collect::<Vec<_>>().join(","));
    assert!(header.len() as u64 <= MAX_HEADER_BYTES);
    assert_eq!(too_large(parse_whole(&raw_bytes(header.as_bytes(), 1))).0, "tensor_count");
}

#[test]
fn long_names_and_dtypes_are_too_large() {
    let name = "n".repeat(MAX_NAME_BYTES as usize + 1);
    let header = json!({name: {"dtype": "F32", "shape": [1], "data_offsets": [0, 4]}});
    assert_eq!(too_large(parse_whole(&raw_file(&header, 4))).0, "tensor_name_bytes");
    let dtype = "F".repeat(MAX_DTYPE_BYTES as usize + 1);
    let header = json!({"w": {"dtype": dtype, "shape": [1], "data_offsets": [0, 4]}});
    assert_eq!(too_large(parse_whole(&raw_file(&header, 4))).0, "dtype_bytes");
}

#[test]
fn more_distinct_dtypes_than_the_limit_are_too_large() {
    let mut header = serde_json::Map::new();
    for i in 0..=MAX_DTYPES {
        header
            .insert(format!("t{i}"), json!({"dtype": format!("X{i}"), "shape": [1], "data_offsets": [0, 0]}));
    }
    assert_eq!(too_large(parse_whole(&raw_file(&Value::Object(header), 0))).0, "distinct_dtypes");
}

#[test]
fn metadata_beyond_its_caps_is_checked_but_not_kept() {
    let mut metadata = serde_json::Map::new();
    for i in 0..MAX_METADATA_ENTRIES + 10 {
        metadata.insert(format!("k{i:04}"), json!("v"));
    }
    metadata.insert("a_long".into(), json!("x".repeat(MAX_METADATA_VALUE_BYTES + 1)));
    let header =
        json!({"__metadata__": metadata, "w": {"dtype": "U8", "shape": [1], "data_offsets": [0, 1]}});
    let facts = done(&raw_file(&header, 1));
    assert_eq!(facts.metadata.len(), MAX_METADATA_ENTRIES);
    assert!(!facts.metadata.contains_key("a_long"));
    assert_eq!(facts.parameters, 1);
}

#[test]
fn a_tensor_named_twice_is_malformed() {
    let entry = r#""w":{"dtype":"U8","shape":[1],"data_offsets":[0,1]}"#;
    let header = format!("{{{entry},{entry}}}");
    assert!(malformed_reason(parse_whole(&raw_bytes(header.as_bytes(), 1))).contains("twice"));
}

#[test]
fn unknown_tensor_fields_are_skipped() {
    let header = json!({"w": {"dtype": "U8", "shape": [2], "data_offsets": [0, 2], "extra": {"a": [1, 2]}}});
    assert_eq!(done(&raw_file(&header, 2)).parameters, 2);
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
    raw_bytes(header.to_string().as_bytes(), data_len)
}

fn raw_bytes(header: &[u8], data_len: usize) -> Vec<u8> {
    let mut file = (header.len() as u64).to_le_bytes().to_vec();
    file.extend_from_slice(header);
    file.resize(file.len() + data_len, 0);
    file
}

#[test]
fn tensor_bytes_sum_the_data_spans() {
    let file = safetensors_file(&[("a", "BF16", &[32, 8]), ("b", "F32", &[8]), ("c", "I8", &[5])], &[]);
    assert_eq!(done(&file).tensor_bytes, 32 * 8 * 2 + 8 * 4 + 5);
}
