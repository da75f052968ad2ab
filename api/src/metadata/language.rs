//! `LanguageTag`: a BCP-47 tag, checked for shape and normalised in case
//! (`EN` -> `en`, `pt-br` -> `pt-BR`, `zh-hant-tw` -> `zh-Hant-TW`).

use std::fmt;
use std::str::FromStr;

use crate::schema::string_newtype_serde;

#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct LanguageTag(String);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid language tag '{input}': {reason}")]
pub struct LanguageError {
    input: String,
    reason: &'static str,
}

impl LanguageTag {
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The primary language subtag (`pt` of `pt-BR`).
    pub fn primary(&self) -> &str {
        self.0.split('-').next().unwrap_or(&self.0)
    }
}

fn is_alpha(s: &str) -> bool {
    s.bytes().all(|b| b.is_ascii_alphabetic())
}

fn is_alnum(s: &str) -> bool {
    s.bytes().all(|b| b.is_ascii_alphanumeric())
}

impl FromStr for LanguageTag {
    type Err = LanguageError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let err = |reason| LanguageError { input: s.chars().take(40).collect(), reason };
        let raw = s.trim().replace('_', "-");
        if raw.is_empty() || raw.len() > 35 {
            return Err(err("must be 1-35 characters"));
        }
        let mut parts = raw.split('-');
        let primary = parts.next().unwrap_or_default();
        if !(2..=3).contains(&primary.len()) || !is_alpha(primary) {
            return Err(err("must start with a 2- or 3-letter language code"));
        }
        let mut out = vec![primary.to_ascii_lowercase()];
        // After the language: optional script (4 letters), optional region (2 letters or
        // 3 digits), then variants (5-8 alphanumerics, or a digit and 3 alphanumerics), then
        // an optional private-use part `x-...`.
        let mut stage = 0;
        let mut private = false;
        for part in parts {
            if private {
                if part.is_empty() || part.len() > 8 || !is_alnum(part) {
                    return Err(err("has a malformed private-use subtag"));
                }
                out.push(part.to_ascii_lowercase());
                continue;
            }
            let n = part.len();
            if part.eq_ignore_ascii_case("x") {
                private = true;
                out.push("x".into());
            } else if stage < 1 && n == 4 && is_alpha(part) {
                stage = 1;
                let mut script = part.to_ascii_lowercase();
                script[..1].make_ascii_uppercase();
                out.push(script);
            } else if stage < 2
                && ((n == 2 && is_alpha(part)) || (n == 3 && part.bytes().all(|b| b.is_ascii_digit())))
            {
                stage = 2;
                out.push(part.to_ascii_uppercase());
            } else if ((5..=8).contains(&n) && is_alnum(part))
                || (n == 4 && part.as_bytes()[0].is_ascii_digit() && is_alnum(part))
            {
                stage = 3;
                out.push(part.to_ascii_lowercase());
            } else {
                return Err(err("has a subtag that is not a script, region or variant"));
            }
        }
        Ok(Self(out.join("-")))
    }
}

impl fmt::Display for LanguageTag {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

string_newtype_serde!(
    LanguageTag,
    "BCP-47 language tag, normalised in case: 'en', 'pt-BR', 'zh-Hant-TW'.",
    Some("^[a-z]{2,3}(-[A-Za-z0-9]+)*$")
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tags_are_normalised() {
        for (input, canonical) in [
            ("EN", "en"),
            ("pt-br", "pt-BR"),
            ("zh-hant-tw", "zh-Hant-TW"),
            ("es_419", "es-419"),
            ("de-CH-1996", "de-CH-1996"),
            ("yue", "yue"),
            ("en-x-Custom", "en-x-custom"),
        ] {
            assert_eq!(input.parse::<LanguageTag>().unwrap().as_str(), canonical, "{input}");
        }
        assert_eq!("pt-BR".parse::<LanguageTag>().unwrap().primary(), "pt");
    }

    #[test]
    fn malformed_tags_are_refused() {
        for bad in ["", "e", "english", "en-", "en--us", "12", "en-US-US", "en-toolongvariant1"] {
            assert!(bad.parse::<LanguageTag>().is_err(), "{bad}");
        }
    }
}
