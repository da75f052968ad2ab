//! The search page: filters parsed by the lookup's parser, result rows, paging, 400s.

use serde_json::json;

use super::{fetch, publish, row_with};
use crate::http::Harness;

#[actix_web::test]
async fn search_page_lists_matches_with_licence_verdicts_and_pages_keeping_every_filter() {
    let h = Harness::new().await;
    let app = h.app().await;
    for name in ["a", "b", "c"] {
        publish(
            &h,
            &format!("acme/{name}"),
            "1.0.0",
            json!({ "license": "MIT", "languages": ["fr"], "context_length": 4096 }),
        )
        .await;
    }
    publish(&h, "acme/nc", "1.0.0", json!({ "license": "CC-BY-NC-4.0", "languages": ["de"] })).await;

    // Empty controls (`commercial_use=`) are what a browser sends for "either": no filter.
    let first = fetch(&app, "/?language=fr&commercial_use=&sort=name&limit=2", Some(&h.read)).await;
    assert_eq!(first.status, 200, "{}", first.body);
    assert_eq!(first.header("content-type"), Some("text/html; charset=utf-8"));
    let row = row_with(&first.body, "/m/acme/a/v/1.0.0");
    for fact in ["MIT", "permissive", "commercial use allowed", "4,096", "fr"] {
        assert!(row.contains(fact), "{fact} missing from {row}");
    }
    assert!(first.body.contains("/m/acme/b/v/1.0.0"));
    assert!(!first.body.contains("acme/c"), "limit=2 shows two rows");
    assert!(!first.body.contains("acme/nc"), "language=fr leaves the German model out");
    assert!(first.body.contains(r#"name="language" value="fr""#), "the form shows the filter back");
    let next = first.href_after("Next page").expect("a next link");
    for kept in ["language=fr", "sort=name", "limit=2", "cursor="] {
        assert!(next.contains(kept), "{kept} missing from {next}");
    }

    let second = fetch(&app, &next, Some(&h.read)).await;
    assert_eq!(second.status, 200, "{}", second.body);
    assert!(second.body.contains("/m/acme/c/v/1.0.0"), "{}", second.body);
    assert!(!second.body.contains("/m/acme/a/v/"));
    assert!(second.href_after("Next page").is_none(), "the last page has no next link");

    let nc = fetch(&app, "/?commercial_use=false", Some(&h.read)).await;
    let row = row_with(&nc.body, "/m/acme/nc/v/1.0.0");
    assert!(row.contains("non commercial") && row.contains("commercial use not allowed"), "{row}");
    assert!(!nc.body.contains("/m/acme/a/"));
}

#[actix_web::test]
async fn search_rows_mark_pre_releases_and_yanked_versions_in_words() {
    let h = Harness::new().await;
    let app = h.app().await;
    publish(&h, "acme/p", "2.0.0-rc.1", json!({ "license": "MIT" })).await;
    publish(&h, "acme/y", "1.0.0", json!({ "license": "MIT" })).await;
    let model = "acme/y".parse().unwrap();
    h.registry.set_yank(&model, &"1.0.0".parse().unwrap(), Some("bad weights"), "t").await.unwrap();

    let page = fetch(&app, "/?versions=all&include_yanked=true", Some(&h.read)).await;
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(row_with(&page.body, "/m/acme/p/v/2.0.0-rc.1").contains("pre-release"));
    let yanked = row_with(&page.body, "/m/acme/y/v/1.0.0");
    assert!(yanked.contains(">yanked<"), "{yanked}");
    assert!(!row_with(&page.body, "/m/acme/p/v/").contains(">yanked<"));
    assert!(page.body.contains(r#"name="include_yanked" value="true" checked"#));
}

#[actix_web::test]
async fn invalid_search_input_is_a_400_page_naming_the_parameter_with_the_form_kept() {
    let h = Harness::new().await;
    let app = h.app().await;
    for (query, param) in [
        ("min_context=lots", "min_context"),
        ("min_params=10&max_params=5", "min_params"),
        ("task=chat", "task"),
        ("colour=red", "colour"),
        ("cursor=zz", "cursor"),
    ] {
        let page = fetch(&app, &format!("/?{query}"), Some(&h.read)).await;
        assert_eq!(page.status, 400, "{query}: {}", page.body);
        assert_eq!(page.header("content-type"), Some("text/html; charset=utf-8"), "{query}");
        assert!(page.body.contains(&format!("query parameter '{param}'")), "{query}: {}", page.body);
        assert!(page.body.contains(r#"role="alert""#), "{query}");
        assert!(page.body.contains(r#"name="q""#), "{query}: the form is still there");
    }
}

#[actix_web::test]
async fn the_search_form_has_a_labelled_control_for_every_lookup_parameter() {
    let h = Harness::new().await;
    let app = h.app().await;
    let page = fetch(&app, "/", Some(&h.read)).await;
    assert_eq!(page.status, 200);
    // Every parameter the parser accepts, but the cursor (carried by the "Next page" link).
    for key in modelreg_api::LOOKUP_KEYS.iter().filter(|k| **k != "cursor") {
        assert!(page.body.contains(&format!(r#"name="{key}""#)), "no control for {key}");
    }
    // Every control's id has a <label for=...>.
    for id in page.body.split(" id=\"").skip(1).map(|s| &s[..s.find('"').unwrap()]) {
        if id == "main" {
            continue;
        }
        assert!(page.body.contains(&format!(r#"for="{id}""#)), "control {id} has no label");
    }
}
