//! `POST /v1/choose` over HTTP: a ranking through the real route, and every malformed
//! request a 400 in the envelope naming the field, never a 5xx.

use actix_web::test;
use modelreg_api::ChooseResponse;
use serde_json::{Value, json};

use super::{Harness, bearer, error_of};
use crate::support::{bytes, digest_of, root};

async fn publish(h: &Harness, model: &str, metadata: Value) {
    let data = bytes(64, 3);
    h.registry.upload_blob(&root(), digest_of(&data), 64, crate::support::body(&data, 64)).await.unwrap();
    let manifest = serde_json::from_value(json!({
        "files": [{ "path": "w", "digest": digest_of(&data), "size": 64 }], "metadata": metadata
    }))
    .unwrap();
    h.registry.publish(&root(), &model.parse().unwrap(), &"1.0.0".parse().unwrap(), manifest).await.unwrap();
}

fn post(h: &Harness, body: &str) -> test::TestRequest {
    test::TestRequest::post()
        .uri("/v1/choose")
        .insert_header(bearer(&h.read))
        .insert_header(("content-type", "application/json"))
        .set_payload(body.to_owned())
}

#[actix_web::test]
async fn choosing_ranks_candidates_and_lists_near_misses_through_the_route() {
    let h = Harness::new().await;
    let app = h.app().await;
    publish(
        &h,
        "acme/small",
        json!({ "license": "MIT", "parameters": 1_000_000_000u64, "context_length": 4096 }),
    )
    .await;
    publish(
        &h,
        "acme/big",
        json!({ "license": "MIT", "parameters": 7_000_000_000u64, "context_length": 32768 }),
    )
    .await;
    publish(&h, "acme/nc", json!({ "license": "CC-BY-NC-4.0", "parameters": 500_000_000u64 })).await;
    let body = json!({
        "constraints": { "license_class": "permissive" },
        "preferences": [{ "criterion": "parameters", "weight": 3 }, { "criterion": "context_length" }]
    });
    let resp = test::call_service(&app, post(&h, &body.to_string()).to_request()).await;
    assert_eq!(resp.status(), 200);
    let answer: ChooseResponse = test::read_body_json(resp).await;
    let ranked: Vec<(String, f64, bool)> =
        answer.candidates.iter().map(|c| (c.model.to_string(), c.score, c.pareto)).collect();
    assert_eq!(ranked, [("acme/small".to_owned(), 0.75, true), ("acme/big".to_owned(), 0.25, true)]);
    assert_eq!(answer.near_misses.len(), 1);
    assert_eq!(answer.near_misses[0].model.to_string(), "acme/nc");
    assert_eq!(answer.near_misses[0].reason, "license_class is non_commercial");
}

#[actix_web::test]
async fn malformed_choices_are_400s_naming_the_field() {
    let h = Harness::new().await;
    let app = h.app().await;
    for (body, parameter) in [
        (json!({ "constraints": { "min_context": "lots" } }), "constraints.min_context"),
        (json!({ "constraints": { "min_context": 1e30 } }), "constraints.min_context"),
        (json!({ "constraints": { "colour": "red" } }), "constraints.colour"),
        (json!({ "constraints": { "cursor": "x" } }), "constraints.cursor"),
        (json!({ "constraints": { "q": "\u{0}" } }), "constraints.q"),
        (json!({ "constraints": { "hardware": "a100" } }), "constraints.hardware"),
        (json!({ "constraints": { "tag": [["nested"]] } }), "constraints.tag"),
        (json!({ "preferences": [{ "criterion": "size", "weight": -1 }] }), "preferences[0]"),
        (json!({ "preferences": [{ "criterion": "latency", "hardware": "" }] }), "preferences[0]"),
        (json!({ "preferences": vec![json!({ "criterion": "size" }); 9] }), "preferences"),
        (json!({ "limit": 101 }), "limit"),
    ] {
        let (status, e) = error_of(&app, post(&h, &body.to_string())).await;
        assert_eq!((status, e.error.code.as_str()), (400, "invalid_query"), "{body}: {}", e.error.message);
        assert_eq!(e.error.details.unwrap()["parameter"], parameter, "{body}");
    }
    for body in [
        "not json".to_owned(),
        json!({ "preferences": [{ "criterion": "vibes" }] }).to_string(),
        json!({ "preferences": [{ "criterion": "latency" }] }).to_string(),
        json!({ "preferences": [{ "criterion": "size", "direction": "up" }] }).to_string(),
        json!({ "limit": -1 }).to_string(),
        json!({ "constrains": {} }).to_string(),
    ] {
        let (status, e) = error_of(&app, post(&h, &body)).await;
        assert_eq!((status, e.error.code.as_str()), (400, "invalid_json"), "{body}: {}", e.error.message);
    }
}
