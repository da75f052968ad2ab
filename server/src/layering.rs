//! Keeps the server's layering (DESIGN.md §3, STYLE.md "Shape") from eroding: reads the
//! sources under `src/` and fails when a layer names a module or crate it must not. Tests
//! only; it reads tokens, so comments and strings may mention any name.

use std::path::{Path, PathBuf};

use proc_macro2::{Delimiter, TokenStream, TokenTree};

/// One layer's folder and what its code must not name.
struct Rule {
    folder: &'static str,
    /// Modules of this crate it must not import (as `crate::x`, `super::super::x` or inside
    /// `crate::{...}`).
    modules: &'static [&'static str],
    /// External crates it must not name.
    crates: &'static [&'static str],
}

const RULES: &[Rule] = &[
    Rule { folder: "http", modules: &["store", "blob", "facts", "app"], crates: &["sqlx", "object_store"] },
    Rule { folder: "service", modules: &["http", "app"], crates: &["actix", "sqlx", "object_store"] },
    Rule {
        folder: "store",
        modules: &["http", "service", "blob", "facts", "app"],
        crates: &["actix", "object_store"],
    },
    Rule {
        folder: "blob",
        modules: &["http", "service", "store", "facts", "app"],
        crates: &["actix", "sqlx"],
    },
    Rule {
        folder: "metrics",
        modules: &["http", "service", "store", "blob", "facts", "app", "config"],
        crates: &["actix", "sqlx", "object_store"],
    },
    Rule {
        folder: "facts",
        modules: &["http", "service", "store", "blob", "app"],
        crates: &["actix", "sqlx", "object_store"],
    },
];

/// Where each external crate may appear at all (paths relative to `src/`).
const CRATE_HOMES: &[(&str, &[&str])] =
    &[("sqlx", &["store/"]), ("object_store", &["blob/"]), ("actix", &["http/", "app.rs"])];

fn src() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

/// Every `.rs` file under `dir`, as (path relative to `src/` with `/` separators, contents).
fn sources(dir: &Path) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut pending = vec![dir.to_path_buf()];
    while let Some(dir) = pending.pop() {
        for entry in std::fs::read_dir(&dir).expect("source folder is readable") {
            let path = entry.expect("source entry is readable").path();
            if path.is_dir() {
                pending.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") {
                let relative =
                    path.strip_prefix(src()).expect("under src/").to_string_lossy().replace('\\', "/");
                out.push((relative, std::fs::read_to_string(&path).expect("source file is readable")));
            }
        }
    }
    assert!(!out.is_empty(), "no sources found under {}", dir.display());
    out
}

/// The tokens of a source file, groups flattened into their parts with their delimiters
/// kept as tree nodes: comments and string literals are not code and never match.
fn tokens_of(source: &str) -> TokenStream {
    source.parse().expect("server sources tokenize")
}

fn ident_is(token: Option<&TokenTree>, name: &str) -> bool {
    matches!(token, Some(TokenTree::Ident(i)) if i == name)
}

fn path_sep(tokens: &[TokenTree], at: usize) -> bool {
    matches!(
        (tokens.get(at), tokens.get(at + 1)),
        (Some(TokenTree::Punct(a)), Some(TokenTree::Punct(b))) if a.as_char() == ':' && b.as_char() == ':'
    )
}

/// Whether `stream` names the crate module `module`: `crate::module`, `super::super::module`
/// (from a file one folder down), or `module` as an item of a `crate::{...}` group.
fn names_module(stream: TokenStream, module: &str) -> bool {
    let tokens: Vec<TokenTree> = stream.into_iter().collect();
    for at in 0..tokens.len() {
        let root = if ident_is(tokens.get(at), "crate") && path_sep(&tokens, at + 1) {
            Some(at + 3)
        } else if ident_is(tokens.get(at), "super")
            && path_sep(&tokens, at + 1)
            && ident_is(tokens.get(at + 3), "super")
            && path_sep(&tokens, at + 4)
        {
            Some(at + 6)
        } else {
            None
        };
        match root.and_then(|next| tokens.get(next)) {
            Some(TokenTree::Ident(i)) if i == module => return true,
            Some(TokenTree::Group(g)) if g.delimiter() == Delimiter::Brace && group_names(g, module) => {
                return true;
            }
            _ => {}
        }
        if let TokenTree::Group(g) = &tokens[at]
            && names_module(g.stream(), module)
        {
            return true;
        }
    }
    false
}

