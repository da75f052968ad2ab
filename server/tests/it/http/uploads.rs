//! Upload sessions over HTTP: the happy path with the exact JSON shapes, every error path,
//! and a session that outlives the server that opened it.

use std::path::Path;
use std::time::Duration;

use actix_web::{test, web};
use modelreg_api::{BlobUploaded, PartUploaded, UploadSession, UploadState};
use modelreg_server::blob::{self, S3Options};
use modelreg_server::service::{Registry, UploadSettings};
use modelreg_server::store::{self, Scope};
use serde_json::{Value, json};
use tempfile::TempDir;

use super::{app_for, bearer, error_of};
use crate::support::{bytes, default_policy, digest_of};

const MIB: usize = 1 << 20;
/// Three parts of 5 MiB, 5 MiB and the rest.
const LEN: usize = 12 * MIB + 777;

/// A registry over the SQLite file and blob folder in `dir`, with 5 MiB parts.
async fn registry_at(dir: &Path) -> web::Data<Registry> {
    let meta = store::open(&format!("sqlite://{}", dir.join("t.db").display()), None).await.unwrap();
    let blobs =
        blob::open(&format!("file://{}", dir.join("blobs").display()), &S3Options::default()).unwrap();
    let settings =
        UploadSettings { part_size: 5 << 20, session_ttl: Duration::from_secs(3600), ..Default::default() };
    web::Data::new(Registry::new(meta, blobs, default_policy()).with_upload_settings(settings))
}

async fn tokens(registry: &Registry) -> (String, String) {
    let write = registry.create_token("writer", Scope::Write, Vec::new(), None, "test").await.unwrap().0;
    let read = registry.create_token("reader", Scope::Read, Vec::new(), None, "test").await.unwrap().0;
    (write, read)
}

fn create(token: &str, body: Value) -> test::TestRequest {
    test::TestRequest::post().uri("/v1/uploads").insert_header(bearer(token)).set_payload(body.to_string())
}

fn put_part(token: &str, id: &str, n: impl std::fmt::Display, data: Vec<u8>) -> test::TestRequest {
    test::TestRequest::put()
        .uri(&format!("/v1/uploads/{id}/parts/{n}"))
        .insert_header(bearer(token))
        .insert_header(("Content-Length", data.len().to_string()))
        .set_payload(data)
}

fn part(data: &[u8], n: usize) -> Vec<u8> {
    data[(n - 1) * 5 * MIB..(n * 5 * MIB).min(data.len())].to_vec()
}

