//! Licence ids as people write them, rewritten to the canonical form `LicenseExpr` stores:
//! SPDX ids in any case get the SPDX list's case, Hugging Face Hub ids (`apache-2.0`,
//! `creativeml-openrail-m`, `llama3.1`, `other`) become their SPDX or `LicenseRef-` id, and
//! operators are upper-cased. Only rewrites words; whether the result is a valid expression
//! is for the SPDX parser to say.

use super::hf::from_hf_license;

/// What the Hub's `other` (a licence of its own, named elsewhere) is stored as.
pub const OTHER_LICENSE_REF: &str = "LicenseRef-other";

/// The expression with every word in its canonical form; spacing and parentheses kept.
pub(super) fn canonical_expression(expr: &str) -> String {
    let mut out = String::with_capacity(expr.len() + 16);
    let mut after_with = false;
    let mut rest = expr;
    while !rest.is_empty() {
        let split = rest.find(|c: char| c.is_whitespace() || c == '(' || c == ')').unwrap_or(rest.len());
        if split == 0 {
            let c = rest.chars().next().expect("not empty");
            out.push(c);
            rest = &rest[c.len_utf8()..];
            continue;
        }
        let word = &rest[..split];
        rest = &rest[split..];
        let canonical = canonical_word(word, after_with);
        after_with = canonical == "WITH";
        out.push_str(&canonical);
    }
    out
}

/// One word: an operator, an exception (right after `WITH`) or a licence id.
fn canonical_word(word: &str, after_with: bool) -> String {
    for op in ["AND", "OR", "WITH"] {
        if word.eq_ignore_ascii_case(op) {
            return op.to_owned();
        }
    }
    if after_with {
        return spdx::identifiers::EXCEPTIONS
            .iter()
            .find(|e| e.name.eq_ignore_ascii_case(word))
            .map_or_else(|| word.to_owned(), |e| e.name.to_owned());
    }
    canonical_license_id(word).unwrap_or_else(|| word.to_owned())
}

/// The canonical form of one licence id: a Hub id's translation, an SPDX id (with an
/// optional `+`) in the list's case, `LicenseRef-...` with its prefix in canonical case.
/// `None` for anything else.
pub fn canonical_license_id(id: &str) -> Option<String> {
    let id = id.trim();
    if id.eq_ignore_ascii_case("other") {
        return Some(OTHER_LICENSE_REF.to_owned());
    }
    if let Some(spdx) = from_hf_license(id) {
        return Some(spdx);
    }
    let (base, plus) = match id.strip_suffix('+') {
        Some(base) => (base, "+"),
        None => (id, ""),
    };
    if let Some(l) = spdx::identifiers::LICENSES.iter().find(|l| l.name.eq_ignore_ascii_case(base)) {
        return Some(format!("{}{plus}", l.name));
    }
    let prefix = "LicenseRef-";
    match base.get(..prefix.len()) {
        Some(p)
            if p.eq_ignore_ascii_case(prefix)
                && base.len() > prefix.len()
                && base[prefix.len()..]
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '-') =>
        {
            Some(format!("{prefix}{}{plus}", &base[prefix.len()..]))
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spdx_ids_take_the_list_case_and_hub_ids_their_translation() {
        for (given, canonical) in [
            ("apache-2.0", "Apache-2.0"),
            ("APACHE-2.0", "Apache-2.0"),
            ("mit or apache-2.0", "MIT OR Apache-2.0"),
            ("(mit and bsd-3-clause) or gpl-3.0-or-later", "(MIT AND BSD-3-Clause) OR GPL-3.0-or-later"),
            ("apache-2.0 with llvm-exception", "Apache-2.0 WITH LLVM-exception"),
            ("CreativeML-OpenRAIL-M", "LicenseRef-creativeml-openrail-m"),
            ("llama3.1", "LicenseRef-llama3.1"),
            ("gemma", "LicenseRef-gemma"),
            ("other", "LicenseRef-other"),
            ("licenseref-my-licence", "LicenseRef-my-licence"),
            ("gpl-3.0", "GPL-3.0-only"),
            ("cc-by-nc-4.0", "CC-BY-NC-4.0"),
            ("Made-Up-1.0", "Made-Up-1.0"),
        ] {
            assert_eq!(canonical_expression(given), canonical, "{given}");
        }
    }

    #[test]
    fn single_ids_outside_every_list_have_no_canonical_form() {
        for id in ["Made-Up-1.0", "LicenseRef-", "LicenseRef-a b", "", "apache"] {
            assert_eq!(canonical_license_id(id), None, "{id}");
        }
    }
}
