//! Signing in and out in a real browser, with anonymous reads off: an anonymous visit lands on
//! the sign-in form, a wrong token is refused without being echoed, a namespace-limited token
//! signs in (by keyboard) and sees only its namespace, the session cookie is out of reach of
//! scripts, and signing out ends the session.

use modelreg_testkit::ServerSetup;
use modelreg_testkit::webdriver::keys;

use super::Site;
use super::seed::{FINETUNE, LLAMA};

const WRONG: &str = "mrg_0000000000000000000000000000000000000000000000000000000000000000";

#[tokio::test]
async fn signing_in_with_a_limited_token_shows_only_its_namespace_and_signing_out_ends_the_session() {
    let setup = ServerSetup::embedded();
    let reader = setup.create_token_in("acme-reader", "read", &["acme"]);
    let site = Site::start(setup).await;

    site.open("/?language=fr").await;
    site.wait_for_path("/login?next=").await;
    assert!(site.browser.find("main").await.text().await.contains("Sign in"));
    site.shot("login").await;

    site.browser.find("#token").await.send_keys(WRONG).await;
    site.browser.find("form.login button[type=submit]").await.click().await;
    site.wait_for_path("/login").await;
    let refused = site.browser.find("main").await.text().await;
    assert!(refused.contains("Sign-in failed"), "{refused}");
    let source = site.browser.execute("return document.documentElement.outerHTML;", vec![]).await;
    assert!(!source.as_str().unwrap().contains(WRONG), "the refused token is echoed");
    assert!(site.browser.cookies().await.is_empty(), "a refused sign-in sets no cookie");

    // Signing in by keyboard: the token, then Enter. `next` brings the search back.
    site.open("/?language=fr").await;
    site.wait_for_path("/login?next=").await;
    site.browser.find("#token").await.send_keys(&format!("{reader}{}", keys::ENTER)).await;
    site.wait_for_path("/?language=fr").await;
    let header = site.browser.find("header.site").await.text().await;
    assert!(header.contains("Signed in as acme-reader") && header.contains("Sign out"), "{header}");
    let models = site.result_models().await;
    assert!(!models.is_empty(), "the acme models handle French");
    assert!(models.iter().all(|m| m.starts_with("acme/")), "a token for acme sees only acme: {models:?}");
    site.shot("search-signed-in").await;

    let cookies = site.browser.cookies().await;
    assert_eq!(cookies.len(), 1, "{cookies:?}");
    assert_eq!(cookies[0]["httpOnly"], true, "{cookies:?}");
    assert_eq!(cookies[0]["sameSite"], "Strict", "{cookies:?}");
    assert!(!cookies[0]["value"].as_str().unwrap().contains(&reader), "the cookie is not the token");
    let script_sees = site.browser.execute("return document.cookie;", vec![]).await;
    assert_eq!(script_sees, "", "scripts cannot read the session cookie");

    // Lineage stops where the token's namespaces end; the base itself is not found.
    site.open(&format!("/m/{FINETUNE}")).await;
    assert!(
        site.browser.find_all(&format!("a[href^='/m/{LLAMA}']")).await.is_empty(),
        "a link to an unreadable base"
    );
    site.open(&format!("/m/{LLAMA}")).await;
    assert_eq!(site.browser.find("h1").await.text().await, "Not found");

    site.browser.find("header.site form[action='/logout'] button").await.click().await;
    site.wait_for_path("/login?signed_out=1").await;
    assert!(site.browser.find("main").await.text().await.contains("You are signed out."));
    assert!(site.browser.cookies().await.is_empty(), "signing out removes the cookie");
    site.open("/").await;
    site.wait_for_path("/login?next=").await;
}
