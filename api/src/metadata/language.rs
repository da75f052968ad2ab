//! `LanguageTag`: a BCP-47 (RFC 5646) tag, checked for well-formedness by `oxilangtag` and
//! normalised in case (`EN` -> `en`, `pt-br` -> `pt-BR`, `zh-hant-tw` -> `zh-Hant-TW`).
//! Only the case changes: no registry lookups, so `zh-yue` stays `zh-yue` and `iw` stays
//! `iw`. Knows nothing of how tags are matched beyond naming the primary subtag.

use std::fmt;
use std::str::FromStr;

use crate::schema::string_newtype_serde;

/// Longest tag accepted. RFC 5646 sets no limit; this one leaves room for extensions
/// (`en-US-u-ca-gregory-nu-latn`) and private use while keeping tags short strings.
const MAX_LEN: usize = 64;

#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct LanguageTag(String);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid language tag '{input}': {reason}")]
pub struct LanguageError {
    input: String,
    reason: String,
}

impl LanguageTag {
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The first subtag (`pt` of `pt-BR`, `zh` of `zh-yue`, `i` of `i-klingon`): a filter
    /// that is just this subtag matches every tag starting with it.
    pub fn primary(&self) -> &str {
        self.0.split('-').next().unwrap_or(&self.0)
    }
}

impl FromStr for LanguageTag {
    type Err = LanguageError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let err = |reason: String| LanguageError { input: s.chars().take(40).collect(), reason };
        let raw = s.trim().replace('_', "-");
        if raw.is_empty() || raw.len() > MAX_LEN {
            return Err(err(format!("must be 1-{MAX_LEN} characters")));
        }
        let tag = oxilangtag::LanguageTag::parse_and_normalize(&raw).map_err(|e| err(e.to_string()))?;
        // RFC 5646 reserves 4-letter and allows registered 5-8-letter language subtags, but
        // none is registered: refusing them keeps words such as `english` out. Grandfathered
        // (`i-klingon`) and private-use (`x-...`) tags are one unit with no language subtag.
        let language = tag.primary_language();
        let one_unit = language == tag.as_str() && language.contains('-');
        if !one_unit && !(2..=3).contains(&language.len()) {
            return Err(err("must start with a 2- or 3-letter language code".into()));
        }
        Ok(Self(tag.into_inner()))
    }
}

impl fmt::Display for LanguageTag {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

string_newtype_serde!(
    LanguageTag,
    "BCP-47 language tag, normalised in case: 'en', 'pt-BR', 'zh-Hant-TW', 'zh-yue', 'en-US-u-ca-gregory', 'i-klingon'.",
    Some("^([a-z]{2,3}|[ix])(-[A-Za-z0-9]{1,8})*$")
);

#[cfg(test)]
mod tests {
    use super::*;

    fn canonical(input: &str) -> String {
        input.parse::<LanguageTag>().unwrap_or_else(|e| panic!("{input}: {e}")).to_string()
    }

    #[test]
    fn tags_are_normalised_in_case() {
        for (input, expected) in [
            ("EN", "en"),
            ("pt-br", "pt-BR"),
            ("zh-hant-tw", "zh-Hant-TW"),
            ("es_419", "es-419"),
            ("de-CH-1996", "de-CH-1996"),
            ("yue", "yue"),
            ("en-x-Custom", "en-x-custom"),
            (" en-US ", "en-US"),
            ("iw", "iw"),
            ("sr-latn-rs", "sr-Latn-RS"),
        ] {
            assert_eq!(canonical(input), expected, "{input}");
        }
        assert_eq!("pt-BR".parse::<LanguageTag>().unwrap().primary(), "pt");
    }

    #[test]
    fn extended_language_extension_and_grandfathered_tags_are_accepted() {
        for (input, expected, primary) in [
            ("zh-yue", "zh-yue", "zh"),
            ("ZH-YUE-HK", "zh-yue-HK", "zh"),
            ("en-US-u-ca-gregory", "en-US-u-ca-gregory", "en"),
            ("en-us-U-CA-Gregory-x-Foo", "en-US-u-ca-gregory-x-foo", "en"),
            ("i-klingon", "i-klingon", "i"),
            ("I-Klingon", "i-klingon", "i"),
            ("sgn-be-fr", "sgn-BE-FR", "sgn"),
            ("x-whatever", "x-whatever", "x"),
        ] {
            let tag: LanguageTag = input.parse().unwrap_or_else(|e| panic!("{input}: {e}"));
            assert_eq!((tag.as_str(), tag.primary()), (expected, primary), "{input}");
        }
    }

    #[test]
    fn malformed_tags_are_refused_with_the_reason() {
        for bad in [
            "",
            "e",
            "english",
            "abcd",
            "en-",
            "en--us",
            "12",
            "en-US-US",
            "en-toolongvariant1",
            "en-x",
            "en-u",
            "x",
            "en US",
            "en-a-b-c-d-e-f-g-h-i-j-k-l-m-n-o-p-q-r-s-t-u-v-w-y-z-aa-bb",
        ] {
            let err = bad.parse::<LanguageTag>().expect_err(bad);
            assert!(err.to_string().starts_with("invalid language tag '"), "{err}");
        }
    }
}
