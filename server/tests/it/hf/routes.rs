//! The `/hf` routes in process, through the real route table: the Hub's error headers for
//! each way a read can miss, request ids on every answer, and the ranged-read edges. The
//! clients themselves run in `download`.

use actix_web::test;
use modelreg_api::Scope;
use serde_json::Value;

use crate::http::{Harness, bearer};
use crate::support::{bytes, digest_of, root};

async fn publish(h: &Harness, model: &str, version: &str, data: &[u8]) {
    let size = data.len() as u64;
    h.registry.upload_blob(&root(), digest_of(data), size, crate::support::body(data, 64)).await.unwrap();
    let manifest = serde_json::from_value(serde_json::json!({
        "files": [{ "path": "w.bin", "digest": digest_of(data), "size": size }], "metadata": { "license": "MIT" }
    }))
    .unwrap();
    h.registry.publish(&root(), &model.parse().unwrap(), &version.parse().unwrap(), manifest).await.unwrap();
}

/// Status, `X-Error-Code`, `X-Repo-Commit` and the body's `error` of one answer, checking
/// that it carries a request id and, when it is an error, a message header.
async fn hub_answer(
    app: &impl actix_web::dev::Service<
        actix_http::Request,
        Response = actix_web::dev::ServiceResponse,
        Error = actix_web::Error,
    >,
    req: test::TestRequest,
) -> (u16, Option<String>, Option<String>, Value) {
    let resp = test::call_service(app, req.to_request()).await;
    let status = resp.status().as_u16();
    let header = |name: &str| resp.headers().get(name).map(|v| v.to_str().unwrap().to_owned());
    assert!(header("x-request-id").is_some_and(|id| !id.is_empty()), "{status}: no request id");
    let (code, commit) = (header("x-error-code"), header("x-repo-commit"));
    if status >= 400 {
        assert!(header("x-error-message").is_some(), "{status}: no X-Error-Message");
    }
    let body = test::read_body(resp).await;
    (status, code, commit, serde_json::from_slice(&body).unwrap_or(Value::Null))
}

fn get(token: &str, uri: &str) -> test::TestRequest {
    test::TestRequest::get().uri(uri).insert_header(bearer(token))
}

#[actix_web::test]
async fn each_way_a_read_misses_answers_with_the_hub_error_code() {
    let h = Harness::new().await;
    let app = h.app().await;
    publish(&h, "acme/tiny", "1.0.0", &bytes(64, 1)).await;
    let elsewhere =
        h.registry.create_token("elsewhere", Scope::Read, vec!["other".parse().unwrap()], None, "test");
    let elsewhere = elsewhere.await.unwrap().0;

    let cases: [(&str, &str, u16, Option<&str>); 9] = [
        (&h.read, "/hf/api/models/acme/nope", 404, Some("RepoNotFound")),
        (&elsewhere, "/hf/api/models/acme/tiny", 404, Some("RepoNotFound")),
        (&h.read, "/hf/api/models/Acme/Tiny", 404, Some("RepoNotFound")),
        (&h.read, "/hf/api/datasets/acme/tiny", 404, Some("RepoNotFound")),
        (&h.read, "/hf/spaces/acme/tiny/resolve/main/app.py", 404, Some("RepoNotFound")),
        (&h.read, "/hf/api/models/acme/tiny/revision/9.9.9", 404, Some("RevisionNotFound")),
        (&h.read, "/hf/api/models/acme/tiny/revision/no%20such%20thing", 404, Some("RevisionNotFound")),
        (&h.read, "/hf/acme/tiny/resolve/nightly/w.bin", 404, Some("RevisionNotFound")),
        (&h.read, "/hf/no/such/route/at/all", 404, None),
    ];
    for (token, uri, status, code) in cases {
        let (got, got_code, _, body) = hub_answer(&app, get(token, uri)).await;
        assert_eq!((got, got_code.as_deref()), (status, code), "{uri}: {body}");
        assert!(body["error"].is_string(), "{uri}: {body}");
    }
    let (status, code, commit, _) =
        hub_answer(&app, get(&h.read, "/hf/acme/tiny/resolve/main/missing.bin")).await;
    assert_eq!((status, code.as_deref()), (404, Some("EntryNotFound")));
    let info = hub_answer(&app, get(&h.read, "/hf/api/models/acme/tiny")).await.3;
    assert_eq!(commit.as_deref(), info["sha"].as_str(), "the miss names the commit it looked in");

    // Revisions arrive URL-quoted, slashes included: each is one path segment.
    for quoted in ["refs%2Ftags%2Fv1.0.0", "%5E1.0", "~1.0.0", "v1.0.0", "latest", commit.as_deref().unwrap()]
    {
        let (status, _, _, body) =
            hub_answer(&app, get(&h.read, &format!("/hf/api/models/acme/tiny/revision/{quoted}"))).await;
        assert_eq!((status, body["sha"].as_str()), (200, commit.as_deref()), "{quoted}: {body}");
    }

    let anonymous = test::TestRequest::get().uri("/hf/api/models/acme/tiny");
    let (status, code, _, body) = hub_answer(&app, anonymous).await;
    assert_eq!((status, code), (401, None), "{body}");
}

#[actix_web::test]
async fn request_ids_are_echoed_when_sane_and_made_up_otherwise() {
    let h = Harness::new().await;
    let app = h.app().await;
    let id_of = |req: test::TestRequest| {
        let app = &app;
        async move {
            let resp = test::call_service(app, req.to_request()).await;
            resp.headers().get("x-request-id").unwrap().to_str().unwrap().to_owned()
        }
    };
    let sent = get(&h.read, "/hf/api/whoami-v2").insert_header(("X-Request-Id", "trace.42_a-b"));
    assert_eq!(id_of(sent).await, "trace.42_a-b");
    let odd = get(&h.read, "/hf/api/whoami-v2").insert_header(("X-Request-Id", "no spaces please"));
    let made = id_of(odd).await;
    assert!(made.len() >= 16 && made.bytes().all(|b| b.is_ascii_hexdigit()), "{made}");
    assert_ne!(id_of(get(&h.read, "/hf/api/whoami-v2")).await, made);
}

#[actix_web::test]
async fn resolve_serves_ranges_and_refuses_one_past_the_end() {
    let h = Harness::new().await;
    let app = h.app().await;
    let data = bytes(64, 3);
    publish(&h, "acme/tiny", "1.0.0", &data).await;
    let resp = test::call_service(
        &app,
        get(&h.read, "/hf/acme/tiny/resolve/v1.0.0/w.bin").insert_header(("Range", "bytes=60-")).to_request(),
    )
    .await;
    assert_eq!(resp.status().as_u16(), 206);
    assert_eq!(resp.headers().get("content-range").unwrap(), "bytes 60-63/64");
    assert_eq!(
        resp.headers().get("x-linked-etag").unwrap().to_str().unwrap(),
        format!("\"{}\"", digest_of(&data).hex())
    );
    assert_eq!(test::read_body(resp).await.as_ref(), &data[60..]);
    let past = get(&h.read, "/hf/acme/tiny/resolve/main/w.bin").insert_header(("Range", "bytes=64-"));
    let resp = test::call_service(&app, past.to_request()).await;
    assert_eq!(resp.status().as_u16(), 416);
    assert_eq!(resp.headers().get("content-range").unwrap(), "bytes */64");
    assert!(resp.headers().get("x-repo-commit").is_some());
}
