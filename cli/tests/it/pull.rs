//! `modelreg pull` against the fake registry: files land verified, present files are
//! skipped, corrupt downloads leave nothing behind, interrupted downloads resume.

use std::collections::BTreeMap;
use std::path::Path;

use modelreg_api::Digest;
use modelreg_cli::{Client, Output, PullRequest};
use serde_json::{Value, json};

use crate::fake_registry::{FakeRegistry, Recorded, Reply};
use crate::support::{code, digest_of, modelreg, modelreg_in, stderr, stdout, version_digest};

fn weights() -> Vec<u8> {
    (0..200_000u32).map(|i| (i % 253) as u8).collect()
}

const CONFIG: &[u8] = b"{\"hidden\":768}";

/// A registry holding acme/bert@1.4.2 with two files; `corrupt` serves wrong bytes for
/// the weights.
fn registry(corrupt: bool) -> FakeRegistry {
    let weights = weights();
    let manifest = json!({
        "model": "acme/bert",
        "version": "1.4.2",
        "digest": version_digest(),
        "size_bytes": weights.len() + CONFIG.len(),
        "published_at": "2025-01-02T03:04:05Z",
        "files": [
            {"path": "config/cfg.json", "digest": digest_of(CONFIG), "size": CONFIG.len()},
            {"path": "model.bin", "digest": digest_of(&weights), "size": weights.len()},
        ],
        "metadata": {"license": "MIT"},
    });
    let mut blobs: BTreeMap<String, Vec<u8>> = BTreeMap::new();
    blobs.insert(format!("/v1/blobs/{}", digest_of(CONFIG)), CONFIG.to_vec());
    let mut served = weights.clone();
    if corrupt {
        served[1234] ^= 0xff;
    }
    blobs.insert(format!("/v1/blobs/{}", digest_of(&weights)), served);
    FakeRegistry::start(move |req: &Recorded| {
        if req.path.starts_with("/v1/models/acme/bert/versions/") {
            return Reply::json(200, &manifest);
        }
        let Some(blob) = blobs.get(&req.path) else {
            return Reply::error(404, "blob_not_found", "no such blob");
        };
        match req
            .header("range")
            .and_then(|r| r.strip_prefix("bytes=")?.strip_suffix('-')?.parse::<usize>().ok())
        {
            Some(from) => {
                let mut reply = Reply::bytes(206, blob[from..].to_vec());
                reply.headers.push((
                    "Content-Range".into(),
                    format!("bytes {from}-{}/{}", blob.len() - 1, blob.len()),
                ));
                reply
            }
            None => Reply::bytes(200, blob.clone()),
        }
    })
}

fn blob_gets(fake: &FakeRegistry) -> usize {
    fake.requests().iter().filter(|r| r.path.starts_with("/v1/blobs/")).count()
}

fn leftovers(dir: &Path) -> Vec<String> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap().flatten() {
        if entry.file_type().unwrap().is_dir() {
            found.extend(leftovers(&entry.path()));
        } else if entry.file_name().to_string_lossy().ends_with(".part") {
            found.push(entry.path().display().to_string());
        }
    }
    found
}

