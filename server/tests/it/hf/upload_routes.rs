//! The `/hf` upload routes in process: what the clients never show. LFS bytes that do not
//! match their oid leave nothing behind, a signed URL is good for exactly what it was
//! issued for and stops working with its token, and a commit names its parent.

use actix_web::test;
use serde_json::{Value, json};

use crate::http::{Harness, bearer};
use crate::support::{bytes, digest_of};

/// The app `Harness::app` builds.
trait App:
    actix_web::dev::Service<
        actix_http::Request,
        Response = actix_web::dev::ServiceResponse,
        Error = actix_web::Error,
    >
{
}

impl<S> App for S where
    S: actix_web::dev::Service<
            actix_http::Request,
            Response = actix_web::dev::ServiceResponse,
            Error = actix_web::Error,
        >
{
}

async fn call(app: &impl App, req: test::TestRequest) -> (u16, Value) {
    let resp = test::call_service(app, req.to_request()).await;
    let status = resp.status().as_u16();
    let body = test::read_body(resp).await;
    (status, serde_json::from_slice(&body).unwrap_or(Value::Null))
}

/// The batch answer for one object.
async fn batch(app: &impl App, token: &str, oid: &str, size: usize) -> Value {
    let req = test::TestRequest::post()
        .uri("/hf/acme/tiny.git/info/lfs/objects/batch")
        .insert_header(bearer(token))
        .set_json(json!({ "operation": "upload", "transfers": ["basic", "multipart"], "objects": [{ "oid": oid, "size": size }] }));
    let (status, body) = call(app, req).await;
    assert_eq!(status, 200, "{body}");
    body["objects"][0].clone()
}

/// The path and query of an absolute href.
fn local(href: &str) -> String {
    href.split_once("/hf/").map(|(_, rest)| format!("/hf/{rest}")).unwrap()
}

fn put(uri: &str, data: &[u8]) -> test::TestRequest {
    test::TestRequest::put().uri(uri).set_payload(data.to_vec())
}

#[actix_web::test]
async fn lfs_bytes_that_do_not_match_leave_nothing_and_signed_urls_do_only_what_they_say() {
    let h = Harness::new().await;
    let app = h.app().await;
    let data = bytes(4096, 7);
    let oid = digest_of(&data).hex();
    let object = batch(&app, &h.write, &oid, data.len()).await;
    let href = local(object["actions"]["upload"]["href"].as_str().expect("an upload action"));
    assert!(!href.contains(&h.write), "the token itself never appears in a URL");

    let mut wrong = data.clone();
    wrong[0] ^= 1;
    let (status, body) = call(&app, put(&href, &wrong)).await;
    assert_eq!(status, 400, "{body}");
    assert!(batch(&app, &h.write, &oid, data.len()).await["actions"].is_object(), "nothing was kept");

    for tampered in [
        href.replace("&n=4096", "&n=4095"),
        href.replace("&s=", "&s=00"),
        href.replace(&oid[..8], "00000000"),
    ] {
        let (status, body) = call(&app, put(&tampered, &data)).await;
        assert!(matches!(status, 400 | 403), "{tampered}: {status} {body}");
    }
    let (status, body) = call(&app, put(&href, &data)).await;
    assert_eq!(status, 200, "{body}");
    assert!(batch(&app, &h.write, &oid, data.len()).await.get("actions").is_none(), "stored: no actions");

    // A URL stops working when its token is revoked.
    let other = bytes(2048, 9);
    let other_oid = digest_of(&other).hex();
    let href = local(
        batch(&app, &h.write, &other_oid, other.len()).await["actions"]["upload"]["href"].as_str().unwrap(),
    );
    h.registry.revoke_token("writer", "test").await.unwrap();
    let (status, body) = call(&app, put(&href, &other)).await;
    assert_eq!(status, 403, "{body}");
}

#[actix_web::test]
async fn a_commit_on_a_stale_parent_or_to_a_commit_id_is_refused_and_publishes_nothing() {
    let h = Harness::new().await;
    let app = h.app().await;
    let commit = |revision: &str, lines: &[Value]| {
        let body: Vec<String> = lines.iter().map(Value::to_string).collect();
        test::TestRequest::post()
            .uri(&format!("/hf/api/models/acme/tiny/commit/{revision}"))
            .insert_header(bearer(&h.write))
            .insert_header(("content-type", "application/x-ndjson"))
            .set_payload(body.join("\n"))
    };
    let card = json!({ "key": "file", "value": { "path": "README.md", "content": "LS0tCmxpY2Vuc2U6IG1pdAotLS0K", "encoding": "base64" } });
    let header = json!({ "key": "header", "value": { "summary": "first" } });
    let (status, first) = call(&app, commit("main", &[header.clone(), card.clone()])).await;
    assert_eq!(status, 200, "{first}");
    let first_oid = first["commitOid"].as_str().unwrap().to_owned();
    assert_eq!(first["version"], "0.1.0");

    let add = |name: &str| json!({ "key": "file", "value": { "path": name, "content": "aGk=", "encoding": "base64" } });
    let on_first = json!({ "key": "header", "value": { "summary": "second", "parentCommit": first_oid } });
    let (status, second) = call(&app, commit("main", &[on_first.clone(), add("a.txt")])).await;
    assert_eq!((status, second["version"].as_str()), (200, Some("0.1.1")), "{second}");

    let (status, body) = call(&app, commit("main", &[on_first, add("b.txt")])).await;
    assert_eq!(status, 412, "{body}");
    let (status, body) = call(&app, commit(&first_oid, &[header, add("c.txt")])).await;
    assert_eq!(status, 400, "{body}");
    let versions = h.registry.list_versions(&"acme/tiny".parse().unwrap()).await.unwrap();
    assert_eq!(versions.len(), 2, "the refused commits published nothing");
}
