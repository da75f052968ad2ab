//! Search flags turned into lookup queries, and flag values the parser refuses.

use clap::Parser;

use super::*;
use crate::commands::{Cli, Command};

fn parse(args: &[&str]) -> SearchArgs {
    let mut argv = vec!["modelreg", "search"];
    argv.extend_from_slice(args);
    match Cli::try_parse_from(argv).unwrap().command {
        Command::Search(args) => *args,
        other => panic!("parsed {other:?}"),
    }
}

fn pairs(args: &[&str]) -> Vec<(String, String)> {
    parse(args).to_query().to_pairs().into_iter().map(|(k, v)| (k.to_owned(), v)).collect()
}

fn p(k: &str, v: &str) -> (String, String) {
    (k.to_owned(), v.to_owned())
}

#[test]
fn a_bare_search_sends_no_parameters() {
    assert_eq!(pairs(&[]), []);
    assert_eq!(pairs(&["--all"]), [p("limit", "200")]);
}

#[test]
fn every_flag_becomes_its_query_parameter() {
    let got = pairs(&[
        "french",
        "chat",
        "--namespace",
        "acme",
        "--license",
        "MIT",
        "--license-class",
        "permissive",
        "--commercial-use",
        "--modality",
        "text",
        "--input-modality",
        "image",
        "--output-modality",
        "text",
        "--task",
        "text-generation",
        "--language",
        "fr",
        "--language",
        "DE",
        "--any-language",
        "en",
        "--min-context",
        "8192",
        "--max-context",
        "131072",
        "--min-params",
        "500M",
        "--max-params",
        "1.5B",
        "--max-size",
        "4GiB",
        "--format",
        "gguf",
        "--framework",
        "llama.cpp",
        "--precision",
        "bf16",
        "--quantization",
        "q4_k_m",
        "--base-model",
        "acme/base",
        "--fine-tunable=false",
        "--max-latency-ms",
        "250",
        "--hardware",
        "a100",
        "--has-risk-notes",
        "--tag",
        "chat",
        "--label",
        "team:nlp",
        "--sort",
        "context_length",
        "--order",
        "desc",
        "--limit",
        "50",
        "--cursor",
        "abc",
        "--all-versions",
        "--include-yanked",
    ]);
    assert_eq!(
        got,
        [
            p("q", "french chat"),
            p("namespace", "acme"),
            p("license", "MIT"),
            p("license_class", "permissive"),
            p("commercial_use", "true"),
            p("modality", "text"),
            p("input_modality", "image"),
            p("output_modality", "text"),
            p("task", "text-generation"),
            p("language", "fr"),
            p("language", "de"),
            p("any_language", "en"),
            p("min_context", "8192"),
            p("max_context", "131072"),
            p("min_params", "500000000"),
            p("max_params", "1500000000"),
            p("max_size_bytes", "4294967296"),
            p("format", "gguf"),
            p("framework", "llama.cpp"),
            p("precision", "bf16"),
            p("quantization", "q4_k_m"),
            p("base_model", "acme/base"),
            p("fine_tunable", "false"),
            p("max_latency_ms", "250"),
            p("hardware", "a100"),
            p("has_risk_notes", "true"),
            p("tag", "chat"),
            p("label", "team:nlp"),
            p("sort", "context_length"),
            p("order", "desc"),
            p("limit", "50"),
            p("cursor", "abc"),
            p("versions", "all"),
            p("include_yanked", "true"),
        ]
    );
    // What the CLI sends, the registry parses back to the same query.
    let query = parse(&["--q", "x y", "--max-params", "3B", "--label", "a:b:c"]).to_query();
    let sent = query.to_pairs();
    assert_eq!(LookupQuery::from_pairs(sent.iter().map(|(k, v)| (*k, v.as_str()))).unwrap(), query);
}

#[test]
fn bad_filter_values_are_usage_errors() {
    for args in [
        &["search", "--task", "chat"][..],
        &["search", "--language", "english"],
        &["search", "--max-params", "lots"],
        &["search", "--max-size", "4PB"],
        &["search", "--sort", "random"],
        &["search", "--limit", "0"],
        &["search", "--limit", "201"],
        &["search", "--label", "nocolon"],
        &["search", "--hardware", "a100"],
        &["search", "--max-latency-ms", "-1"],
        &["search", "--license-class", "free"],
        &["search", "text", "--q", "other"],
    ] {
        let mut argv = vec!["modelreg"];
        argv.extend_from_slice(args);
        let err = Cli::try_parse_from(argv).unwrap_err();
        assert_eq!(err.exit_code(), 2, "{args:?}");
    }
}

#[test]
fn invalid_query_errors_name_the_flag_from_the_details() {
    let err = |message: &str, details: Option<serde_json::Value>| ClientError::Api {
        status: reqwest::StatusCode::BAD_REQUEST,
        error: modelreg_api::ErrorBody { code: "invalid_query".into(), message: message.into(), details },
        retry_after: None,
    };
    let parameter = |name: &str| Some(serde_json::json!({ "parameter": name }));
    let shown = explain_query_error(err("min_params is greater than max_params", parameter("min_params")));
    assert_eq!(shown.to_string(), "min_params is greater than max_params (flag --min-params)");
    let shown = explain_query_error(err("bad", parameter("max_size_bytes")));
    assert!(shown.to_string().ends_with("(flag --max-size)"), "{shown}");
    // The message is for people: a parameter named only there is not read from it.
    let shown = explain_query_error(err("query parameter 'min_params': is greater than max_params", None));
    assert!(!shown.to_string().contains("flag"), "{shown}");
}

#[test]
fn evaluation_flags_become_one_query_sorted_best_first_unless_ordered() {
    let args = ["--eval", "Common_Voice:WER<=20", "--eval-language", "sw", "--sort", "eval:common_voice:wer"];
    assert_eq!(
        pairs(&args),
        [p("eval", "common_voice:wer<=20"), p("eval_language", "sw"), p("sort", "eval:common_voice:wer")],
        "a lower WER is better: ascending, the default, is not sent"
    );
    let query = parse(&["--sort", "eval:mmlu:accuracy"]).to_query();
    assert_eq!((query.sort, query.order), (SortKey::Eval, Order::Desc), "a higher accuracy is better");
    assert_eq!(parse(&["--sort", "eval:mmlu:accuracy", "--order", "asc"]).to_query().order, Order::Asc);
    for bad in [&["--eval", "common_voice:wer<20"][..], &["--eval", "wer<=20"], &["--sort", "eval:mmlu"]] {
        let mut argv = vec!["modelreg", "search"];
        argv.extend_from_slice(bad);
        assert_eq!(Cli::try_parse_from(argv).unwrap_err().exit_code(), 2, "{bad:?}");
    }
}
