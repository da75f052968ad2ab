//! Static assets compiled into the binary: the stylesheet and the copy-button script. Each is
//! served under a name that carries a hash of its content (computed once, at first use), so a
//! response may be cached for a year: a changed file gets a new name. Nothing here reads disk.

use std::sync::LazyLock;

use actix_web::http::header;
use actix_web::{HttpResponse, web};
use sha2::{Digest as _, Sha256};

/// One asset: its hashed file name and its bytes.
pub struct Asset {
    pub name: String,
    content_type: &'static str,
    body: &'static str,
}

impl Asset {
    fn new(stem: &str, ext: &str, content_type: &'static str, body: &'static str) -> Self {
        let hash = hex::encode(Sha256::digest(body.as_bytes()));
        Self { name: format!("{stem}-{}.{ext}", &hash[..16]), content_type, body }
    }

    /// The URL path pages link to.
    pub fn href(&self) -> String {
        format!("{PREFIX}{}", self.name)
    }
}

/// Where assets are served.
pub const PREFIX: &str = "/ui/assets/";

pub static STYLE: LazyLock<Asset> =
    LazyLock::new(|| Asset::new("style", "css", "text/css; charset=utf-8", include_str!("static/style.css")));

pub static COPY_JS: LazyLock<Asset> = LazyLock::new(|| {
    Asset::new("copy", "js", "text/javascript; charset=utf-8", include_str!("static/copy.js"))
});

/// `GET /ui/assets/{file}`: only the current hashed names exist; anything else is a 404 so a
/// stale name is never served new content under an immutable cache header.
pub async fn serve(file: web::Path<String>) -> HttpResponse {
    let Some(asset) = [&*STYLE, &*COPY_JS].into_iter().find(|a| a.name == *file) else {
        return HttpResponse::NotFound()
            .insert_header((header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
            .content_type("text/plain; charset=utf-8")
            .body("no such asset");
    };
    HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "public, max-age=31536000, immutable"))
        .insert_header((header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .content_type(asset.content_type)
        .body(asset.body)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn asset_names_carry_a_hash_of_their_content() {
        let a = Asset::new("style", "css", "text/css", "a { }");
        let b = Asset::new("style", "css", "text/css", "b { }");
        assert!(a.name.starts_with("style-") && a.name.ends_with(".css"), "{}", a.name);
        assert_ne!(a.name, b.name);
        assert_eq!(a.name, Asset::new("style", "css", "text/css", "a { }").name);
    }
}
