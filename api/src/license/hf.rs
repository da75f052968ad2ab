//! Hugging Face model-card licence ids (`license: apache-2.0`) translated to SPDX
//! expressions that `LicenseExpr` accepts. A lookup table only; no network, no guessing.

/// Hugging Face id, then the SPDX expression for it. Model licences SPDX lacks use the
/// `LicenseRef-` ids of the terms table. HF's `gpl-3.0`, `lgpl-3.0`, ... do not say
/// "or later"; SPDX reads the bare GNU ids as `-only`, and so do we.
const HF_TO_SPDX: &[(&str, &str)] = &[
    ("apache-2.0", "Apache-2.0"),
    ("mit", "MIT"),
    ("bsd-2-clause", "BSD-2-Clause"),
    ("bsd-3-clause", "BSD-3-Clause"),
    ("bsd-3-clause-clear", "BSD-3-Clause-Clear"),
    ("isc", "ISC"),
    ("zlib", "Zlib"),
    ("bsl-1.0", "BSL-1.0"),
    ("artistic-2.0", "Artistic-2.0"),
    ("unlicense", "Unlicense"),
    ("cc0-1.0", "CC0-1.0"),
    ("wtfpl", "WTFPL"),
    ("cc-by-3.0", "CC-BY-3.0"),
    ("cc-by-4.0", "CC-BY-4.0"),
    ("cc-by-sa-3.0", "CC-BY-SA-3.0"),
    ("cc-by-sa-4.0", "CC-BY-SA-4.0"),
    ("cc-by-nd-4.0", "CC-BY-ND-4.0"),
    ("cc-by-nc-3.0", "CC-BY-NC-3.0"),
    ("cc-by-nc-4.0", "CC-BY-NC-4.0"),
    ("cc-by-nc-nd-4.0", "CC-BY-NC-ND-4.0"),
    ("cc-by-nc-sa-4.0", "CC-BY-NC-SA-4.0"),
    ("mpl-2.0", "MPL-2.0"),
    ("epl-2.0", "EPL-2.0"),
    ("lgpl-2.1", "LGPL-2.1-only"),
    ("lgpl-3.0", "LGPL-3.0-only"),
    ("gpl-2.0", "GPL-2.0-only"),
    ("gpl-3.0", "GPL-3.0-only"),
    ("agpl-3.0", "AGPL-3.0-only"),
    ("openrail", "LicenseRef-openrail"),
    ("openrail++", "LicenseRef-openrail-plusplus"),
    ("creativeml-openrail-m", "LicenseRef-creativeml-openrail-m"),
    ("bigscience-openrail-m", "LicenseRef-bigscience-openrail-m"),
    ("bigscience-bloom-rail-1.0", "LicenseRef-bigscience-bloom-rail-1.0"),
    ("bigcode-openrail-m", "LicenseRef-bigcode-openrail-m"),
    ("llama2", "LicenseRef-llama2"),
    ("llama3", "LicenseRef-llama3"),
    ("llama3.1", "LicenseRef-llama3.1"),
    ("llama3.2", "LicenseRef-llama3.2"),
    ("llama3.3", "LicenseRef-llama3.3"),
    ("llama4", "LicenseRef-llama4"),
    ("gemma", "LicenseRef-gemma"),
    ("deepseek", "LicenseRef-deepseek"),
    ("qwen", "LicenseRef-qwen"),
    ("qwen-research", "LicenseRef-qwen-research"),
];

/// The SPDX expression for a Hugging Face licence id (case-insensitive), or `None` for
/// `other`, `unknown`, ambiguous ids (`bsd`, `gpl`, `cc`) and ids not in the table.
pub fn from_hf_license(s: &str) -> Option<String> {
    let wanted = s.trim();
    HF_TO_SPDX.iter().find(|(hf, _)| hf.eq_ignore_ascii_case(wanted)).map(|(_, spdx)| (*spdx).to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::LicenseExpr;
    use crate::license::{LicenseClass, assess};

    #[test]
    fn every_mapping_parses_and_has_known_terms() {
        for (hf, _) in HF_TO_SPDX {
            let spdx = from_hf_license(hf).unwrap();
            let expr: LicenseExpr = spdx.parse().unwrap_or_else(|e| panic!("{hf} -> {spdx}: {e}"));
            assert_eq!(expr.to_string(), spdx, "{hf} must map to a canonical expression");
            assert_ne!(assess(&expr).class, LicenseClass::Unknown, "{hf} -> {spdx} has no terms");
        }
    }

    #[test]
    fn common_card_ids_map_to_spdx() {
        assert_eq!(from_hf_license("apache-2.0").as_deref(), Some("Apache-2.0"));
        assert_eq!(from_hf_license(" MIT ").as_deref(), Some("MIT"));
        assert_eq!(from_hf_license("gpl-3.0").as_deref(), Some("GPL-3.0-only"));
        assert_eq!(from_hf_license("llama3.1").as_deref(), Some("LicenseRef-llama3.1"));
        assert_eq!(from_hf_license("openrail++").as_deref(), Some("LicenseRef-openrail-plusplus"));
    }

    #[test]
    fn other_unknown_and_ambiguous_ids_map_to_nothing() {
        for hf in ["other", "unknown", "bsd", "gpl", "cc", "", "apache"] {
            assert_eq!(from_hf_license(hf), None, "{hf}");
        }
    }

    #[test]
    fn hf_ids_are_unique_and_lower_case() {
        let mut seen = std::collections::HashSet::new();
        for (hf, _) in HF_TO_SPDX {
            assert_eq!(*hf, hf.to_ascii_lowercase());
            assert!(seen.insert(*hf), "{hf} listed twice");
        }
    }
}
