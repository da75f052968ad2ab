//! Licences: `LicenseExpr`, an SPDX licence expression checked against the SPDX licence list
//! (`LicenseRef-...` identifiers are accepted for licences the list does not know), and what
//! such an expression allows. Pure data and logic; no I/O, no network look-ups.
//!
//! # Classes
//!
//! | class | meaning | commercial use | examples |
//! |---|---|---|---|
//! | `permissive` | use, change, redistribute; at most keep a notice | `allowed` | MIT, Apache-2.0, BSD-3-Clause, CC-BY-4.0, CC0-1.0 |
//! | `weak_copyleft` | changes to the licensed files are shared alike | `allowed` | MPL-2.0, EPL-2.0, LGPL-3.0-only |
//! | `copyleft` | derived works as a whole are shared alike | `allowed` | GPL-3.0-only, AGPL-3.0-only, CC-BY-SA-4.0 |
//! | `restricted_use` | commercial use allowed, with use restrictions or conditions | `restricted` (`allowed` for CC-BY-ND) | OpenRAIL-M, Llama, Gemma, Qwen, DeepSeek, CC-BY-ND-4.0 |
//! | `non_commercial` | no commercial use | `forbidden` | CC-BY-NC-4.0, CC-BY-NC-SA-4.0 |
//! | `unknown` | not in the table, or not decidable from the expression | `unknown` | LicenseRef-my-licence |
//!
//! `commercial_use = restricted` means allowed with conditions: Llama's 700M monthly-user
//! threshold, Qwen's 100M, a RAIL or Gemma prohibited-use list, Falcon-180B's hosting ban.
//! CC-BY-ND-4.0 is `restricted_use` with commercial use `allowed`: you may use the model as
//! published for anything, but may not share fine-tunes, quantisations or merges of it.
//! RAIL/OpenRAIL, Llama, Gemma and the other model licences are not on the SPDX list, so
//! they are written `LicenseRef-openrail-m`, `LicenseRef-llama3.1`, ... (matched ignoring case).
//! Ids are matched ignoring case and stored in canonical case. The Hugging Face Hub's
//! licence ids are accepted wherever a licence is (`apache-2.0` is `Apache-2.0`,
//! `creativeml-openrail-m` is `LicenseRef-creativeml-openrail-m`, `other` is
//! `LicenseRef-other`); the Hub's bare GNU ids (`gpl-3.0`) read as `-only`, as SPDX reads
//! its deprecated bare ids.
//!
//! # Rules for expressions
//!
//! Classes are ordered `permissive < weak_copyleft < copyleft < restricted_use <
//! non_commercial`, commercial use `allowed < restricted < forbidden`. The two axes are
//! folded independently through the expression tree:
//!
//! | expression | verdict |
//! |---|---|
//! | `A OR B` | the licensee picks: the more permissive of A and B |
//! | `A AND B` | both apply: the stricter of A and B |
//! | `A WITH e` | A's verdict (exceptions such as LLVM-exception or Classpath-exception-2.0 only relax A; we do not credit that) |
//! | `A+`, `-or-later` | the same as A |
//! | unknown id, `DocumentRef-...` | `unknown` |
//!
//! `unknown` is never guessed away: a result is known only if it would be the same whatever
//! the unknown licence turned out to be. So `unknown OR permissive` is `permissive` and
//! `unknown AND non_commercial` is `non_commercial` (per axis: `allowed`/`forbidden`), and
//! every other combination with `unknown` stays `unknown`; `LicenseRef-x OR GPL-3.0-only`
//! has class `unknown` but commercial use `allowed`.
//!
//! `permits(expr, id)` holds when `id` appears anywhere in the expression (ignoring case,
//! `+`, `-only` and `-or-later`): SPDX has no negation, so every id sits in at least one
//! alternative a user can comply with.

mod assess;
mod canonical;
mod class;
mod hf;
mod lineage;
mod terms;

use std::fmt;
use std::str::FromStr;

use crate::schema::string_newtype_serde;

pub use assess::{LicenseAssessment, assess, permits};
pub use canonical::{OTHER_LICENSE_REF, canonical_license_id};
pub use class::{CommercialUse, LicenseClass, LicenseTermError};
pub use hf::from_hf_license;
pub use lineage::{
    BaseVerdict, EffectiveLicense, LicenseConflict, LicenseVerdict, MAX_LINEAGE_DEPTH, effective_license,
};
pub use terms::{LicenseTerms, known_licenses, license_terms};

/// A syntactically valid SPDX expression, stored canonical: SPDX ids in the list's case,
/// Hugging Face Hub ids as their SPDX or `LicenseRef-` id, operators upper-case.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct LicenseExpr(String);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid licence expression '{input}': {reason}")]
pub struct LicenseError {
    input: String,
    reason: String,
}

impl LicenseExpr {
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl FromStr for LicenseExpr {
    type Err = LicenseError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let trimmed = s.trim();
        let err = |reason: String| LicenseError { input: trimmed.chars().take(200).collect(), reason };
        if trimmed.is_empty() {
            return Err(err("is empty".into()));
        }
        if trimmed.len() > 1024 {
            return Err(err("is longer than 1024 bytes".into()));
        }
        let canonical = canonical::canonical_expression(trimmed);
        spdx::Expression::parse(&canonical).map_err(|e| {
            err(format!(
                "{} (use SPDX ids such as MIT or Apache-2.0, Hugging Face ids such as llama3 or \
                 creativeml-openrail-m, or LicenseRef-...)",
                e.reason
            ))
        })?;
        Ok(Self(canonical))
    }
}

impl fmt::Display for LicenseExpr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

string_newtype_serde!(
    LicenseExpr,
    "SPDX licence expression, e.g. 'Apache-2.0', 'MIT OR Apache-2.0', 'LicenseRef-llama3'.",
    None
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spdx_expressions_are_accepted() {
        for s in [
            "MIT",
            "Apache-2.0",
            "MIT OR Apache-2.0",
            "(MIT AND BSD-3-Clause) OR GPL-3.0-only",
            "LicenseRef-llama3",
            "Apache-2.0 WITH LLVM-exception",
        ] {
            assert!(s.parse::<LicenseExpr>().is_ok(), "{s} should parse");
        }
    }

    #[test]
    fn ids_in_any_case_and_hub_ids_are_stored_canonical() {
        for (given, stored) in [
            ("apache-2.0", "Apache-2.0"),
            ("CreativeML-OpenRAIL-M", "LicenseRef-creativeml-openrail-m"),
            ("mit or Apache-2.0", "MIT OR Apache-2.0"),
            ("llama3", "LicenseRef-llama3"),
            ("other", "LicenseRef-other"),
        ] {
            assert_eq!(given.parse::<LicenseExpr>().unwrap().as_str(), stored, "{given}");
        }
    }

    #[test]
    fn unknown_or_malformed_licences_are_refused() {
        for s in ["", "Made-Up-1.0", "MIT OR", "MIT AND (Apache-2.0"] {
            assert!(s.parse::<LicenseExpr>().is_err(), "{s} should be refused");
        }
    }
}
