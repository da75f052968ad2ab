//! Hostile publisher content renders inert; every page sends the security headers; static
//! assets are served under content-hashed names with immutable caching.

use serde_json::json;
use sha2::{Digest as _, Sha256};

use super::{Fetched, fetch, publish};
use crate::http::Harness;

const CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
                   frame-ancestors 'none'; base-uri 'none'; form-action 'self'";

/// The opening tags of a document (what a browser would treat as elements).
fn tags(body: &str) -> Vec<String> {
    body.split('<').skip(1).map(|s| s[..s.find('>').unwrap_or(s.len())].to_ascii_lowercase()).collect()
}

fn assert_inert(page: &Fetched) {
    let tags = tags(&page.body);
    let scripts: Vec<&String> = tags.iter().filter(|t| t.starts_with("script")).collect();
    assert_eq!(scripts.len(), 1, "only the page's own script: {scripts:?}");
    assert!(scripts[0].contains("src=\"/ui/assets/copy-"), "{scripts:?}");
    for t in &tags {
        assert!(
            !t.contains("onerror") && !t.contains("onload") && !t.contains("onclick"),
            "handler in <{t}>"
        );
        assert!(!t.contains("javascript:"), "javascript: URL in <{t}>");
        assert!(!t.starts_with("iframe") && !t.starts_with("object"), "<{t}>");
    }
}

#[actix_web::test]
async fn hostile_readme_and_metadata_render_inert_on_every_page() {
    let h = Harness::new().await;
    let app = h.app().await;
    publish(&h, "acme/evil", "1.0.0", json!({
        "license": "MIT",
        "license_url": "javascript:alert(1)",
        "description": "<script>alert('d')</script><img src=x onerror=alert(1)>",
        "framework": "\"><script>alert(2)</script>",
        "risks": { "misuse": "<img src=x onerror=alert(3)> [click](javascript:alert(4))" },
        "labels": { "k": "<a href=\"javascript:alert(5)\">x</a>" },
        "readme": "# Hi\n\n<script>alert(6)</script>\n\n<img src=x onerror=alert(7)>\n\n[x](javascript:alert(8))\n\n<iframe src=\"https://evil.example\"></iframe>\n\n<a href=\"JaVaScRiPt:alert(9)\" onclick=\"alert(10)\">raw</a>",
    }))
    .await;
    publish(&h, "acme/fine", "1.0.0", json!({ "license": "MIT" })).await;

    let model = fetch(&app, "/m/acme/evil", Some(&h.read)).await;
    assert_eq!(model.status, 200, "{}", model.body);
    assert_inert(&model);
    assert!(model.body.contains("<h1>Hi</h1>"), "the README still renders");
    assert!(
        model.body.contains("&lt;script&gt;alert(&#39;d&#39;)")
            || model.body.contains("&lt;script&gt;alert('d')"),
        "text is shown escaped"
    );
    assert!(
        model.body.contains("<code>javascript:alert(1)</code>"),
        "an unsafe licence URL is text, not a link"
    );

    for uri in [
        "/?q=%3Cscript%3Ealert(1)%3C/script%3E",
        "/?q=evil",
        "/compare?m=acme/evil&m=acme/fine",
        "/m/acme/%3Cscript%3E",
    ] {
        let page = fetch(&app, uri, Some(&h.read)).await;
        assert_inert(&page);
    }
}

#[actix_web::test]
async fn every_page_and_error_page_sends_the_security_headers() {
    let h = Harness::new().await;
    let app = h.app().await;
    publish(&h, "acme/a", "1.0.0", json!({ "license": "MIT" })).await;
    publish(&h, "acme/b", "1.0.0", json!({ "license": "MIT" })).await;
    for (uri, token, status) in [
        ("/", Some(h.read.as_str()), 200),
        ("/m/acme/a", Some(&h.read), 200),
        ("/m/acme/a/v/1.0.0", Some(&h.read), 200),
        ("/compare?m=acme/a&m=acme/b", Some(&h.read), 200),
        ("/?limit=0", Some(&h.read), 400),
        ("/m/acme/none", Some(&h.read), 404),
        ("/login", None, 200),
        ("/login?next=//evil", None, 200),
    ] {
        let page = fetch(&app, uri, token).await;
        assert_eq!(page.status, status, "{uri}");
        assert_eq!(page.header("content-security-policy"), Some(CSP), "{uri}");
        assert_eq!(page.header("x-content-type-options"), Some("nosniff"), "{uri}");
        assert_eq!(page.header("referrer-policy"), Some("same-origin"), "{uri}");
        assert_eq!(page.header("content-type"), Some("text/html; charset=utf-8"), "{uri}");
        assert!(!page.body.contains("style=\""), "{uri}: inline styles would be blocked by the CSP");
    }
}

#[actix_web::test]
async fn static_assets_are_served_under_content_hashed_names_with_immutable_caching() {
    let h = Harness::new().await;
    let app = h.app().await;
    let page = fetch(&app, "/", Some(&h.read)).await;
    for (marker, content_type) in [
        ("/ui/assets/style-", "text/css; charset=utf-8"),
        ("/ui/assets/copy-", "text/javascript; charset=utf-8"),
    ] {
        let start = page.body.find(marker).unwrap_or_else(|| panic!("{marker} not linked"));
        let uri = &page.body[start..start + page.body[start..].find('"').unwrap()];
        // Assets are public: no token needed.
        let asset = fetch(&app, uri, None).await;
        assert_eq!(asset.status, 200, "{uri}");
        assert_eq!(asset.header("cache-control"), Some("public, max-age=31536000, immutable"), "{uri}");
        assert_eq!(asset.header("content-type"), Some(content_type), "{uri}");
        assert_eq!(asset.header("x-content-type-options"), Some("nosniff"), "{uri}");
        let hash = hex::encode(Sha256::digest(asset.body.as_bytes()));
        let name_hash = uri.rsplit('-').next().unwrap().split('.').next().unwrap();
        assert_eq!(name_hash, &hash[..16], "{uri}: the name carries the content hash");
        let stale = uri.replace(name_hash, "0000000000000000");
        let gone = fetch(&app, &stale, None).await;
        assert_eq!(gone.status, 404, "{stale}");
        assert_eq!(gone.header("cache-control"), None, "a miss is never cached as immutable");
    }
}
