//! The token matrix on reads and writes.

use actix_web::test;

use super::{Harness, bearer, error_of};
use crate::support::default_policy;

fn publish_req() -> test::TestRequest {
    test::TestRequest::put()
        .uri("/v1/models/acme/bert/versions/1.0.0")
        .set_payload(r#"{"files":[],"metadata":{"license":"MIT"}}"#)
}

#[actix_web::test]
async fn writes_without_a_valid_token_are_401() {
    let h = Harness::new().await;
    let app = h.app().await;
    let unknown = format!("mrg_{}", "1".repeat(64));
    let cases = [
        None,
        Some(("Authorization", "Basic dXNlcjpwYXNz".to_owned())),
        Some(("Authorization", "Bearer".to_owned())),
        Some(bearer("not-a-token")),
        Some(bearer(&unknown)),
    ];
    for header in cases {
        let mut req = publish_req();
        if let Some(h) = header.clone() {
            req = req.insert_header(h);
        }
        let (status, e) = error_of(&app, req).await;
        assert_eq!((status, e.error.code.as_str()), (401, "unauthorized"), "{header:?}");
        assert!(!e.error.message.contains(&unknown));
    }
}

#[actix_web::test]
async fn a_read_token_cannot_write_but_can_read() {
    let h = Harness::new().await;
    let app = h.app().await;
    let (status, e) = error_of(&app, publish_req().insert_header(bearer(&h.read))).await;
    assert_eq!((status, e.error.code.as_str()), (403, "forbidden"));
    assert!(!e.error.message.contains(&h.read), "the secret never appears in errors");
    let missing = test::TestRequest::post().uri("/v1/blobs/missing").set_payload(r#"{"digests":[]}"#);
    let (status, _) = error_of(&app, missing.insert_header(bearer(&h.read))).await;
    assert_eq!(status, 403);
    let (status, e) =
        error_of(&app, test::TestRequest::get().uri("/v1/models/acme/bert").insert_header(bearer(&h.read)))
            .await;
    assert_eq!(
        (status, e.error.code.as_str()),
        (404, "model_not_found"),
        "authorised read reaches the service"
    );
}

#[actix_web::test]
async fn reads_need_a_token_unless_anonymous_read_is_on() {
    let h = Harness::new().await;
    let app = h.app().await;
    let (status, _) = error_of(&app, test::TestRequest::get().uri("/v1/models/acme/bert")).await;
    assert_eq!(status, 401);

    let open =
        Harness::with_policy(modelreg_server::service::Policy { anonymous_read: true, ..default_policy() })
            .await;
    let app = open.app().await;
    let (status, e) = error_of(&app, test::TestRequest::get().uri("/v1/models/acme/bert")).await;
    assert_eq!((status, e.error.code.as_str()), (404, "model_not_found"));
    let (status, _) = error_of(&app, publish_req()).await;
    assert_eq!(status, 401, "anonymous read never opens writes");
}

#[actix_web::test]
async fn write_and_admin_tokens_may_write() {
    let h = Harness::new().await;
    let app = h.app().await;
    for token in [&h.write, &h.admin] {
        // An empty file list is refused by validation, which proves auth let it through.
        let (status, e) = error_of(&app, publish_req().insert_header(bearer(token))).await;
        assert_eq!((status, e.error.code.as_str()), (422, "invalid_manifest"));
    }
}
