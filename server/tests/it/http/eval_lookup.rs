//! Evaluations in the lookup over HTTP (issue 14): the `eval=` filter and evaluation sort with
//! URL-encoded operators, each row's `eval_value`, paging by cursor, and 400s naming `eval`.

use actix_web::test;
use modelreg_api::LookupPage;
use serde_json::json;

use super::{Harness, bearer, error_of};
use crate::support::{bytes, digest_of, root};

async fn publish(h: &Harness, model: &str, evaluations: serde_json::Value) {
    let data = bytes(64, 1);
    h.registry.upload_blob(&root(), digest_of(&data), 64, crate::support::body(&data, 64)).await.unwrap();
    let manifest = serde_json::from_value(json!({
        "files": [{ "path": "w", "digest": digest_of(&data), "size": 64 }],
        "metadata": { "license": "MIT", "task": "automatic-speech-recognition", "evaluations": evaluations }
    }))
    .unwrap();
    h.registry.publish(&root(), &model.parse().unwrap(), &"1.0.0".parse().unwrap(), manifest).await.unwrap();
}

fn get(h: &Harness, uri: &str) -> test::TestRequest {
    test::TestRequest::get().uri(uri).insert_header(bearer(&h.read))
}

fn wer(value: f64, language: &str) -> serde_json::Value {
    json!({ "dataset": "common_voice", "metric": "wer", "value": value, "language": language })
}

#[actix_web::test]
async fn swahili_asr_with_wer_under_20_is_one_url_encoded_query_paged_best_first() {
    let h = Harness::new().await;
    let app = h.app().await;
    publish(&h, "asr/good", json!([wer(12.5, "sw")])).await;
    publish(&h, "asr/fair", json!([wer(19.0, "sw-KE"), wer(4.0, "en")])).await;
    publish(&h, "asr/poor", json!([wer(31.0, "sw")])).await;
    publish(&h, "asr/english", json!([wer(3.0, "en")])).await;
    publish(&h, "asr/none", json!([])).await;

    // eval=common_voice:wer<=20 and sort=eval:common_voice:wer, percent-encoded.
    let base = "/v1/models?task=automatic-speech-recognition&eval=common_voice%3Awer%3C%3D20&eval_language=sw\
                &sort=eval%3Acommon_voice%3Awer&limit=1";
    let mut seen = Vec::new();
    let mut uri = base.to_owned();
    loop {
        let page: LookupPage = test::call_and_read_body_json(&app, get(&h, &uri).to_request()).await;
        seen.extend(page.results.iter().map(|r| (r.model.to_string(), r.eval_value)));
        match page.next_cursor {
            Some(c) => uri = format!("{base}&cursor={c}"),
            None => break,
        }
    }
    assert_eq!(seen, [("asr/good".to_owned(), Some(12.5)), ("asr/fair".to_owned(), Some(19.0))]);

    // Without the filter every model comes, the ones without a Swahili WER last; `>=` and an
    // explicit order work alike.
    let page: LookupPage = test::call_and_read_body_json(
        &app,
        get(&h, "/v1/models?eval_language=sw&sort=eval%3Acommon_voice%3AWER&order=desc").to_request(),
    )
    .await;
    let rows: Vec<_> = page.results.iter().map(|r| (r.model.to_string(), r.eval_value)).collect();
    assert_eq!(
        rows,
        [
            ("asr/poor".to_owned(), Some(31.0)),
            ("asr/fair".to_owned(), Some(19.0)),
            ("asr/good".to_owned(), Some(12.5)),
            ("asr/none".to_owned(), None),
            ("asr/english".to_owned(), None),
        ]
    );
    let page: LookupPage = test::call_and_read_body_json(
        &app,
        get(&h, "/v1/models?eval=common_voice%3Awer%3E%3D30").to_request(),
    )
    .await;
    assert_eq!(page.results.len(), 1);
    assert_eq!(
        (page.results[0].model.to_string(), page.results[0].eval_value),
        ("asr/poor".to_owned(), Some(31.0))
    );
    let body: serde_json::Value = test::call_and_read_body_json(
        &app,
        get(&h, "/v1/models?task=automatic-speech-recognition").to_request(),
    )
    .await;
    assert!(body["results"].as_array().unwrap().iter().all(|r| r.get("eval_value").is_none()));
}

#[actix_web::test]
async fn malformed_evaluation_parameters_are_400_naming_them() {
    let h = Harness::new().await;
    let app = h.app().await;
    publish(&h, "asr/good", json!([wer(12.5, "sw")])).await;
    publish(&h, "asr/fair", json!([wer(19.0, "sw")])).await;
    let check = |query: &str, param: &str| {
        let (app, h, query, param) = (&app, &h, query.to_owned(), param.to_owned());
        async move {
            let (status, e) = error_of(app, get(h, &format!("/v1/models?{query}"))).await;
            assert_eq!((status, e.error.code.as_str()), (400, "invalid_query"), "{query}");
            assert_eq!(e.error.details, Some(json!({ "parameter": param })), "{query}: {}", e.error.message);
        }
    };
    for (query, param) in [
        ("eval=common_voice%3Awer%3C20", "eval"),
        ("eval=common_voice%3Awer%3D20", "eval"),
        ("eval=common_voice%3C%3D20", "eval"),
        ("eval=common_voice%3Awer%3C%3Dlots", "eval"),
        ("eval=common_voice%3Awer%3C%3DNaN", "eval"),
        ("eval=%3Awer%3C%3D20", "eval"),
        ("eval_language=sw", "eval_language"),
        ("eval=a%3Ab%3C%3D1&eval_language=not%20a%20tag", "eval_language"),
        ("sort=eval", "sort"),
        ("sort=eval%3Acommon_voice", "sort"),
    ] {
        check(query, param).await;
    }
    // Past the caps (each filter is a subquery; PostgreSQL plans dozens of them slowly).
    check(&["eval=a%3Ab%3C%3D1"; 9].join("&"), "eval").await;
    check(&format!("eval=a%3Ab%3C%3D1&{}", ["eval_language=sw"; 17].join("&")), "eval_language").await;
    // A cursor of one evaluation sort does not continue another.
    let page: LookupPage = test::call_and_read_body_json(
        &app,
        get(&h, "/v1/models?sort=eval%3Acommon_voice%3Awer&limit=1").to_request(),
    )
    .await;
    let cursor = page.next_cursor.expect("a second page");
    let (status, e) =
        error_of(&app, get(&h, &format!("/v1/models?sort=eval%3Afleurs%3Awer&limit=1&cursor={cursor}")))
            .await;
    assert_eq!((status, e.error.details), (400, Some(json!({ "parameter": "cursor" }))));
}
