//! Evaluations end to end (issue 14): models pushed with `[[evaluations]]` in their
//! `modelreg.toml`, found and ranked by one `modelreg search --eval ... --sort eval:...`.

use tempfile::TempDir;

use super::{json_of, ok, run, write};
use modelreg_testkit::{ServerProcess, ServerSetup};

/// A speech model folder whose card states one word error rate on Common Voice.
fn asr_dir(wer: f64, language: &str) -> TempDir {
    let dir = TempDir::new().unwrap();
    write(dir.path(), "model.bin", format!("weights {wer} {language}").as_bytes());
    let toml = format!(
        "license = \"MIT\"\ntask = \"automatic-speech-recognition\"\n\n[[evaluations]]\ndataset = \"common_voice\"\nmetric = \"WER\"\nvalue = {wer:?}\nlanguage = \"{language}\"\n"
    );
    write(dir.path(), "modelreg.toml", toml.as_bytes());
    dir
}

#[tokio::test]
async fn swahili_asr_with_wer_under_20_is_one_search_ranked_best_first() {
    let setup = ServerSetup::embedded();
    let server = ServerProcess::start(&setup).await;
    let token = setup.create_token("ci", "write");
    let work = TempDir::new().unwrap();
    let url = server.url();
    for (model, wer, language) in [
        ("asr/fair", 19.0, "sw-KE"),
        ("asr/good", 12.5, "sw"),
        ("asr/poor", 31.0, "sw"),
        ("asr/english", 3.0, "en"),
    ] {
        let dir = asr_dir(wer, language);
        ok(run(
            url,
            Some(&token),
            work.path(),
            &["push", dir.path().to_str().unwrap(), "--model", model, "--version", "1.0.0"],
        ));
    }
    let search = [
        "search",
        "--task",
        "automatic-speech-recognition",
        "--eval",
        "common_voice:wer<=20",
        "--eval-language",
        "sw",
        "--sort",
        "eval:common_voice:wer",
    ];
    let found = json_of(&ok(run(url, Some(&token), work.path(), &[&search[..], &["--json"]].concat())));
    let rows: Vec<(String, f64)> = found["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| (r["model"].as_str().unwrap().to_owned(), r["eval_value"].as_f64().unwrap()))
        .collect();
    assert_eq!(rows, [("asr/good".to_owned(), 12.5), ("asr/fair".to_owned(), 19.0)], "{found}");

    let out = ok(run(url, Some(&token), work.path(), &search));
    let table = String::from_utf8(out.stdout).unwrap();
    let lines: Vec<Vec<&str>> = table.lines().map(|l| l.split_whitespace().collect()).collect();
    assert_eq!(lines.len(), 3, "{table}");
    assert_eq!(lines[0][..2], ["MODEL", "EVAL"], "{table}");
    assert_eq!(lines[1][..2], ["asr/good@1.0.0", "12.5"], "{table}");
    assert_eq!(lines[2][..2], ["asr/fair@1.0.0", "19"], "{table}");
}
