//! The table of single licence ids with known terms (`LicenseTerms`) and its lookup. Pure
//! data: the vocabulary is in `class`, expression logic in `assess`.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::class::CommercialUse::{self, Allowed, Forbidden, Restricted};
use super::class::LicenseClass::{self, Copyleft, NonCommercial, Permissive, RestrictedUse, WeakCopyleft};

/// What one licence id allows, from the table in this module.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct LicenseTerms {
    pub class: LicenseClass,
    pub commercial_use: CommercialUse,
    /// Redistribution must keep a copyright or licence notice, or credit the author.
    pub attribution_required: bool,
    /// Derived works (or, for weak copyleft, changed files) must carry the same licence.
    /// Use restrictions that must be passed on (RAIL, Llama, Gemma) are not counted here:
    /// `restricted_use` says that.
    pub share_alike: bool,
}

const fn terms(
    class: LicenseClass,
    commercial_use: CommercialUse,
    attribution_required: bool,
    share_alike: bool,
) -> LicenseTerms {
    LicenseTerms { class, commercial_use, attribution_required, share_alike }
}

const NOTICE: LicenseTerms = terms(Permissive, Allowed, true, false);
const NO_NOTICE: LicenseTerms = terms(Permissive, Allowed, false, false);
const WEAK: LicenseTerms = terms(WeakCopyleft, Allowed, true, true);
const STRONG: LicenseTerms = terms(Copyleft, Allowed, true, true);
/// Model licences with a use policy and/or a commercial threshold, passed on to derivatives.
const MODEL: LicenseTerms = terms(RestrictedUse, Restricted, true, false);
const NC: LicenseTerms = terms(NonCommercial, Forbidden, true, false);

/// Every licence id with known terms. SPDX ids are spelt as on the SPDX list; the bare GNU
/// ids (`GPL-3.0`, ...) are deprecated there and refused by `LicenseExpr`, but kept so a
/// raw id from elsewhere still resolves. Model licences SPDX lacks use `LicenseRef-`.
const KNOWN: &[(&str, LicenseTerms)] = &[
    ("Apache-2.0", NOTICE),
    ("MIT", NOTICE),
    ("BSD-2-Clause", NOTICE),
    ("BSD-3-Clause", NOTICE),
    ("BSD-3-Clause-Clear", NOTICE),
    ("ISC", NOTICE),
    ("Zlib", NOTICE),
    ("BSL-1.0", NOTICE),
    ("Artistic-2.0", NOTICE),
    ("CC-BY-4.0", NOTICE),
    ("CC-BY-3.0", NOTICE),
    ("0BSD", NO_NOTICE),
    ("Unlicense", NO_NOTICE),
    ("CC0-1.0", NO_NOTICE),
    ("WTFPL", NO_NOTICE),
    ("MPL-2.0", WEAK),
    ("EPL-2.0", WEAK),
    ("LGPL-2.1", WEAK),
    ("LGPL-2.1-only", WEAK),
    ("LGPL-2.1-or-later", WEAK),
    ("LGPL-3.0", WEAK),
    ("LGPL-3.0-only", WEAK),
    ("LGPL-3.0-or-later", WEAK),
    ("GPL-2.0", STRONG),
    ("GPL-2.0-only", STRONG),
    ("GPL-2.0-or-later", STRONG),
    ("GPL-3.0", STRONG),
    ("GPL-3.0-only", STRONG),
    ("GPL-3.0-or-later", STRONG),
    ("AGPL-3.0", STRONG),
    ("AGPL-3.0-only", STRONG),
    ("AGPL-3.0-or-later", STRONG),
    ("CC-BY-SA-4.0", STRONG),
    ("CC-BY-SA-3.0", STRONG),
    // No derivatives: commercial use of the model as published is fine, but fine-tunes,
    // quantisations and merges may not be shared. That is a use restriction, not a notice.
    ("CC-BY-ND-4.0", terms(RestrictedUse, Allowed, true, false)),
    ("CC-BY-NC-4.0", NC),
    ("CC-BY-NC-3.0", NC),
    ("CC-BY-NC-ND-4.0", NC),
    ("CC-BY-NC-SA-4.0", terms(NonCommercial, Forbidden, true, true)),
    // Responsible AI licences: commercial use allowed, subject to a list of forbidden uses.
    ("LicenseRef-openrail", MODEL),
    ("LicenseRef-openrail-m", MODEL),
    ("LicenseRef-openrail-plusplus", MODEL),
    ("LicenseRef-creativeml-openrail-m", MODEL),
    ("LicenseRef-bigscience-openrail-m", MODEL),
    ("LicenseRef-bigscience-bloom-rail-1.0", MODEL),
    ("LicenseRef-bigcode-openrail-m", MODEL),
    // Community licences: acceptable-use policy plus, for Llama, a 700M monthly-user
    // threshold, for Qwen a 100M one, for Falcon-180B no hosted-service use.
    ("LicenseRef-llama2", MODEL),
    ("LicenseRef-llama3", MODEL),
    ("LicenseRef-llama3.1", MODEL),
    ("LicenseRef-llama3.2", MODEL),
    ("LicenseRef-llama3.3", MODEL),
    ("LicenseRef-llama4", MODEL),
    ("LicenseRef-gemma", MODEL),
    ("LicenseRef-deepseek", MODEL),
    ("LicenseRef-qwen", MODEL),
    ("LicenseRef-falcon-180b", MODEL),
    ("LicenseRef-qwen-research", NC),
];

