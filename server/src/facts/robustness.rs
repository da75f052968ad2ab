//! Property-style checks over all parsers: truncated, mutated and random bytes never panic,
//! a prefix of a valid file is never an error, and `NeedMore` always asks for more than it
//! was given and never more than the file holds.

use super::test_files::{GgufWriter, XorShift, safetensors_file};
use super::{Parse, parse_config_json, parse_gguf, parse_safetensors, parse_tokenizer_config};

type BinaryParser<T> = fn(&[u8], u64) -> Result<Parse<T>, super::FactsError>;

fn valid_gguf() -> Vec<u8> {
    let tokens: Vec<String> = (0..300).map(|i| format!("t{i}")).collect();
    GgufWriter::new(3)
        .str("general.architecture", "llama")
        .u32("llama.context_length", 2048)
        .str_array("tokenizer.ggml.tokens", &tokens)
        .f32_array("tokenizer.ggml.scores", 300)
        .nested_array("test.nested")
        .tensor("a", &[8, 8])
        .tensor("b", &[8])
        .build()
        .0
}

fn valid_safetensors() -> Vec<u8> {
    safetensors_file(&[("a", "F16", &[8, 8]), ("b", "F32", &[8])], &[("format", "pt")])
}

/// Parses and checks the `NeedMore` contract; returns whether it produced facts.
fn parse_checked<T>(parse: BinaryParser<T>, prefix: &[u8], file_size: u64) -> bool {
    match parse(prefix, file_size) {
        Ok(Parse::Done(_)) => true,
        Ok(Parse::NeedMore(n)) => {
            assert!(n > prefix.len() as u64, "asked for {n} bytes after being given {}", prefix.len());
            assert!(n <= file_size, "asked for {n} bytes of a {file_size}-byte file");
            false
        }
        Err(_) => false,
    }
}

fn every_prefix_of_a_valid_file_is_facts_or_a_request_for_more<T: std::fmt::Debug>(
    parse: BinaryParser<T>,
    file: &[u8],
) {
    let size = file.len() as u64;
    for len in 0..=file.len() {
        match parse(&file[..len], size) {
            Ok(Parse::Done(_)) => {}
            Ok(Parse::NeedMore(n)) => assert!(n > len as u64 && n <= size, "asked for {n} after {len}"),
            Err(e) => panic!("prefix of {len} bytes of a valid file: {e}"),
        }
    }
}

#[test]
fn prefixes_of_valid_files_are_never_errors() {
    every_prefix_of_a_valid_file_is_facts_or_a_request_for_more(parse_gguf, &valid_gguf());
    every_prefix_of_a_valid_file_is_facts_or_a_request_for_more(parse_safetensors, &valid_safetensors());
}

#[test]
fn truncated_files_never_panic() {
    for file in [valid_gguf(), valid_safetensors()] {
        for len in 0..=file.len() {
            let cut = &file[..len];
            parse_checked(parse_gguf, cut, len as u64);
            parse_checked(parse_safetensors, cut, len as u64);
        }
    }
}

#[test]
fn mutated_files_never_panic() {
    let mut rng = XorShift(0x9E37_79B9_7F4A_7C15);
    for file in [valid_gguf(), valid_safetensors()] {
        for _ in 0..3_000 {
            let mut bytes = file.clone();
            for _ in 0..=rng.below(4) {
                let at = rng.below(bytes.len() as u64) as usize;
                bytes[at] = match rng.below(3) {
                    0 => rng.next_u64() as u8,
                    1 => 0xff,
                    _ => 0,
                };
            }
            let size = bytes.len() as u64 + rng.below(2) * rng.below(1 << 20);
            let len =
                if rng.below(2) == 0 { bytes.len() } else { rng.below(bytes.len() as u64 + 1) as usize };
            parse_checked(parse_gguf, &bytes[..len], size);
            parse_checked(parse_safetensors, &bytes[..len], size);
        }
    }
}

#[test]
fn random_bytes_never_panic() {
    let mut rng = XorShift(0xDEAD_BEEF_CAFE_F00D);
    for round in 0..5_000 {
        let len = rng.below(256) as usize;
        let mut bytes: Vec<u8> = (0..len).map(|_| rng.next_u64() as u8).collect();
        // Give half the inputs a plausible start so the parsers get past their first check.
        if round % 2 == 0 && len >= 8 {
            bytes[..4].copy_from_slice(b"GGUF");
            bytes[4..8].copy_from_slice(&(2 + rng.below(2) as u32).to_le_bytes());
        }
        let size = len as u64 + rng.below(3) * rng.below(u64::MAX / 4);
        parse_checked(parse_gguf, &bytes, size);
        parse_checked(parse_safetensors, &bytes, size);
        let _ = parse_config_json(&bytes);
        let _ = parse_tokenizer_config(&bytes);
    }
}

#[test]
fn mutated_json_never_panics() {
    let config = br#"{"architectures":["A"],"text_config":{"n_ctx":4096.0},"model_max_length":1e30}"#;
    let mut rng = XorShift(42);
    for _ in 0..3_000 {
        let mut bytes = config.to_vec();
        let at = rng.below(bytes.len() as u64) as usize;
        bytes[at] = rng.next_u64() as u8;
        let len = rng.below(bytes.len() as u64 + 1) as usize;
        let _ = parse_config_json(&bytes[..len]);
        let _ = parse_tokenizer_config(&bytes[..len]);
    }
}
