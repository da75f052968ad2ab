//! The search page in the browser: three filters set through the form, paging with the
//! lookup's cursor, and the whole form used by keyboard alone.

use std::collections::BTreeSet;

use modelreg_testkit::screenshot_dir;
use modelreg_testkit::webdriver::keys;

use super::Site;
use super::seed::{HOSTILE, catalogue};

/// Catalogue models under a permissive licence (the registry's table: Apache-2.0 and MIT here).
fn permissive() -> BTreeSet<String> {
    let mut models: BTreeSet<String> = catalogue()
        .into_iter()
        .filter(|(_, _, m)| ["Apache-2.0", "MIT"].contains(&m["license"].as_str().unwrap()))
        .map(|(model, _, _)| model)
        .collect();
    models.insert(HOSTILE.to_owned());
    models
}

/// Catalogue models with a permissive licence, French, and some version with 32k context.
fn permissive_french_long_context() -> BTreeSet<String> {
    catalogue()
        .into_iter()
        .filter(|(model, _, m)| {
            permissive().contains(model)
                && m["languages"].as_array().unwrap().iter().any(|l| l == "fr")
                && m["context_length"].as_u64().is_some_and(|c| c >= 32768)
        })
        .map(|(model, _, _)| model)
        .collect()
}

fn number(cell: &str) -> u64 {
    cell.replace(',', "").parse().unwrap_or_else(|_| panic!("not a number: {cell}"))
}

#[tokio::test]
async fn three_filters_set_in_the_form_show_exactly_the_matching_rows_and_stay_in_the_url() {
    let site = Site::anonymous().await;
    site.open("/").await;
    site.shot("search").await;
    let expected = permissive_french_long_context();
    assert_eq!(expected.len(), 6, "the fixture changed: {expected:?}");

    site.browser.find("#license_class-permissive").await.click().await;
    site.browser.find("#language-0").await.send_keys("fr").await;
    site.browser.find("#min_context").await.send_keys("32768").await;
    site.browser.find("form.filters button[type=submit]").await.click().await;
    site.wait_for_path("/?").await;

    let path = site.path().await;
    for kept in ["license_class=permissive", "language=fr", "min_context=32768"] {
        assert!(path.contains(kept), "{kept} is missing from the shareable URL {path}");
    }
    let shown: BTreeSet<String> = site.result_models().await.into_iter().collect();
    assert_eq!(shown, expected);
    for cells in site.table_rows("table tbody tr").await {
        let [_, model, version, _, class, commercial, _, _, languages, context, ..] = cells.as_slice() else {
            panic!("a result row has too few cells: {cells:?}");
        };
        assert_eq!(class, "permissive", "{model}");
        assert_eq!(commercial, "commercial use allowed", "{model}");
        assert!(languages.split(", ").any(|l| l == "fr"), "{model}: {languages}");
        assert!(number(context) >= 32768, "{model}: {context}");
        if model == "qwen/qwen2.5-7b-instruct" {
            assert_eq!(version, "1.1.0", "the best version of a model is its highest match");
        }
    }
    // The form shows the filters back, ready to be changed.
    assert!(site.browser.find("#license_class-permissive").await.is_selected().await);
    assert_eq!(site.browser.find("#language-0").await.property("value").await, "fr");
    site.shot("search-filtered").await;
    // What a visitor sees first, for the README.
    site.browser.screenshot(&screenshot_dir().join("search-filtered-top.png")).await;
}

#[tokio::test]
async fn paging_with_a_small_page_size_shows_every_match_once_in_name_order() {
    let site = Site::anonymous().await;
    site.open("/?license_class=permissive").await;
    site.browser.find("#sort option[value=name]").await.click().await;
    site.browser.find("#limit").await.send_keys("4").await;
    site.browser.find("form.filters button[type=submit]").await.click().await;
    site.wait_for("the first page of 4", |p| p.contains("limit=4")).await;

    let mut seen = Vec::new();
    let mut pages = 0;
    loop {
        pages += 1;
        let rows = site.result_models().await;
        assert!(!rows.is_empty() && rows.len() <= 4, "page {pages} has {} rows: {rows:?}", rows.len());
        seen.extend(rows);
        if pages == 2 {
            site.shot("search-page-2").await;
        }
        let next = site.browser.find_all("a[rel=next]").await;
        let Some(link) = next.first() else { break };
        let before = site.path().await;
        link.click().await;
        site.wait_for("the next page", |p| p != before).await;
        let path = site.path().await;
        for kept in ["license_class=permissive", "sort=name", "limit=4", "cursor="] {
            assert!(path.contains(kept), "the next page lost {kept}: {path}");
        }
        assert!(pages < 20, "paging does not end");
    }
    // Name order is namespace, then name: `openai/x` comes before `openai-community/y`.
    let mut expected: Vec<String> = permissive().into_iter().collect();
    expected.sort_by(|a, b| a.split_once('/').cmp(&b.split_once('/')));
    assert_eq!(seen, expected, "every permissive model once, in name order");
    assert_eq!(pages, expected.len().div_ceil(4));
}

#[tokio::test]
async fn the_filter_form_is_reached_filled_and_submitted_by_keyboard_alone() {
    let site = Site::anonymous().await;
    site.open("/").await;
    site.browser.press(keys::TAB).await;
    let first = site.browser.active_element().await;
    assert_eq!(first.text().await, "Skip to content", "the first Tab stop is the skip link");

    let mut ticked = false;
    let mut typed = false;
    for _ in 0..300 {
        site.browser.press(keys::TAB).await;
        let focused = site.browser.active_element().await;
        let id = focused.attribute("id").await.unwrap_or_default();
        if id == "license_class-permissive" {
            site.browser.press(keys::SPACE).await;
            ticked = true;
        } else if id == "language-0" {
            site.browser.press("fr").await;
            typed = true;
        } else if focused.tag_name().await == "button" && focused.text().await == "Search" {
            site.browser.press(keys::ENTER).await;
            break;
        }
    }
    assert!(ticked && typed, "Tab never reached the licence class box or the language field");
    site.wait_for_path("/?").await;
    let path = site.path().await;
    assert!(path.contains("license_class=permissive") && path.contains("language=fr"), "{path}");
    let rows = site.table_rows("table tbody tr").await;
    assert!(!rows.is_empty(), "the keyboard search found nothing");
    for cells in rows {
        assert_eq!(cells[4], "permissive", "{cells:?}");
        assert!(cells[8].split(", ").any(|l| l == "fr"), "{cells:?}");
    }
}