#[actix_web::test]
async fn a_large_blob_goes_through_a_session_and_downloads() {
    let dir = TempDir::new().unwrap();
    let registry = registry_at(dir.path()).await;
    let (write, read) = tokens(&registry).await;
    let app = app_for(registry, 64 * 1024).await;
    let data = bytes(LEN, 31);
    let digest = digest_of(&data).to_string();

    let resp =
        test::call_service(&app, create(&write, json!({"digest": digest, "size": LEN})).to_request()).await;
    assert_eq!(resp.status(), 201);
    let raw: Value = test::read_body_json(resp).await;
    assert!(raw.get("part_urls").is_none(), "{raw}");
    let session: UploadSession = serde_json::from_value(raw).unwrap();
    let id = session.id.clone().unwrap();
    assert_eq!(session.state, UploadState::Open);
    assert_eq!((session.size, session.part_size, session.part_count), (LEN as u64, 5 << 20, 3));
    assert!(session.received.is_empty() && session.expires_at.unwrap().ends_with('Z'));

    for n in 1..=3 {
        let resp = test::call_service(&app, put_part(&write, &id, n, part(&data, n)).to_request()).await;
        assert_eq!(resp.status(), 200, "part {n}");
        let got: PartUploaded = test::read_body_json(resp).await;
        assert_eq!((got.part, got.size), (n as u32, part(&data, n).len() as u64));
    }
    let status = || test::TestRequest::get().uri(&format!("/v1/uploads/{id}")).insert_header(bearer(&write));
    let s: UploadSession = test::call_and_read_body_json(&app, status().to_request()).await;
    assert_eq!((s.received, s.state), (vec![1, 2, 3], UploadState::Open));

    let complete =
        || test::TestRequest::post().uri(&format!("/v1/uploads/{id}/complete")).insert_header(bearer(&write));
    let resp = test::call_service(&app, complete().to_request()).await;
    assert_eq!(resp.status(), 201);
    let done: BlobUploaded = test::read_body_json(resp).await;
    assert_eq!((done.digest.to_string(), done.size, done.created), (digest.clone(), LEN as u64, true));
    let resp = test::call_service(&app, complete().to_request()).await;
    assert_eq!(resp.status(), 200, "a repeated complete is a no-op");
    let s: UploadSession = test::call_and_read_body_json(&app, status().to_request()).await;
    assert_eq!(s.state, UploadState::Complete);

    // Completed but unpublished, the blob is its uploader's alone: another token gets the
    // 404 of an absent blob.
    let get = |token: &str| {
        test::TestRequest::get().uri(&format!("/v1/blobs/{digest}")).insert_header(bearer(token))
    };
    let resp = test::call_service(&app, get(&write).to_request()).await;
    assert_eq!(resp.status(), 200);
    assert!(test::read_body(resp).await == data, "downloaded bytes differ");
    let (status, e) = error_of(&app, get(&read)).await;
    assert_eq!((status, e.error.code.as_str()), (404, "blob_not_found"));

    let resp =
        test::call_service(&app, create(&write, json!({"digest": digest, "size": LEN})).to_request()).await;
    assert_eq!(resp.status(), 200);
    let exists: Value = test::read_body_json(resp).await;
    assert_eq!(exists["state"], "exists");
    assert!(exists["id"].is_null() && exists["expires_at"].is_null(), "{exists}");
}

