//! The compare page: columns per model, differing rows and best values marked in text, and
//! the 2-to-6 bound.

use serde_json::json;

use super::{fetch, publish, row_with};
use crate::http::Harness;

#[actix_web::test]
async fn compare_shows_models_side_by_side_marking_differences_and_best_values() {
    let h = Harness::new().await;
    let app = h.app().await;
    publish(
        &h,
        "acme/a",
        "1.0.0",
        json!({ "license": "MIT", "context_length": 4096, "task": "text-generation" }),
    )
    .await;
    publish(
        &h,
        "acme/b",
        "1.0.0",
        json!({ "license": "CC-BY-NC-4.0", "context_length": 8192, "task": "text-generation" }),
    )
    .await;
    publish(
        &h,
        "acme/b",
        "2.0.0",
        json!({ "license": "MIT", "context_length": 1024, "task": "text-generation" }),
    )
    .await;

    let page = fetch(&app, "/compare?m=acme/a&m=acme/b@1.0.0", Some(&h.read)).await;
    assert_eq!(page.status, 200, "{}", page.body);
    let b = &page.body;
    assert!(b.contains(r#"<a href="/m/acme/a/v/1.0.0">acme/a</a>"#), "{b}");
    assert!(b.contains(r#"<a href="/m/acme/b/v/1.0.0">acme/b</a>"#), "an explicit version is honoured: {b}");

    let ctx = row_with(b, "Context length");
    assert!(ctx.contains("differs"), "{ctx}");
    let best_at = ctx.find(">best<").expect("a best value");
    assert!(ctx.find("8,192").unwrap() < best_at && best_at < ctx.len(), "{ctx}");
    assert_eq!(ctx.matches(">best<").count(), 1, "{ctx}");

    let commercial = row_with(b, "Commercial use");
    let allowed = commercial.find("commercial use allowed").unwrap();
    assert!(
        commercial[allowed..].find(">best<").unwrap() < commercial[allowed..].find("not allowed").unwrap(),
        "{commercial}"
    );

    let task = row_with(b, "<th scope=\"row\">Task");
    assert!(!task.contains("differs") && !task.contains(">best<"), "same values: {task}");
}

#[actix_web::test]
async fn compare_takes_two_to_six_models_and_only_m() {
    let h = Harness::new().await;
    let app = h.app().await;
    for i in 0..7 {
        publish(&h, &format!("acme/m{i}"), "1.0.0", json!({ "license": "MIT" })).await;
    }
    let six: String = (0..6).map(|i| format!("m=acme/m{i}&")).collect();
    assert_eq!(fetch(&app, &format!("/compare?{six}"), Some(&h.read)).await.status, 200);
    for query in [
        "m=acme/m0".to_owned(),
        format!("{six}m=acme/m6"),
        "m=acme/m0&m=acme/m1&sort=name".to_owned(),
        "m=acme/m0&m=nonamespace".to_owned(),
        "m=acme/m0&m=acme/m1@not-a-version!".to_owned(),
    ] {
        let page = fetch(&app, &format!("/compare?{query}"), Some(&h.read)).await;
        assert_eq!(page.status, 400, "{query}: {}", page.body);
        assert!(page.body.contains(r#"role="alert""#), "{query}");
    }
    let page = fetch(&app, "/compare?m=acme/m0&m=acme/gone", Some(&h.read)).await;
    assert_eq!(page.status, 404);
}
