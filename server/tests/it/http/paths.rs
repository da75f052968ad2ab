//! File paths at publish: paths one file system would take for the same, paths Windows
//! cannot hold, and deceptive characters are refused with a 422 naming them.

use actix_web::test;

use super::{Harness, bearer, error_of};
use crate::support::{bytes, digest_of};

#[actix_web::test]
async fn publishing_colliding_or_unportable_paths_is_refused_naming_them() {
    let h = Harness::new().await;
    let app = h.app().await;
    let data = bytes(10, 5);
    h.registry.upload_blob(&h.writer(), digest_of(&data), 10, crate::support::body(&data, 10)).await.unwrap();
    let digest = digest_of(&data).to_string();
    let publish = |paths: &[&str]| {
        let files: Vec<_> =
            paths.iter().map(|p| serde_json::json!({ "path": p, "digest": digest, "size": 10 })).collect();
        let body = serde_json::json!({ "files": files, "metadata": { "license": "MIT" } });
        test::TestRequest::put()
            .uri("/v1/models/acme/paths/versions/1.0.0")
            .insert_header(bearer(&h.write))
            .set_payload(body.to_string())
    };
    for (paths, named) in [
        (vec!["Model.bin", "model.bin"], vec!["'Model.bin' and 'model.bin'", "case-insensitive"]),
        (vec!["caf\u{e9}.txt", "cafe\u{301}.txt"], vec!["'caf\u{e9}.txt' and 'cafe\u{301}.txt'"]),
        (vec!["con"], vec!["'con'", "device name"]),
        (vec!["w/a:b"], vec!["'w/a:b'", "Windows"]),
        (vec!["trailing."], vec!["ending in '.'"]),
        (vec!["x\u{202e}txt.exe"], vec!["bidirectional"]),
        (vec!["line\u{2028}break"], vec!["line separator"]),
    ] {
        let (status, e) = error_of(&app, publish(&paths)).await;
        assert_eq!(
            (status, e.error.code.as_str()),
            (422, "invalid_manifest"),
            "{paths:?}: {}",
            e.error.message
        );
        for n in named {
            assert!(e.error.message.contains(n), "{paths:?}: {}", e.error.message);
        }
    }
    let resp = test::call_service(&app, publish(&["Model.bin", "tokenizer/model.bin"]).to_request()).await;
    assert_eq!(resp.status(), 201, "distinct paths still publish");
}