#[actix_web::test]
async fn upload_requests_get_clear_errors() {
    let dir = TempDir::new().unwrap();
    let registry = registry_at(dir.path()).await;
    let (write, read) = tokens(&registry).await;
    let app = app_for(registry, 64 * 1024).await;
    let data = bytes(LEN, 32);
    let digest = digest_of(&data).to_string();
    let code = |(status, e): (u16, modelreg_api::ErrorEnvelope)| (status, e.error.code);

    let cases = [
        (json!({"digest": digest, "size": 2u64 << 30}), 413, "blob_too_large"),
        (json!({"digest": digest, "size": 0}), 400, "invalid_size"),
        (json!({"digest": "sha256:nope", "size": 1}), 400, "invalid_json"),
        (json!({"digest": digest, "size": 1, "extra": true}), 400, "invalid_json"),
    ];
    for (body, status, expected) in cases {
        assert_eq!(
            code(error_of(&app, create(&write, body.clone())).await),
            (status, expected.into()),
            "{body}"
        );
    }
    let anonymous = test::TestRequest::post().uri("/v1/uploads").set_payload("{}");
    assert_eq!(code(error_of(&app, anonymous).await), (401, "unauthorized".into()));
    let body = json!({"digest": digest, "size": LEN});
    assert_eq!(code(error_of(&app, create(&read, body.clone())).await), (403, "forbidden".into()));

    let s: UploadSession =
        test::call_and_read_body_json(&app, create(&write, body.clone()).to_request()).await;
    let id = s.id.unwrap();
    let unknown = "up_0123456789abcdef0123456789abcdef";
    assert_eq!(
        code(error_of(&app, put_part(&write, unknown, 1, part(&data, 1))).await),
        (404, "upload_not_found".into())
    );
    for n in ["0", "4", "x", "-1"] {
        assert_eq!(
            code(error_of(&app, put_part(&write, &id, n, vec![1])).await),
            (400, "invalid_part".into()),
            "{n}"
        );
    }
    let mut long = part(&data, 1);
    long.push(0);
    assert_eq!(code(error_of(&app, put_part(&write, &id, 1, long)).await), (413, "part_too_large".into()));
    let short = part(&data, 1)[1..].to_vec();
    assert_eq!(code(error_of(&app, put_part(&write, &id, 1, short)).await), (400, "invalid_part".into()));
    let no_length =
        test::TestRequest::put().uri(&format!("/v1/uploads/{id}/parts/1")).insert_header(bearer(&write));
    assert_eq!(code(error_of(&app, no_length).await), (411, "length_required".into()));

    let (status, e) = error_of(&app, put_part(&write, &id, 2, part(&data, 2))).await;
    assert_eq!((status, e.error.code.as_str()), (409, "part_out_of_order"));
    assert_eq!(e.error.details.unwrap()["next_part"], 1);
    let resp = test::call_service(&app, put_part(&write, &id, 1, part(&data, 1)).to_request()).await;
    assert_eq!(resp.status(), 200);
    let mut other = part(&data, 1);
    other[0] ^= 1;
    assert_eq!(code(error_of(&app, put_part(&write, &id, 1, other)).await), (409, "part_conflict".into()));

    let complete = |id: &str| {
        test::TestRequest::post().uri(&format!("/v1/uploads/{id}/complete")).insert_header(bearer(&write))
    };
    let (status, e) = error_of(&app, complete(&id)).await;
    assert_eq!((status, e.error.code.as_str()), (409, "upload_incomplete"));
    assert_eq!(e.error.details.unwrap()["missing"], json!([2, 3]));

    let delete = test::TestRequest::delete().uri(&format!("/v1/uploads/{id}")).insert_header(bearer(&write));
    assert_eq!(test::call_service(&app, delete.to_request()).await.status(), 204);
    let status = test::TestRequest::get().uri(&format!("/v1/uploads/{id}")).insert_header(bearer(&write));
    assert_eq!(code(error_of(&app, status).await), (404, "upload_not_found".into()));
    let delete = test::TestRequest::delete().uri(&format!("/v1/uploads/{id}")).insert_header(bearer(&write));
    assert_eq!(code(error_of(&app, delete).await), (404, "upload_not_found".into()));

    // The parts do not hash to the declared digest: 400, and nothing is left anywhere.
    let claimed = digest_of(b"something else").to_string();
    let s: UploadSession = test::call_and_read_body_json(
        &app,
        create(&write, json!({"digest": claimed, "size": LEN})).to_request(),
    )
    .await;
    let id = s.id.unwrap();
    for n in 1..=3 {
        let resp = test::call_service(&app, put_part(&write, &id, n, part(&data, n)).to_request()).await;
        assert_eq!(resp.status(), 200);
    }
    assert_eq!(code(error_of(&app, complete(&id)).await), (400, "digest_mismatch".into()));
    let status = test::TestRequest::get().uri(&format!("/v1/uploads/{id}")).insert_header(bearer(&write));
    assert_eq!(code(error_of(&app, status).await), (404, "upload_not_found".into()));
    let get = test::TestRequest::get().uri(&format!("/v1/blobs/{claimed}")).insert_header(bearer(&read));
    assert_eq!(code(error_of(&app, get).await), (404, "blob_not_found".into()));
    let staged = dir.path().join("blobs/uploads").join(&id);
    assert!(std::fs::read_dir(&staged).map_or(true, |mut d| d.next().is_none()), "staged parts are removed");
}

