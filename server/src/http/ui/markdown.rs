//! Markdown to safe HTML: READMEs and risk notes are rendered with `pulldown-cmark` and the
//! result is sanitised with `ammonia`, so raw HTML, `<script>`, event-handler attributes and
//! `javascript:` links in publisher text come out inert. The only way publisher Markdown
//! reaches a page.

use std::sync::LazyLock;

use maud::{Markup, PreEscaped};
use pulldown_cmark::{Options, Parser, html};

static SANITIZER: LazyLock<ammonia::Builder<'static>> = LazyLock::new(|| {
    let mut b = ammonia::Builder::default();
    b.link_rel(Some("noopener noreferrer nofollow"));
    b
});

/// Renders Markdown to sanitised HTML.
pub fn render(markdown: &str) -> Markup {
    let options = Options::ENABLE_TABLES | Options::ENABLE_STRIKETHROUGH | Options::ENABLE_TASKLISTS;
    let mut raw = String::with_capacity(markdown.len() * 3 / 2);
    html::push_html(&mut raw, Parser::new_ext(markdown, options));
    PreEscaped(SANITIZER.clean(&raw).to_string())
}

/// Whether a URL may become a link: only absolute http(s) URLs; anything else is shown as text.
pub fn is_safe_link(url: &str) -> bool {
    url::Url::parse(url).is_ok_and(|u| matches!(u.scheme(), "http" | "https"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hostile_markdown_renders_inert() {
        let out = render(
            "# Hi\n\n<script>alert(1)</script>\n\n<img src=x onerror=alert(2)>\n\n[x](javascript:alert(3)) and <a href=\"JavaScript:alert(4)\">y</a>\n\n<iframe src=//evil></iframe>",
        )
        .into_string();
        assert!(out.contains("<h1>Hi</h1>"), "{out}");
        for bad in ["<script", "onerror", "href=\"javascript", "<iframe"] {
            assert!(!out.to_ascii_lowercase().contains(bad), "{bad} survived: {out}");
        }
    }

    #[test]
    fn only_http_links_are_linkable() {
        assert!(is_safe_link("https://example.com/licence"));
        assert!(!is_safe_link("javascript:alert(1)"));
        assert!(!is_safe_link("JaVaScRiPt:alert(1)"));
        assert!(!is_safe_link("data:text/html,x"));
        assert!(!is_safe_link("/relative"));
    }
}
