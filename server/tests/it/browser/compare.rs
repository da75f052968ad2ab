//! The compare page reached the way people reach it: ticking result rows and pressing
//! "Compare selected".

use super::Site;

#[tokio::test]
async fn three_models_ticked_in_the_results_are_compared_side_by_side() {
    let site = Site::anonymous().await;
    site.open("/?license_class=permissive&language=fr&min_context=32768&sort=name").await;
    let picked = [
        "mistralai/mistral-nemo-instruct",
        "mistralai/mixtral-8x7b-instruct",
        "microsoft/phi-3.5-mini-instruct",
    ];
    for model in picked {
        site.browser.find(&format!("input[type=checkbox][value='{model}@1.0.0']")).await.click().await;
    }
    site.browser.find("form[action='/compare'] button[type=submit]").await.click().await;
    site.wait_for_path("/compare?").await;
    let path = site.path().await;
    assert_eq!(path.matches("m=").count(), 3, "{path}");

    let mut columns = Vec::new();
    for th in site.browser.find_all("table thead th").await {
        columns.push(th.text().await);
    }
    let mut expected: Vec<String> = vec!["Criterion".into()];
    // Rows are ticked in result order (by name); columns follow the query string.
    let mut by_name = picked.map(str::to_owned).to_vec();
    by_name.sort();
    expected.extend(by_name.iter().cloned());
    assert_eq!(columns, expected);

    let rows = site.table_rows("table tbody tr").await;
    let context = rows
        .iter()
        .find(|r| r[0].starts_with("Context length"))
        .unwrap_or_else(|| panic!("no context row in {rows:?}"));
    assert!(context[0].contains("differs"), "{context:?}");
    let best: Vec<bool> = context[1..].iter().map(|c| c.contains("best")).collect();
    let long: Vec<bool> = by_name.iter().map(|m| m != "mistralai/mixtral-8x7b-instruct").collect();
    assert_eq!(best, long, "the 128k-context models are best: {context:?}");
    let task = rows.iter().find(|r| r[0].starts_with("Task")).unwrap();
    assert!(!task[0].contains("differs"), "all three generate text: {task:?}");
    site.shot("compare").await;
}