#[actix_web::test]
async fn a_session_survives_a_server_restart() {
    let dir = TempDir::new().unwrap();
    let data = bytes(LEN, 33);
    let digest = digest_of(&data).to_string();
    let (id, write) = {
        let registry = registry_at(dir.path()).await;
        let (write, _) = tokens(&registry).await;
        let app = app_for(registry, 64 * 1024).await;
        let s: UploadSession = test::call_and_read_body_json(
            &app,
            create(&write, json!({"digest": digest, "size": LEN})).to_request(),
        )
        .await;
        let id = s.id.unwrap();
        for n in 1..=2 {
            let resp = test::call_service(&app, put_part(&write, &id, n, part(&data, n)).to_request()).await;
            assert_eq!(resp.status(), 200);
        }
        (id, write)
    };

    let app = app_for(registry_at(dir.path()).await, 64 * 1024).await;
    let status = test::TestRequest::get().uri(&format!("/v1/uploads/{id}")).insert_header(bearer(&write));
    let s: UploadSession = test::call_and_read_body_json(&app, status.to_request()).await;
    assert_eq!(s.received, [1, 2]);
    let resp = test::call_service(&app, put_part(&write, &id, 3, part(&data, 3)).to_request()).await;
    assert_eq!(resp.status(), 200);
    let complete =
        test::TestRequest::post().uri(&format!("/v1/uploads/{id}/complete")).insert_header(bearer(&write));
    assert_eq!(test::call_service(&app, complete.to_request()).await.status(), 201);
    let get = test::TestRequest::get().uri(&format!("/v1/blobs/{digest}")).insert_header(bearer(&write));
    assert!(test::call_and_read_body(&app, get.to_request()).await == data, "downloaded bytes differ");
}

#[actix_web::test]
async fn a_session_is_its_tokens_own_and_open_sessions_per_token_are_capped() {
    let dir = TempDir::new().unwrap();
    let meta = store::open(&format!("sqlite://{}", dir.path().join("t.db").display()), None).await.unwrap();
    let blobs =
        blob::open(&format!("file://{}", dir.path().join("blobs").display()), &S3Options::default()).unwrap();
    let settings =
        UploadSettings { part_size: 5 << 20, session_ttl: Duration::from_secs(3600), max_open_per_token: 2 };
    let registry =
        web::Data::new(Registry::new(meta, blobs, default_policy()).with_upload_settings(settings));
    let (write, _) = tokens(&registry).await;
    let other = registry.create_token("other", Scope::Write, Vec::new(), None, "test").await.unwrap().0;
    let app = app_for(registry, 64 * 1024).await;
    let data = bytes(LEN, 35);
    let digest = digest_of(&data).to_string();
    let session: UploadSession = test::call_and_read_body_json(
        &app,
        create(&write, json!({"digest": digest, "size": LEN})).to_request(),
    )
    .await;
    let id = session.id.unwrap();

    // Another token, even knowing the id, gets the 404 of an unknown session everywhere.
    let uri = |tail: &str| format!("/v1/uploads/{id}{tail}");
    let foreign = [
        put_part(&other, &id, 1, part(&data, 1)),
        test::TestRequest::get().uri(&uri("")).insert_header(bearer(&other)),
        test::TestRequest::post().uri(&uri("/complete")).insert_header(bearer(&other)),
        test::TestRequest::delete().uri(&uri("")).insert_header(bearer(&other)),
    ];
    for req in foreign {
        let (status, e) = error_of(&app, req).await;
        assert_eq!((status, e.error.code.as_str()), (404, "upload_not_found"));
    }
    let resp = test::call_service(&app, put_part(&write, &id, 1, part(&data, 1)).to_request()).await;
    assert_eq!(resp.status(), 200, "the owner's session is untouched");

    // A second session fits the cap of two; a third is 429 with Retry-After.
    let second = json!({"digest": digest_of(b"second").to_string(), "size": 6});
    assert_eq!(test::call_service(&app, create(&write, second).to_request()).await.status(), 201);
    let third = json!({"digest": digest_of(b"third").to_string(), "size": 5});
    let resp = test::call_service(&app, create(&write, third.clone()).to_request()).await;
    assert_eq!(resp.status(), 429);
    assert_eq!(resp.headers().get("retry-after").unwrap(), "60");
    let e: modelreg_api::ErrorEnvelope = test::read_body_json(resp).await;
    assert_eq!(e.error.code, "too_many_uploads");
    assert_eq!(e.error.details.unwrap()["max_open_sessions"], 2);
    assert_eq!(test::call_service(&app, create(&other, third).to_request()).await.status(), 201, "per token");
}
