//! Licence ids as Hugging Face users write them (issue 11): Hub ids and SPDX ids in any
//! case in `modelreg.toml` and `--license`, stored canonical and found by `--license`
//! written either way.

use tempfile::TempDir;

use super::{json_of, ok, run, write};
use crate::support::{code, stderr};
use modelreg_testkit::{ServerProcess, ServerSetup};

fn model_dir(license: &str) -> TempDir {
    let dir = TempDir::new().unwrap();
    write(dir.path(), "model.bin", format!("weights under {license}").as_bytes());
    write(dir.path(), "modelreg.toml", format!("license = \"{license}\"\n").as_bytes());
    dir
}

#[tokio::test]
async fn hub_licence_ids_in_modelreg_toml_publish_canonical_and_are_found_either_way() {
    let setup = ServerSetup::embedded();
    let server = ServerProcess::start(&setup).await;
    let token = setup.create_token("ci", "write");
    let work = TempDir::new().unwrap();
    let url = server.url();
    let push = |model: &str, dir: &TempDir, extra: &[&str]| {
        let args =
            [&["push", dir.path().to_str().unwrap(), "--model", model, "--version", "1.0.0"][..], extra];
        run(url, Some(&token), work.path(), &args.concat())
    };
    for (model, license, stored) in [
        ("acme/diffusion", "CreativeML-OpenRAIL-M", "LicenseRef-creativeml-openrail-m"),
        ("acme/classifier", "apache-2.0", "Apache-2.0"),
    ] {
        let dir = model_dir(license);
        ok(push(model, &dir, &[]));
        let shown = json_of(&ok(run(url, Some(&token), work.path(), &["show", model, "--json"])));
        assert_eq!(shown["metadata"]["license"], stored, "{model}");
    }
    let dir = model_dir("Made-Up-1.0");
    ok(push("acme/flagged", &dir, &["--license", "llama3.1"]));
    let shown = json_of(&ok(run(url, Some(&token), work.path(), &["show", "acme/flagged", "--json"])));
    assert_eq!(shown["metadata"]["license"], "LicenseRef-llama3.1", "--license wins over the file");

    let refused = push("acme/made-up", &dir, &[]);
    assert_ne!(code(&refused), 0);
    assert!(stderr(&refused).contains("Made-Up-1.0"), "{}", stderr(&refused));

    for (filter, model) in [
        ("apache-2.0", "acme/classifier"),
        ("APACHE-2.0", "acme/classifier"),
        ("creativeml-openrail-m", "acme/diffusion"),
        ("LicenseRef-CreativeML-OpenRAIL-M", "acme/diffusion"),
        ("llama3.1", "acme/flagged"),
    ] {
        let found =
            json_of(&ok(run(url, Some(&token), work.path(), &["search", "--license", filter, "--json"])));
        let models: Vec<&str> =
            found["results"].as_array().unwrap().iter().map(|r| r["model"].as_str().unwrap()).collect();
        assert_eq!(models, [model], "--license {filter}: {found}");
    }
}