/// Whether an item of a `{...}` import group starts with `module`.
fn group_names(group: &proc_macro2::Group, module: &str) -> bool {
    let mut item_start = true;
    for token in group.stream() {
        match &token {
            TokenTree::Ident(i) if item_start && i == module => return true,
            TokenTree::Punct(p) if p.as_char() == ',' => {
                item_start = true;
                continue;
            }
            _ => {}
        }
        item_start = false;
    }
    false
}

/// Whether `stream` names an external crate: `name` as an identifier, or for `actix` any
/// identifier starting `actix_` (actix_web, actix_rt, ...).
fn names_crate(stream: TokenStream, name: &str) -> bool {
    stream.into_iter().any(|token| match token {
        TokenTree::Ident(i) => {
            let i = i.to_string();
            i == name || (name == "actix" && i.starts_with("actix_"))
        }
        TokenTree::Group(g) => names_crate(g.stream(), name),
        TokenTree::Punct(_) | TokenTree::Literal(_) => false,
    })
}

fn violations() -> Vec<String> {
    let mut found = Vec::new();
    for rule in RULES {
        for (path, source) in sources(&src().join(rule.folder)) {
            let code = tokens_of(&source);
            for module in rule.modules.iter().filter(|m| names_module(code.clone(), m)) {
                found.push(format!("{path}: the {} layer must not import crate::{module}", rule.folder));
            }
            for name in rule.crates.iter().filter(|c| names_crate(code.clone(), c)) {
                found.push(format!("{path}: the {} layer must not name {name}", rule.folder));
            }
        }
    }
    for (path, source) in sources(&src()) {
        let code = tokens_of(&source);
        for (name, homes) in CRATE_HOMES {
            if names_crate(code.clone(), name) && !homes.iter().any(|home| path.starts_with(home)) {
                found.push(format!("{path}: {name} belongs only in {}", homes.join(", ")));
            }
        }
    }
    found
}

#[test]
fn each_layer_imports_only_the_layers_below_it() {
    let found = violations();
    assert!(found.is_empty(), "layering violations:\n{}", found.join("\n"));
}

#[test]
fn the_import_scanner_sees_every_spelling_of_a_forbidden_import() {
    let module = |source: &str| names_module(tokens_of(source), "store");
    assert!(module("use crate::store::VersionRecord;"));
    assert!(module("use crate::{\n    service::Registry,\n    store,\n};"));
    assert!(module("use crate::{service::{A, B}, store::{C}};"));
    assert!(module("fn f(x: &super::super::store::X) {}"));
    assert!(module("fn f() { let x = crate :: store :: X; }"));
    assert!(!module("use crate::store_like::X; use crate::service::{store_x, y::store};"));
    assert!(!module("//! never import crate::store here\nuse crate::service::X;"));
    assert!(!module("const S: &str = \"use crate::store;\";"));

    let names = |source: &str, name: &str| names_crate(tokens_of(source), name);
    assert!(names("use actix_web::web;", "actix"));
    assert!(names("fn f() { sqlx::query(\"select 1\"); }", "sqlx"));
    assert!(names("struct S(Arc<dyn object_store::ObjectStore>);", "object_store"));
    assert!(!names("//! imports neither actix nor sqlx\nfn f() {}", "sqlx"));
    assert!(!names("fn f() { let my_sqlx_pool = \"sqlx\"; }", "sqlx"));
    assert!(!names("fn f() { let object_stores = 2; }", "object_store"));
    assert!(!names("fn f() { let actixish = 1; }", "actix"));
}