/// The terms for one licence id: `MIT`, `GPL-3.0-or-later`, `LicenseRef-llama3`. Matching is
/// case-insensitive and ignores a trailing `+` (or-later has the same terms as the base).
/// Expressions (`A OR B`, `A WITH e`) are not ids: use `assess` for those.
pub fn license_terms(id: &str) -> Option<LicenseTerms> {
    let id = id.trim();
    let id = id.strip_suffix('+').unwrap_or(id);
    KNOWN.iter().find(|(known, _)| known.eq_ignore_ascii_case(id)).map(|(_, terms)| *terms)
}

/// Every licence id with known terms, in table order.
pub fn known_licenses() -> impl Iterator<Item = (&'static str, LicenseTerms)> {
    KNOWN.iter().copied()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::LicenseExpr;

    #[test]
    fn every_table_id_parses_as_a_licence_expression_unless_spdx_deprecates_it() {
        for (id, _) in known_licenses() {
            if id.parse::<LicenseExpr>().is_err() {
                let deprecated = spdx::license_id(id).is_some_and(|l| l.is_deprecated() && l.is_gnu());
                assert!(deprecated, "{id} neither parses nor is a deprecated GNU id");
            }
        }
    }

    #[test]
    fn rail_and_community_model_licences_are_not_spdx_ids() {
        for name in [
            "OpenRAIL",
            "OpenRAIL-M",
            "CreativeML-OpenRAIL-M",
            "BigScience-OpenRAIL-M",
            "BigScience-BLOOM-RAIL-1.0",
            "Llama-2",
            "Gemma",
        ] {
            assert!(
                spdx::license_id(name).is_none(),
                "{name} is now an SPDX id: use it instead of LicenseRef"
            );
        }
        for (id, _) in known_licenses() {
            if let Some(spdx_id) = spdx::license_id(id) {
                assert_eq!(spdx_id.name, id, "table spelling must match the SPDX list");
            }
        }
    }

    #[test]
    fn table_ids_are_unique_ignoring_case() {
        let mut seen = std::collections::HashSet::new();
        for (id, _) in known_licenses() {
            assert!(seen.insert(id.to_ascii_lowercase()), "{id} listed twice");
        }
    }

    #[test]
    fn table_entries_have_the_expected_terms() {
        let cases = [
            ("Apache-2.0", Permissive, Allowed, true, false),
            ("0BSD", Permissive, Allowed, false, false),
            ("CC0-1.0", Permissive, Allowed, false, false),
            ("MPL-2.0", WeakCopyleft, Allowed, true, true),
            ("LGPL-2.1-or-later", WeakCopyleft, Allowed, true, true),
            ("GPL-3.0-only", Copyleft, Allowed, true, true),
            ("AGPL-3.0-or-later", Copyleft, Allowed, true, true),
            ("CC-BY-SA-4.0", Copyleft, Allowed, true, true),
            ("CC-BY-ND-4.0", RestrictedUse, Allowed, true, false),
            ("CC-BY-NC-SA-4.0", NonCommercial, Forbidden, true, true),
            ("CC-BY-NC-ND-4.0", NonCommercial, Forbidden, true, false),
            ("LicenseRef-llama3.1", RestrictedUse, Restricted, true, false),
            ("LicenseRef-creativeml-openrail-m", RestrictedUse, Restricted, true, false),
            ("LicenseRef-qwen-research", NonCommercial, Forbidden, true, false),
        ];
        for (id, class, commercial_use, attribution_required, share_alike) in cases {
            assert_eq!(
                license_terms(id),
                Some(LicenseTerms { class, commercial_use, attribution_required, share_alike }),
                "{id}"
            );
        }
    }

    #[test]
    fn lookup_ignores_case_and_a_trailing_plus() {
        assert_eq!(license_terms("licenseref-LLAMA3"), license_terms("LicenseRef-llama3"));
        assert_eq!(license_terms("mit"), license_terms("MIT"));
        assert_eq!(license_terms("Apache-2.0+"), license_terms("Apache-2.0"));
        assert_eq!(license_terms("LicenseRef-mine"), None);
        assert_eq!(license_terms("MIT OR Apache-2.0"), None);
    }

    #[test]
    fn the_table_is_consistent_between_class_and_commercial_use() {
        for (id, t) in known_licenses() {
            let expected = match t.class {
                Permissive | WeakCopyleft | Copyleft => t.commercial_use == Allowed,
                RestrictedUse => matches!(t.commercial_use, Allowed | Restricted),
                NonCommercial => t.commercial_use == Forbidden,
                LicenseClass::Unknown => false,
            };
            assert!(expected, "{id}: {} with commercial use {}", t.class, t.commercial_use);
        }
    }
}