#[test]
fn a_pull_writes_verified_files_and_a_second_pull_downloads_nothing() {
    let fake = registry(false);
    let tmp = tempfile::tempdir().unwrap();
    let out_dir = tmp.path().join("out");
    let out = modelreg(&fake.url, &["pull", "acme/bert@^1.4", "-o", out_dir.to_str().unwrap()]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert_eq!(std::fs::read(out_dir.join("model.bin")).unwrap(), weights());
    assert_eq!(std::fs::read(out_dir.join("config/cfg.json")).unwrap(), CONFIG);
    assert!(
        stderr(&out).contains(&format!("resolved acme/bert@^1.4 -> 1.4.2 ({})", version_digest())),
        "{}",
        stderr(&out)
    );
    assert_eq!(
        stdout(&out),
        format!("pulled acme/bert@1.4.2 into {} (2 files, 195.3 KiB)\n", out_dir.display())
    );
    assert_eq!(fake.requests()[0].path, "/v1/models/acme/bert/versions/^1.4");
    assert_eq!(blob_gets(&fake), 2);

    let out = modelreg(&fake.url, &["pull", "acme/bert@^1.4", "-o", out_dir.to_str().unwrap(), "--json"]);
    assert_eq!(code(&out), 0);
    let doc: Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(doc["bytes_downloaded"], 0);
    assert_eq!(doc["files"], 2);
    assert_eq!(doc["version"], "1.4.2");
    assert_eq!(blob_gets(&fake), 2, "files already in place are not downloaded again");
    assert_eq!(stderr(&out), "");
}

#[test]
fn the_default_output_directory_is_the_model_name() {
    let fake = registry(false);
    let tmp = tempfile::tempdir().unwrap();
    let out = modelreg_in(&fake.url, &["pull", "acme/bert", "-q"], tmp.path());
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert_eq!(stderr(&out), "");
    assert_eq!(fake.requests()[0].path, "/v1/models/acme/bert/versions/latest");
    assert_eq!(std::fs::read(tmp.path().join("bert/config/cfg.json")).unwrap(), CONFIG);
}

#[test]
fn a_corrupt_download_exits_6_and_leaves_nothing_at_the_final_path() {
    let fake = registry(true);
    let tmp = tempfile::tempdir().unwrap();
    let out = modelreg(&fake.url, &["pull", "acme/bert", "-o", tmp.path().to_str().unwrap()]);
    assert_eq!(code(&out), 6);
    let err = stderr(&out);
    assert!(err.contains("'model.bin' failed verification"), "{err}");
    assert!(err.contains(&digest_of(&weights()).to_string()), "{err}");
    let dest = tmp.path().join("model.bin");
    assert!(!dest.exists());
    // The bad download is deleted; another file cut short by the failure may stay as a
    // `.part` file for a later pull to resume, but never at its final path.
    assert!(!modelreg_cli::verify::temp_path(&dest, &digest_of(&weights())).exists());
    assert!(leftovers(tmp.path()).iter().all(|p| p.contains("cfg.json.")), "{:?}", leftovers(tmp.path()));
}

#[tokio::test(flavor = "multi_thread")]
async fn an_interrupted_pull_resumes_with_a_range_request() {
    let fake = registry(false);
    let tmp = tempfile::tempdir().unwrap();
    let weights = weights();
    let digest: Digest = digest_of(&weights);
    let dest = tmp.path().join("model.bin");
    std::fs::write(modelreg_cli::verify::temp_path(&dest, &digest), &weights[..1000]).unwrap();

    let client = Client::new(fake.url.parse().unwrap(), None).unwrap();
    let req = PullRequest {
        model: "acme/bert".parse().unwrap(),
        selector: "1.4.2".parse().unwrap(),
        output: tmp.path().to_owned(),
        jobs: 2,
        cache: None,
    };
    let report = modelreg_cli::pull(&client, &req, &Output::silent()).await.unwrap();
    assert_eq!(report.bytes_downloaded, (weights.len() - 1000 + CONFIG.len()) as u64);
    assert_eq!(std::fs::read(&dest).unwrap(), weights);
    let ranged = fake.requests().into_iter().find(|r| r.path == format!("/v1/blobs/{digest}")).unwrap();
    assert_eq!(ranged.header("range"), Some("bytes=1000-"));
    assert_eq!(leftovers(tmp.path()), Vec::<String>::new());
}

#[tokio::test(flavor = "multi_thread")]
async fn a_bad_partial_download_is_discarded_and_fetched_again() {
    let fake = registry(false);
    let tmp = tempfile::tempdir().unwrap();
    let weights = weights();
    let dest = tmp.path().join("model.bin");
    std::fs::write(modelreg_cli::verify::temp_path(&dest, &digest_of(&weights)), vec![0u8; 1000]).unwrap();

    let client = Client::new(fake.url.parse().unwrap(), None).unwrap();
    let req = PullRequest {
        model: "acme/bert".parse().unwrap(),
        selector: "latest".parse().unwrap(),
        output: tmp.path().to_owned(),
        jobs: 1,
        cache: None,
    };
    modelreg_cli::pull(&client, &req, &Output::silent()).await.unwrap();
    assert_eq!(std::fs::read(&dest).unwrap(), weights);
}

#[cfg(unix)]
#[test]
fn a_pull_refuses_to_write_through_a_symlinked_folder_inside_the_output() {
    let fake = registry(false);
    let tmp = tempfile::tempdir().unwrap();
    let (out_dir, outside) = (tmp.path().join("out"), tmp.path().join("outside"));
    std::fs::create_dir_all(&out_dir).unwrap();
    std::fs::create_dir_all(&outside).unwrap();
    std::os::unix::fs::symlink("../outside", out_dir.join("config")).unwrap();

    let out = modelreg(&fake.url, &["pull", "acme/bert@1.4.2", "-o", out_dir.to_str().unwrap()]);
    assert_eq!(code(&out), 1, "{}", stderr(&out));
    let link = out_dir.join("config").display().to_string();
    assert!(
        stderr(&out).contains(&format!("'{link}'")) && stderr(&out).contains("symbolic link"),
        "{}",
        stderr(&out)
    );
    assert_eq!(std::fs::read_dir(&outside).unwrap().count(), 0, "nothing was written outside");
}

#[cfg(unix)]
#[test]
fn links_placed_at_temporary_names_are_replaced_never_written_through() {
    let fake = registry(false);
    let tmp = tempfile::tempdir().unwrap();
    let out_dir = tmp.path().join("out");
    std::fs::create_dir_all(out_dir.join("config")).unwrap();
    let (victim, hard_victim) = (tmp.path().join("victim.txt"), tmp.path().join("hard-victim.txt"));
    std::fs::write(&victim, b"precious").unwrap();
    std::fs::write(&hard_victim, b"also precious").unwrap();
    // A symbolic link where the weights' download goes, a hard link where the config's does.
    let weights_part = modelreg_cli::verify::temp_path(&out_dir.join("model.bin"), &digest_of(&weights()));
    std::os::unix::fs::symlink(&victim, &weights_part).unwrap();
    let config_part = modelreg_cli::verify::temp_path(&out_dir.join("config/cfg.json"), &digest_of(CONFIG));
    std::fs::hard_link(&hard_victim, &config_part).unwrap();

    let out = modelreg(&fake.url, &["pull", "acme/bert@1.4.2", "-o", out_dir.to_str().unwrap()]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert_eq!(std::fs::read(&victim).unwrap(), b"precious");
    assert_eq!(std::fs::read(&hard_victim).unwrap(), b"also precious");
    assert_eq!(std::fs::read(out_dir.join("model.bin")).unwrap(), weights());
    assert_eq!(std::fs::read(out_dir.join("config/cfg.json")).unwrap(), CONFIG);
    assert_eq!(leftovers(&out_dir), Vec::<String>::new());
}
